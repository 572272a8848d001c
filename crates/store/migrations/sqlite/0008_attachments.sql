-- Attachments and problem recordings (R17). The bytes are in the object
-- store under `storage_key`; a row keeps what a case shows of a file (its
-- name, size, SHA-256, what was scrubbed) after retention deleted them.

CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    storage_key TEXT NOT NULL,
    removed TEXT NOT NULL,
    uploaded_by TEXT NOT NULL REFERENCES users (id),
    uploaded_at INTEGER NOT NULL,
    comment_id TEXT,
    upload_request_id TEXT,
    deleted_at INTEGER
);
CREATE INDEX attachments_case ON attachments (case_id, uploaded_at);
-- Retention looks for files not deleted yet.
CREATE INDEX attachments_kept ON attachments (case_id) WHERE deleted_at IS NULL;

CREATE TABLE upload_requests (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id),
    requested_by TEXT NOT NULL REFERENCES users (id),
    requested_at INTEGER NOT NULL,
    note TEXT,
    items TEXT NOT NULL,
    completed_at INTEGER
);
CREATE INDEX upload_requests_case ON upload_requests (case_id, requested_at);
