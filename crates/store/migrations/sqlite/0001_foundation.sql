-- Companies, their users, products, and what signing in needs.
-- Instants are INTEGER microseconds since the Unix epoch; ids are TEXT.

CREATE TABLE products (
    key TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    sort_order INTEGER NOT NULL
);

CREATE TABLE product_areas (
    product_key TEXT NOT NULL REFERENCES products (key) ON DELETE CASCADE,
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    sort_order INTEGER NOT NULL,
    PRIMARY KEY (product_key, key)
);

CREATE TABLE companies (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('customer', 'partner', 'vendor')),
    name TEXT NOT NULL UNIQUE,
    country TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    sla_tier TEXT NOT NULL,
    account_manager_id TEXT REFERENCES users (id),
    implemented_by TEXT REFERENCES companies (id),
    contact_name TEXT,
    contact_email TEXT,
    contact_phone TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX companies_implemented_by ON companies (implemented_by);

CREATE TABLE company_products (
    company_id TEXT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    product_key TEXT NOT NULL REFERENCES products (key),
    PRIMARY KEY (company_id, product_key)
);

CREATE TABLE company_email_domains (
    company_id TEXT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    domain TEXT NOT NULL UNIQUE,
    PRIMARY KEY (company_id, domain)
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL REFERENCES companies (id),
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    language TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    password_hash TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX users_company ON users (company_id);

CREATE TABLE user_roles (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
);
CREATE INDEX user_roles_role ON user_roles (role);

CREATE TABLE user_skills (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    skill TEXT NOT NULL,
    PRIMARY KEY (user_id, skill)
);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE login_failures (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    window_started_at INTEGER NOT NULL,
    locked_until INTEGER
);

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
