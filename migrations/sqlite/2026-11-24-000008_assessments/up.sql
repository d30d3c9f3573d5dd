-- Systems inventory (Fides `System`, the subset assessments read). The whole system is kept as
-- JSON; only what lists and filters need is a column.
CREATE TABLE systems (
    fides_key TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- One assessment per (template, system). `snapshot` is the JSON of every system fact the
-- generation read and `snapshot_hash` its SHA-256: a system change that alters the hash marks
-- the assessment outdated.
CREATE TABLE assessments (
    id TEXT PRIMARY KEY NOT NULL,
    template_id TEXT NOT NULL,
    system_id TEXT NOT NULL,
    system_name TEXT NOT NULL,
    status TEXT NOT NULL,
    risk_level TEXT,
    risk_criteria TEXT NOT NULL,
    completeness DOUBLE NOT NULL,
    ai_enabled BOOLEAN NOT NULL,
    snapshot TEXT,
    snapshot_hash TEXT,
    last_evaluated_at TIMESTAMP,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX assessments_created_idx ON assessments (created_at);
CREATE INDEX assessments_system_idx ON assessments (system_id, created_at);
CREATE INDEX assessments_template_idx ON assessments (template_id, created_at);
CREATE INDEX assessments_status_idx ON assessments (status, created_at);

-- The current answer of each answered question (unanswered questions have no row).
CREATE TABLE assessment_answers (
    assessment_id TEXT NOT NULL REFERENCES assessments (id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    answer TEXT NOT NULL,
    source TEXT NOT NULL,
    status TEXT NOT NULL,
    version_number INTEGER NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (assessment_id, question_id)
);

-- Every answer ever given, immutable: history, revert and the audit trail read these.
CREATE TABLE answer_versions (
    id TEXT PRIMARY KEY NOT NULL,
    assessment_id TEXT NOT NULL REFERENCES assessments (id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    version_number INTEGER NOT NULL,
    answer TEXT NOT NULL,
    source TEXT NOT NULL,
    status TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX answer_versions_question_idx ON answer_versions (assessment_id, question_id, version_number);

-- Facts cited by answers: kind is system | privacy_declaration | data_use | dataset.
CREATE TABLE assessment_evidence (
    id TEXT PRIMARY KEY NOT NULL,
    assessment_id TEXT NOT NULL REFERENCES assessments (id) ON DELETE CASCADE,
    group_id TEXT NOT NULL,
    question_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    label TEXT NOT NULL,
    value TEXT NOT NULL,
    source_id TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX assessment_evidence_group_idx ON assessment_evidence (assessment_id, group_id, seq);

-- Every change to an assessment, in order (`seq` per assessment).
CREATE TABLE assessment_audit_log (
    id TEXT PRIMARY KEY NOT NULL,
    assessment_id TEXT NOT NULL REFERENCES assessments (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    question_id TEXT,
    details TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX assessment_audit_log_seq_idx ON assessment_audit_log (assessment_id, seq);

-- Generation and re-evaluation tasks; each runs as a durable job.
CREATE TABLE assessment_tasks (
    id TEXT PRIMARY KEY NOT NULL,
    action_type TEXT NOT NULL,
    status TEXT NOT NULL,
    progress DOUBLE NOT NULL,
    error TEXT,
    assessment_id TEXT NOT NULL REFERENCES assessments (id) ON DELETE CASCADE,
    retry_of TEXT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX assessment_tasks_created_idx ON assessment_tasks (created_at);
CREATE INDEX assessment_tasks_assessment_idx ON assessment_tasks (assessment_id, created_at);

-- The single configuration row (id `default`); NULL models mean "use the default".
CREATE TABLE assessment_config (
    id TEXT PRIMARY KEY NOT NULL,
    assessment_model TEXT,
    chat_model TEXT,
    reassessment_enabled BOOLEAN NOT NULL,
    reassessment_cron TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
