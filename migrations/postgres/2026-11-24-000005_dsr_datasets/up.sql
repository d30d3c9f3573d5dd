-- Fideslang datasets of a connection, stored as given (JSON text).
CREATE TABLE datasets (
    id TEXT PRIMARY KEY NOT NULL,
    fides_key TEXT NOT NULL UNIQUE,
    connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX datasets_connection_idx ON datasets (connection_id, fides_key);
