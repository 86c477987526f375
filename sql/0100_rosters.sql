-- Rosters: shift types per team, who works which shift on which local day, leave, and the team
-- lead's same-day duty override. Who is on duty at an instant is derived here (staff_duty), so
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

-- Every active or inactive person of a team (p_team NULL: of all teams) and whether they are on
-- duty at p_at; source says why: override, manual, leave, roster, off_roster, inactive.
CREATE FUNCTION staff_duty(p_team integer, p_at timestamptz, p_tz text)
RETURNS TABLE (staff_id integer, team_id integer, on_duty boolean, source text, shift_type_id integer, shift_name text, shift_day date)
LANGUAGE sql STABLE AS $$
  WITH now_local AS (SELECT (p_at AT TIME ZONE p_tz) AS ts, (p_at AT TIME ZONE p_tz)::date AS day)
  SELECT s.id, s.team_id,
    CASE WHEN NOT s.active THEN false
         WHEN o.on_duty IS NOT NULL THEN o.on_duty
         WHEN NOT rostered.yes THEN s.on_duty AND NOT away.today
         ELSE sh.id IS NOT NULL AND NOT sh.on_leave END,
    CASE WHEN NOT s.active THEN 'inactive'
         WHEN o.on_duty IS NOT NULL THEN CASE WHEN rostered.yes THEN 'override' ELSE 'manual' END
         WHEN NOT rostered.yes THEN CASE WHEN s.on_duty AND away.today THEN 'leave' ELSE 'manual' END
         WHEN sh.id IS NULL THEN 'off_roster'
         WHEN sh.on_leave THEN 'leave'
         ELSE 'roster' END,
    sh.id, sh.name, sh.day
  FROM staff s
  CROSS JOIN now_local n
  LEFT JOIN duty_override o ON o.staff_id = s.id AND o.day = n.day
  CROSS JOIN LATERAL (SELECT EXISTS (SELECT 1 FROM roster_entry r WHERE r.team_id = s.team_id) AS yes) rostered
  CROSS JOIN LATERAL (SELECT EXISTS (SELECT 1 FROM staff_leave l WHERE l.staff_id = s.id AND n.day BETWEEN l.from_day AND l.to_day) AS today) away
  LEFT JOIN LATERAL (
    SELECT st.id, st.name, r.day,
      EXISTS (SELECT 1 FROM staff_leave l WHERE l.staff_id = s.id AND r.day BETWEEN l.from_day AND l.to_day) AS on_leave
    FROM roster_entry r JOIN shift_type st ON st.id = r.shift_type_id
    WHERE r.staff_id = s.id AND r.day BETWEEN n.day - 1 AND n.day
      AND r.day + make_interval(mins => st.start_minute) <= n.ts
      AND r.day + make_interval(mins => st.end_minute + CASE WHEN st.crosses_midnight THEN 1440 ELSE 0 END) > n.ts
    ORDER BY 4, r.day DESC, st.start_minute
    LIMIT 1) sh ON true
  WHERE p_team IS NULL OR s.team_id = p_team
$$;

-- The assignee, as sql/0007 chose it (fewest open orders counted up to 50, then longest idle),
-- among the people on duty at p_at by the roster.
CREATE FUNCTION pick_assignee(p_team integer, p_at timestamptz, p_tz text)
RETURNS TABLE (staff_id integer, reason text)
LANGUAGE plpgsql STABLE SET enable_bitmapscan = off AS $$
DECLARE
  chosen record;
BEGIN
  SELECT s.id, s.name, busy.n AS open_orders, d.source, d.shift_name
  INTO chosen
  FROM staff_duty(p_team, p_at, p_tz) d
  JOIN staff s ON s.id = d.staff_id
  CROSS JOIN LATERAL (SELECT count(*) AS n FROM (SELECT FROM work_order w
    WHERE w.assignee_id = s.id AND w.status IN ('new', 'dispatched', 'accepted', 'arrived', 'on_hold') LIMIT 50) o) busy
  WHERE d.on_duty
  ORDER BY 3, s.idle_since, s.id
  LIMIT 1;
  IF FOUND THEN
    RETURN QUERY SELECT chosen.id::integer, format('%s：%s，未完成 %s 单，负荷相同者中空闲最久', chosen.name,
      CASE chosen.source WHEN 'roster' THEN '排班在岗（' || chosen.shift_name || '）' WHEN 'override' THEN '当日手动设为在岗' ELSE '在岗' END,
      CASE WHEN chosen.open_orders >= 50 THEN '50+' ELSE chosen.open_orders::text END);
  ELSE
    RETURN QUERY SELECT NULL::integer, '无人在岗：留在班组待领池'::text;
  END IF;
END $$;

-- Intake as sql/0007 wrote it, but the assignee is on duty by the roster.
CREATE OR REPLACE FUNCTION create_work_order(p jsonb, p_actor_id integer, p_actor_name text, p_tz text)
RETURNS TABLE (id bigint, replayed boolean)
LANGUAGE plpgsql AS $$
DECLARE
  v_key text := p->>'idempotencyKey';
  v_item item%ROWTYPE;
  v_loc location%ROWTYPE;
  v_now timestamptz := now();
  v_requested timestamptz := coalesce((p->>'requestedAt')::timestamptz, now());
  v_booked boolean;
  v_start timestamptz;
  v_u integer;
  v_route record;
  v_who record;
  v_day date;
  v_seq integer;
  v_order work_order%ROWTYPE;
BEGIN
  IF v_key IS NOT NULL THEN
    RETURN QUERY SELECT w.id, true FROM work_order w WHERE w.created_by = p_actor_id AND w.idempotency_key = v_key;
    IF FOUND THEN RETURN; END IF;
  END IF;
  SELECT * INTO v_item FROM item i WHERE i.id = (p->>'itemId')::integer AND i.active;
  IF NOT FOUND THEN RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = format('itemId: no catalogue item %s', p->>'itemId'); END IF;
  SELECT * INTO v_loc FROM location l WHERE l.id = (p->>'locationId')::integer AND l.active;
  IF NOT FOUND THEN RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = format('locationId: no location %s', p->>'locationId'); END IF;

  v_booked := v_requested > v_now;
  v_start := CASE WHEN v_booked THEN v_requested ELSE v_now END;
  v_u := array_position(ARRAY['routine', 'urgent', 'critical'], p->>'urgency');
  SELECT * INTO v_route FROM route_order(v_item.id, v_item.category_id, v_item.default_team_id,
    coalesce(v_loc.campus_id, CASE WHEN v_loc.kind = 'campus' THEN v_loc.id END),
    coalesce(v_loc.building_id, CASE WHEN v_loc.kind = 'building' THEN v_loc.id END), v_loc.zone, v_start, p_tz);
  IF v_route.team_id IS NULL THEN RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = format('itemId: no routing rule or default team for item %s', v_item.id); END IF;
  -- on duty by the roster now (dutyAt: the clock of the app, which tests move)
  SELECT * INTO v_who FROM pick_assignee(v_route.team_id, coalesce((p->>'dutyAt')::timestamptz, v_now), p_tz);

  -- the counter row is the one hot row of intake: take it last, hold it for the shortest time
  v_day := (v_now AT TIME ZONE p_tz)::date;
  INSERT INTO order_counter AS c (day, last) VALUES (v_day, 1)
    ON CONFLICT (day) DO UPDATE SET last = c.last + 1 RETURNING c.last INTO v_seq;

  INSERT INTO work_order (number, item_id, category_id, location_id, description, requester_name, requester_phone,
    requester_extension, requested_at, booked, urgency, tools, source, call_id, team_id, service_point_id, assignee_id,
    routing_rule_id, routing_reason, status, created_by, created_at, dispatched_at, response_due_at, due_at, idempotency_key)
  VALUES ('WO-' || to_char(v_day, 'YYYYMMDD') || '-' || lpad(v_seq::text, greatest(4, length(v_seq::text)), '0'), v_item.id, v_item.category_id, v_loc.id,
    coalesce(p->>'description', ''), p->'requester'->>'name', p->'requester'->>'phone', p->'requester'->>'extension',
    v_requested, v_booked, p->>'urgency',
    coalesce((SELECT array_agg(t) FROM jsonb_array_elements_text(p->'tools') t), v_item.tools),
    coalesce(p->>'source', 'phone'), p->>'callId', v_route.team_id, v_route.service_point_id, v_who.staff_id,
    v_route.rule_id, v_route.reason || '；' || v_who.reason, 'dispatched', p_actor_id, v_now, v_now,
    v_start + make_interval(mins => v_item.response_minutes[v_u]), v_start + make_interval(mins => v_item.completion_minutes[v_u]), v_key)
  ON CONFLICT (created_by, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
  RETURNING * INTO v_order;
  IF v_order.id IS NULL THEN
    -- the same key was committed by a concurrent retry meanwhile: answer with that order (this
    -- attempt's counter increment is undone with the rest of the statement)
    RAISE EXCEPTION USING ERRCODE = '40001', MESSAGE = 'idempotency key taken concurrently';
  END IF;

  IF v_who.staff_id IS NOT NULL THEN UPDATE staff SET idle_since = v_now WHERE staff.id = v_who.staff_id; END IF;
  INSERT INTO work_order_event (work_order_id, at, kind, actor_user_id, actor_name, from_status, to_status, note, call_id) VALUES
    (v_order.id, v_now, 'created', p_actor_id, p_actor_name, NULL, 'new', nullif(v_order.description, ''), v_order.call_id),
    (v_order.id, v_now, 'dispatched', p_actor_id, p_actor_name, 'new', 'dispatched', v_order.routing_reason, NULL);
  PERFORM pg_notify('hotline_live', json_build_object('type', 'workorder.created', 'at', v_now, 'data', json_build_object(
    'id', v_order.id, 'number', v_order.number, 'status', v_order.status, 'version', v_order.version, 'teamId', v_order.team_id,
    'assigneeId', v_order.assignee_id, 'chaseCount', v_order.chase_count, 'escalationLevel', v_order.escalation_level))::text);
  RETURN QUERY SELECT v_order.id, false;
END $$;

DROP FUNCTION pick_assignee(integer);
