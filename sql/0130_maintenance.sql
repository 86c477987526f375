-- Preventive maintenance: a small register of assets (lift, chiller, medical gas station,
-- generator …), recurring schedules written as an iCalendar RRULE on the hospital's local dates,
-- and the occurrences they produce. An occurrence is filed as a work order `lead_days` ahead;
-- UNIQUE (schedule_id, due_at) keeps it to one, however many instances sweep at once.

CREATE TABLE asset (
  id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code        text NOT NULL UNIQUE CHECK (code ~ '\S'),
  name        text NOT NULL CHECK (name ~ '\S'),
  kind        text NOT NULL CHECK (kind IN ('lift', 'chiller', 'medical_gas', 'generator', 'other')),
  location_id integer NOT NULL REFERENCES location(id),
  active      boolean NOT NULL DEFAULT true,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE pm_schedule (
  id           integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  title        text NOT NULL CHECK (title ~ '\S'),
  asset_id     integer REFERENCES asset(id),
  -- the place the order is for: the asset's when there is one
  location_id  integer NOT NULL REFERENCES location(id),
  -- a catalogue item, so the order routes like any other
  item_id      integer NOT NULL REFERENCES item(id),
  -- one RFC 5545 RRULE line (FREQ=MONTHLY;BYMONTHDAY=1;COUNT=24), on local dates; COUNT or UNTIL required
  rrule        text NOT NULL,
  -- the first local day and the local time of day each occurrence is due at
  start_day    date NOT NULL,
  time_of_day  text NOT NULL CHECK (time_of_day ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
  lead_days    integer NOT NULL DEFAULT 7 CHECK (lead_days BETWEEN 0 AND 90),
  checklist    jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(checklist) = 'array'),
  active       boolean NOT NULL DEFAULT true,
  created_by   integer REFERENCES app_user(id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pm_schedule_asset ON pm_schedule (asset_id);

-- planned: known, not yet filed; generated: its work order is filed (done is read from the order's
-- status when asked, not written here); skipped: not to be done, with the reason
CREATE TABLE pm_occurrence (
  id             integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  schedule_id    integer NOT NULL REFERENCES pm_schedule(id),
  due_at         timestamptz NOT NULL,
  work_order_id  bigint REFERENCES work_order(id),
  status         text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'generated', 'done', 'skipped')),
  skipped_reason text,
  skipped_by     integer REFERENCES app_user(id),
  skipped_at     timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (schedule_id, due_at),
  CHECK (status <> 'skipped' OR skipped_reason ~ '\S')
);
CREATE INDEX pm_occurrence_due ON pm_occurrence (due_at);
CREATE INDEX pm_occurrence_planned ON pm_occurrence (due_at) WHERE status = 'planned';
CREATE UNIQUE INDEX pm_occurrence_work_order ON pm_occurrence (work_order_id) WHERE work_order_id IS NOT NULL;
