ALTER TABLE connections DROP COLUMN saas_config;
