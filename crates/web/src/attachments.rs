//! Attachments and problem recordings (R17), for the API and the portal
//! alike.
//!
//! An upload is streamed to a temporary file under the data directory
//! (never held in memory), its type sniffed from its content, its secrets
//! scrubbed into a second temporary file, and only that scrubbed copy put
//! in the object store, hashed as it goes; both temporary files are removed
//! whatever happens. The file's record and the case events that tell of it
//! are written together. Downloads are authorized like the case, streamed
//! from the store, and always sent as attachments. Closed cases' files are
//! deleted after the retention period.

use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Bytes;
use axum::http::StatusCode;
use guichet_domain::attachment::{self, Attachment, ChecklistItem, FileName, Removed, UploadRequest, WantedKind};
use guichet_domain::audit::AuditEntry;
use guichet_domain::case::{Case, CaseEvent, CaseId, CaseStatus, Happening, parse_optional_text};
use guichet_domain::user::UserId;
use guichet_domain::{Invalid, InvalidKind};
use guichet_scrub::{Limits, Refusal};
use guichet_store::{FilesChange, OutboxMessage, StoreError};
use jiff::{SignedDuration, Timestamp};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use tokio::sync::OnceCell;

use crate::AppState;
use crate::auth::Caller;
use crate::cases::readable;
use crate::error::ApiError;
use crate::i18n::Tr;

/// Where the files are kept.
#[derive(Clone, PartialEq, Eq)]
pub enum Storage {
    /// A folder (by default `files` in the data directory).
    Local { root: PathBuf },
    /// Any S3-compatible service (built with the `s3` feature).
    S3(S3Settings),
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Local { root } => f.debug_struct("Local").field("root", root).finish(),
            Self::S3(s3) => f
                .debug_struct("S3")
                .field("bucket", &s3.bucket)
                .field("endpoint", &s3.endpoint)
                .field("region", &s3.region)
                .finish_non_exhaustive(),
        }
    }
}

/// An S3-compatible bucket.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Settings {
    pub bucket: String,
    pub region: String,
    /// Empty: AWS itself; else the service's address (MinIO, moto, …).
    pub endpoint: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Allow `http://` endpoints (a local service).
    pub allow_http: bool,
}

/// How attachments behave, from the configuration.
#[derive(Debug, Clone)]
pub struct FileSettings {
    /// The largest upload, in bytes (`files.max_file_size`).
    pub max_file_size: u64,
    /// The most bytes a case's files may take (`files.max_case_size`).
    pub max_case_size: u64,
    /// A closed case's files are deleted this long after it closed.
    pub retention: SignedDuration,
    pub storage: Storage,
    /// Where uploads are staged while they are scrubbed.
    pub temp_dir: PathBuf,
    /// What an archive may expand to.
    pub archive_limits: Limits,
}

pub const MB: u64 = 1024 * 1024;

impl Default for FileSettings {
    fn default() -> Self {
        let data = std::env::temp_dir().join("guichet-files");
        Self {
            max_file_size: 100 * MB,
            max_case_size: 1024 * MB,
            retention: SignedDuration::from_hours(24 * 90),
            storage: Storage::Local {
                root: data.join("files"),
            },
            temp_dir: data.join("tmp"),
            archive_limits: Limits::default(),
        }
    }
}

/// The object store, opened on first use.
pub struct Files {
    settings: FileSettings,
    store: OnceCell<Arc<dyn ObjectStore>>,
}

impl Files {
    pub fn new(settings: FileSettings) -> Self {
        Self {
            settings,
            store: OnceCell::new(),
        }
    }

    pub fn settings(&self) -> &FileSettings {
        &self.settings
    }

    /// The object store; an error names what is wrong with the settings.
    pub async fn store(&self) -> Result<&Arc<dyn ObjectStore>, String> {
        self.store
            .get_or_try_init(|| async { open_store(&self.settings.storage) })
            .await
    }
}

fn open_store(storage: &Storage) -> Result<Arc<dyn ObjectStore>, String> {
    match storage {
        Storage::Local { root } => {
            std::fs::create_dir_all(root).map_err(|e| format!("creating {}: {e}", root.display()))?;
            let local = object_store::local::LocalFileSystem::new_with_prefix(root).map_err(|e| e.to_string())?;
            Ok(Arc::new(local))
        }
        #[cfg(feature = "s3")]
        Storage::S3(s3) => {
            let mut builder = object_store::aws::AmazonS3Builder::new()
                .with_bucket_name(&s3.bucket)
                .with_region(&s3.region)
                .with_access_key_id(&s3.access_key_id)
                .with_secret_access_key(&s3.secret_access_key)
                .with_allow_http(s3.allow_http);
            if !s3.endpoint.is_empty() {
                builder = builder
                    .with_endpoint(&s3.endpoint)
                    .with_virtual_hosted_style_request(false);
            }
            Ok(Arc::new(builder.build().map_err(|e| e.to_string())?))
        }
        #[cfg(not(feature = "s3"))]
        Storage::S3(_) => Err("files.storage = \"s3\" needs a build with the `s3` feature".into()),
    }
}

fn storage_error(error: impl std::fmt::Display) -> ApiError {
    ApiError::internal(format!("attachment storage: {error}"))
}

fn too_large(code: &'static str, detail: String) -> ApiError {
    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, code, detail)
}

fn megabytes(bytes: u64) -> String {
    let mb = bytes as f64 / MB as f64;
    if mb >= 10.0 || mb.fract() == 0.0 {
        format!("{mb:.0} MB")
    } else {
        format!("{mb:.1} MB")
    }
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Io(error) => ApiError::internal(format!("scrubbing an upload: {error}")),
            Refusal::Unsupported(_) => {
                ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, refusal.code(), refusal.to_string())
            }
            other => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, other.code(), other.to_string()),
        }
    }
}

/// An upload staged in a temporary file of the data directory; the file is
/// removed when this is dropped, whatever happened.
pub struct Staged {
    file: tempfile::NamedTempFile,
    pub size: u64,
    pub name: FileName,
    pub declared: Option<String>,
}

/// Receives an upload chunk by chunk into a temporary file, refusing it
/// (413) beyond `files.max_file_size`.
pub struct Stager {
    file: tempfile::NamedTempFile,
    writer: tokio::fs::File,
    size: u64,
    limit: u64,
}

impl Stager {
    pub async fn new(state: &AppState) -> Result<Self, ApiError> {
        let settings = state.files.settings();
        let dir = settings.temp_dir.clone();
        let file = tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir)?;
            tempfile::Builder::new().prefix("upload-").tempfile_in(&dir)
        })
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::internal(format!("staging an upload: {e}")))?;
        let writer = tokio::fs::File::from_std(file.reopen().map_err(ApiError::internal)?);
        Ok(Self {
            file,
            writer,
            size: 0,
            limit: settings.max_file_size,
        })
    }

    /// Appends a chunk; 413 `file_too_large` past the limit (the temporary
    /// file goes with `self`).
    pub async fn push(&mut self, chunk: &[u8]) -> Result<(), ApiError> {
        self.size += chunk.len() as u64;
        if self.size > self.limit {
            return Err(file_too_large(self.limit));
        }
        self.writer
            .write_all(chunk)
            .await
            .map_err(|e| ApiError::internal(format!("staging an upload: {e}")))
    }

    pub async fn finish(mut self, name: &str, declared: Option<String>) -> Result<Staged, ApiError> {
        self.writer.flush().await.map_err(ApiError::internal)?;
        Ok(Staged {
            file: self.file,
            size: self.size,
            name: FileName::sanitize(name),
            declared,
        })
    }
}

pub(crate) fn file_too_large(limit: u64) -> ApiError {
    too_large(
        "file_too_large",
        format!("This file is larger than the {} a file may have.", megabytes(limit)),
    )
}

/// What an upload answers, besides the file.
#[derive(Debug, Default, Clone)]
pub struct UploadOptions {
    /// The checklist item (by position) the file answers.
    pub item: Option<String>,
    /// The comment (a timeline event id) it belongs to.
    pub comment: Option<String>,
}

/// A stored upload and the checklist item it ticked, if any.
pub struct Uploaded {
    pub attachment: Attachment,
    /// `(upload request id, item index)`.
    pub ticked: Option<(String, usize)>,
}

/// R17: scrubs a staged upload, stores it and records it on the case.
pub async fn upload(
    state: &AppState,
    caller: &Caller,
    number: &str,
    staged: Staged,
    options: UploadOptions,
) -> Result<Uploaded, ApiError> {
    let (case, _) = readable(state, caller, number).await?;
    if case.status == CaseStatus::Closed {
        return Err(guichet_domain::case::CaseError::Closed.into());
    }
    let item = match options.item.as_deref().map(str::trim).filter(|i| !i.is_empty()) {
        Some(text) => Some(text.parse::<usize>().map_err(|_| {
            ApiError::invalid(
                "item",
                Invalid::new(InvalidKind::Format, "the item is a position in the checklist, from 0"),
            )
        })?),
        None => None,
    };
    let comment_id = match options.comment.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(id) => {
            let events = state
                .store
                .case_events(&case.id, caller.actor.is_vendor_staff())
                .await?;
            let found = events
                .iter()
                .any(|e| e.id == id && matches!(e.happening, Happening::Commented { .. } | Happening::Noted { .. }));
            if !found {
                return Err(ApiError::invalid(
                    "comment",
                    Invalid::new(InvalidKind::Unknown, format!("the case has no comment `{id}`")),
                ));
            }
            Some(id.to_owned())
        }
        None => None,
    };
    let settings = state.files.settings().clone();
    let used = state.store.case_files_size(&case.id).await?;
    if used + staged.size > settings.max_case_size {
        return Err(too_large(
            "case_files_too_large",
            format!(
                "This case's files may take {} in all; {} are used.",
                megabytes(settings.max_case_size),
                megabytes(used)
            ),
        ));
    }

    // Sniff and scrub off the async threads: the original bytes stay in
    // the temporary file, only the scrubbed copy goes on.
    let temp_dir = settings.temp_dir.clone();
    let limits = settings.archive_limits;
    let name = staged.name.clone();
    let (sniffed, removed, scrubbed, staged) = tokio::task::spawn_blocking(move || {
        let mut staged = staged;
        let mut input = staged.file.reopen()?;
        let mut head = Vec::with_capacity(guichet_scrub::sniff::HEAD);
        (&mut input)
            .take(guichet_scrub::sniff::HEAD as u64)
            .read_to_end(&mut head)?;
        input.seek(SeekFrom::Start(0))?;
        let sniffed = guichet_scrub::sniff(&head, staged.name.as_str(), staged.declared.as_deref());
        let mut scrubbed = tempfile::Builder::new().prefix("scrubbed-").tempfile_in(&temp_dir)?;
        let removed = guichet_scrub::scrub(&sniffed, &mut input, scrubbed.as_file_mut(), &limits)?;
        staged.declared = None;
        Ok::<_, Refusal>((sniffed, removed, scrubbed, staged))
    })
    .await
    .map_err(ApiError::internal)??;
    drop(staged);

    let id = guichet_store::new_id();
    let key = format!("cases/{}/{}", case.id.0, id);
    let store = state.files.store().await.map_err(storage_error)?;
    let (size, sha256) = put_file(store, &key, scrubbed).await?;
    let attachment = Attachment {
        id,
        case_id: case.id.clone(),
        name,
        kind: sniffed.kind,
        content_type: sniffed.content_type.to_owned(),
        size,
        sha256,
        storage_key: key.clone(),
        removed,
        uploaded_by: caller.user.id.clone(),
        uploaded_at: state.clock.now(),
        comment_id,
        upload_request_id: None,
        deleted_at: None,
    };
    match record_upload(state, caller, case, attachment, item).await {
        Ok(uploaded) => Ok(uploaded),
        Err(error) => {
            // Nothing is kept of an upload that could not be recorded.
            if let Err(cleanup) = store.delete(&ObjectPath::from(key.as_str())).await {
                tracing::warn!(%cleanup, "removing an unrecorded upload");
            }
            Err(error)
        }
    }
}

/// Streams a scrubbed file into the object store in parts, hashing it as
/// it goes; returns its size and SHA-256 (hex).
async fn put_file(
    store: &Arc<dyn ObjectStore>,
    key: &str,
    scrubbed: tempfile::NamedTempFile,
) -> Result<(u64, String), ApiError> {
    const CHUNK: usize = 8 * 1024 * 1024;
    let path = ObjectPath::from(key);
    let upload = store.put_multipart(&path).await.map_err(storage_error)?;
    let mut writer = WriteMultipart::new_with_chunk_size(upload, CHUNK);
    let mut file = tokio::fs::File::from_std(scrubbed.reopen().map_err(ApiError::internal)?);
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut buffer = vec![0u8; 1024 * 1024];
    let outcome: Result<(), ApiError> = async {
        loop {
            let read = tokio::io::AsyncReadExt::read(&mut file, &mut buffer)
                .await
                .map_err(ApiError::internal)?;
            if read == 0 {
                break;
            }
            hasher.update(&buffer[..read]);
            size += read as u64;
            writer.wait_for_capacity(2).await.map_err(storage_error)?;
            writer.put(Bytes::copy_from_slice(&buffer[..read]));
        }
        Ok(())
    }
    .await;
    match outcome {
        Ok(()) => {
            writer.finish().await.map_err(storage_error)?;
        }
        Err(error) => {
            let _ = writer.abort().await;
            return Err(error);
        }
    }
    drop(scrubbed);
    let digest = hasher.finalize();
    Ok((size, digest.iter().map(|b| format!("{b:02x}")).collect()))
}

/// A notification for the mail worker, in the shape of the case ones.
#[derive(Serialize)]
struct Notification<'a> {
    event: &'a str,
    case: &'a CaseId,
    recipients: &'a [UserId],
}

fn notify(
    outbox: &mut Vec<OutboxMessage>,
    case: &Case,
    event: &str,
    mut recipients: Vec<UserId>,
    except: &UserId,
    now: Timestamp,
) {
    recipients.retain(|r| r != except);
    recipients.sort();
    recipients.dedup();
    if recipients.is_empty() {
        return;
    }
    let payload = Notification {
        event,
        case: &case.id,
        recipients: &recipients,
    };
    outbox.push(OutboxMessage::new("notification", &payload, now));
}

fn customers(case: &Case) -> Vec<UserId> {
    let mut people = vec![case.opened_by.clone()];
    people.extend(case.contacts.iter().cloned());
    people
}

fn event(at: Timestamp, actor: Option<&UserId>, happening: Happening) -> CaseEvent {
    CaseEvent {
        id: guichet_store::new_id(),
        at,
        actor: actor.cloned(),
        internal: happening.is_internal(),
        happening,
    }
}

fn audit_entry(
    caller: Option<&Caller>,
    case: &Case,
    action: &str,
    subject: (&str, &str),
    details: String,
    at: Timestamp,
) -> AuditEntry {
    AuditEntry {
        id: guichet_store::new_id(),
        at,
        actor: caller.map(|c| c.user.id.clone()),
        actor_email: caller.map(|c| c.user.email.to_string()),
        address: caller.and_then(|c| c.address.clone()),
        action: action.to_owned(),
        subject_kind: subject.0.to_owned(),
        subject_id: subject.1.to_owned(),
        company: Some(case.company_id.clone()),
        case_number: Some(case.number),
        details,
    }
}

/// Records a stored file on its case: the event with what was removed, the
/// checklist item it ticks (a customer's upload), the notifications; read
/// again and retried when the case changed meanwhile.
async fn record_upload(
    state: &AppState,
    caller: &Caller,
    mut case: Case,
    mut attachment: Attachment,
    item: Option<usize>,
) -> Result<Uploaded, ApiError> {
    let me = &caller.user.id;
    let staff = caller.actor.is_vendor_staff();
    for _ in 0..5 {
        let now = state.clock.now();
        let mut events = vec![event(
            now,
            Some(me),
            Happening::AttachmentAdded {
                attachment: attachment.id.clone(),
                name: attachment.name.as_str().to_owned(),
                size: attachment.size,
                removed: attachment.removed,
            },
        )];
        let mut outbox = Vec::new();
        let recipients = if staff {
            customers(&case)
        } else {
            case.assignee.clone().into_iter().collect()
        };
        notify(&mut outbox, &case, "attachment_added", recipients, me, now);
        // R17: a customer's upload ticks the open checklist it answers.
        let mut ticked = None;
        let mut request = None;
        if !staff {
            for mut open in state.store.upload_requests_of(&case.id).await?.into_iter().rev() {
                if open.completed_at.is_some() {
                    continue;
                }
                if let Some(index) = open.tick(item, attachment.kind, &attachment.id, now) {
                    ticked = Some((open.id.clone(), index));
                    if open.is_complete() {
                        events.push(event(
                            now,
                            None,
                            Happening::UploadRequestCompleted {
                                request: open.id.clone(),
                            },
                        ));
                        let mut analysts = vec![open.requested_by.clone()];
                        analysts.extend(case.assignee.clone());
                        notify(&mut outbox, &case, "upload_request_completed", analysts, me, now);
                    }
                    request = Some(open);
                    break;
                }
            }
        }
        attachment.upload_request_id = ticked.as_ref().map(|(id, _)| id.clone());
        attachment.uploaded_at = now;
        let audit = [audit_entry(
            Some(caller),
            &case,
            "attachment.uploaded",
            ("attachment", &attachment.id),
            attachment.name.as_str().to_owned(),
            now,
        )];
        let change = FilesChange {
            events: &events,
            outbox: &outbox,
            audit: &audit,
            attachment: Some(&attachment),
            upload_request: request.as_ref(),
            deleted: &[],
        };
        match state.store.change_case_files(&case, change).await {
            Ok(()) => return Ok(Uploaded { attachment, ticked }),
            Err(StoreError::Conflict("case")) => {
                case = state
                    .store
                    .case_by_id(&case.id)
                    .await?
                    .ok_or_else(ApiError::not_found)?;
            }
            Err(other) => return Err(other.into()),
        }
    }
    Err(ApiError::new(
        StatusCode::CONFLICT,
        "case_changed",
        "The case kept changing while the file was recorded: try again.",
    ))
}

/// A file the caller may read, with its case; 404 otherwise (the same
/// answer for a file that does not exist and one of another company).
pub async fn readable_file(state: &AppState, caller: &Caller, id: &str) -> Result<(Attachment, Case), ApiError> {
    let id = guichet_domain::invalid::opaque_id(id, "attachment").map_err(|_| ApiError::not_found())?;
    let attachment = state.store.attachment(&id).await?.ok_or_else(ApiError::not_found)?;
    let number = state
        .store
        .case_by_id(&attachment.case_id)
        .await?
        .ok_or_else(ApiError::not_found)?
        .number;
    let (case, _) = readable(state, caller, &number.to_string()).await?;
    Ok((attachment, case))
}

/// A download: the file's record and its bytes, streamed from the store.
pub struct Download {
    pub attachment: Attachment,
    pub body: axum::body::Body,
}

/// Opens a file for download; every download by vendor staff goes into
/// the case company's audit log (R26).
pub async fn download(state: &AppState, caller: &Caller, id: &str) -> Result<Download, ApiError> {
    let (attachment, case) = readable_file(state, caller, id).await?;
    if attachment.deleted_at.is_some() {
        return Err(ApiError::new(
            StatusCode::GONE,
            "attachment_deleted",
            "This file was deleted after the case's retention period.",
        ));
    }
    let store = state.files.store().await.map_err(storage_error)?;
    let found = store
        .get(&ObjectPath::from(attachment.storage_key.as_str()))
        .await
        .map_err(storage_error)?;
    if caller.actor.is_vendor_staff() {
        let entry = audit_entry(
            Some(caller),
            &case,
            "attachment.downloaded",
            ("attachment", &attachment.id),
            attachment.name.as_str().to_owned(),
            state.clock.now(),
        );
        state.store.append_audit(&[entry]).await?;
    }
    Ok(Download {
        attachment,
        body: axum::body::Body::from_stream(found.into_stream()),
    })
}

/// The files of a case the caller may read, oldest first.
pub async fn list(state: &AppState, caller: &Caller, number: &str) -> Result<(Case, Vec<Attachment>), ApiError> {
    let (case, _) = readable(state, caller, number).await?;
    let files = state.store.attachments_of(&case.id).await?;
    Ok((case, files))
}

/// R17: an analyst asks for diagnostics (by default the problem recording
/// and its log file); the customers hear of it.
pub async fn request_upload(
    state: &AppState,
    caller: &Caller,
    number: &str,
    items: &[(String, Option<String>)],
    note: Option<&str>,
) -> Result<UploadRequest, ApiError> {
    let (mut case, _) = readable(state, caller, number).await?;
    if !caller.actor.answers_cases() {
        return Err(ApiError::forbidden(
            "analysts_only",
            "Only support analysts and support managers ask for diagnostics.",
        ));
    }
    if case.status == CaseStatus::Closed {
        return Err(guichet_domain::case::CaseError::Closed.into());
    }
    let items = UploadRequest::parse_items(items).map_err(|e| ApiError::invalid("items", e))?;
    let note = parse_optional_text(note, "the note").map_err(|e| ApiError::invalid("note", e))?;
    let me = &caller.user.id;
    for _ in 0..5 {
        let now = state.clock.now();
        let request = UploadRequest {
            id: guichet_store::new_id(),
            case_id: case.id.clone(),
            requested_by: me.clone(),
            requested_at: now,
            note: note.clone(),
            items: items.clone(),
            completed_at: None,
        };
        let events = [event(
            now,
            Some(me),
            Happening::UploadRequested {
                request: request.id.clone(),
                items: items.clone(),
                note: note.clone(),
            },
        )];
        let mut outbox = Vec::new();
        notify(&mut outbox, &case, "upload_requested", customers(&case), me, now);
        let audit = [audit_entry(
            Some(caller),
            &case,
            "case.upload_requested",
            ("case", &case.id.0),
            String::new(),
            now,
        )];
        let change = FilesChange {
            events: &events,
            outbox: &outbox,
            audit: &audit,
            upload_request: Some(&request),
            ..Default::default()
        };
        match state.store.change_case_files(&case, change).await {
            Ok(()) => return Ok(request),
            Err(StoreError::Conflict("case")) => {
                case = state
                    .store
                    .case_by_id(&case.id)
                    .await?
                    .ok_or_else(ApiError::not_found)?;
            }
            Err(other) => return Err(other.into()),
        }
    }
    Err(ApiError::new(
        StatusCode::CONFLICT,
        "case_changed",
        "The case kept changing: try again.",
    ))
}

/// A case's upload requests, oldest first.
pub async fn upload_requests(state: &AppState, caller: &Caller, number: &str) -> Result<Vec<UploadRequest>, ApiError> {
    let (case, _) = readable(state, caller, number).await?;
    Ok(state.store.upload_requests_of(&case.id).await?)
}

/// Retention: deletes the files of cases closed longer than the retention
/// period, with an event on each case; returns how many files. Run by the
/// housekeeping worker.
pub async fn apply_retention(state: &AppState) -> Result<usize, ApiError> {
    let now = state.clock.now();
    let retention = state.files.settings().retention;
    let mut deleted = 0;
    for number in state.store.cases_with_expired_files(now - retention, 100).await? {
        let Some(case) = state.store.case_by_number(number).await? else {
            continue;
        };
        if !attachment::retention_due(case.closed_at, now, retention) {
            continue;
        }
        let files: Vec<Attachment> = state
            .store
            .attachments_of(&case.id)
            .await?
            .into_iter()
            .filter(|file| file.deleted_at.is_none())
            .collect();
        let store = state.files.store().await.map_err(storage_error)?;
        for file in &files {
            match store.delete(&ObjectPath::from(file.storage_key.as_str())).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(error) => return Err(storage_error(error)),
            }
        }
        let ids: Vec<String> = files.iter().map(|file| file.id.clone()).collect();
        let events = [event(
            now,
            None,
            Happening::AttachmentsDeleted {
                count: ids.len() as u64,
            },
        )];
        let audit = [audit_entry(
            None,
            &case,
            "case.attachments_deleted",
            ("case", &case.id.0),
            ids.join(","),
            now,
        )];
        let change = FilesChange {
            events: &events,
            audit: &audit,
            deleted: &ids,
            ..Default::default()
        };
        match state.store.change_case_files(&case, change).await {
            Ok(()) => deleted += ids.len(),
            // Changed meanwhile: the next round sees it again.
            Err(StoreError::Conflict("case")) => {}
            Err(other) => return Err(other.into()),
        }
    }
    Ok(deleted)
}

/// What the timeline shows of an attachment event.
pub(crate) struct EventWords {
    pub title: String,
    pub parts: Vec<String>,
    /// A link to the file: `(href, text)`.
    pub link: Option<(String, String)>,
}

/// R17: "12 cookies, 3 authorization headers, 2 tokens removed", in the
/// reader's language.
pub(crate) fn removed_words(tr: &Tr, removed: &Removed) -> String {
    let counts = removed.counts();
    if counts.is_empty() {
        return tr.t("attachment-removed-none");
    }
    let list: Vec<String> = counts
        .into_iter()
        .map(|(name, count)| {
            let id = format!("attachment-removed-{}", name.replace('_', "-"));
            if count == 1 {
                tr.t(&format!("{id}-one"))
            } else {
                tr.t1(&format!("{id}-other"), "count", count)
            }
        })
        .collect();
    tr.t1("attachment-removed-list", "list", list.join(", "))
}

/// A checklist item in the reader's words.
pub(crate) fn item_words(tr: &Tr, item: &ChecklistItem) -> String {
    match &item.label {
        Some(label) => label.clone(),
        None => match item.kind {
            WantedKind::Recording => tr.t("attachment-wanted-recording"),
            WantedKind::Log => tr.t("attachment-wanted-log"),
            WantedKind::Other => tr.t("attachment-wanted-other"),
        },
    }
}

/// The words of an attachment event on the timeline.
pub(crate) fn event_words(tr: &Tr, happening: &Happening) -> EventWords {
    let mut parts = Vec::new();
    let mut link = None;
    let title = match happening {
        Happening::AttachmentAdded {
            attachment,
            name,
            removed,
            ..
        } => {
            parts.push(removed_words(tr, removed));
            link = Some((format!("/api/v1/attachments/{attachment}"), name.clone()));
            tr.t1("attachment-event-added", "name", name)
        }
        Happening::UploadRequested { items, note, .. } => {
            if let Some(note) = note {
                parts.push(note.clone());
            }
            parts.extend(items.iter().map(|item| item_words(tr, item)));
            tr.t("attachment-event-upload-requested")
        }
        Happening::UploadRequestCompleted { .. } => tr.t("attachment-event-upload-request-completed"),
        Happening::AttachmentsDeleted { count: 1 } => tr.t("attachment-event-deleted-one"),
        Happening::AttachmentsDeleted { count } => tr.t1("attachment-event-deleted-other", "count", count),
        _ => String::new(),
    };
    EventWords { title, parts, link }
}

#[cfg(test)]
mod tests {
    use guichet_domain::user::Language;

    use super::*;

    #[test]
    fn r17_the_counts_removed_read_in_each_language() {
        let removed = Removed {
            cookies: 12,
            authorization_headers: 3,
            tokens: 2,
            ..Removed::default()
        };
        assert_eq!(
            removed_words(&Tr::new(Language::En), &removed),
            "12 cookies, 3 authorization headers, 2 tokens removed before it was stored"
        );
        assert_eq!(
            removed_words(&Tr::new(Language::Fr), &removed),
            "Retiré avant l'enregistrement : 12 cookies, 3 en-têtes d'autorisation, 2 jetons"
        );
        let one = Removed {
            private_keys: 1,
            ..Removed::default()
        };
        assert_eq!(
            removed_words(&Tr::new(Language::En), &one),
            "1 private key removed before it was stored"
        );
        assert_eq!(
            removed_words(&Tr::new(Language::En), &Removed::default()),
            "Nothing secret was found in it."
        );
    }

    #[test]
    fn every_count_and_item_has_words_in_both_languages() {
        for language in Language::ALL {
            let tr = Tr::new(language);
            for name in [
                "cookies",
                "authorization-headers",
                "credential-headers",
                "parameters",
                "tokens",
                "private-keys",
            ] {
                let one = format!("attachment-removed-{name}-one");
                assert!(tr.has(&one), "{one} in {language:?}");
                let other = format!("attachment-removed-{name}-other");
                assert!(tr.t1(&other, "count", 7).starts_with('7'), "{other} in {language:?}");
            }
            for kind in WantedKind::ALL {
                let id = format!("attachment-wanted-{}", kind.as_str());
                assert!(tr.has(&id), "{id} in {language:?}");
            }
        }
    }
}
