-- Rosters: shift types per team, who works which shift on which local day, leave, and the team
-- lead's same-day duty override. Who is on duty at an instant is derived from them (staff_duty), so
-- intake's one database call (create_work_order) picks the assignee from the roster:
--   * a team with no roster entry at all keeps the manual 在岗 flag (staff.on_duty), as before;
--   * a rostered team: on duty = on a shift covering the instant, that shift's day not on leave;
--   * either way a duty override for the local day (the lead ticked or unticked 在岗 today) wins.
-- Shift times are minutes of the local day in the hospital's zone; a shift may cross midnight, and
-- then belongs to the day it starts on (夜班 22:00–06:00 of the 3rd ends at 06:00 on the 4th).

CREATE TABLE shift_type (
  id serial PRIMARY KEY,
  team_id integer NOT NULL REFERENCES team(id),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 20),
  name_en text,
  start_minute integer NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
  end_minute integer NOT NULL CHECK (end_minute BETWEEN 1 AND 1440),
  crosses_midnight boolean NOT NULL DEFAULT false,
  position integer NOT NULL DEFAULT 0,
  -- a shift type used by a roster is retired, not deleted: old rosters keep their meaning
  active boolean NOT NULL DEFAULT true,
  -- a crossing shift ends on the next day no later than it started (equal: 24 hours)
  CONSTRAINT shift_type_ends_after_start CHECK (CASE WHEN crosses_midnight THEN end_minute <= start_minute ELSE end_minute > start_minute END)
);
CREATE UNIQUE INDEX shift_type_team_name ON shift_type (team_id, name) WHERE active;

CREATE TABLE roster_entry (
  id bigserial PRIMARY KEY,
  team_id integer NOT NULL REFERENCES team(id),
  staff_id integer NOT NULL REFERENCES staff(id),
  day date NOT NULL,
  shift_type_id integer NOT NULL REFERENCES shift_type(id),
  updated_by integer REFERENCES app_user(id),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (staff_id, day, shift_type_id)
);
CREATE INDEX roster_entry_team_day ON roster_entry (team_id, day);

CREATE TABLE staff_leave (
  id serial PRIMARY KEY,
  staff_id integer NOT NULL REFERENCES staff(id),
  from_day date NOT NULL,
  to_day date NOT NULL,
  kind text NOT NULL CHECK (kind IN ('leave', 'sick', 'training', 'other')),
  note text NOT NULL DEFAULT '',
  created_by integer REFERENCES app_user(id),
  created_by_name text,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (to_day >= from_day)
);
CREATE INDEX staff_leave_staff ON staff_leave (staff_id, from_day);

-- 在岗 ticked or unticked by hand: holds for that local day only, and says who and when
CREATE TABLE duty_override (
  staff_id integer NOT NULL REFERENCES staff(id),
  day date NOT NULL,
  on_duty boolean NOT NULL,
  set_by integer REFERENCES app_user(id),
  set_by_name text NOT NULL,
  set_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (staff_id, day)
);

-- staff_duty(), and pick_assignee() and create_work_order() choosing by it, are in sql/functions/.
-- The old one-argument pick_assignee is gone (a database made before this migration has it).
DROP FUNCTION IF EXISTS pick_assignee(integer);
