DROP INDEX jobs_due_idx;
