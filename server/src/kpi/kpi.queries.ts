// KPIs exactly as PRODUCT.md defines them. A period is [from, to] in local days of the hospital's
// time zone. Past days are read from the daily rollup (sql/0005_kpi_rollup.sql), rebuilt first
// for any day an order change has touched; today is counted live. Both use one SQL definition.
import { sql, type Kysely } from 'kysely'
import type { DB } from '../db/types.ts'

export interface KpiQuery { from: string; to: string; teamId?: number; timeZone: string }

const ratio = (num: number, den: number) => (den === 0 ? null : num / den)

/** The database's rollup days follow the hospital's time zone; a new zone invalidates them all. */
export async function setKpiTimeZone(db: Kysely<DB>, timeZone: string) {
  const { rows } = await sql<{ value: string }>`SELECT value FROM hotline_setting WHERE key = 'time_zone'`.execute(db)
  if (rows[0]?.value === timeZone) return
  await db.transaction().execute(async (trx) => {
    await sql`UPDATE hotline_setting SET value = ${timeZone} WHERE key = 'time_zone'`.execute(trx)
    await sql`DELETE FROM kpi_built`.execute(trx)
  })
}

export async function computeKpis(db: Kysely<DB>, q: KpiQuery) {
  await sql`SELECT kpi_refresh(${q.from}::date, ${q.to}::date)`.execute(db)
  const team = q.teamId ? sql`AND r.team_id = ${q.teamId}` : sql``
  const rows = sql`kpi_rows(${q.from}::date, ${q.to}::date) r`
  const end = sql`((${q.to}::date + 1)::timestamp AT TIME ZONE ${q.timeZone})`
  const start = sql`(${q.from}::date::timestamp AT TIME ZONE ${q.timeZone})`

  const head = await sql<{
    created: number; created_chased: number; created_completed: number; completed: number; completed_on_time: number
    arrived: number; arrived_on_time: number; rated: number; rating_sum: number; rated_good: number; complaints: number
  }>`
    SELECT coalesce(sum(created), 0)::int AS created, coalesce(sum(created_chased), 0)::int AS created_chased,
           coalesce(sum(created_completed), 0)::int AS created_completed, coalesce(sum(completed), 0)::int AS completed,
           coalesce(sum(completed_on_time), 0)::int AS completed_on_time, coalesce(sum(arrived), 0)::int AS arrived,
           coalesce(sum(arrived_on_time), 0)::int AS arrived_on_time, coalesce(sum(rated), 0)::int AS rated,
           coalesce(sum(rating_sum), 0)::int AS rating_sum, coalesce(sum(rated_good), 0)::int AS rated_good,
           coalesce(sum(created) FILTER (WHERE c.code = 'complaint'), 0)::int AS complaints
    FROM ${rows} JOIN item i ON i.id = r.item_id JOIN category c ON c.id = i.category_id
    WHERE true ${team}`.execute(db)
  const h = head.rows[0]!

  // the rollup counts an order completed whenever it was; "completed by the period's end" takes
  // back those finished after it — orders created on the last day, or that took over a day
  const teamW = q.teamId ? sql`AND w.team_id = ${q.teamId}` : sql``
  const late = await sql<{ n: number }>`
    SELECT (SELECT count(*) FROM work_order w WHERE w.status <> 'cancelled' AND w.completed_at >= ${end}
              AND w.created_at >= greatest(${start}, ${end} - interval '1 day') AND w.created_at < ${end} ${teamW})
         + (SELECT count(*) FROM work_order w WHERE w.status <> 'cancelled' AND w.completed_at >= ${end}
              AND w.completed_at IS NOT NULL AND w.completed_at - w.created_at > interval '1 day'
              AND w.created_at >= ${start} AND w.created_at < ${end} - interval '1 day' ${teamW}) AS n`.execute(db)
  const createdCompleted = h.created_completed - Number(late.rows[0]!.n)

  const staffRows = sql`kpi_staff_rows(${q.from}::date, ${q.to}::date) r`
  const [weekly, daily, staff, complaints] = await Promise.all([
    sql<{ week: string; category_id: number; category: string; category_en: string; orders: number }>`
      SELECT to_char(date_trunc('week', r.day), 'YYYY-MM-DD') AS week, c.id AS category_id, c.name AS category, c.name_en AS category_en, sum(r.created)::int AS orders
      FROM ${rows} JOIN item i ON i.id = r.item_id JOIN category c ON c.id = i.category_id
      WHERE r.created > 0 ${team} GROUP BY 1, 2, 3, 4 ORDER BY 1, 2`.execute(db),
    sql<{ day: string; completed: number; completed_on_time: number }>`
      SELECT to_char(r.day, 'YYYY-MM-DD') AS day, sum(r.completed)::int AS completed, sum(r.completed_on_time)::int AS completed_on_time
      FROM ${rows} WHERE r.completed > 0 ${team} GROUP BY r.day ORDER BY r.day`.execute(db),
    sql<{ staff_id: number; name: string; team_id: number; completed: number; completed_on_time: number; mean_response_min: number | null; mean_completion_min: number | null }>`
      SELECT s.id AS staff_id, s.name, s.team_id, sum(r.completed)::int AS completed, sum(r.completed_on_time)::int AS completed_on_time,
             round((sum(r.response_sec) / nullif(sum(r.response_n), 0) / 60)::numeric, 1)::float8 AS mean_response_min,
             round((sum(r.completion_sec) / nullif(sum(r.completed), 0) / 60)::numeric, 1)::float8 AS mean_completion_min
      FROM ${staffRows} JOIN staff s ON s.id = r.staff_id
      WHERE true ${team} GROUP BY s.id, s.name, s.team_id ORDER BY completed DESC, s.name`.execute(db),
    sql<{ item_id: number; item: string; item_en: string; orders: number }>`
      SELECT i.id AS item_id, i.name AS item, i.name_en AS item_en, sum(r.created)::int AS orders
      FROM ${rows} JOIN item i ON i.id = r.item_id JOIN category c ON c.id = i.category_id
      WHERE c.code = 'complaint' AND r.created > 0 ${team} GROUP BY i.id, i.name, i.name_en ORDER BY orders DESC, i.id`.execute(db),
  ])
  const completers = new Set(staff.rows.map((r) => r.staff_id)).size

  return {
    period: { from: q.from, to: q.to, timeZone: q.timeZone, teamId: q.teamId ?? null },
    counts: {
      created: h.created, completed: h.completed, completedOnTime: h.completed_on_time, arrived: h.arrived, arrivedOnTime: h.arrived_on_time,
      createdCompleted, createdChased: h.created_chased, rated: h.rated, complaints: h.complaints,
    },
    timelinessRate: ratio(h.completed_on_time, h.completed),
    responseOnTimeRate: ratio(h.arrived_on_time, h.arrived),
    completionRate: ratio(createdCompleted, h.created),
    chaseRate: ratio(h.created_chased, h.created),
    satisfaction: { mean: ratio(h.rating_sum, h.rated), goodShare: ratio(h.rated_good, h.rated), rated: h.rated },
    volumePerStaff: ratio(h.completed, completers),
    weeklyByCategory: weekly.rows.map((r) => ({ week: r.week, categoryId: r.category_id, category: r.category, categoryEn: r.category_en, orders: r.orders })),
    dailyTimeliness: daily.rows.map((r) => ({ day: r.day, completed: r.completed, completedOnTime: r.completed_on_time, rate: ratio(r.completed_on_time, r.completed) })),
    perStaff: staff.rows.map((r) => ({
      staffId: r.staff_id, name: r.name, teamId: r.team_id, completed: r.completed, completedOnTime: r.completed_on_time,
      meanResponseMinutes: r.mean_response_min, meanCompletionMinutes: r.mean_completion_min,
    })),
    complaintsByCategory: complaints.rows.map((r) => ({ itemId: r.item_id, item: r.item, itemEn: r.item_en, orders: r.orders })),
  }
}
