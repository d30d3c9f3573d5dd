DROP TABLE messaging_templates;
