//! Files on the case page (R17): the case's attachments with what was
//! scrubbed from each, the diagnostics checklists an analyst asked for,
//! the upload form (multipart, streamed like the API's) and the analysts'
//! form to ask for diagnostics.

use axum::Form;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use guichet_domain::attachment::{Attachment, UploadRequest, WantedKind};
use guichet_domain::case::{Case, CaseStatus};
use serde::Deserialize;

use super::cases::{Moment, Reader, Visit, after_form, case_form};
use crate::AppState;
use crate::api::attachments::read_upload_form;
use crate::attachments::{self, UploadOptions, item_words, removed_words};
use crate::error::ApiError;
use crate::i18n::Tr;

/// One file of the case.
pub(super) struct FileLine {
    pub id: String,
    pub name: String,
    pub size: String,
    /// What was scrubbed from it, in words.
    pub removed: String,
    pub uploaded_at: Moment,
    /// Retention deleted its bytes: listed, no longer downloadable.
    pub deleted: bool,
}

/// One item of a diagnostics checklist.
pub(super) struct ItemLine {
    pub words: String,
    pub done: bool,
}

/// One upload request: its note and checklist.
pub(super) struct RequestLine {
    pub requested_at: Moment,
    pub note: Option<String>,
    pub items: Vec<ItemLine>,
    pub complete: bool,
}

/// The case page's files section.
pub(super) struct FilesSection {
    pub files: Vec<FileLine>,
    pub requests: Vec<RequestLine>,
    /// The open items the next upload may answer (position, words).
    pub open_items: Vec<(usize, String)>,
    /// How to record the problem, shown while diagnostics are wanted.
    pub instructions: Option<String>,
    pub may_upload: bool,
    pub may_request: bool,
    /// The largest file, in words.
    pub max_size: String,
}

/// "2.4 MB", "100 MB", "512 B": in units of 1024, as `files.max_file_size`
/// is configured, so a limit reads back as it was written.
fn size_words(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    let text = format!("{value:.1}");
    let text = text.strip_suffix(".0").unwrap_or(&text);
    format!("{text} {}", UNITS[unit])
}

fn file_line(tr: &Tr, zone: &jiff::tz::TimeZone, file: &Attachment) -> FileLine {
    FileLine {
        id: file.id.clone(),
        name: file.name.as_str().to_owned(),
        size: size_words(file.size),
        removed: removed_words(tr, &file.removed),
        uploaded_at: Moment::new(file.uploaded_at, zone),
        deleted: file.deleted_at.is_some(),
    }
}

fn request_line(tr: &Tr, zone: &jiff::tz::TimeZone, request: &UploadRequest) -> RequestLine {
    RequestLine {
        requested_at: Moment::new(request.requested_at, zone),
        note: request.note.clone(),
        items: request
            .items
            .iter()
            .map(|item| ItemLine {
                words: item_words(tr, item),
                done: item.attachment.is_some(),
            })
            .collect(),
        complete: request.completed_at.is_some(),
    }
}

/// The section for `case`, which the reader may read.
pub(super) async fn section(state: &AppState, reader: &Reader, case: &Case) -> Result<FilesSection, ApiError> {
    let (tr, zone) = (reader.tr(), reader.zone());
    let files = state.store.attachments_of(&case.id).await?;
    let requests = state.store.upload_requests_of(&case.id).await?;
    let open = case.status != CaseStatus::Closed;
    let open_items: Vec<(usize, String)> = requests
        .iter()
        .rev()
        .find(|request| request.completed_at.is_none())
        .map(|request| {
            request
                .items
                .iter()
                .enumerate()
                .filter(|(_, item)| item.attachment.is_none())
                .map(|(position, item)| (position, item_words(&tr, item)))
                .collect()
        })
        .unwrap_or_default();
    Ok(FilesSection {
        files: files.iter().map(|file| file_line(&tr, &zone, file)).collect(),
        requests: requests
            .iter()
            .map(|request| request_line(&tr, &zone, request))
            .collect(),
        instructions: (!open_items.is_empty()).then(|| tr.t("attachment-instructions")),
        open_items,
        may_upload: open,
        may_request: open && reader.caller.actor.answers_cases(),
        max_size: size_words(state.files.settings().max_file_size),
    })
}

/// `POST /cases/{number}/files`: one file, with the page's CSRF token
/// (sent before the file) and, optionally, the checklist item it answers.
pub(super) async fn upload(
    State(state): State<AppState>,
    visit: Visit,
    Path(number): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, Response> {
    let mut csrf = String::new();
    let mut item = None;
    let staged = match multipart {
        Ok(mut multipart) => {
            read_upload_form(&state, &mut multipart, |name, value| match name {
                "csrf" => csrf = value,
                "item" => item = Some(value).filter(|v| !v.is_empty()),
                _ => {}
            })
            .await
        }
        Err(rejection) => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "multipart_required",
            rejection.to_string(),
        )),
    };
    // A forged form is refused before anything is stored; what was staged
    // is dropped with it.
    let (reader, number) = case_form(visit, &number, &csrf).await?;
    let outcome = match staged {
        Ok(staged) => {
            let options = UploadOptions { item, comment: None };
            attachments::upload(&state, &reader.caller, &number.to_string(), staged, options).await
        }
        Err(error) => Err(error),
    };
    after_form(&state, reader, number, "files", Default::default(), outcome).await
}

/// The analysts' "ask for diagnostics" form.
#[derive(Debug, Default, Deserialize)]
pub(super) struct RequestForm {
    #[serde(default)]
    csrf: String,
    /// Ask for the problem recording.
    #[serde(default)]
    recording: Option<String>,
    /// Ask for its log file.
    #[serde(default)]
    log: Option<String>,
    /// Anything else, in the analyst's words.
    #[serde(default)]
    other: String,
    #[serde(default)]
    note: String,
}

impl RequestForm {
    fn items(&self) -> Vec<(String, Option<String>)> {
        let mut items = Vec::new();
        if self.recording.is_some() {
            items.push((WantedKind::Recording.as_str().to_owned(), None));
        }
        if self.log.is_some() {
            items.push((WantedKind::Log.as_str().to_owned(), None));
        }
        let other = self.other.trim();
        if !other.is_empty() {
            items.push((WantedKind::Other.as_str().to_owned(), Some(other.to_owned())));
        }
        items
    }
}

/// `POST /cases/{number}/upload-requests`.
pub(super) async fn request(
    State(state): State<AppState>,
    visit: Visit,
    Path(number): Path<String>,
    Form(form): Form<RequestForm>,
) -> Result<Response, Response> {
    let (reader, number) = case_form(visit, &number, &form.csrf).await?;
    let note = Some(form.note.trim()).filter(|note| !note.is_empty());
    let outcome = attachments::request_upload(&state, &reader.caller, &number.to_string(), &form.items(), note).await;
    after_form(&state, reader, number, "upload-request", Default::default(), outcome).await
}

#[cfg(test)]
mod tests {
    use super::size_words;

    #[test]
    fn sizes_read_as_the_limits_are_configured() {
        assert_eq!(size_words(512), "512 B");
        assert_eq!(size_words(2_516_582), "2.4 MB");
        assert_eq!(size_words(100 * 1024 * 1024), "100 MB", "the default limit");
        assert_eq!(size_words(3 * 1024 * 1024 * 1024), "3 GB");
        assert_eq!(size_words(1536), "1.5 KB");
    }
}
