ALTER TABLE privacy_requests DROP COLUMN data_purged_at;
