-- The audit log (R26). Entries are written with the change they record and
-- never updated or deleted; the chain (seq, hash of the previous link and of
-- the entry's canonical content) is appended after, in order, by the chainer.

CREATE TABLE audit_entries (
    id TEXT PRIMARY KEY,
    at INTEGER NOT NULL,
    actor_id TEXT,
    actor_email TEXT,
    address TEXT,
    action TEXT NOT NULL,
    subject_kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    company_id TEXT,
    case_number INTEGER,
    details TEXT NOT NULL
);
CREATE INDEX audit_entries_company ON audit_entries (company_id, at);
CREATE INDEX audit_entries_at ON audit_entries (at, id);

CREATE TABLE audit_chain (
    seq INTEGER PRIMARY KEY,
    entry_id TEXT NOT NULL UNIQUE REFERENCES audit_entries (id),
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);

CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Entries not chained yet: the chainer's work list (emptied as it chains).
CREATE TABLE audit_pending (
    entry_id TEXT PRIMARY KEY REFERENCES audit_entries (id)
);
