-- Calls in and out of the hotline, as the PBX reports them (or as an operator logs them by hand
-- while the PBX is down). Keyed by the PBX's Linkedid, which every leg of one call shares.
CREATE TABLE call (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  linkedid         text UNIQUE,
  direction        text NOT NULL CHECK (direction IN ('in', 'out')),
  caller_number    text,
  caller_name      text,
  callee_number    text,
  operator_user_id integer REFERENCES app_user(id),
  operator_device  text,
  state            text NOT NULL CHECK (state IN ('ringing', 'answered', 'ended', 'missed', 'dialing', 'failed')),
  outcome          text CHECK (outcome IN ('answered', 'missed', 'busy', 'no_answer', 'failed')),
  hangup_cause     integer,
  hangup_cause_text text,
  started_at       timestamptz NOT NULL DEFAULT now(),
  answered_at      timestamptz,
  ended_at         timestamptz,
  duration_sec     integer,
  recording_file   text,
  recording_deleted_at timestamptz,
  work_order_id    bigint REFERENCES work_order(id),
  manual           boolean NOT NULL DEFAULT false,
  note             text,
  created_by       integer REFERENCES app_user(id)
);
CREATE INDEX call_started ON call (started_at);
CREATE INDEX call_caller ON call (caller_number, started_at);
CREATE INDEX call_missed ON call (started_at) WHERE state = 'missed';
CREATE INDEX call_recording_retention ON call (ended_at) WHERE recording_file IS NOT NULL AND recording_deleted_at IS NULL;
