-- KPI rollups: per local day, team and item, the counts every KPI is made of, so a dashboard over
-- a year sums a few thousand rows instead of reading half a million orders. A day is rolled up
-- once it is over; today is always read live. The rollup of a past day is thrown away whenever an
-- order changes anything that day counts (a late completion, a cancellation, an import, a
-- rating), and rebuilt by the next dashboard that needs it.

CREATE TABLE hotline_setting (key text PRIMARY KEY, value text NOT NULL);
INSERT INTO hotline_setting VALUES ('time_zone', 'Asia/Shanghai');

CREATE TABLE kpi_day (
  day date NOT NULL, team_id integer NOT NULL, item_id integer NOT NULL,
  created integer NOT NULL, created_chased integer NOT NULL, created_completed integer NOT NULL,
  completed integer NOT NULL, completed_on_time integer NOT NULL,
  arrived integer NOT NULL, arrived_on_time integer NOT NULL,
  rated integer NOT NULL, rating_sum integer NOT NULL, rated_good integer NOT NULL,
  PRIMARY KEY (day, team_id, item_id)
);
CREATE TABLE kpi_staff_day (
  day date NOT NULL, staff_id integer NOT NULL, team_id integer NOT NULL,
  completed integer NOT NULL, completed_on_time integer NOT NULL,
  response_sec double precision NOT NULL, response_n integer NOT NULL, completion_sec double precision NOT NULL,
  PRIMARY KEY (day, staff_id, team_id)
);
-- the days whose rollup is complete and current
CREATE TABLE kpi_built (day date PRIMARY KEY, built_at timestamptz NOT NULL DEFAULT now());

-- for "created in the period and completed after it": orders that took more than a day
CREATE INDEX work_order_long_completion ON work_order (created_at)
  WHERE completed_at IS NOT NULL AND completed_at - created_at > interval '1 day';

CREATE FUNCTION kpi_local_day(t timestamptz) RETURNS date LANGUAGE sql STABLE AS $$
  SELECT (t AT TIME ZONE (SELECT value FROM hotline_setting WHERE key = 'time_zone'))::date
$$;

-- Marks the past days an order change touches as needing a rebuild. Changes to today's figures
-- cost nothing here: today is never rolled up.
CREATE FUNCTION kpi_forget_days() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  tz text := (SELECT value FROM hotline_setting WHERE key = 'time_zone');
  today_start timestamptz := date_trunc('day', now() AT TIME ZONE tz) AT TIME ZONE tz;
  stamps timestamptz[] := '{}';
  days date[];
BEGIN
  IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND (OLD.created_at IS DISTINCT FROM NEW.created_at OR OLD.status IS DISTINCT FROM NEW.status
       OR OLD.completed_at IS DISTINCT FROM NEW.completed_at OR OLD.chase_count IS DISTINCT FROM NEW.chase_count
       OR OLD.team_id IS DISTINCT FROM NEW.team_id OR OLD.item_id IS DISTINCT FROM NEW.item_id
       OR OLD.arrived_at IS DISTINCT FROM NEW.arrived_at OR OLD.rated_at IS DISTINCT FROM NEW.rated_at
       OR OLD.rating_score IS DISTINCT FROM NEW.rating_score OR OLD.due_at IS DISTINCT FROM NEW.due_at
       OR OLD.response_due_at IS DISTINCT FROM NEW.response_due_at OR OLD.completed_by IS DISTINCT FROM NEW.completed_by)) THEN
    stamps := ARRAY[OLD.created_at, OLD.completed_at, OLD.arrived_at, OLD.rated_at];
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    stamps := stamps || ARRAY[NEW.created_at, NEW.completed_at, NEW.arrived_at, NEW.rated_at];
  END IF;
  -- the common case, an order of today moving on today, ends here
  days := ARRAY(SELECT DISTINCT (t AT TIME ZONE tz)::date FROM unnest(stamps) t WHERE t < today_start);
  IF cardinality(days) > 0 THEN
    -- shared with other changes, exclusive against a rebuild: a rebuild never reads a day while
    -- a change to it is still uncommitted
    PERFORM pg_advisory_xact_lock_shared(100100101);
    DELETE FROM kpi_built WHERE day = ANY(days);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER work_order_kpi AFTER INSERT OR UPDATE OR DELETE ON work_order FOR EACH ROW EXECUTE FUNCTION kpi_forget_days();

-- The counts of the given local days, in the rollup's shape: what a rebuild stores, and what the
-- dashboard reads live for today. One definition for both, so they cannot disagree.
CREATE FUNCTION kpi_aggregate(p_days date[]) RETURNS SETOF kpi_day LANGUAGE sql STABLE AS $$
  WITH tz AS (SELECT value AS tz FROM hotline_setting WHERE key = 'time_zone'),
  span AS (SELECT d, (d::timestamp AT TIME ZONE tz.tz) AS lo, ((d + 1)::timestamp AT TIME ZONE tz.tz) AS hi, tz.tz FROM unnest(p_days) d, tz)
  SELECT day, team_id, item_id, sum(created)::int, sum(created_chased)::int, sum(created_completed)::int, sum(completed)::int,
         sum(completed_on_time)::int, sum(arrived)::int, sum(arrived_on_time)::int, sum(rated)::int, sum(rating_sum)::int, sum(rated_good)::int
  FROM (
    SELECT s.d AS day, w.team_id, w.item_id, 1 AS created, (w.chase_count > 0)::int AS created_chased,
           (w.completed_at IS NOT NULL)::int AS created_completed, 0 AS completed, 0 AS completed_on_time, 0 AS arrived, 0 AS arrived_on_time,
           0 AS rated, 0 AS rating_sum, 0 AS rated_good
    FROM span s JOIN work_order w ON w.created_at >= s.lo AND w.created_at < s.hi WHERE w.status <> 'cancelled'
    UNION ALL
    SELECT s.d, w.team_id, w.item_id, 0, 0, 0, 1, (w.completed_at <= w.due_at)::int, 0, 0, 0, 0, 0
    FROM span s JOIN work_order w ON w.completed_at >= s.lo AND w.completed_at < s.hi
    UNION ALL
    SELECT s.d, w.team_id, w.item_id, 0, 0, 0, 0, 0, 1, (w.arrived_at <= w.response_due_at)::int, 0, 0, 0
    FROM span s JOIN work_order w ON w.arrived_at >= s.lo AND w.arrived_at < s.hi
    UNION ALL
    SELECT s.d, w.team_id, w.item_id, 0, 0, 0, 0, 0, 0, 0, 1, w.rating_score, (w.rating_score >= 4)::int
    FROM span s JOIN work_order w ON w.rated_at >= s.lo AND w.rated_at < s.hi
  ) parts
  GROUP BY day, team_id, item_id
$$;

CREATE FUNCTION kpi_staff_aggregate(p_days date[]) RETURNS SETOF kpi_staff_day LANGUAGE sql STABLE AS $$
  WITH tz AS (SELECT value AS tz FROM hotline_setting WHERE key = 'time_zone'),
  span AS (SELECT d, (d::timestamp AT TIME ZONE tz.tz) AS lo, ((d + 1)::timestamp AT TIME ZONE tz.tz) AS hi FROM unnest(p_days) d, tz)
  SELECT s.d, w.completed_by, w.team_id, count(*)::int, count(*) FILTER (WHERE w.completed_at <= w.due_at)::int,
         coalesce(sum(extract(epoch FROM w.arrived_at - w.dispatched_at)) FILTER (WHERE w.arrived_at IS NOT NULL AND w.dispatched_at IS NOT NULL), 0)::float8,
         count(*) FILTER (WHERE w.arrived_at IS NOT NULL AND w.dispatched_at IS NOT NULL)::int,
         sum(extract(epoch FROM w.completed_at - w.created_at))::float8
  FROM span s JOIN work_order w ON w.completed_at >= s.lo AND w.completed_at < s.hi
  WHERE w.completed_by IS NOT NULL
  GROUP BY 1, 2, 3
$$;

-- Rebuilds the rollup of every past day in [p_from, p_to] that is missing or was forgotten.
CREATE FUNCTION kpi_refresh(p_from date, p_to date) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  last_day date := least(p_to, kpi_local_day(now()) - 1);
  todo date[];
BEGIN
  IF last_day < p_from THEN RETURN 0; END IF;
  SELECT array_agg(d::date) INTO todo FROM generate_series(p_from, last_day, interval '1 day') d
    WHERE NOT EXISTS (SELECT 1 FROM kpi_built b WHERE b.day = d::date);
  IF todo IS NULL THEN RETURN 0; END IF;
  PERFORM pg_advisory_xact_lock(100100101);
  -- another dashboard may have built some of them while we waited
  SELECT array_agg(d) INTO todo FROM unnest(todo) d WHERE NOT EXISTS (SELECT 1 FROM kpi_built b WHERE b.day = d);
  IF todo IS NULL THEN RETURN 0; END IF;
  DELETE FROM kpi_day WHERE day = ANY(todo);
  DELETE FROM kpi_staff_day WHERE day = ANY(todo);
  INSERT INTO kpi_day SELECT * FROM kpi_aggregate(todo);
  INSERT INTO kpi_staff_day SELECT * FROM kpi_staff_aggregate(todo);
  INSERT INTO kpi_built (day) SELECT unnest(todo);
  RETURN cardinality(todo);
END $$;

-- Rollup rows for the past days of a period plus today's, counted live.
CREATE FUNCTION kpi_rows(p_from date, p_to date) RETURNS SETOF kpi_day LANGUAGE sql STABLE AS $$
  SELECT * FROM kpi_day WHERE day >= p_from AND day <= least(p_to, kpi_local_day(now()) - 1)
  UNION ALL
  SELECT * FROM kpi_aggregate(ARRAY[kpi_local_day(now())]) WHERE kpi_local_day(now()) BETWEEN p_from AND p_to
$$;
CREATE FUNCTION kpi_staff_rows(p_from date, p_to date) RETURNS SETOF kpi_staff_day LANGUAGE sql STABLE AS $$
  SELECT * FROM kpi_staff_day WHERE day >= p_from AND day <= least(p_to, kpi_local_day(now()) - 1)
  UNION ALL
  SELECT * FROM kpi_staff_aggregate(ARRAY[kpi_local_day(now())]) WHERE kpi_local_day(now()) BETWEEN p_from AND p_to
$$;
