-- Files an order and answers with it as the API shows it, in one call: the desk's create is one
-- round trip to the database. The order travels as jsonb because a function cannot return a view's
-- row and one more column; the API turns its timestamps back into dates.
CREATE OR REPLACE FUNCTION file_work_order(p jsonb, p_actor_id integer, p_actor_name text, p_tz text)
RETURNS TABLE (replayed boolean, work_order jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  filed record;
BEGIN
  SELECT * INTO filed FROM create_work_order(p, p_actor_id, p_actor_name, p_tz);
  RETURN QUERY SELECT filed.replayed, to_jsonb(v) FROM work_order_view v WHERE v.id = filed.id;
END $$;
