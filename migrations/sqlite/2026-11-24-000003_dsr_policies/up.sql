CREATE TABLE storage_configs (
    id TEXT PRIMARY KEY NOT NULL,
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    storage_type TEXT NOT NULL,
    format TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE policies (
    id TEXT PRIMARY KEY NOT NULL,
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    execution_timeframe INTEGER,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- A storage destination in use cannot be deleted (the foreign key refuses).
CREATE TABLE rules (
    id TEXT PRIMARY KEY NOT NULL,
    key TEXT NOT NULL UNIQUE,
    policy_id TEXT NOT NULL REFERENCES policies (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    action_type TEXT NOT NULL,
    storage_destination_key TEXT REFERENCES storage_configs (key),
    masking_strategy TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX rules_policy_idx ON rules (policy_id, created_at);

CREATE TABLE rule_targets (
    id TEXT PRIMARY KEY NOT NULL,
    key TEXT NOT NULL,
    rule_id TEXT NOT NULL REFERENCES rules (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    data_category TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (rule_id, key),
    UNIQUE (rule_id, data_category)
);

-- The default access policy, as Fides seeds it: everything under `user`.
INSERT INTO policies (id, key, name, execution_timeframe, created_at, updated_at)
VALUES ('pol_default_access_policy', 'default_access_policy', 'Default Access Policy', NULL, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
INSERT INTO rules (id, key, policy_id, name, action_type, storage_destination_key, masking_strategy, created_at, updated_at)
VALUES ('rul_default_access_policy_rule', 'default_access_policy_rule', 'pol_default_access_policy', 'Default Access Rule', 'access', NULL, NULL, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
INSERT INTO rule_targets (id, key, rule_id, name, data_category, created_at, updated_at)
VALUES ('rul_default_access_policy_rule_user', 'default_access_policy_rule_user', 'rul_default_access_policy_rule', 'Default Access Target', 'user', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);
