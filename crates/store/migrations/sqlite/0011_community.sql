-- Community (R9): questions, answers, comments, votes on answers, the
-- revisions of edited posts, flags, product experts and subscriptions.
-- Instants are INTEGER microseconds; lists are JSON text.
CREATE TABLE community_questions (
    id TEXT PRIMARY KEY,
    author_id TEXT NOT NULL REFERENCES users (id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    product_key TEXT NOT NULL REFERENCES products (key),
    area_key TEXT,
    -- JSON list of tags.
    tags TEXT NOT NULL,
    lang TEXT NOT NULL,
    accepted_answer_id TEXT,
    -- The knowledge base article made from the accepted answer.
    article_id TEXT REFERENCES articles (id) ON DELETE SET NULL,
    hidden_at INTEGER,
    hidden_by TEXT REFERENCES users (id),
    locked_at INTEGER,
    -- A duplicate merged into another question: its answers moved there.
    merged_into TEXT REFERENCES community_questions (id),
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    -- The last question, answer or comment posted on it (list order).
    active_at INTEGER NOT NULL
);
CREATE INDEX community_questions_active ON community_questions (active_at, id);
CREATE INDEX community_questions_author ON community_questions (author_id, created_at);

CREATE TABLE community_answers (
    id TEXT PRIMARY KEY,
    question_id TEXT NOT NULL REFERENCES community_questions (id),
    author_id TEXT NOT NULL REFERENCES users (id),
    body TEXT NOT NULL,
    hidden_at INTEGER,
    hidden_by TEXT REFERENCES users (id),
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX community_answers_question ON community_answers (question_id, created_at);
CREATE INDEX community_answers_author ON community_answers (author_id, created_at);

CREATE TABLE community_comments (
    id TEXT PRIMARY KEY,
    question_id TEXT NOT NULL REFERENCES community_questions (id),
    -- The answer commented on; none for a comment on the question.
    answer_id TEXT REFERENCES community_answers (id),
    author_id TEXT NOT NULL REFERENCES users (id),
    body TEXT NOT NULL,
    hidden_at INTEGER,
    hidden_by TEXT REFERENCES users (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX community_comments_question ON community_comments (question_id, created_at);
CREATE INDEX community_comments_author ON community_comments (author_id, created_at);

CREATE TABLE community_votes (
    answer_id TEXT NOT NULL REFERENCES community_answers (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    -- 1 up, -1 down.
    value INTEGER NOT NULL CHECK (value IN (1, -1)),
    voted_at INTEGER NOT NULL,
    PRIMARY KEY (answer_id, user_id)
);

-- Every version of an edited question or answer, the first included.
CREATE TABLE community_revisions (
    post_id TEXT NOT NULL,
    number INTEGER NOT NULL,
    title TEXT,
    body TEXT NOT NULL,
    changed_by TEXT NOT NULL REFERENCES users (id),
    changed_at INTEGER NOT NULL,
    -- Why, in the editor's words (moderators' edits).
    note TEXT NOT NULL,
    PRIMARY KEY (post_id, number)
);

CREATE TABLE community_flags (
    id TEXT PRIMARY KEY,
    -- `question`, `answer` or `comment`.
    post_kind TEXT NOT NULL,
    post_id TEXT NOT NULL,
    question_id TEXT NOT NULL REFERENCES community_questions (id),
    flagged_by TEXT NOT NULL REFERENCES users (id),
    reason TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    resolved_at INTEGER,
    resolved_by TEXT REFERENCES users (id),
    -- `hidden` or `dismissed`.
    resolution TEXT,
    UNIQUE (post_id, flagged_by)
);
CREATE INDEX community_flags_open ON community_flags (resolved_at, created_at);

-- R9: product experts, named by a moderator, one row per product.
CREATE TABLE community_experts (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    product_key TEXT NOT NULL REFERENCES products (key),
    named_by TEXT NOT NULL REFERENCES users (id),
    named_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, product_key)
);
CREATE INDEX community_experts_product ON community_experts (product_key);

-- Follow a question, a product or a tag.
CREATE TABLE community_subscriptions (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, kind, target)
);
CREATE INDEX community_subscriptions_target ON community_subscriptions (kind, target);
