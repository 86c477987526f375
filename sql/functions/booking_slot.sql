-- One slot of a team's bookings as the desk and intake judge it at p_now: capacity (people on duty
-- by the roster at the slot's start × jobs per person), the orders booked into it (cancelled ones
-- free their place), the reserve still held for urgent and critical work (none once released,
-- release_minutes before the start) and the places free to a routine and to an urgent booking.
-- A team with no booking settings has no slots (no row).
CREATE OR REPLACE FUNCTION booking_slot(p_team integer, p_start timestamptz, p_now timestamptz, p_tz text)
RETURNS TABLE (capacity integer, booked integer, reserve integer, reserve_released boolean, free integer, free_urgent integer)
LANGUAGE sql STABLE AS $$
  WITH s AS (SELECT * FROM team_booking b WHERE b.team_id = p_team),
  cap AS (SELECT (count(*) FILTER (WHERE d.on_duty) * (SELECT jobs_per_person FROM s))::int AS n FROM staff_duty(p_team, p_start, p_tz) d),
  bk AS (SELECT count(*)::int AS n FROM work_order w WHERE w.team_id = p_team AND w.booked_for = p_start AND w.status <> 'cancelled'),
  rel AS (SELECT p_now >= p_start - make_interval(mins => s.release_minutes) AS yes, s.reserve FROM s),
  held AS (SELECT CASE WHEN rel.yes THEN 0 ELSE least(rel.reserve, cap.n) END AS n FROM rel, cap)
  SELECT cap.n, bk.n, held.n, rel.yes, greatest(0, cap.n - bk.n - held.n), greatest(0, cap.n - bk.n)
  FROM cap, bk, rel, held
$$;

-- Whether p_start is a slot boundary of the team: a whole number of slots from local midnight.
CREATE OR REPLACE FUNCTION is_slot_start(p_start timestamptz, p_slot_minutes integer, p_tz text)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT extract(epoch FROM (p_start AT TIME ZONE p_tz)::time)::numeric % (p_slot_minutes * 60) = 0
$$;

-- The free-slot finder: from the first boundary at or after p_from (never before p_now) for up to
-- p_days days, the first p_count slots with a place free to a booking of that urgency.
CREATE OR REPLACE FUNCTION free_booking_slots(p_team integer, p_from timestamptz, p_now timestamptz, p_tz text, p_count integer, p_urgent boolean, p_days integer DEFAULT 7)
RETURNS TABLE (slot_start timestamptz, capacity integer, booked integer, reserve integer, reserve_released boolean, free integer, free_urgent integer)
LANGUAGE sql STABLE AS $$
  WITH s AS (SELECT slot_minutes FROM team_booking WHERE team_id = p_team),
  origin AS (SELECT greatest(p_from, p_now) AT TIME ZONE p_tz AS ts),
  first AS (
    SELECT date_trunc('day', o.ts) + make_interval(mins => (ceil(extract(epoch FROM o.ts - date_trunc('day', o.ts)) / 60 / s.slot_minutes) * s.slot_minutes)::int) AS ts, s.slot_minutes
    FROM origin o, s)
  SELECT (g AT TIME ZONE p_tz), b.capacity, b.booked, b.reserve, b.reserve_released, b.free, b.free_urgent
  FROM first f
  CROSS JOIN LATERAL generate_series(f.ts, f.ts + make_interval(days => p_days), make_interval(mins => f.slot_minutes)) g
  CROSS JOIN LATERAL booking_slot(p_team, g AT TIME ZONE p_tz, p_now, p_tz) b
  WHERE (g AT TIME ZONE p_tz) > p_now AND CASE WHEN p_urgent THEN b.free_urgent ELSE b.free END > 0
  ORDER BY g
  LIMIT p_count
$$;
