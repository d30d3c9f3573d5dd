-- Webhooks a policy calls before (pre_execution) and after (post_execution) a request runs,
-- in `position` order; each calls an `https` connection.
CREATE TABLE policy_webhooks (
    id TEXT PRIMARY KEY NOT NULL,
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    policy_id TEXT NOT NULL REFERENCES policies (id) ON DELETE CASCADE,
    connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    timing TEXT NOT NULL,
    direction TEXT NOT NULL,
    position INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (timing, key)
);
CREATE INDEX policy_webhooks_policy ON policy_webhooks (policy_id, timing, position);

-- A request a two-way pre-execution webhook halted: when, by which webhook (its resume token
-- names both), the position after which pre webhooks still run once resumed, whether they all
-- ran, and the identities webhooks derived (sealed).
ALTER TABLE privacy_requests ADD COLUMN paused_at TIMESTAMP;
ALTER TABLE privacy_requests ADD COLUMN paused_webhook_id TEXT;
ALTER TABLE privacy_requests ADD COLUMN pre_webhooks_after INTEGER;
ALTER TABLE privacy_requests ADD COLUMN pre_webhooks_done BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE privacy_requests ADD COLUMN derived_identity BYTEA;
