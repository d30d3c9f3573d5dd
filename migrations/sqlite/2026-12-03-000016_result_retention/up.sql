-- When a completed request's packages, checkpoints, manual uploads and identities were deleted
-- (LETHE__EXECUTION__RESULT_TTL_SECONDS after completion); its links then answer 410.
ALTER TABLE privacy_requests ADD COLUMN data_purged_at TIMESTAMP;
