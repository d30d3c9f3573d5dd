DROP TABLE rule_targets;
DROP TABLE rules;
DROP TABLE policies;
DROP TABLE storage_configs;
