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

type Sums = {
  created: number; created_chased: number; created_completed: number; completed: number; completed_on_time: number
  arrived: number; arrived_on_time: number; rated: number; rating_sum: number; rated_good: number
}
interface RollupRow extends Sums {
  set: 'total' | 'day' | 'week' | 'item'
  day: string | null; week: string | null; category_id: number | null; category: string | null; category_en: string | null
  item_id: number | null; item: string | null; item_en: string | null; complaint: boolean | null
}

export async function computeKpis(db: Kysely<DB>, q: KpiQuery) {
  await sql`SELECT kpi_refresh(${q.from}::date, ${q.to}::date)`.execute(db)
  const team = q.teamId ? sql`AND r.team_id = ${q.teamId}` : sql``
  const end = sql`((${q.to}::date + 1)::timestamp AT TIME ZONE ${q.timeZone})`
  const start = sql`(${q.from}::date::timestamp AT TIME ZONE ${q.timeZone})`
  // coalesce: the grand total of an empty period is one row of NULL sums
  const sums = sql.raw(['created', 'created_chased', 'created_completed', 'completed', 'completed_on_time', 'arrived', 'arrived_on_time', 'rated', 'rating_sum', 'rated_good']
    .map((c) => `coalesce(sum(r.${c}), 0)::int AS ${c}`).join(', '))

  // one pass over the period's rollup rows gives the totals, the daily trend, the weekly volume by
  // category and the volume by item (for complaints)
  const [grouped, staff] = await Promise.all([
    sql<RollupRow>`
      SELECT CASE WHEN grouping(r.day) = 0 THEN 'day' WHEN grouping(date_trunc('week', r.day)) = 0 THEN 'week' WHEN grouping(i.id) = 0 THEN 'item' ELSE 'total' END AS set,
             to_char(r.day, 'YYYY-MM-DD') AS day, to_char(date_trunc('week', r.day), 'YYYY-MM-DD') AS week,
             c.id AS category_id, c.name AS category, c.name_en AS category_en, i.complaint, i.id AS item_id, i.name AS item, i.name_en AS item_en, ${sums}
      FROM kpi_rows(${q.from}::date, ${q.to}::date) r JOIN item i ON i.id = r.item_id JOIN category c ON c.id = i.category_id
      WHERE true ${team}
      GROUP BY GROUPING SETS ((), (r.day), (date_trunc('week', r.day), c.id, c.name, c.name_en), (i.id, i.name, i.name_en, i.complaint, c.id, c.name, c.name_en))`.execute(db),
    sql<{ staff_id: number; name: string; team_id: number; completed: number; completed_on_time: number; mean_response_min: number | null; mean_completion_min: number | null }>`
      SELECT s.id AS staff_id, s.name, s.team_id, sum(r.completed)::int AS completed, sum(r.completed_on_time)::int AS completed_on_time,
             round((sum(r.response_sec) / nullif(sum(r.response_n), 0) / 60)::numeric, 1)::float8 AS mean_response_min,
             round((sum(r.completion_sec) / nullif(sum(r.completed), 0) / 60)::numeric, 1)::float8 AS mean_completion_min
      FROM kpi_staff_rows(${q.from}::date, ${q.to}::date) r JOIN staff s ON s.id = r.staff_id
      WHERE true ${team} GROUP BY s.id, s.name, s.team_id ORDER BY completed DESC, s.name`.execute(db),
  ])
  const rows = grouped.rows
  const zero: Sums = { created: 0, created_chased: 0, created_completed: 0, completed: 0, completed_on_time: 0, arrived: 0, arrived_on_time: 0, rated: 0, rating_sum: 0, rated_good: 0 }
  const h: Sums = rows.find((r) => r.set === 'total') ?? zero
  const byItem = rows.filter((r) => r.set === 'item')
  const complaints = byItem.filter((r) => r.complaint && r.created > 0).sort((a, b) => b.created - a.created || a.item_id! - b.item_id!)

  // the rollup counts an order completed whenever it was; "completed by the period's end" takes
  // back those finished after it — orders created on the last day, or that took over a day. A
  // period that reaches today has no "after" yet.
  let late = 0
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: q.timeZone }).format(new Date())
  if (q.to < today) {
    const teamW = q.teamId ? sql`AND w.team_id = ${q.teamId}` : sql``
    const { rows: [n] } = await sql<{ n: number }>`
      SELECT (SELECT count(*) FROM work_order w WHERE w.status <> 'cancelled' AND w.completed_at >= ${end}
                AND w.created_at >= greatest(${start}, ${end} - interval '1 day') AND w.created_at < ${end} ${teamW})
           + (SELECT count(*) FROM work_order w WHERE w.status <> 'cancelled' AND w.completed_at >= ${end}
                AND w.completed_at IS NOT NULL AND w.completed_at - w.created_at > interval '1 day'
                AND w.created_at >= ${start} AND w.created_at < ${end} - interval '1 day' ${teamW}) AS n`.execute(db)
    late = Number(n!.n)
  }
  const createdCompleted = h.created_completed - late
  const completers = new Set(staff.rows.map((r) => r.staff_id)).size
  const complaintCount = complaints.reduce((sum, r) => sum + r.created, 0)

  return {
    period: { from: q.from, to: q.to, timeZone: q.timeZone, teamId: q.teamId ?? null },
    counts: {
      created: h.created, completed: h.completed, completedOnTime: h.completed_on_time, arrived: h.arrived, arrivedOnTime: h.arrived_on_time,
      createdCompleted, createdChased: h.created_chased, rated: h.rated, complaints: complaintCount,
    },
    timelinessRate: ratio(h.completed_on_time, h.completed),
    responseOnTimeRate: ratio(h.arrived_on_time, h.arrived),
    completionRate: ratio(createdCompleted, h.created),
    chaseRate: ratio(h.created_chased, h.created),
    satisfaction: { mean: ratio(h.rating_sum, h.rated), goodShare: ratio(h.rated_good, h.rated), rated: h.rated },
    volumePerStaff: ratio(h.completed, completers),
    weeklyByCategory: rows.filter((r) => r.set === 'week' && r.created > 0).sort((a, b) => a.week!.localeCompare(b.week!) || a.category_id! - b.category_id!)
      .map((r) => ({ week: r.week!, categoryId: r.category_id!, category: r.category!, categoryEn: r.category_en!, orders: r.created })),
    dailyTimeliness: rows.filter((r) => r.set === 'day' && r.completed > 0).sort((a, b) => a.day!.localeCompare(b.day!))
      .map((r) => ({ day: r.day!, completed: r.completed, completedOnTime: r.completed_on_time, rate: ratio(r.completed_on_time, r.completed) })),
    perStaff: staff.rows.map((r) => ({
      staffId: r.staff_id, name: r.name, teamId: r.team_id, completed: r.completed, completedOnTime: r.completed_on_time,
      meanResponseMinutes: r.mean_response_min, meanCompletionMinutes: r.mean_completion_min,
    })),
    complaintsByCategory: complaints.map((r) => ({ itemId: r.item_id!, item: r.item!, itemEn: r.item_en!, orders: r.created })),
  }
}
