ALTER TABLE privacy_requests DROP COLUMN custom_fields;
