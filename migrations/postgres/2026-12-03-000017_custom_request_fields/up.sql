-- Custom privacy request fields (Fides' custom_privacy_request_fields: {key: {label, value}}),
-- sealed like the identities: they are the subject's answers.
ALTER TABLE privacy_requests ADD COLUMN custom_fields BYTEA;
