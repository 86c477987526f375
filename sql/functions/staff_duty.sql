-- Every active or inactive person of a team (p_team NULL: of all teams) and whether they are on
-- duty at p_at; source says why: override, manual, leave, roster, off_roster, inactive.
CREATE OR REPLACE FUNCTION staff_duty(p_team integer, p_at timestamptz, p_tz text)
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
