//! Attachments and problem recordings through the API (R17).

use axum::Json;
use axum::extract::multipart::{Field, Multipart, MultipartRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use guichet_domain::attachment::{Attachment, FileName, Removed, UploadRequest};
use guichet_domain::{Invalid, InvalidKind};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::api::cases::{People, PersonRef};
use crate::api::json::ApiJson;
use crate::attachments::{self, Stager, UploadOptions};
use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use crate::i18n::Tr;

/// What was scrubbed from a file before it was stored, by kind.
#[derive(Debug, Serialize, ToSchema)]
pub struct RemovedView {
    pub cookies: u64,
    pub authorization_headers: u64,
    /// Other headers carrying credentials (API keys, CSRF tokens, session ids).
    pub credential_headers: u64,
    /// Query-string, form and JSON fields whose names carry secrets.
    pub parameters: u64,
    /// JSON Web Tokens, bearer tokens and API keys found elsewhere.
    pub tokens: u64,
    pub private_keys: u64,
}

impl From<&Removed> for RemovedView {
    fn from(removed: &Removed) -> Self {
        Self {
            cookies: removed.cookies,
            authorization_headers: removed.authorization_headers,
            credential_headers: removed.credential_headers,
            parameters: removed.parameters,
            tokens: removed.tokens,
            private_keys: removed.private_keys,
        }
    }
}

/// A file of a case.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentView {
    pub id: String,
    /// The name, without path or control characters.
    pub name: String,
    /// Bytes stored (after scrubbing).
    pub size: u64,
    /// SHA-256 of the stored bytes, in hex.
    pub sha256: String,
    /// What was removed before the file was stored.
    pub removed: RemovedView,
    /// The same, in the reader's language ("12 cookies, 3 authorization
    /// headers, 2 tokens removed…").
    pub removed_words: String,
    /// `har`, `zip`, `text`, `image`, `video`, `pdf` or `binary`, from the
    /// content.
    pub kind: String,
    /// What the download is sent as (never HTML or SVG).
    pub content_type: String,
    /// `GET` it to download.
    pub url: String,
    pub uploaded_by: Option<PersonRef>,
    pub uploaded_at: String,
    /// The comment it belongs to.
    pub comment: Option<String>,
    /// The upload request whose checklist it ticked.
    pub upload_request: Option<String>,
    /// When retention deleted its bytes (the download answers 410).
    pub deleted_at: Option<String>,
}

async fn attachment_view(
    tr: &Tr,
    people: &mut People<'_>,
    attachment: &Attachment,
) -> Result<AttachmentView, ApiError> {
    Ok(AttachmentView {
        id: attachment.id.clone(),
        name: attachment.name.as_str().to_owned(),
        size: attachment.size,
        sha256: attachment.sha256.clone(),
        removed: RemovedView::from(&attachment.removed),
        removed_words: attachments::removed_words(tr, &attachment.removed),
        kind: attachment.kind.as_str().to_owned(),
        content_type: attachment.content_type.clone(),
        url: format!("/api/v1/attachments/{}", attachment.id),
        uploaded_by: people.get(&attachment.uploaded_by).await?,
        uploaded_at: attachment.uploaded_at.to_string(),
        comment: attachment.comment_id.clone(),
        upload_request: attachment.upload_request_id.clone(),
        deleted_at: attachment.deleted_at.map(|at| at.to_string()),
    })
}

/// A stored upload.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadedView {
    #[serde(flatten)]
    pub attachment: AttachmentView,
    /// The checklist item this upload ticked, if any.
    pub ticked: Option<TickedView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TickedView {
    pub upload_request: String,
    /// The item's position in the checklist, from 0.
    pub item: usize,
}

/// The multipart form of an upload.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The file. HAR files, text logs and zip archives are scrubbed of
    /// secrets before they are stored.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// The checklist item (its position, from 0) this file answers; by
    /// default the first open item its kind fits.
    item: Option<String>,
    /// The id of a comment of the case this file belongs to.
    comment: Option<String>,
}

/// The longest text field of an upload form.
const MAX_FIELD: usize = 1024;

fn bad_form(detail: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_multipart", detail)
}

async fn text_field(mut field: Field<'_>) -> Result<String, ApiError> {
    let mut text = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| bad_form(e.body_text()))? {
        text.extend_from_slice(&chunk);
        if text.len() > MAX_FIELD {
            return Err(bad_form("a text field of the form is too long"));
        }
    }
    String::from_utf8(text).map_err(|_| bad_form("a text field of the form is not UTF-8"))
}

/// Reads an upload form: the file streamed into a temporary file (413
/// past `files.max_file_size`, with nothing left behind), the other
/// fields as text, handed to `fields` as they come (the portal's CSRF
/// token comes before the file).
pub(crate) async fn read_upload_form(
    state: &AppState,
    multipart: &mut Multipart,
    mut fields: impl FnMut(&str, String),
) -> Result<attachments::Staged, ApiError> {
    let mut staged = None;
    while let Some(field) = multipart.next_field().await.map_err(|e| bad_form(e.body_text()))? {
        let name = field.name().unwrap_or("").to_owned();
        if name != "file" {
            let value = text_field(field).await?;
            fields(&name, value);
            continue;
        }
        if staged.is_some() {
            return Err(bad_form("send one file per upload"));
        }
        staged = Some(stage(state, field).await?);
    }
    staged.ok_or_else(|| {
        ApiError::invalid(
            "file",
            Invalid::new(InvalidKind::Empty, "send the file in the multipart field `file`"),
        )
    })
}

async fn stage(state: &AppState, mut field: Field<'_>) -> Result<attachments::Staged, ApiError> {
    let file_name = field.file_name().unwrap_or("").to_owned();
    let declared = field.content_type().map(str::to_owned);
    let mut stager = Stager::new(state).await?;
    loop {
        match field.chunk().await {
            Ok(Some(chunk)) => {
                if let Err(refusal) = stager.push(&chunk).await {
                    // The client is still sending: read what is left (up
                    // to a bound) so it hears the answer, keeping none of it.
                    drop(stager);
                    let mut drained = 0u64;
                    let bound = state.files.settings().max_file_size.max(64 * 1024 * 1024);
                    while drained < bound {
                        match field.chunk().await {
                            Ok(Some(chunk)) => drained += chunk.len() as u64,
                            _ => break,
                        }
                    }
                    return Err(refusal);
                }
            }
            Ok(None) => break,
            Err(error) => return Err(bad_form(error.body_text())),
        }
    }
    stager.finish(&file_name, declared).await
}

fn multipart_required(rejection: MultipartRejection) -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "multipart_required",
        format!(
            "Send the file as multipart/form-data in the field `file` ({}).",
            rejection.body_text()
        ),
    )
}

/// Attach a file to a case (R17): streamed, its type decided from its
/// content, HAR files, logs and zip archives scrubbed of cookies,
/// credential headers, secret parameters, tokens and private keys before
/// anything is stored. `removed` counts what was scrubbed. A customer's
/// upload ticks the case's open upload request.
#[utoipa::path(
    post,
    path = "/api/v1/cases/{number}/attachments",
    tag = "cases",
    params(("number" = i64, Path)),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = UploadedView),
        (status = 400, description = "`invalid_multipart`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`case_closed`, `case_changed`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`file_too_large` (`files.max_file_size`), `case_files_too_large` (`files.max_case_size`)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`multipart_required`, `unsupported_file_type` (gzip, tar, 7z…: send a zip)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_har` (claims HAR, is not), `zip_bomb`, `invalid_archive`, `invalid_file`, `invalid_item`, `unknown_comment`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(number): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<UploadedView>), ApiError> {
    // The case first: a stranger's upload is not even read.
    crate::cases::readable(&state, &caller, &number).await?;
    let mut multipart = multipart.map_err(multipart_required)?;
    let mut options = UploadOptions::default();
    let staged = read_upload_form(&state, &mut multipart, |name, value| match name {
        "item" => options.item = Some(value),
        "comment" => options.comment = Some(value),
        _ => {}
    })
    .await?;
    let uploaded = attachments::upload(&state, &caller, &number, staged, options).await?;
    let tr = Tr::new(caller.user.language);
    let mut people = People::new(&state);
    people.knows(&caller.user);
    let view = UploadedView {
        attachment: attachment_view(&tr, &mut people, &uploaded.attachment).await?,
        ticked: uploaded
            .ticked
            .map(|(upload_request, item)| TickedView { upload_request, item }),
    };
    Ok((StatusCode::CREATED, Json(view)))
}

/// The files of a case, oldest first (those retention deleted too).
#[utoipa::path(
    get,
    path = "/api/v1/cases/{number}/attachments",
    tag = "cases",
    params(("number" = i64, Path)),
    responses(
        (status = 200, body = Vec<AttachmentView>),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_attachments(
    State(state): State<AppState>,
    caller: Caller,
    Path(number): Path<String>,
) -> Result<Json<Vec<AttachmentView>>, ApiError> {
    let (_, files) = attachments::list(&state, &caller, &number).await?;
    let tr = Tr::new(caller.user.language);
    let mut people = People::new(&state);
    people.knows(&caller.user);
    let mut views = Vec::with_capacity(files.len());
    for file in &files {
        views.push(attachment_view(&tr, &mut people, file).await?);
    }
    Ok(Json(views))
}

/// `attachment; filename="…"; filename*=UTF-8''…` (RFC 6266).
fn disposition(name: &FileName) -> HeaderValue {
    let encoded: String = name
        .as_str()
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let value = format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{encoded}",
        name.ascii_fallback()
    );
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("attachment"))
}

/// Download a file: authorized like its case (404 otherwise), always as an
/// attachment, never rendered inline. Every download by vendor staff goes
/// into the audit log (R26).
#[utoipa::path(
    get,
    path = "/api/v1/attachments/{id}",
    tag = "cases",
    params(("id" = String, Path)),
    responses(
        (status = 200, description = "The file's bytes, with `Content-Disposition: attachment`", content_type = "application/octet-stream"),
        (status = 404, description = "`not_found`: no such file, or not the caller's to see", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "`attachment_deleted`: deleted after the retention period", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn download(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let download = attachments::download(&state, &caller, &id).await?;
    let file = &download.attachment;
    let mut response = Response::new(download.body);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&file.content_type).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(file.size));
    headers.insert(header::CONTENT_DISPOSITION, disposition(&file.name));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    if let Ok(digest) = HeaderValue::from_str(&format!("sha-256={}", file.sha256)) {
        headers.insert(header::HeaderName::from_static("x-content-sha256"), digest);
    }
    Ok(response)
}

/// One item of an upload request's checklist.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemRequest {
    /// `recording` (a HAR file, a video or screenshots, a zip), `log` (a
    /// text file) or `other` (say what in `label`).
    pub kind: String,
    /// What to upload, in the analyst's words; by default the kind's words
    /// in the reader's language.
    pub label: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadRequestRequest {
    /// The checklist; by default the problem recording and its log file.
    #[serde(default)]
    pub items: Vec<ItemRequest>,
    /// A note to the customer.
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChecklistItemView {
    /// `recording`, `log` or `other`.
    pub kind: String,
    /// What to upload, in the reader's language.
    pub label: String,
    pub done: bool,
    /// The upload that ticked it.
    pub attachment: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UploadRequestView {
    pub id: String,
    pub requested_by: Option<PersonRef>,
    pub requested_at: String,
    pub note: Option<String>,
    /// How to record the problem, in the reader's language.
    pub instructions: String,
    pub items: Vec<ChecklistItemView>,
    pub complete: bool,
    pub completed_at: Option<String>,
}

async fn upload_request_view(
    tr: &Tr,
    people: &mut People<'_>,
    request: &UploadRequest,
) -> Result<UploadRequestView, ApiError> {
    Ok(UploadRequestView {
        id: request.id.clone(),
        requested_by: people.get(&request.requested_by).await?,
        requested_at: request.requested_at.to_string(),
        note: request.note.clone(),
        instructions: tr.t("attachment-instructions"),
        items: request
            .items
            .iter()
            .map(|item| ChecklistItemView {
                kind: item.kind.as_str().to_owned(),
                label: attachments::item_words(tr, item),
                done: item.attachment.is_some(),
                attachment: item.attachment.clone(),
            })
            .collect(),
        complete: request.is_complete(),
        completed_at: request.completed_at.map(|at| at.to_string()),
    })
}

/// An analyst asks for diagnostics (R17): a checklist on the case, with
/// instructions in the customer's language; each upload of the customer
/// ticks an item; the analyst is notified when the list is complete.
#[utoipa::path(
    post,
    path = "/api/v1/cases/{number}/upload-requests",
    tag = "cases",
    params(("number" = i64, Path)),
    request_body = UploadRequestRequest,
    responses(
        (status = 201, body = UploadRequestView),
        (status = 403, description = "`analysts_only`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`case_closed`, `case_changed`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_items`, `unknown_items`, `invalid_note`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn request_upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(number): Path<String>,
    ApiJson(request): ApiJson<UploadRequestRequest>,
) -> Result<(StatusCode, Json<UploadRequestView>), ApiError> {
    let items: Vec<(String, Option<String>)> = request.items.into_iter().map(|i| (i.kind, i.label)).collect();
    let created = attachments::request_upload(&state, &caller, &number, &items, request.note.as_deref()).await?;
    let tr = Tr::new(caller.user.language);
    let mut people = People::new(&state);
    people.knows(&caller.user);
    Ok((
        StatusCode::CREATED,
        Json(upload_request_view(&tr, &mut people, &created).await?),
    ))
}

/// A case's upload requests with their checklists, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/cases/{number}/upload-requests",
    tag = "cases",
    params(("number" = i64, Path)),
    responses(
        (status = 200, body = Vec<UploadRequestView>),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_upload_requests(
    State(state): State<AppState>,
    caller: Caller,
    Path(number): Path<String>,
) -> Result<Json<Vec<UploadRequestView>>, ApiError> {
    let requests = attachments::upload_requests(&state, &caller, &number).await?;
    let tr = Tr::new(caller.user.language);
    let mut people = People::new(&state);
    people.knows(&caller.user);
    let mut views = Vec::with_capacity(requests.len());
    for request in &requests {
        views.push(upload_request_view(&tr, &mut people, request).await?);
    }
    Ok(Json(views))
}
