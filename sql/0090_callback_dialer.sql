-- 回访 (2/3): the agent's day. Attempts of each task (one open per task and per agent: two agents
-- racing for one task, or one agent dialled twice, is a unique violation, not a double call), the
-- agent's chosen state, the retry policy, and the do-not-call list.

ALTER TABLE callback_task
  ADD COLUMN attempts integer NOT NULL DEFAULT 0,            -- calls that rang the patient's side
  ADD COLUMN next_attempt_at timestamptz,                    -- null: as soon as a window opens on the due day
  ADD COLUMN phone_position integer,                         -- the patient's phone to try next (null: the first)
  ADD COLUMN skip_phones integer[] NOT NULL DEFAULT '{}',    -- phones found invalid or not the patient's
  ADD COLUMN appointment_at timestamptz,                     -- "call me back at …": replaces the windows
  ADD COLUMN outcome text CHECK (outcome IN ('completed', 'refused', 'readmitted', 'deceased', 'unreachable', 'do_not_call')),
  ADD COLUMN answers jsonb,
  ADD COLUMN completed_at timestamptz,
  ADD COLUMN completed_by integer REFERENCES app_user(id);
CREATE INDEX callback_task_next ON callback_task (status, due_date, next_attempt_at);

CREATE TABLE callback_attempt (
  id serial PRIMARY KEY,
  task_id integer NOT NULL REFERENCES callback_task(id),
  agent_user_id integer NOT NULL REFERENCES app_user(id),
  call_id bigint REFERENCES call(id) ON DELETE SET NULL,
  phone_position integer NOT NULL,
  phone_use text NOT NULL,
  progressive boolean NOT NULL,
  started_at timestamptz NOT NULL,
  answered_at timestamptz,
  ended_at timestamptz,
  wrap_up_until timestamptz,
  outcome text,                                              -- the PBX's: answered, no_answer, busy …
  disposition text CHECK (disposition IN ('completed', 'no_answer', 'busy', 'invalid_number', 'unreachable', 'refused', 'wrong_person', 'call_back_later', 'readmitted', 'deceased', 'agent_missed')),
  disposed_at timestamptz,
  notes text,
  answers jsonb,
  talk_sec integer,
  wrap_sec integer
);
CREATE UNIQUE INDEX callback_attempt_open_task ON callback_attempt (task_id) WHERE disposed_at IS NULL;
CREATE UNIQUE INDEX callback_attempt_open_agent ON callback_attempt (agent_user_id) WHERE disposed_at IS NULL;
CREATE INDEX callback_attempt_call ON callback_attempt (call_id);
CREATE INDEX callback_attempt_agent_day ON callback_attempt (agent_user_id, started_at);

-- What the agent chose; dialling, talking and wrap-up are read from the open attempt.
CREATE TABLE callback_agent (
  user_id integer PRIMARY KEY REFERENCES app_user(id),
  state text NOT NULL DEFAULT 'offline' CHECK (state IN ('offline', 'ready', 'paused')),
  reason text CHECK (reason IN ('break', 'training', 'meeting', 'other', 'phone')),
  since timestamptz NOT NULL DEFAULT now()
);

-- One global row (department_id null) and any department's own.
CREATE TABLE callback_policy (
  id serial PRIMARY KEY,
  department_id integer REFERENCES department(id),
  max_attempts integer NOT NULL DEFAULT 3 CHECK (max_attempts BETWEEN 1 AND 10),
  no_answer_minutes integer NOT NULL DEFAULT 120 CHECK (no_answer_minutes BETWEEN 1 AND 10080),
  busy_minutes integer NOT NULL DEFAULT 15 CHECK (busy_minutes BETWEEN 1 AND 10080),
  unreachable_minutes integer NOT NULL DEFAULT 0 CHECK (unreachable_minutes BETWEEN 0 AND 10080), -- 0: the next window
  give_up_days integer NOT NULL DEFAULT 3 CHECK (give_up_days BETWEEN 0 AND 60),
  wrap_up_seconds integer NOT NULL DEFAULT 30 CHECK (wrap_up_seconds BETWEEN 0 AND 600),
  version integer NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX callback_policy_department ON callback_policy (coalesce(department_id, 0));
INSERT INTO callback_policy (department_id) VALUES (NULL);

-- A refusal ("不要再打了") for a patient or one number; lifted by an administrator with a reason.
CREATE TABLE do_not_call (
  id serial PRIMARY KEY,
  patient_id integer REFERENCES patient(id),
  number text,
  reason text NOT NULL,
  added_by integer REFERENCES app_user(id),
  added_at timestamptz NOT NULL DEFAULT now(),
  lifted_by integer REFERENCES app_user(id),
  lifted_at timestamptz,
  lift_reason text,
  CHECK (patient_id IS NOT NULL OR number IS NOT NULL)
);
CREATE UNIQUE INDEX do_not_call_number ON do_not_call (number) WHERE lifted_at IS NULL AND number IS NOT NULL;
CREATE UNIQUE INDEX do_not_call_patient ON do_not_call (patient_id) WHERE lifted_at IS NULL AND number IS NULL;
