-- The assignee among the people of the team on duty at p_at (staff_duty: the roster, leave, the
-- lead's override, or the manual 在岗 flag for a team with no roster): fewest open orders, then idle
-- longest; nobody: the team pool. The open orders are counted up to 50 only: past that everyone is
-- equally swamped, and counting thousands per person made every new order slower than the last while
-- the day's counter row was held. Bitmap scans are off because they read every index entry before
-- the LIMIT can stop them.
CREATE OR REPLACE FUNCTION pick_assignee(p_team integer, p_at timestamptz, p_tz text)
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
