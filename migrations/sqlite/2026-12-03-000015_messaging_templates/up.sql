-- The subject and body of each email Lethe sends data subjects, one row per type; a type
-- without a row is sent with Lethe's default wording.
CREATE TABLE messaging_templates (
    template_type TEXT PRIMARY KEY NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
