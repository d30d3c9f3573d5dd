DROP TABLE schedule_runs;
DROP TABLE questionnaire_questions;
DROP TABLE assessment_questionnaires;
ALTER TABLE assessment_config DROP COLUMN tone_prompt;
ALTER TABLE assessment_tasks DROP COLUMN message;
