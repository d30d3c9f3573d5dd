-- Privacy requests (data-subject requests) and their execution logs.
CREATE TABLE privacy_requests (
    id TEXT PRIMARY KEY NOT NULL,
    external_id TEXT,
    status TEXT NOT NULL,
    -- A policy used by requests cannot be deleted (the API answers 409 first).
    policy_id TEXT NOT NULL REFERENCES policies (id) ON DELETE RESTRICT,
    -- The identity JSON and the requester's encryption key, sealed with the application key.
    identity BLOB NOT NULL,
    encryption_key BLOB,
    source TEXT,
    submitted_by TEXT,
    requested_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    started_processing_at TIMESTAMP,
    finished_processing_at TIMESTAMP,
    -- Where a failed request resumes (access, upload_access) and what failed.
    failed_step TEXT,
    failed_collection TEXT,
    -- JSON list of stored package files, one per access rule.
    result_files TEXT
);
CREATE INDEX privacy_requests_created_idx ON privacy_requests (created_at, id);
CREATE INDEX privacy_requests_status_idx ON privacy_requests (status, created_at);
CREATE INDEX privacy_requests_external_idx ON privacy_requests (external_id);
CREATE INDEX privacy_requests_policy_idx ON privacy_requests (policy_id);

-- Keyed digests of identity values, so requests can be found by identity without storing it readable.
CREATE TABLE privacy_request_identities (
    privacy_request_id TEXT NOT NULL REFERENCES privacy_requests (id) ON DELETE CASCADE,
    field_name TEXT NOT NULL,
    value_digest TEXT NOT NULL,
    PRIMARY KEY (privacy_request_id, field_name)
);
CREATE INDEX privacy_request_identities_digest_idx ON privacy_request_identities (value_digest);

CREATE TABLE execution_logs (
    id TEXT PRIMARY KEY NOT NULL,
    privacy_request_id TEXT NOT NULL REFERENCES privacy_requests (id) ON DELETE CASCADE,
    -- Order within a request (timestamps can tie).
    seq BIGINT NOT NULL,
    dataset_name TEXT,
    collection_name TEXT,
    connection_key TEXT,
    action_type TEXT NOT NULL,
    status TEXT NOT NULL,
    message TEXT,
    -- JSON list of {path, field_name, data_categories}.
    fields_affected TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX execution_logs_request_idx ON execution_logs (privacy_request_id, seq);

-- Access results kept (sealed) when a later step fails, so a retry resumes without querying again.
CREATE TABLE privacy_request_checkpoints (
    privacy_request_id TEXT PRIMARY KEY NOT NULL REFERENCES privacy_requests (id) ON DELETE CASCADE,
    results BLOB NOT NULL,
    created_at TIMESTAMP NOT NULL
);
