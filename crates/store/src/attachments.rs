//! Attachments and upload requests (R17). A file and the case events that
//! tell of it are written in one transaction, which also bumps the case's
//! version (a change made from a stale copy of the case is refused).

use guichet_domain::attachment::{Attachment, ChecklistItem, FileKind, FileName, Removed, UploadRequest};
use guichet_domain::audit::AuditEntry;
use guichet_domain::case::{Case, CaseEvent, CaseId, CaseNumber};
use guichet_domain::user::UserId;
use jiff::Timestamp;

use crate::outbox::OutboxMessage;
use crate::{Result, Store, StoreError, instant, micros};

/// What changes with a case's files, written together or not at all.
#[derive(Debug, Default)]
pub struct FilesChange<'a> {
    pub events: &'a [CaseEvent],
    pub outbox: &'a [OutboxMessage],
    pub audit: &'a [AuditEntry],
    /// A new file.
    pub attachment: Option<&'a Attachment>,
    /// A new upload request, or one whose checklist moved.
    pub upload_request: Option<&'a UploadRequest>,
    /// Files whose bytes retention deleted.
    pub deleted: &'a [String],
}

fn corrupt(what: &'static str) -> impl FnOnce(serde_json::Error) -> StoreError {
    move |e| StoreError::Corrupt(format!("{what}: {e}"))
}

#[derive(sqlx::FromRow)]
struct AttachmentRow {
    id: String,
    case_id: String,
    name: String,
    kind: String,
    content_type: String,
    size: i64,
    sha256: String,
    storage_key: String,
    removed: String,
    uploaded_by: String,
    uploaded_at: i64,
    comment_id: Option<String>,
    upload_request_id: Option<String>,
    deleted_at: Option<i64>,
}

impl AttachmentRow {
    fn into_attachment(self) -> Result<Attachment> {
        Ok(Attachment {
            id: self.id,
            case_id: CaseId(self.case_id),
            name: FileName::sanitize(&self.name),
            kind: FileKind::parse(&self.kind)?,
            content_type: self.content_type,
            size: u64::try_from(self.size).map_err(|_| StoreError::Corrupt("negative size".into()))?,
            sha256: self.sha256,
            storage_key: self.storage_key,
            removed: serde_json::from_str::<Removed>(&self.removed).map_err(corrupt("removed"))?,
            uploaded_by: UserId(self.uploaded_by),
            uploaded_at: instant(self.uploaded_at)?,
            comment_id: self.comment_id,
            upload_request_id: self.upload_request_id,
            deleted_at: self.deleted_at.map(instant).transpose()?,
        })
    }
}

macro_rules! attachment_columns {
    () => {
        "id, case_id, name, kind, content_type, size, sha256, storage_key, removed, uploaded_by, uploaded_at, \
         comment_id, upload_request_id, deleted_at"
    };
}

#[derive(sqlx::FromRow)]
struct RequestRow {
    id: String,
    case_id: String,
    requested_by: String,
    requested_at: i64,
    note: Option<String>,
    items: String,
    completed_at: Option<i64>,
}

impl RequestRow {
    fn into_request(self) -> Result<UploadRequest> {
        Ok(UploadRequest {
            id: self.id,
            case_id: CaseId(self.case_id),
            requested_by: UserId(self.requested_by),
            requested_at: instant(self.requested_at)?,
            note: self.note,
            items: serde_json::from_str::<Vec<ChecklistItem>>(&self.items).map_err(corrupt("checklist"))?,
            completed_at: self.completed_at.map(instant).transpose()?,
        })
    }
}

impl Store {
    /// Writes a change to `case`'s files with its events, outbox rows and
    /// audit entries. `Conflict("case")` if the case changed since it was
    /// read (`case.version`).
    pub async fn change_case_files(&self, case: &Case, change: FilesChange<'_>) -> Result<()> {
        let now = change.events.first().map_or(case.updated_at, |e| e.at);
        transaction!(self, |tx| {
            let updated =
                sqlx::query("UPDATE cases SET updated_at = $3, version = version + 1 WHERE id = $1 AND version = $2")
                    .bind(&case.id.0)
                    .bind(case.version)
                    .bind(micros(now))
                    .execute(&mut *tx)
                    .await?;
            if updated.rows_affected() != 1 {
                return Err(StoreError::Conflict("case"));
            }
            for event in change.events {
                sqlx::query(
                    "INSERT INTO case_events (id, case_id, at, actor_id, kind, internal, data) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&event.id)
                .bind(&case.id.0)
                .bind(micros(event.at))
                .bind(event.actor.as_ref().map(|a| a.0.as_str()))
                .bind(event.happening.kind())
                .bind(event.internal)
                .bind(serde_json::to_string(&event.happening).map_err(corrupt("event"))?)
                .execute(&mut *tx)
                .await?;
            }
            insert_outbox!(tx, change.outbox);
            insert_audit!(tx, change.audit);
            if let Some(file) = change.attachment {
                sqlx::query(concat!(
                    "INSERT INTO attachments (",
                    attachment_columns!(),
                    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
                ))
                .bind(&file.id)
                .bind(&file.case_id.0)
                .bind(file.name.as_str())
                .bind(file.kind.as_str())
                .bind(&file.content_type)
                .bind(i64::try_from(file.size).unwrap_or(i64::MAX))
                .bind(&file.sha256)
                .bind(&file.storage_key)
                .bind(serde_json::to_string(&file.removed).map_err(corrupt("removed"))?)
                .bind(&file.uploaded_by.0)
                .bind(micros(file.uploaded_at))
                .bind(file.comment_id.as_deref())
                .bind(file.upload_request_id.as_deref())
                .bind(file.deleted_at.map(micros))
                .execute(&mut *tx)
                .await?;
            }
            if let Some(request) = change.upload_request {
                sqlx::query(
                    "INSERT INTO upload_requests (id, case_id, requested_by, requested_at, note, items, completed_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET items = excluded.items, \
                     completed_at = excluded.completed_at",
                )
                .bind(&request.id)
                .bind(&request.case_id.0)
                .bind(&request.requested_by.0)
                .bind(micros(request.requested_at))
                .bind(request.note.as_deref())
                .bind(serde_json::to_string(&request.items).map_err(corrupt("checklist"))?)
                .bind(request.completed_at.map(micros))
                .execute(&mut *tx)
                .await?;
            }
            for id in change.deleted {
                sqlx::query("UPDATE attachments SET deleted_at = $2 WHERE id = $1 AND deleted_at IS NULL")
                    .bind(id)
                    .bind(micros(now))
                    .execute(&mut *tx)
                    .await?;
            }
        })
    }

    pub async fn attachment(&self, id: &str) -> Result<Option<Attachment>> {
        let row: Option<AttachmentRow> = read!(self, |c| sqlx::query_as(concat!(
            "SELECT ",
            attachment_columns!(),
            " FROM attachments WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(c)
        .await)?;
        row.map(AttachmentRow::into_attachment).transpose()
    }

    /// A case's files, oldest first (those retention deleted too).
    pub async fn attachments_of(&self, case: &CaseId) -> Result<Vec<Attachment>> {
        let rows: Vec<AttachmentRow> = read!(self, |c| sqlx::query_as(concat!(
            "SELECT ",
            attachment_columns!(),
            " FROM attachments WHERE case_id = $1 ORDER BY uploaded_at, id"
        ))
        .bind(&case.0)
        .fetch_all(c)
        .await)?;
        rows.into_iter().map(AttachmentRow::into_attachment).collect()
    }

    /// The bytes a case's files take in storage now.
    pub async fn case_files_size(&self, case: &CaseId) -> Result<u64> {
        let size: Option<i64> = read!(self, |c| sqlx::query_scalar(
            "SELECT CAST(SUM(size) AS BIGINT) FROM attachments WHERE case_id = $1 AND deleted_at IS NULL"
        )
        .bind(&case.0)
        .fetch_one(c)
        .await)?;
        Ok(size.unwrap_or(0).max(0) as u64)
    }

    /// A case's upload requests, oldest first.
    pub async fn upload_requests_of(&self, case: &CaseId) -> Result<Vec<UploadRequest>> {
        let rows: Vec<RequestRow> = read!(self, |c| sqlx::query_as(
            "SELECT id, case_id, requested_by, requested_at, note, items, completed_at FROM upload_requests \
             WHERE case_id = $1 ORDER BY requested_at, id"
        )
        .bind(&case.0)
        .fetch_all(c)
        .await)?;
        rows.into_iter().map(RequestRow::into_request).collect()
    }

    /// Retention's work: closed cases, closed before `closed_before`, that
    /// still have files.
    pub async fn cases_with_expired_files(&self, closed_before: Timestamp, limit: i64) -> Result<Vec<CaseNumber>> {
        let numbers: Vec<i64> = read!(self, |c| sqlx::query_scalar(
            "SELECT c.number FROM cases c WHERE c.status = 'closed' AND c.closed_at < $1 AND EXISTS \
             (SELECT 1 FROM attachments a WHERE a.case_id = c.id AND a.deleted_at IS NULL) \
             ORDER BY c.closed_at LIMIT $2"
        )
        .bind(micros(closed_before))
        .bind(limit)
        .fetch_all(c)
        .await)?;
        Ok(numbers.into_iter().map(CaseNumber).collect())
    }
}
