-- The status page (R23, R24): components of each product, maintenance
-- windows (weekly or one-off) and their updates, incidents and their
-- updates, the cases linked to incidents, and the subscribers told of
-- changes (email with double opt-in, webhooks).

CREATE TABLE status_components (
    product_key TEXT NOT NULL REFERENCES products (key) ON DELETE CASCADE,
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    sort_order INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (product_key, key)
);

-- Weekly windows: weekday, local start time and duration in seconds;
-- `starts_at` is when the rule takes effect, `ends_at` when it was retired.
-- One-off windows: `starts_at` and `ends_at`. `skipped` is a JSON list of
-- the occurrences called off (their starts, epoch microseconds).
CREATE TABLE maintenance_windows (
    id TEXT PRIMARY KEY,
    product_key TEXT NOT NULL REFERENCES products (key) ON DELETE CASCADE,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    components TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    weekday TEXT,
    start_time TEXT,
    duration_seconds INTEGER,
    starts_at INTEGER NOT NULL,
    ends_at INTEGER,
    skipped TEXT NOT NULL,
    cancelled_at INTEGER,
    completed_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX maintenance_windows_product ON maintenance_windows (product_key);

CREATE TABLE maintenance_updates (
    id TEXT PRIMARY KEY,
    window_id TEXT NOT NULL REFERENCES maintenance_windows (id) ON DELETE CASCADE,
    occurrence_at INTEGER,
    at INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX maintenance_updates_window ON maintenance_updates (window_id, at);

CREATE TABLE incidents (
    id TEXT PRIMARY KEY,
    product_key TEXT NOT NULL REFERENCES products (key) ON DELETE CASCADE,
    title TEXT NOT NULL,
    impact TEXT NOT NULL,
    status TEXT NOT NULL,
    components TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    resolved_at INTEGER
);
CREATE INDEX incidents_product ON incidents (product_key, created_at);
CREATE INDEX incidents_resolved ON incidents (resolved_at);

CREATE TABLE incident_updates (
    id TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    at INTEGER NOT NULL,
    status TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX incident_updates_incident ON incident_updates (incident_id, at);

CREATE TABLE incident_cases (
    incident_id TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    case_id TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    linked_at INTEGER NOT NULL,
    PRIMARY KEY (incident_id, case_id)
);
CREATE INDEX incident_cases_case ON incident_cases (case_id);

-- Email subscribers confirm (double opt-in) and unsubscribe with a token
-- (`secret`, written in every mail's links; looked up by its SHA-256);
-- webhooks carry the secret their deliveries are signed with (HMAC-SHA256).
-- No product: every product.
CREATE TABLE status_subscribers (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('email', 'webhook')),
    product_key TEXT REFERENCES products (key) ON DELETE CASCADE,
    email TEXT,
    language TEXT NOT NULL,
    url TEXT,
    secret TEXT,
    token_hash TEXT UNIQUE,
    created_at INTEGER NOT NULL,
    confirmed_at INTEGER,
    unsubscribed_at INTEGER
);
CREATE INDEX status_subscribers_kind ON status_subscribers (kind, product_key);
