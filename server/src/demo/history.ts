// A year of plausible history for the embedded demo, so the manager's first look at /manage is a
// hospital at work and not a page of dashes. One INSERT … SELECT over generate_series, not a row at
// a time: DEMO_HISTORY_PER_DAY orders a weekday (fewer at weekends), peaks in the morning and after lunch,
// the catalogue's categories in a hospital's proportions, most orders on time, some late, a few
// chased, cancelled, complained about, or (of the last two days) still open and overdue; ratings on about a third.
// Deterministic per day (setseed), so two fresh demos show the same figures.
// A year on the embedded database takes minutes, so the server fills it after it starts
// listening, one day per transaction from the newest back with a pause between (a desk using the demo
// meanwhile waits at most one day's insert, about half a second), with their
// KPI rollup, resuming after a restart.
import { sql, type Kysely } from 'kysely'
import type { DB } from '../db/types.ts'

const SETTING = 'demo_history'
const CHUNK_DAYS = 1
/** between two days: the requests waiting for the (single, embedded) connection go first */
const PAUSE_MS = 100

// share of calls by local hour 0–23: night calm, 08–11 and 14–16 busy
const HOURS = [4, 3, 2, 2, 2, 3, 6, 12, 22, 24, 22, 16, 10, 12, 20, 21, 18, 13, 9, 8, 7, 6, 5, 4]
// share of orders by category code (the rest of the catalogue shares nothing)
const CATEGORY_SHARE = { repair: 34, transport: 30, cleaning: 15, catering: 9, inquiry: 8, complaint: 4 }
// weekday factor, Monday first
const WEEKDAY = [1.1, 1.05, 1, 1, 0.95, 0.6, 0.5]

/** Generates the orders of the given local days (YYYY-MM-DD); answers how many were written. */
export async function seedHistory(db: Kysely<DB>, days: string[], timeZone: string, perDay = 1500): Promise<number> {
  if (days.length === 0) return 0
  const hours = sql.raw(`VALUES ${cumulative(HOURS).map(([lo, hi], h) => `(${h}, ${lo}, ${hi})`).join(', ')}`)
  const shares = sql.raw(`VALUES ${Object.entries(CATEGORY_SHARE).map(([code, share]) => `('${code}', ${share})`).join(', ')}`)
  const weekday = sql.raw(`ARRAY[${WEEKDAY.join(', ')}]::float8[]`)
  return db.transaction().execute(async (trx) => {
    await sql`SELECT setseed(${(Date.parse(days[0]!) / 86_400_000 % 997) / 997})`.execute(trx)
    // the rollup's change trigger has nothing to forget on a fresh database; skipping it (and the
    // foreign-key triggers, whose keys come from the same tables here) where the role may
    const fast = await sql`SELECT rolsuper FROM pg_roles WHERE rolname = current_user`.execute(trx).then((r) => (r.rows[0] as { rolsuper: boolean } | undefined)?.rolsuper === true)
    if (fast) await sql`SET LOCAL session_replication_role = replica`.execute(trx)
    const result = await sql`
      WITH hours(h, lo, hi) AS (${hours}),
      shares(code, share) AS (${shares}),
      weighted AS (
        SELECT i.id, i.category_id, i.default_team_id, i.response_minutes, i.completion_minutes, i.complaint,
               s.share::float8 / count(*) OVER (PARTITION BY c.id) AS weight
        FROM item i JOIN category c ON c.id = i.category_id JOIN shares s ON s.code = c.code WHERE i.active
      ),
      items AS (SELECT *, sum(weight) OVER (ORDER BY id) / sum(weight) OVER () AS hi FROM weighted),
      ranged AS (SELECT *, coalesce(lag(hi) OVER (ORDER BY id), 0) AS lo FROM items),
      places AS (SELECT array_agg(id ORDER BY id) AS ids FROM location WHERE kind IN ('room', 'ward') AND active),
      crews AS (SELECT team_id, array_agg(id ORDER BY id) AS ids FROM staff WHERE active GROUP BY team_id),
      days AS (
        SELECT d::date AS day, n,
               round(${perDay}::int * (${weekday})[extract(isodow FROM d)::int] * (0.9 + 0.2 * random()) * (1 + 0.08 * sin(extract(doy FROM d) / 58.0)))::int AS orders
        FROM unnest(${days}::date[]) WITH ORDINALITY g(d, n)
      ),
      drafts AS (
        SELECT d.day, k AS seq, random() AS r_hour, random() AS r_min, random() AS r_item, random() AS r_place, random() AS r_staff, random() AS r_urgency,
               random() AS r_resp, random() AS r_done, random() AS r_chase, random() AS r_rate, random() AS r_score, random() AS r_fate
        FROM days d CROSS JOIN LATERAL generate_series(1, d.orders) k
      ),
      shaped AS (
        SELECT x.*, i.id AS item_id, i.category_id, i.default_team_id AS team_id, i.complaint,
               ((x.day + make_interval(hours => h.h, secs => floor(x.r_min * 3600)::int))::timestamp AT TIME ZONE ${timeZone}) AS created,
               CASE WHEN x.r_urgency < 0.9 THEN 1 WHEN x.r_urgency < 0.98 THEN 2 ELSE 3 END AS u,
               p.ids[1 + floor(x.r_place * cardinality(p.ids))::int] AS location_id,
               c.ids[1 + floor(x.r_staff * cardinality(c.ids))::int] AS staff_id,
               i.response_minutes, i.completion_minutes
        FROM drafts x
        JOIN hours h ON x.r_hour * ${HOURS.reduce((a, b) => a + b, 0)} >= h.lo AND x.r_hour * ${HOURS.reduce((a, b) => a + b, 0)} < h.hi
        JOIN ranged i ON x.r_item >= i.lo AND x.r_item < i.hi
        CROSS JOIN places p JOIN crews c ON c.team_id = i.default_team_id
      ),
      timed AS (
        SELECT s.*, s.created + make_interval(mins => s.response_minutes[s.u]) AS response_due, s.created + make_interval(mins => s.completion_minutes[s.u]) AS due,
               -- about 90% arrive in time and 88% finish in time; the late ones by up to 1.8 times the limit
               s.created + make_interval(secs => (s.response_minutes[s.u] * 60 * (0.25 + 1.41 * s.r_resp ^ 6))::int) AS arrived,
               s.created + make_interval(secs => (s.completion_minutes[s.u] * 60 * (0.3 + 1.51 * s.r_done ^ 6))::int) AS completed,
               -- still open: only of the last two days (a hospital clears its backlog; months-old open orders
               -- would fill the board with thousands of hours overdue)
               CASE WHEN s.r_fate < 0.02 THEN 'cancelled' WHEN s.r_fate < 0.024 AND s.day >= (now() AT TIME ZONE ${timeZone})::date - 2 THEN 'open' ELSE 'done' END AS fate
        FROM shaped s
      ),
      final AS (
        SELECT t.*, t.completed > t.due AS late, t.fate = 'done' AND t.completed < now() AS finished,
               row_number() OVER (PARTITION BY t.day ORDER BY t.created) AS number_of_day
        FROM timed t
      )
      INSERT INTO work_order (number, item_id, category_id, location_id, description, requester_name, requester_extension, requested_at, urgency, source,
        team_id, assignee_id, completed_by, routing_reason, status, created_at, dispatched_at, accepted_at, arrived_at, completed_at, closed_at, cancelled_at, cancel_reason,
        response_due_at, due_at, chase_count, escalation_level, rating_score, rated_at)
      SELECT 'WO-' || to_char(f.day, 'YYYYMMDD') || '-' || lpad(f.number_of_day::text, 4, '0'), f.item_id, f.category_id, f.location_id, '', '演示历史', NULL, f.created,
             (ARRAY['routine', 'urgent', 'critical'])[f.u], 'import', f.team_id, CASE WHEN f.fate <> 'cancelled' THEN f.staff_id END, CASE WHEN f.finished THEN f.staff_id END,
             '演示历史数据', CASE WHEN f.fate = 'cancelled' THEN 'cancelled' WHEN NOT f.finished THEN 'accepted' WHEN f.r_rate < 0.9 THEN 'closed' ELSE 'completed' END,
             f.created, f.created + interval '1 minute', CASE WHEN f.fate <> 'cancelled' THEN f.created + interval '3 minutes' END,
             CASE WHEN f.fate <> 'cancelled' AND f.arrived < now() THEN f.arrived END, CASE WHEN f.finished THEN f.completed END,
             CASE WHEN f.finished AND f.r_rate < 0.9 THEN f.completed + interval '40 minutes' END,
             CASE WHEN f.fate = 'cancelled' THEN f.created + interval '10 minutes' END, CASE WHEN f.fate = 'cancelled' THEN '报修人取消' END,
             f.response_due, f.due,
             -- late orders get chased far more often; a second chase now and then
             CASE WHEN f.r_chase < (CASE WHEN f.fate = 'cancelled' THEN 0.02 WHEN f.late OR NOT f.finished THEN 0.3 ELSE 0.025 END) THEN 1 + (f.r_chase < 0.06)::int ELSE 0 END,
             -- history has been escalated already: the overdue sweep leaves it alone
             99,
             CASE WHEN f.finished AND f.r_rate < 0.35 THEN
               CASE WHEN f.late THEN 1 + floor(f.r_score * 4.99)::int WHEN f.r_score < 0.04 THEN 2 WHEN f.r_score < 0.12 THEN 3 WHEN f.r_score < 0.45 THEN 4 ELSE 5 END END,
             CASE WHEN f.finished AND f.r_rate < 0.35 THEN f.completed + interval '2 hours' END
      FROM final f`.execute(trx)
    // the complaints and praise among them were dealt with back then: closed cases, so the feedback
    // sweep (which takes a week of hotline complaints) does not file a year's history as new today
    await sql`
      INSERT INTO feedback (source, kind, class, responsible_department_id, text, status, deadline_at, resolution, resolved_at, resolved_in_time, origin, hotline_order_id, created_at, updated_at)
      SELECT 'hotline', CASE WHEN i.complaint THEN 'complaint' ELSE 'praise' END, i.feedback_class, r.id,
             i.name || '（工单 ' || w.number || '，演示历史）', 'closed', w.created_at + interval '24 hours',
             CASE WHEN i.complaint THEN '已回复来电人（演示历史）' END, w.created_at + interval '6 hours', true, 'order:' || w.id, w.id, w.created_at, w.created_at + interval '6 hours'
      FROM work_order w JOIN item i ON i.id = w.item_id
      CROSS JOIN LATERAL (SELECT fr.responsible_department_id AS id FROM feedback_route fr WHERE fr.class = i.feedback_class
                          ORDER BY fr.subject_department_id IS NOT NULL, fr.position LIMIT 1) r
      WHERE w.routing_reason = '演示历史数据' AND i.feedback_class IS NOT NULL
        AND (w.created_at AT TIME ZONE ${timeZone})::date = ANY(${days}::date[])
      ON CONFLICT DO NOTHING`.execute(trx)
    await sql`
      INSERT INTO order_counter (day, last)
      SELECT to_date(substr(number, 4, 8), 'YYYYMMDD'), max(substr(number, 13)::int) FROM work_order WHERE routing_reason = '演示历史数据' GROUP BY 1
      ON CONFLICT (day) DO UPDATE SET last = greatest(order_counter.last, excluded.last)`.execute(trx)
    // a dashboard may have rolled these days up while they were empty (the trigger that would
    // forget them is off here); shared with order changes, exclusive against a rebuild
    await sql`SELECT pg_advisory_xact_lock_shared(100100101)`.execute(trx)
    await sql`DELETE FROM kpi_built WHERE day = ANY(${days}::date[])`.execute(trx)
    return Number(result.numAffectedRows ?? 0)
  })
}

/** On the demo's first start: remember the days of history to fill ([today − days, yesterday]). */
export async function planDemoHistory(db: Kysely<DB>, days: number, timeZone: string) {
  if (days <= 0) return
  await sql`
    INSERT INTO hotline_setting (key, value)
    SELECT ${SETTING}, to_char(today - ${days}::int, 'YYYY-MM-DD') || '..' || to_char(today - 1, 'YYYY-MM-DD')
    FROM (SELECT (now() AT TIME ZONE ${timeZone})::date AS today) t
    ON CONFLICT (key) DO NOTHING`.execute(db)
}

/**
 * Fills the planned history CHUNK_DAYS at a time, newest first; a day that has an order counter has
 * its orders already. Resolves with the orders written once all is done (0 if nothing was planned).
 */
export async function fillDemoHistory(db: Kysely<DB>, timeZone: string, perDay: number, progress: (written: number, daysLeft: number) => void = () => {}): Promise<number> {
  const plan = await sql<{ value: string }>`SELECT value FROM hotline_setting WHERE key = ${SETTING}`.execute(db)
  if (!plan.rows[0]) return 0
  const [from, to] = plan.rows[0].value.split('..') as [string, string]
  let written = 0
  for (;;) {
    const { rows } = await sql<{ day: string }>`
      SELECT to_char(d, 'YYYY-MM-DD') AS day FROM generate_series(${to}::date::timestamp, ${from}::date::timestamp, interval '-1 day') d
      WHERE NOT EXISTS (SELECT 1 FROM order_counter c WHERE c.day = d::date)`.execute(db)
    if (rows.length === 0) break
    const chunk = rows.slice(0, CHUNK_DAYS).map((r) => r.day).sort()
    written += await seedHistory(db, chunk, timeZone, perDay)
    // their KPI rollup now, so a dashboard over the days already filled is quick
    await sql`SELECT kpi_refresh(${chunk[0]}::date, ${chunk[chunk.length - 1]}::date)`.execute(db)
    progress(written, Math.max(0, rows.length - CHUNK_DAYS))
    await new Promise((resolve) => setTimeout(resolve, PAUSE_MS))
  }
  await sql`ANALYZE work_order`.execute(db)
  await sql`DELETE FROM hotline_setting WHERE key = ${SETTING}`.execute(db)
  return written
}

function cumulative(weights: number[]): [number, number][] {
  let sum = 0
  return weights.map((w) => [sum, (sum += w)])
}
