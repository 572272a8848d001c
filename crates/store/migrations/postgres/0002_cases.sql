-- Cases, their timeline, escalation requests, expert engagements, and the
-- outbox of work for the workers (notifications first).

CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('case_number', 1000);

CREATE TABLE cases (
    id TEXT PRIMARY KEY,
    number BIGINT NOT NULL UNIQUE,
    company_id TEXT NOT NULL REFERENCES companies (id),
    opened_by TEXT NOT NULL REFERENCES users (id),
    product_key TEXT NOT NULL,
    area_key TEXT NOT NULL,
    environment TEXT NOT NULL,
    impact TEXT NOT NULL,
    scope TEXT NOT NULL,
    subject TEXT NOT NULL,
    description TEXT NOT NULL,
    steps TEXT,
    expected TEXT,
    status TEXT NOT NULL,
    priority TEXT NOT NULL,
    priority_reasons TEXT NOT NULL,
    assignee_id TEXT REFERENCES users (id),
    escalated BOOLEAN NOT NULL,
    experts_involved BOOLEAN NOT NULL,
    split_from BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    first_response_at BIGINT,
    solved_at BIGINT,
    closed_at BIGINT,
    last_update_request_at BIGINT,
    version BIGINT NOT NULL,
    FOREIGN KEY (product_key, area_key) REFERENCES product_areas (product_key, key)
);
CREATE INDEX cases_company ON cases (company_id, number);
CREATE INDEX cases_opened_by ON cases (opened_by);
CREATE INDEX cases_assignee ON cases (assignee_id, status);
CREATE INDEX cases_queue ON cases (product_key, area_key, status);
CREATE INDEX cases_status ON cases (status, solved_at);

CREATE TABLE case_contacts (
    case_id TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (case_id, user_id)
);
CREATE INDEX case_contacts_user ON case_contacts (user_id);

CREATE TABLE case_events (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    at BIGINT NOT NULL,
    actor_id TEXT REFERENCES users (id),
    kind TEXT NOT NULL,
    internal BOOLEAN NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX case_events_case ON case_events (case_id, at);

CREATE TABLE escalation_requests (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    requested_by TEXT NOT NULL REFERENCES users (id),
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    review_due_at BIGINT NOT NULL,
    reviewed_by TEXT REFERENCES users (id),
    reviewed_at BIGINT,
    note TEXT
);
CREATE INDEX escalation_requests_status ON escalation_requests (status, review_due_at);
CREATE INDEX escalation_requests_case ON escalation_requests (case_id);

CREATE TABLE expert_engagements (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    expert_id TEXT NOT NULL REFERENCES users (id),
    requested_by TEXT NOT NULL REFERENCES users (id),
    question TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX expert_engagements_expert ON expert_engagements (expert_id, status);
CREATE INDEX expert_engagements_case ON expert_engagements (case_id);

CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    available_at BIGINT NOT NULL,
    attempts INTEGER NOT NULL,
    done_at BIGINT,
    last_error TEXT
);
CREATE INDEX outbox_pending ON outbox (done_at, available_at);
