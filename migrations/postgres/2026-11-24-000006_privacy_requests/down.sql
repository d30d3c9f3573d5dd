DROP TABLE privacy_request_checkpoints;
DROP TABLE execution_logs;
DROP TABLE privacy_request_identities;
DROP TABLE privacy_requests;
