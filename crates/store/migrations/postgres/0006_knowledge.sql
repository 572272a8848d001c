-- Knowledge base (R7, R8, R11): articles with their translations, revision
-- history, "did this help?" votes, and suggested articles opened from the
-- log-a-case form (deflection).
CREATE TABLE articles (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    audience TEXT NOT NULL,
    status TEXT NOT NULL,
    -- JSON lists of keys.
    products TEXT NOT NULL,
    areas TEXT NOT NULL,
    tags TEXT NOT NULL,
    error_codes TEXT NOT NULL,
    page_keys TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE article_translations (
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    lang TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    format TEXT NOT NULL,
    -- JSON list of the error messages, in this language.
    error_messages TEXT NOT NULL,
    PRIMARY KEY (article_id, lang)
);

CREATE TABLE article_revisions (
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    number BIGINT NOT NULL,
    changed_by TEXT REFERENCES users (id),
    changed_at BIGINT NOT NULL,
    -- JSON list of what changed.
    changes TEXT NOT NULL,
    -- The whole content after the change, as JSON.
    content TEXT NOT NULL,
    PRIMARY KEY (article_id, number)
);

CREATE TABLE article_votes (
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id),
    helpful BOOLEAN NOT NULL,
    voted_at BIGINT NOT NULL,
    PRIMARY KEY (article_id, user_id)
);

-- R11: a user opened a suggested article while logging a case about a
-- product; if no case of theirs follows, support was deflected.
CREATE TABLE deflections (
    user_id TEXT NOT NULL REFERENCES users (id),
    product_key TEXT NOT NULL,
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    opened_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, product_key, article_id)
);
CREATE INDEX deflections_opened ON deflections (opened_at);

-- The search indexer of every node reads its changes in order.
CREATE INDEX outbox_kind_created ON outbox (kind, created_at);
