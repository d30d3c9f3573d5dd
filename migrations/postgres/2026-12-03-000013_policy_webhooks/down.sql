ALTER TABLE privacy_requests DROP COLUMN derived_identity;
ALTER TABLE privacy_requests DROP COLUMN pre_webhooks_done;
ALTER TABLE privacy_requests DROP COLUMN pre_webhooks_after;
ALTER TABLE privacy_requests DROP COLUMN paused_webhook_id;
ALTER TABLE privacy_requests DROP COLUMN paused_at;
DROP TABLE policy_webhooks;
