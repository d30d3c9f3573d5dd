CREATE TABLE server_settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE oauth_clients (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT,
    secret_hash TEXT NOT NULL,
    scopes TEXT NOT NULL,
    is_root BOOLEAN NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE redaction_patterns (
    position INTEGER PRIMARY KEY NOT NULL,
    pattern TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE jobs (
    id TEXT PRIMARY KEY NOT NULL,
    queue TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    run_at TIMESTAMP NOT NULL,
    locked_by TEXT,
    locked_until TIMESTAMP,
    last_error TEXT,
    unique_key TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
-- Claiming scans due queued jobs and expired running ones, oldest first.
CREATE INDEX jobs_claim_idx ON jobs (status, queue, run_at);
CREATE INDEX jobs_lease_idx ON jobs (status, locked_until);
CREATE UNIQUE INDEX jobs_unique_key_idx ON jobs (unique_key);
