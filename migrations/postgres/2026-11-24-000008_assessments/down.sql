DROP TABLE assessment_config;
DROP TABLE assessment_tasks;
DROP TABLE assessment_audit_log;
DROP TABLE assessment_evidence;
DROP TABLE answer_versions;
DROP TABLE assessment_answers;
DROP TABLE assessments;
DROP TABLE systems;
