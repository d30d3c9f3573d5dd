-- Pruning finished jobs past their retention scans by status and finish time.
CREATE INDEX jobs_finished_idx ON jobs (status, finished_at);
