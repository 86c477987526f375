-- Intake in one round trip: routing, the choice of assignee and the whole creation of an order live
-- here, next to the data they read, so filing an order costs one call to the database and the daily
-- number counter is locked only for the last moments of the transaction. Returns the order's id and
-- whether it is an earlier order answered again for the same Idempotency-Key. Input errors raise
-- SQLSTATE 22023 with the offending field as the message's first word, so the API can name it.
-- Order numbers past 9999 in a day keep all their digits.
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
