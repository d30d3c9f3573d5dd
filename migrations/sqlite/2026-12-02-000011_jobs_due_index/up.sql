-- Claims take the oldest due job in index order instead of sorting every due job.
CREATE INDEX jobs_due_idx ON jobs (status, run_at, created_at);
