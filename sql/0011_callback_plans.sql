-- Callback plans (回访计划): versioned question templates, rules department × scenario, and one task
-- per stay with its due day, call windows and who calls.

-- A template is never changed in place: a new version is a new row, so an answer keeps the wording it
-- was asked with. questions: [{key, text, kind: scale|yes_no|choice|text, options?, required, urgentWhen?, feedbackClass?}]
CREATE TABLE callback_template (
  id serial PRIMARY KEY,
  department_id integer REFERENCES department(id),
  name text NOT NULL,
  version integer NOT NULL DEFAULT 1,
  opening text NOT NULL,                     -- placeholders {称呼} {科室} {天数} {医生} {手术} {诊断}
  questions jsonb NOT NULL CHECK (jsonb_typeof(questions) = 'array' AND jsonb_array_length(questions) BETWEEN 3 AND 7),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (name, version)
);

-- First active rule by position whose conditions all match; a department's default rule matches any stay.
CREATE TABLE callback_rule (
  id serial PRIMARY KEY,
  department_id integer NOT NULL REFERENCES department(id),
  position integer NOT NULL,
  name text NOT NULL,
  scenario text NOT NULL,                    -- 术后, 慢病, 产后 …
  is_default boolean NOT NULL DEFAULT false,
  match_codes text[] NOT NULL DEFAULT '{}',  -- procedure or diagnosis code prefixes
  match_keywords text[] NOT NULL DEFAULT '{}', -- words in procedure or diagnosis text
  patient_class text,
  age_min integer,
  age_max integer,
  day_offset integer NOT NULL CHECK (day_offset BETWEEN 0 AND 365),
  windows jsonb NOT NULL,                    -- [{"from":"09:00","to":"11:30"}, …] local time
  priority integer NOT NULL DEFAULT 3 CHECK (priority BETWEEN 1 AND 5),
  template_id integer NOT NULL REFERENCES callback_template(id),
  exclude_dispositions text[] NOT NULL DEFAULT '{died,transferred}',
  active boolean NOT NULL DEFAULT true,
  version integer NOT NULL DEFAULT 1
);
CREATE INDEX callback_rule_department ON callback_rule (department_id, position);

CREATE TABLE callback_task (
  id serial PRIMARY KEY,
  stay_id integer NOT NULL REFERENCES stay(id),
  patient_id integer NOT NULL REFERENCES patient(id),
  department_id integer REFERENCES department(id),
  rule_id integer NOT NULL REFERENCES callback_rule(id),
  template_id integer NOT NULL REFERENCES callback_template(id),
  due_date date NOT NULL,                    -- local day in the hospital's time zone
  due_at timestamptz NOT NULL,               -- the first window's start on that day
  windows jsonb NOT NULL,
  priority integer NOT NULL,
  status text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'in_progress', 'done', 'cancelled', 'unreachable')),
  phone text,                                -- the number to call, kept in step with the patient's phones
  no_number boolean NOT NULL DEFAULT false,  -- for the supervisor: the HIS sent no usable number
  assigned_user_id integer REFERENCES app_user(id),
  cancel_reason text,
  plan_reason text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- one live plan per stay (a cancelled one stays for the record)
CREATE UNIQUE INDEX callback_task_one_per_stay ON callback_task (stay_id) WHERE status <> 'cancelled';
CREATE INDEX callback_task_due ON callback_task (due_date, status);
CREATE INDEX callback_task_agent ON callback_task (assigned_user_id, due_date);
