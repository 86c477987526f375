-- Routing: the first active rule by position whose every condition matches; none: the item's
-- default team. Why an order went where it went is written in Chinese, as the job sheets are: it is
-- read on the order's timeline and in the admin's "who would get this?". The rules are the ones the
-- API documents (server/src/dispatch/routing.ts).
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
