-- 回访 (3/3): the feedback loop. What patients say (on a callback, to the hotline, by SMS) becomes an
-- item with a class, the department it is about and the one responsible, a deadline, escalation
-- once per level, a resolution, and the patient asked again.

-- The hospital's offices that handle feedback (护理部, 医务科 …) are departments too, of another kind;
-- people belong to departments (a handler, the head who is told when a case is late).
ALTER TABLE department ADD COLUMN kind text NOT NULL DEFAULT 'clinical' CHECK (kind IN ('clinical', 'office'));
CREATE TABLE department_member (
  department_id integer NOT NULL REFERENCES department(id),
  user_id integer NOT NULL REFERENCES app_user(id),
  is_head boolean NOT NULL DEFAULT false,
  PRIMARY KEY (department_id, user_id)
);

-- class × the department the feedback is about (null: any) → the responsible office; first by position
CREATE TABLE feedback_route (
  id serial PRIMARY KEY,
  position integer NOT NULL,
  class text NOT NULL CHECK (class IN ('service', 'medical', 'environment', 'process')),
  subject_department_id integer REFERENCES department(id),
  responsible_department_id integer NOT NULL REFERENCES department(id),
  hours integer NOT NULL DEFAULT 24 CHECK (hours BETWEEN 1 AND 720),
  urgent_hours integer NOT NULL DEFAULT 2 CHECK (urgent_hours BETWEEN 1 AND 720)
);

CREATE TABLE feedback (
  id serial PRIMARY KEY,
  source text NOT NULL CHECK (source IN ('callback', 'agent', 'hotline', 'sms')),
  class text NOT NULL CHECK (class IN ('service', 'medical', 'environment', 'process')),
  subject_department_id integer REFERENCES department(id),
  responsible_department_id integer NOT NULL REFERENCES department(id),
  text text NOT NULL,
  urgent boolean NOT NULL DEFAULT false,
  patient_id integer REFERENCES patient(id),
  stay_id integer REFERENCES stay(id),
  callback_task_id integer REFERENCES callback_task(id),
  attempt_id integer REFERENCES callback_attempt(id),
  call_id bigint REFERENCES call(id) ON DELETE SET NULL,
  work_order_id bigint REFERENCES work_order(id),
  -- open → resolved → closed (patient satisfied) or reopened (not) → resolved …; cannot_resolve goes to the quality office
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'closed', 'reopened', 'cannot_resolve')),
  deadline_at timestamptz NOT NULL,
  escalation_level integer NOT NULL DEFAULT 0,
  resolution text,
  contacted_by text,
  resolved_by integer REFERENCES app_user(id),
  resolved_at timestamptz,
  resolved_in_time boolean,
  follow_up_task_id integer REFERENCES callback_task(id),
  patient_satisfied boolean,
  patient_words text,
  created_by integer REFERENCES app_user(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1
);
CREATE INDEX feedback_queue ON feedback (responsible_department_id, status, deadline_at);
CREATE INDEX feedback_order ON feedback (work_order_id) WHERE work_order_id IS NOT NULL;
-- one item per question answered on one attempt: a resubmitted outcome files nothing twice
CREATE UNIQUE INDEX feedback_attempt_once ON feedback (attempt_id, class, text) WHERE attempt_id IS NOT NULL;

CREATE TABLE feedback_event (
  id serial PRIMARY KEY,
  feedback_id integer NOT NULL REFERENCES feedback(id),
  at timestamptz NOT NULL DEFAULT now(),
  kind text NOT NULL,          -- created, transferred, escalated, resolved, cannot_resolve, work_order, patient_asked, closed, reopened
  user_id integer REFERENCES app_user(id),
  from_department_id integer REFERENCES department(id),
  to_department_id integer REFERENCES department(id),
  note text
);
CREATE INDEX feedback_event_item ON feedback_event (feedback_id, id);

-- The patient asked again after a resolution is a short callback of its own kind; the one-plan-per-stay
-- rule holds for plans only, and such a task needs no rule.
ALTER TABLE callback_task ADD COLUMN kind text NOT NULL DEFAULT 'plan' CHECK (kind IN ('plan', 'follow_up'));
ALTER TABLE callback_task ADD COLUMN feedback_id integer REFERENCES feedback(id);
ALTER TABLE callback_task ALTER COLUMN rule_id DROP NOT NULL;
DROP INDEX callback_task_one_per_stay;
CREATE UNIQUE INDEX callback_task_one_per_stay ON callback_task (stay_id) WHERE status <> 'cancelled' AND kind = 'plan';
CREATE UNIQUE INDEX callback_task_one_follow_up ON callback_task (feedback_id) WHERE status IN ('planned', 'in_progress');

-- the follow-up's questions: the product's own, not a hospital's choice
INSERT INTO callback_template (department_id, name, opening, questions) VALUES (NULL, '反馈处理结果回访',
  '{称呼}您好，我是医院回访中心的。您之前反映的问题，相关科室已经处理了，想听听您的意见。',
  '[{"key":"satisfied","text":"您对处理结果满意吗？","kind":"yes_no","required":true},
    {"key":"solved","text":"问题现在解决了吗？","kind":"yes_no","required":true},
    {"key":"words","text":"您还有什么想说的？","kind":"text","required":false}]'::jsonb);
