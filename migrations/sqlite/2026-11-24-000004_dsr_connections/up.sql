-- Connections to the subject's data stores. `secrets` is sealed (AES-256-GCM) with the app key.
CREATE TABLE connections (
    id TEXT PRIMARY KEY NOT NULL,
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    connection_type TEXT NOT NULL,
    access TEXT NOT NULL,
    disabled BOOLEAN NOT NULL DEFAULT 0,
    description TEXT,
    secrets BLOB,
    last_test_at TIMESTAMP,
    last_test_succeeded BOOLEAN,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
