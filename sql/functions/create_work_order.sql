-- Intake in one round trip: routing, the choice of assignee and the whole creation of an order live
-- here, next to the data they read, so filing an order costs one call to the database and the daily
-- number counter is locked only for the last moments of the transaction. Returns the order's id and
-- whether it is an earlier order answered again for the same Idempotency-Key. Input errors raise
-- SQLSTATE 22023 with the offending field as the message's first word, so the API can name it.
-- Order numbers past 9999 in a day keep all their digits.
-- A booking (p.bookedFor, sql/0120): a future slot boundary of the routed team with a place free to
-- the order's urgency (booking_slot: routine orders leave the reserve alone until it is released),
-- judged under a lock per team and slot so concurrent desks cannot overfill it; a full slot raises
-- SQLSTATE HL409. The order then waits (status new, nobody assigned) for the bookings sweep.
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
  v_clock timestamptz := coalesce((p->>'dutyAt')::timestamptz, now());
  v_booked_for timestamptz := (p->>'bookedFor')::timestamptz;
  v_settings team_booking%ROWTYPE;
  v_slot record;
BEGIN
  IF v_key IS NOT NULL THEN
    RETURN QUERY SELECT w.id, true FROM work_order w WHERE w.created_by = p_actor_id AND w.idempotency_key = v_key;
    IF FOUND THEN RETURN; END IF;
  END IF;
  SELECT * INTO v_item FROM item i WHERE i.id = (p->>'itemId')::integer AND i.active;
  IF NOT FOUND THEN RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = format('itemId: no catalogue item %s', p->>'itemId'); END IF;
  SELECT * INTO v_loc FROM location l WHERE l.id = (p->>'locationId')::integer AND l.active;
  IF NOT FOUND THEN RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = format('locationId: no location %s', p->>'locationId'); END IF;

  IF v_booked_for IS NOT NULL THEN v_requested := v_booked_for; END IF;
  v_booked := v_requested > v_now OR v_booked_for IS NOT NULL;
  v_start := CASE WHEN v_booked THEN v_requested ELSE v_now END;
  v_u := array_position(ARRAY['routine', 'urgent', 'critical'], p->>'urgency');
  SELECT * INTO v_route FROM route_order(v_item.id, v_item.category_id, v_item.default_team_id,
    coalesce(v_loc.campus_id, CASE WHEN v_loc.kind = 'campus' THEN v_loc.id END),
    coalesce(v_loc.building_id, CASE WHEN v_loc.kind = 'building' THEN v_loc.id END), v_loc.zone,
    -- a time-of-day rule (夜间维修 22:00–07:00) by the app's clock, as who is on duty is
    CASE WHEN v_booked THEN v_requested ELSE v_clock END, p_tz);
  IF v_route.team_id IS NULL THEN RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = format('itemId: no routing rule or default team for item %s', v_item.id); END IF;
  IF v_booked_for IS NOT NULL THEN
    -- FOR SHARE: a change of the team's settings waits for the bookings being judged by the old ones
    SELECT * INTO v_settings FROM team_booking b WHERE b.team_id = v_route.team_id FOR SHARE;
    IF NOT FOUND THEN RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = format('bookedFor: team %s takes no bookings', v_route.team_id),
      DETAIL = format('%s不接受预约', (SELECT t.name FROM team t WHERE t.id = v_route.team_id)); END IF;
    IF v_booked_for <= v_clock THEN RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'bookedFor: the slot has already begun: choose one in the future',
      DETAIL = '预约时段已经开始或已过去：请选择将来的时段'; END IF;
    IF NOT is_slot_start(v_booked_for, v_settings.slot_minutes, p_tz) THEN RAISE EXCEPTION USING ERRCODE = '22023',
      MESSAGE = format('bookedFor: not the start of a slot (slots are %s minutes from midnight)', v_settings.slot_minutes),
      DETAIL = format('预约时间必须是时段的开始（每 %s 分钟一个时段，从零点起）', v_settings.slot_minutes); END IF;
    PERFORM pg_advisory_xact_lock(v_route.team_id, floor(extract(epoch FROM v_booked_for) / 60)::integer);
    SELECT * INTO v_slot FROM booking_slot(v_route.team_id, v_booked_for, v_clock, p_tz);
    IF (CASE WHEN p->>'urgency' = 'routine' THEN v_slot.free ELSE v_slot.free_urgent END) < 1 THEN
      RAISE EXCEPTION USING ERRCODE = 'HL409', MESSAGE = format('bookedFor: the slot is full (%s of %s places booked%s)', v_slot.booked, v_slot.capacity,
        CASE WHEN v_slot.reserve > 0 AND p->>'urgency' = 'routine' THEN format(', %s kept for urgent work', v_slot.reserve) ELSE '' END),
        DETAIL = format('该时段已满（容量 %s，已约 %s%s）', v_slot.capacity, v_slot.booked,
        CASE WHEN v_slot.reserve > 0 AND p->>'urgency' = 'routine' THEN format('，%s 个留给紧急任务', v_slot.reserve) ELSE '' END);
    END IF;
    -- nobody yet: the sweep dispatches it lead_minutes before the slot to whoever is on duty then
    SELECT NULL::integer AS staff_id, format('预约单：时段开始前 %s 分钟派单', v_settings.lead_minutes) AS reason INTO v_who;
  ELSE
    -- on duty by the roster now (dutyAt: the clock of the app, which tests move)
    SELECT * INTO v_who FROM pick_assignee(v_route.team_id, v_clock, p_tz);
  END IF;

  -- the counter row is the one hot row of intake: take it last, hold it for the shortest time
  v_day := (v_now AT TIME ZONE p_tz)::date;
  INSERT INTO order_counter AS c (day, last) VALUES (v_day, 1)
    ON CONFLICT (day) DO UPDATE SET last = c.last + 1 RETURNING c.last INTO v_seq;

  INSERT INTO work_order (number, item_id, category_id, location_id, description, requester_name, requester_phone,
    requester_extension, requested_at, booked, urgency, tools, source, call_id, team_id, service_point_id, assignee_id,
    routing_rule_id, routing_reason, status, created_by, created_at, dispatched_at, response_due_at, due_at, idempotency_key, booked_for, booked_at)
  VALUES ('WO-' || to_char(v_day, 'YYYYMMDD') || '-' || lpad(v_seq::text, greatest(4, length(v_seq::text)), '0'), v_item.id, v_item.category_id, v_loc.id,
    coalesce(p->>'description', ''), p->'requester'->>'name', p->'requester'->>'phone', p->'requester'->>'extension',
    v_requested, v_booked, p->>'urgency',
    coalesce((SELECT array_agg(t) FROM jsonb_array_elements_text(p->'tools') t), v_item.tools),
    coalesce(p->>'source', 'phone'), p->>'callId', v_route.team_id, v_route.service_point_id, v_who.staff_id,
    v_route.rule_id, v_route.reason || '；' || v_who.reason, CASE WHEN v_booked_for IS NULL THEN 'dispatched' ELSE 'new' END, p_actor_id, v_now,
    CASE WHEN v_booked_for IS NULL THEN v_now END,
    v_start + make_interval(mins => v_item.response_minutes[v_u]), v_start + make_interval(mins => v_item.completion_minutes[v_u]), v_key,
    v_booked_for, CASE WHEN v_booked_for IS NOT NULL THEN v_clock END)
  ON CONFLICT (created_by, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
  RETURNING * INTO v_order;
  IF v_order.id IS NULL THEN
    -- the same key was committed by a concurrent retry meanwhile: answer with that order (this
    -- attempt's counter increment is undone with the rest of the statement)
    RAISE EXCEPTION USING ERRCODE = '40001', MESSAGE = 'idempotency key taken concurrently';
  END IF;

  IF v_who.staff_id IS NOT NULL THEN UPDATE staff SET idle_since = v_now WHERE staff.id = v_who.staff_id; END IF;
  INSERT INTO work_order_event (work_order_id, at, kind, actor_user_id, actor_name, from_status, to_status, note, call_id) VALUES
    (v_order.id, v_now, 'created', p_actor_id, p_actor_name, NULL, 'new', nullif(v_order.description, ''), v_order.call_id);
  IF v_booked_for IS NULL THEN
    INSERT INTO work_order_event (work_order_id, at, kind, actor_user_id, actor_name, from_status, to_status, note) VALUES
      (v_order.id, v_now, 'dispatched', p_actor_id, p_actor_name, 'new', 'dispatched', v_order.routing_reason);
  ELSE
    INSERT INTO work_order_event (work_order_id, at, kind, actor_user_id, actor_name, note, data) VALUES
      (v_order.id, v_now, 'booked', p_actor_id, p_actor_name,
       format('预约 %s（%s 分钟时段），%s 派单', to_char(v_booked_for AT TIME ZONE p_tz, 'YYYY-MM-DD HH24:MI'), v_settings.slot_minutes,
              to_char((v_booked_for - make_interval(mins => v_settings.lead_minutes)) AT TIME ZONE p_tz, 'HH24:MI')),
       jsonb_build_object('bookedFor', v_booked_for, 'capacity', v_slot.capacity, 'bookedBefore', v_slot.booked, 'reserve', v_slot.reserve));
  END IF;
  PERFORM pg_notify('hotline_live', json_build_object('type', 'workorder.created', 'at', v_now, 'data', json_build_object(
    'id', v_order.id, 'number', v_order.number, 'status', v_order.status, 'version', v_order.version, 'teamId', v_order.team_id,
    'assigneeId', v_order.assignee_id, 'chaseCount', v_order.chase_count, 'escalationLevel', v_order.escalation_level))::text);
  RETURN QUERY SELECT v_order.id, false;
END $$;
