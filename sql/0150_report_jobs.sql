-- Long report exports as jobs (issue 18): a period with many orders is rendered in the background by
-- the runner of whichever instance claims it (FOR UPDATE SKIP LOCKED), with progress over /ws, and the
-- file kept here for a day — in the database, so any instance can hand it out. The weekly summary PDF
-- is a job owned by the system (owner_id NULL), one per week by its key.
CREATE TABLE report_job (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  owner_id      integer REFERENCES app_user(id),
  owner_name    text NOT NULL,
  report        text NOT NULL CHECK (report IN ('kpi', 'weekly-volume', 'chases', 'complaints', 'staff', 'orders', 'feedback')),
  format        text NOT NULL CHECK (format IN ('xlsx', 'pdf')),
  -- the query as asked: { from, to, teamId, lang } (local days of the hospital)
  query         jsonb NOT NULL,
  status        text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
  rows_done     integer NOT NULL DEFAULT 0,
  rows_total    integer NOT NULL DEFAULT 0,
  file_name     text NOT NULL,
  file_bytes    bytea,
  file_size     integer,
  error         text,
  -- the system's weekly summary: the Monday its week starts on, once
  weekly_key    date UNIQUE,
  -- who runs it now (instance and claim), and when it last showed life: a crashed run is requeued
  claim         text,
  attempts      integer NOT NULL DEFAULT 0,
  heartbeat_at  timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  started_at    timestamptz,
  finished_at   timestamptz,
  expires_at    timestamptz
);
CREATE INDEX report_job_queued ON report_job (id) WHERE status = 'queued';
CREATE INDEX report_job_running ON report_job (heartbeat_at) WHERE status = 'running';
CREATE INDEX report_job_owner ON report_job (owner_id, id DESC);
CREATE INDEX report_job_kept ON report_job (expires_at) WHERE file_bytes IS NOT NULL;

-- a notice can point at a report to download (the weekly summary)
ALTER TABLE notification ADD COLUMN report_job_id bigint REFERENCES report_job(id);
