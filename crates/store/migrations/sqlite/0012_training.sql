-- Training (R10): courses, the learning paths they belong to, sessions
-- with seats, and enrolments (a seat, the waiting list, cancelled or
-- completed). Instants are INTEGER microseconds; lists are JSON text.
CREATE TABLE training_courses (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    lang TEXT NOT NULL,
    -- `e-learning`, `virtual_class` or `classroom`.
    format TEXT NOT NULL,
    duration_minutes INTEGER NOT NULL,
    product_key TEXT NOT NULL REFERENCES products (key),
    level TEXT NOT NULL,
    -- JSON list of prerequisites, in words.
    prerequisites TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX training_courses_product ON training_courses (product_key, lang);

CREATE TABLE training_course_paths (
    course_id TEXT NOT NULL REFERENCES training_courses (id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    PRIMARY KEY (course_id, path)
);
CREATE INDEX training_course_paths_path ON training_course_paths (path);

CREATE TABLE training_sessions (
    id TEXT PRIMARY KEY,
    course_id TEXT NOT NULL REFERENCES training_courses (id) ON DELETE CASCADE,
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    time_zone TEXT NOT NULL,
    capacity INTEGER NOT NULL,
    place TEXT,
    join_url TEXT,
    trainer_id TEXT NOT NULL REFERENCES users (id),
    -- Bumped by every enrolment change: the row lock that keeps seats
    -- within capacity under concurrent enrolments.
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX training_sessions_course ON training_sessions (course_id, starts_at);
CREATE INDEX training_sessions_trainer ON training_sessions (trainer_id, starts_at);

CREATE TABLE training_enrolments (
    id TEXT PRIMARY KEY,
    course_id TEXT NOT NULL REFERENCES training_courses (id) ON DELETE CASCADE,
    -- None for an e-learning course.
    session_id TEXT REFERENCES training_sessions (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id),
    -- Who enrolled them (themselves, or a designated colleague).
    enrolled_by TEXT NOT NULL REFERENCES users (id),
    status TEXT NOT NULL,
    -- The waiting list's order: when the place was asked for.
    queued_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    completed_at INTEGER,
    completed_by TEXT REFERENCES users (id)
);
CREATE INDEX training_enrolments_session ON training_enrolments (session_id, status, queued_at);
CREATE INDEX training_enrolments_user ON training_enrolments (user_id, created_at);
-- One live enrolment per person and session (or e-learning course).
CREATE UNIQUE INDEX training_enrolments_one_per_session ON training_enrolments (session_id, user_id)
    WHERE session_id IS NOT NULL AND status <> 'cancelled';
CREATE UNIQUE INDEX training_enrolments_one_per_course ON training_enrolments (course_id, user_id)
    WHERE session_id IS NULL AND status <> 'cancelled';
