-- Review (approval, denial, cancellation), identity verification, erasure secrets.
ALTER TABLE privacy_requests ADD COLUMN reviewed_at TIMESTAMP;
ALTER TABLE privacy_requests ADD COLUMN reviewed_by TEXT;
ALTER TABLE privacy_requests ADD COLUMN deny_reason TEXT;
ALTER TABLE privacy_requests ADD COLUMN identity_verified_at TIMESTAMP;
ALTER TABLE privacy_requests ADD COLUMN canceled_at TIMESTAMP;
ALTER TABLE privacy_requests ADD COLUMN cancel_reason TEXT;
-- Per-request masking secrets (salts, HMAC and AES keys) as JSON, sealed with the application key.
ALTER TABLE privacy_requests ADD COLUMN masking_secrets BYTEA;

-- The subject's verification code: only its keyed digest is stored.
CREATE TABLE privacy_request_verifications (
    privacy_request_id TEXT PRIMARY KEY NOT NULL REFERENCES privacy_requests (id) ON DELETE CASCADE,
    code_digest TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    failed_attempts INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- Fields a manual_request connection asks a person to fill in: JSON [{pii_field, dsr_package_label}].
CREATE TABLE manual_request_fields (
    connection_id TEXT PRIMARY KEY NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    fields TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- What a person uploaded for one request and one manual_request connection (sealed JSON object).
CREATE TABLE manual_request_inputs (
    privacy_request_id TEXT NOT NULL REFERENCES privacy_requests (id) ON DELETE CASCADE,
    connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    data BYTEA NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (privacy_request_id, connection_id)
);
CREATE INDEX manual_request_inputs_connection_idx ON manual_request_inputs (connection_id);

-- The default erasure policy, as Fides seeds it: HMAC masking of everything under `user`.
INSERT INTO policies (id, key, name, execution_timeframe, created_at, updated_at)
VALUES ('pol_default_erasure_policy', 'default_erasure_policy', 'Default Erasure Policy', NULL, (now() AT TIME ZONE 'utc'), (now() AT TIME ZONE 'utc'));
INSERT INTO rules (id, key, policy_id, name, action_type, storage_destination_key, masking_strategy, created_at, updated_at)
VALUES ('rul_default_erasure_policy_rule', 'default_erasure_policy_rule', 'pol_default_erasure_policy', 'Default Erasure Rule', 'erasure', NULL, '{"strategy":"hmac","configuration":{}}', (now() AT TIME ZONE 'utc'), (now() AT TIME ZONE 'utc'));
INSERT INTO rule_targets (id, key, rule_id, name, data_category, created_at, updated_at)
VALUES ('rul_default_erasure_policy_rule_user', 'default_erasure_policy_rule_user', 'rul_default_erasure_policy_rule', 'Default Erasure Target', 'user', (now() AT TIME ZONE 'utc'), (now() AT TIME ZONE 'utc'));
