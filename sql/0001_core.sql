-- Hotline 100 core schema: the hospital's places and people, the catalogue, routing, work orders.
-- Plain SQL that PostgreSQL 15 (production) and PGlite / PostgreSQL 18 (embedded) both accept.

-- Places: campus → building → floor → room/ward. campus_id and building_id are copied down the
-- tree on insert so routing and KPIs filter by them without recursive queries.
CREATE TABLE location (
  id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  parent_id   integer REFERENCES location(id),
  kind        text NOT NULL CHECK (kind IN ('campus', 'building', 'floor', 'room', 'ward', 'area')),
  name        text NOT NULL,
  name_en     text,
  full_name   text NOT NULL,
  campus_id   integer REFERENCES location(id),
  building_id integer REFERENCES location(id),
  zone        text,
  active      boolean NOT NULL DEFAULT true
);
CREATE INDEX location_parent ON location (parent_id);

-- A phone extension is how the hotline recognises the caller's ward.
CREATE TABLE extension (
  number      text PRIMARY KEY,
  location_id integer NOT NULL REFERENCES location(id),
  label       text
);
CREATE INDEX extension_location ON extension (location_id);

CREATE TABLE team (
  id      integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code    text NOT NULL UNIQUE,
  name    text NOT NULL,
  name_en text NOT NULL,
  lead_staff_id integer
);

-- 服务网点: where a team's job sheets are printed.
CREATE TABLE service_point (
  id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  team_id     integer NOT NULL REFERENCES team(id),
  name        text NOT NULL,
  name_en     text,
  location_id integer REFERENCES location(id)
);

CREATE TABLE staff (
  id        integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  team_id   integer NOT NULL REFERENCES team(id),
  name      text NOT NULL,
  phone     text,
  skills    text[] NOT NULL DEFAULT '{}',
  on_duty   boolean NOT NULL DEFAULT false,
  -- when this person last finished or was given work: the tie-breaker "longest idle"
  idle_since timestamptz NOT NULL DEFAULT now(),
  active    boolean NOT NULL DEFAULT true
);
CREATE INDEX staff_team ON staff (team_id) WHERE active;
ALTER TABLE team ADD CONSTRAINT team_lead_fk FOREIGN KEY (lead_staff_id) REFERENCES staff(id);

CREATE TABLE app_user (
  id            integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username      text NOT NULL UNIQUE,
  display_name  text NOT NULL,
  password_hash text NOT NULL,
  role          text NOT NULL CHECK (role IN ('operator', 'technician', 'team_lead', 'manager', 'callback_agent', 'dept_handler', 'admin')),
  staff_id      integer REFERENCES staff(id),
  team_id       integer REFERENCES team(id),
  phone_device  text,
  active        boolean NOT NULL DEFAULT true,
  failed_logins integer NOT NULL DEFAULT 0,
  locked_until  timestamptz
);

CREATE TABLE user_session (
  token_hash text PRIMARY KEY,
  user_id    integer NOT NULL REFERENCES app_user(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX user_session_user ON user_session (user_id);

CREATE TABLE category (
  id      integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code    text NOT NULL UNIQUE,
  name    text NOT NULL,
  name_en text NOT NULL,
  sort    integer NOT NULL DEFAULT 0
);

-- Time limits are minutes per urgency: routine / urgent / critical.
CREATE TABLE item (
  id              integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  category_id     integer NOT NULL REFERENCES category(id),
  code            text NOT NULL UNIQUE,
  name            text NOT NULL,
  name_en         text NOT NULL,
  pinyin          text NOT NULL DEFAULT '',
  default_team_id integer REFERENCES team(id),
  response_minutes   integer[] NOT NULL CHECK (cardinality(response_minutes) = 3),
  completion_minutes integer[] NOT NULL CHECK (cardinality(completion_minutes) = 3),
  tools           text[] NOT NULL DEFAULT '{}',
  script          text NOT NULL DEFAULT '',
  active          boolean NOT NULL DEFAULT true
);
CREATE INDEX item_category ON item (category_id);

-- Ordered routing rules; the first active match wins, a rule with no conditions is the fallback.
-- A time window may wrap midnight (22:00–06:00).
CREATE TABLE routing_rule (
  id               integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  position         integer NOT NULL,
  name             text NOT NULL,
  category_id      integer REFERENCES category(id),
  item_id          integer REFERENCES item(id),
  campus_id        integer REFERENCES location(id),
  building_id      integer REFERENCES location(id),
  zone             text,
  time_from        time,
  time_to          time,
  team_id          integer NOT NULL REFERENCES team(id),
  service_point_id integer REFERENCES service_point(id),
  active           boolean NOT NULL DEFAULT true,
  version          integer NOT NULL DEFAULT 1,
  CHECK ((time_from IS NULL) = (time_to IS NULL))
);

-- Daily human order numbers WO-YYYYMMDD-NNNN, counted per local date.
CREATE TABLE order_counter (
  day  date PRIMARY KEY,
  last integer NOT NULL
);

CREATE TABLE work_order (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  number           text NOT NULL UNIQUE,
  item_id          integer NOT NULL REFERENCES item(id),
  category_id      integer NOT NULL REFERENCES category(id),
  location_id      integer NOT NULL REFERENCES location(id),
  description      text NOT NULL DEFAULT '',
  requester_name   text NOT NULL,
  requester_phone  text,
  requester_extension text,
  requested_at     timestamptz NOT NULL,
  booked           boolean NOT NULL DEFAULT false,
  urgency          text NOT NULL CHECK (urgency IN ('routine', 'urgent', 'critical')),
  tools            text[] NOT NULL DEFAULT '{}',
  source           text NOT NULL DEFAULT 'phone' CHECK (source IN ('phone', 'walk_in', 'web', 'import')),
  call_id          text,
  team_id          integer NOT NULL REFERENCES team(id),
  service_point_id integer REFERENCES service_point(id),
  assignee_id      integer REFERENCES staff(id),
  routing_rule_id  integer REFERENCES routing_rule(id),
  routing_reason   text NOT NULL DEFAULT '',
  status           text NOT NULL CHECK (status IN ('new', 'dispatched', 'accepted', 'arrived', 'on_hold', 'completed', 'closed', 'cancelled')),
  -- where an on_hold order resumes to
  held_from        text,
  hold_reason      text,
  cancel_reason    text,
  created_by       integer REFERENCES app_user(id),
  created_at       timestamptz NOT NULL DEFAULT now(),
  dispatched_at    timestamptz,
  accepted_at      timestamptz,
  arrived_at       timestamptz,
  completed_at     timestamptz,
  closed_at        timestamptz,
  cancelled_at     timestamptz,
  response_due_at  timestamptz NOT NULL,
  due_at           timestamptz NOT NULL,
  chase_count      integer NOT NULL DEFAULT 0,
  rework_count     integer NOT NULL DEFAULT 0,
  escalation_level integer NOT NULL DEFAULT 0,
  printed_at       timestamptz,
  rating_score     smallint CHECK (rating_score BETWEEN 1 AND 5),
  rating_comment   text,
  rated_at         timestamptz,
  completion_note  text,
  completed_by     integer REFERENCES staff(id),
  -- a retried POST with the same Idempotency-Key from the same user gets this order back
  idempotency_key  text,
  version          integer NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX work_order_idempotency ON work_order (created_by, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX work_order_open ON work_order (status, team_id) WHERE status NOT IN ('closed', 'cancelled');
CREATE INDEX work_order_assignee_open ON work_order (assignee_id) WHERE status NOT IN ('completed', 'closed', 'cancelled');
CREATE INDEX work_order_created ON work_order (created_at);
CREATE INDEX work_order_completed ON work_order (completed_at) WHERE completed_at IS NOT NULL;
CREATE INDEX work_order_arrived ON work_order (arrived_at) WHERE arrived_at IS NOT NULL;
CREATE INDEX work_order_rated ON work_order (rated_at) WHERE rated_at IS NOT NULL;
CREATE INDEX work_order_requester_ext ON work_order (requester_extension, created_at);
CREATE INDEX work_order_call ON work_order (call_id) WHERE call_id IS NOT NULL;

-- The append-only story of an order: every transition, chase, escalation and print.
CREATE TABLE work_order_event (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  work_order_id bigint NOT NULL REFERENCES work_order(id),
  at            timestamptz NOT NULL DEFAULT now(),
  kind          text NOT NULL,
  actor_user_id integer REFERENCES app_user(id),
  actor_name    text,
  from_status   text,
  to_status     text,
  note          text,
  call_id       text,
  data          jsonb
);
CREATE INDEX work_order_event_order ON work_order_event (work_order_id, id);

-- In-app notices for people (assignee, team lead, manager): chases and escalations.
CREATE TABLE notification (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id       integer NOT NULL REFERENCES app_user(id),
  work_order_id bigint REFERENCES work_order(id),
  kind          text NOT NULL,
  message       text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  read_at       timestamptz
);
CREATE INDEX notification_user ON notification (user_id, id);
