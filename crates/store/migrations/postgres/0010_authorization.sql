-- Company authorization of privileged requests (R25), and the one-time
-- links that let a person choose a password once a reset is authorized.

CREATE TABLE authorization_requests (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL REFERENCES companies (id),
    case_id TEXT NOT NULL REFERENCES cases (id),
    kind TEXT NOT NULL,
    -- The change as JSON: the details of its kind.
    change TEXT NOT NULL,
    user_email TEXT NOT NULL,
    user_id TEXT REFERENCES users (id),
    requested_by TEXT NOT NULL REFERENCES users (id),
    requested_by_email TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    decided_by TEXT REFERENCES users (id),
    decided_by_email TEXT,
    decided_at BIGINT,
    decided_via TEXT,
    outcome TEXT,
    reply_token TEXT NOT NULL UNIQUE
);
CREATE INDEX authorization_requests_case ON authorization_requests (case_id, requested_at);
CREATE INDEX authorization_requests_company ON authorization_requests (company_id, status);
CREATE INDEX authorization_requests_pending ON authorization_requests (status, expires_at);

CREATE TABLE password_links (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX password_links_user ON password_links (user_id);
