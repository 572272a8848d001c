-- The email channel. Every inbound message is recorded with what became of
-- it and why; a Message-ID is claimed once, so a message sent again is
-- refused as a replay. Each case has one reply token, carried in the
-- Reply-To address of its notifications. Outbound mails are outbox rows of
-- kind `mail` (retries and permanent failures in the outbox's own columns).

CREATE TABLE inbound_mails (
    id TEXT PRIMARY KEY,
    received_at BIGINT NOT NULL,
    message_id TEXT,
    sender TEXT,
    recipient TEXT,
    subject TEXT,
    authentication TEXT NOT NULL,
    outcome TEXT NOT NULL,
    reason TEXT,
    detail TEXT NOT NULL,
    case_number BIGINT,
    authorization_request TEXT,
    answered BOOLEAN NOT NULL
);
CREATE INDEX inbound_mails_received ON inbound_mails (received_at, id);
CREATE INDEX inbound_mails_sender ON inbound_mails (sender, received_at);

CREATE TABLE mail_message_ids (
    message_id TEXT PRIMARY KEY,
    inbound_id TEXT NOT NULL,
    seen_at BIGINT NOT NULL
);

CREATE TABLE case_reply_tokens (
    case_id TEXT PRIMARY KEY REFERENCES cases (id),
    token TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
