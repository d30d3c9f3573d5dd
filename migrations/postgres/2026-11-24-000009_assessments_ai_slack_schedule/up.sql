-- A note on a task that completed with reservations (AI drafts that could not be had).
ALTER TABLE assessment_tasks ADD COLUMN message TEXT;
-- The questionnaire tone; NULL means the default.
ALTER TABLE assessment_config ADD COLUMN tone_prompt TEXT;

-- A Slack questionnaire: the questions of one assessment posted to a channel. `poll_round`
-- counts the polling jobs so each round queues exactly one successor.
CREATE TABLE assessment_questionnaires (
    id TEXT PRIMARY KEY NOT NULL,
    assessment_id TEXT NOT NULL REFERENCES assessments (id) ON DELETE CASCADE,
    channel TEXT NOT NULL,
    poll_round INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    sent_at TIMESTAMP NOT NULL
);
CREATE INDEX assessment_questionnaires_assessment_idx ON assessment_questionnaires (assessment_id, sent_at);

-- One posted question: its Slack message (thread) and what came back.
CREATE TABLE questionnaire_questions (
    questionnaire_id TEXT NOT NULL REFERENCES assessment_questionnaires (id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    message_ts TEXT NOT NULL,
    sent_at TIMESTAMP NOT NULL,
    last_reply_ts TEXT,
    response_received_at TIMESTAMP,
    reminder_count INTEGER NOT NULL,
    last_reminder_at TIMESTAMP,
    PRIMARY KEY (questionnaire_id, question_id)
);

-- Scheduled firings claimed by one gateway: the primary key makes each (schedule, time) run once.
CREATE TABLE schedule_runs (
    schedule TEXT NOT NULL,
    fire_at TIMESTAMP NOT NULL,
    claimed_by TEXT NOT NULL,
    claimed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (schedule, fire_at)
);
