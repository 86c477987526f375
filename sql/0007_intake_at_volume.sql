-- Intake at volume.
-- 1. The assignee is still the on-duty team member with the fewest open orders, but the count stops
--    at 50: past that everyone is equally swamped, and counting thousands of open orders per person
--    made every new order slower than the last while the counter row was held. Bitmap scans are
--    off in here because a bitmap reads every index entry before the LIMIT can stop it.
-- 2. Order numbers past 9999 in a day keep all their digits (lpad cut 10000 back to "1000", a
--    duplicate number).
-- 3. Why an order went where it went is written in Chinese, the hospital's language, as the job
--    sheets are: it is read on the order's timeline and in the admin's "who would get this?".

-- First active rule by position whose every condition matches; none: the item's default team.
CREATE OR REPLACE FUNCTION route_order(p_item integer, p_category integer, p_default_team integer, p_campus integer,
                                       p_building integer, p_zone text, p_at timestamptz, p_tz text)
RETURNS TABLE (team_id integer, service_point_id integer, rule_id integer, reason text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  local_time time := (p_at AT TIME ZONE p_tz)::time;
  r routing_rule%ROWTYPE;
  matched text[];
BEGIN
  SELECT * INTO r FROM routing_rule rr
  WHERE rr.active
    AND (rr.item_id IS NULL OR rr.item_id = p_item)
    AND (rr.category_id IS NULL OR rr.category_id = p_category)
    AND (rr.campus_id IS NULL OR rr.campus_id = p_campus)
    AND (rr.building_id IS NULL OR rr.building_id = p_building)
    AND (rr.zone IS NULL OR rr.zone = p_zone)
    AND (rr.time_from IS NULL
         OR (rr.time_from <= rr.time_to AND local_time >= rr.time_from AND local_time < rr.time_to)
         OR (rr.time_from > rr.time_to AND (local_time >= rr.time_from OR local_time < rr.time_to)))
  ORDER BY rr.position, rr.id
  LIMIT 1;
  IF FOUND THEN
    matched := array_remove(ARRAY[
      CASE WHEN r.item_id IS NOT NULL THEN '服务项目' END,
      CASE WHEN r.category_id IS NOT NULL THEN '类别' END,
      CASE WHEN r.campus_id IS NOT NULL THEN '院区' END,
      CASE WHEN r.building_id IS NOT NULL THEN '楼宇' END,
      CASE WHEN r.zone IS NOT NULL THEN '区域 ' || r.zone END,
      CASE WHEN r.time_from IS NOT NULL THEN '时段 ' || to_char(r.time_from, 'HH24:MI') || '–' || to_char(r.time_to, 'HH24:MI') END], NULL);
    RETURN QUERY SELECT r.team_id, r.service_point_id, r.id,
      format('规则 #%s「%s」命中：%s', r.id, r.name,
             CASE WHEN cardinality(matched) = 0 THEN '兜底规则（无条件）' ELSE array_to_string(matched, '、') END);
  ELSIF p_default_team IS NOT NULL THEN
    RETURN QUERY SELECT p_default_team, (SELECT sp.id FROM service_point sp WHERE sp.team_id = p_default_team ORDER BY sp.id LIMIT 1),
      NULL::integer, '无规则命中：由服务项目的默认班组处理'::text;
  END IF;
END $$;

CREATE OR REPLACE FUNCTION pick_assignee(p_team integer)
RETURNS TABLE (staff_id integer, reason text)
LANGUAGE plpgsql STABLE SET enable_bitmapscan = off AS $$
DECLARE
  chosen record;
BEGIN
  SELECT s.id, s.name, busy.n AS open_orders
  INTO chosen
  FROM staff s
  CROSS JOIN LATERAL (SELECT count(*) AS n FROM (SELECT FROM work_order w
    WHERE w.assignee_id = s.id AND w.status IN ('new', 'dispatched', 'accepted', 'arrived', 'on_hold') LIMIT 50) o) busy
  WHERE s.team_id = p_team AND s.on_duty AND s.active
  ORDER BY 3, s.idle_since, s.id
  LIMIT 1;
  IF FOUND THEN
    RETURN QUERY SELECT chosen.id::integer, format('%s：在岗，未完成 %s 单，负荷相同者中空闲最久',
      chosen.name, CASE WHEN chosen.open_orders >= 50 THEN '50+' ELSE chosen.open_orders::text END);
  ELSE
    RETURN QUERY SELECT NULL::integer, '无人在岗：留在班组待领池'::text;
  END IF;
END $$;

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
  SELECT * INTO v_who FROM pick_assignee(v_route.team_id);

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
