DROP TABLE jobs;
DROP TABLE redaction_patterns;
DROP TABLE oauth_clients;
DROP TABLE server_settings;
