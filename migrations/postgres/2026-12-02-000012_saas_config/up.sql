-- A SaaS connection's saas_config (JSON): how to call the API its dataset's collections live in.
ALTER TABLE connections ADD COLUMN saas_config TEXT;
