// KPIs exactly as PRODUCT.md defines them, computed in SQL. A period is [from, to] in local days
// of the hospital's time zone: it starts at `from` 00:00 local and ends before `to`+1 00:00 local.
import { sql, type Kysely, type RawBuilder } from 'kysely'
import type { DB } from '../db/types.ts'

export interface KpiQuery { from: string; to: string; teamId?: number; timeZone: string }

const ratio = (num: number, den: number) => (den === 0 ? null : num / den)

export async function computeKpis(db: Kysely<DB>, q: KpiQuery) {
  const start = sql`(${q.from}::date::timestamp AT TIME ZONE ${q.timeZone})`
  const end = sql`((${q.to}::date + 1)::timestamp AT TIME ZONE ${q.timeZone})`
  const team = q.teamId ? sql`AND w.team_id = ${q.teamId}` : sql``
  const within = (column: string): RawBuilder<boolean> => sql`(w.${sql.raw(column)} >= ${start} AND w.${sql.raw(column)} < ${end})`
  const localDay = (column: string) => sql`(w.${sql.raw(column)} AT TIME ZONE ${q.timeZone})::date`

  // each count reads only the rows its definition needs, through the partial indexes on the timestamps
  const head = await sql<{
    completed: number; completed_on_time: number; arrived: number; arrived_on_time: number
    created: number; created_completed: number; created_chased: number; rated: number; rating_sum: number; rated_good: number
    completers: number; complaints: number
  }>`
    WITH completed AS (
      SELECT count(*)::int AS completed, count(*) FILTER (WHERE w.completed_at <= w.due_at)::int AS completed_on_time,
             count(DISTINCT w.completed_by)::int AS completers
      FROM work_order w WHERE ${within('completed_at')} ${team}
    ), arrived AS (
      SELECT count(*)::int AS arrived, count(*) FILTER (WHERE w.arrived_at <= w.response_due_at)::int AS arrived_on_time
      FROM work_order w WHERE ${within('arrived_at')} ${team}
    ), created AS (
      SELECT count(*)::int AS created,
             count(*) FILTER (WHERE w.completed_at IS NOT NULL AND w.completed_at < ${end})::int AS created_completed,
             count(*) FILTER (WHERE w.chase_count > 0)::int AS created_chased,
             count(*) FILTER (WHERE c.code = 'complaint')::int AS complaints
      FROM work_order w JOIN category c ON c.id = w.category_id
      WHERE ${within('created_at')} AND w.status <> 'cancelled' ${team}
    ), rated AS (
      SELECT count(*)::int AS rated, coalesce(sum(w.rating_score), 0)::int AS rating_sum,
             count(*) FILTER (WHERE w.rating_score >= 4)::int AS rated_good
      FROM work_order w WHERE ${within('rated_at')} ${team}
    )
    SELECT * FROM completed, arrived, created, rated`.execute(db)
  const h = head.rows[0]!

  const weekly = await sql<{ week: string; category_id: number; category: string; category_en: string; orders: number }>`
    SELECT to_char(date_trunc('week', ${localDay('created_at')}), 'YYYY-MM-DD') AS week, c.id AS category_id, c.name AS category, c.name_en AS category_en, count(*)::int AS orders
    FROM work_order w JOIN category c ON c.id = w.category_id
    WHERE ${within('created_at')} AND w.status <> 'cancelled' ${team}
    GROUP BY 1, 2, 3, 4 ORDER BY 1, 2`.execute(db)

  const daily = await sql<{ day: string; completed: number; completed_on_time: number }>`
    SELECT to_char(${localDay('completed_at')}, 'YYYY-MM-DD') AS day, count(*)::int AS completed,
           count(*) FILTER (WHERE w.completed_at <= w.due_at)::int AS completed_on_time
    FROM work_order w WHERE ${within('completed_at')} ${team}
    GROUP BY 1 ORDER BY 1`.execute(db)

  const staff = await sql<{ staff_id: number; name: string; team_id: number; completed: number; completed_on_time: number; mean_response_min: number | null; mean_completion_min: number | null }>`
    SELECT s.id AS staff_id, s.name, s.team_id, count(*)::int AS completed,
           count(*) FILTER (WHERE w.completed_at <= w.due_at)::int AS completed_on_time,
           round((avg(extract(epoch FROM w.arrived_at - w.dispatched_at)) / 60)::numeric, 1)::float8 AS mean_response_min,
           round((avg(extract(epoch FROM w.completed_at - w.created_at)) / 60)::numeric, 1)::float8 AS mean_completion_min
    FROM work_order w JOIN staff s ON s.id = w.completed_by
    WHERE ${within('completed_at')} ${team}
    GROUP BY s.id, s.name, s.team_id ORDER BY completed DESC, s.name`.execute(db)

  const complaints = await sql<{ item_id: number; item: string; item_en: string; orders: number }>`
    SELECT i.id AS item_id, i.name AS item, i.name_en AS item_en, count(*)::int AS orders
    FROM work_order w JOIN category c ON c.id = w.category_id JOIN item i ON i.id = w.item_id
    WHERE c.code = 'complaint' AND ${within('created_at')} AND w.status <> 'cancelled' ${team}
    GROUP BY i.id, i.name, i.name_en ORDER BY orders DESC, i.id`.execute(db)

  return {
    period: { from: q.from, to: q.to, timeZone: q.timeZone, teamId: q.teamId ?? null },
    counts: {
      created: h.created, completed: h.completed, completedOnTime: h.completed_on_time, arrived: h.arrived, arrivedOnTime: h.arrived_on_time,
      createdCompleted: h.created_completed, createdChased: h.created_chased, rated: h.rated, complaints: h.complaints,
    },
    timelinessRate: ratio(h.completed_on_time, h.completed),
    responseOnTimeRate: ratio(h.arrived_on_time, h.arrived),
    completionRate: ratio(h.created_completed, h.created),
    chaseRate: ratio(h.created_chased, h.created),
    satisfaction: { mean: ratio(h.rating_sum, h.rated), goodShare: ratio(h.rated_good, h.rated), rated: h.rated },
    volumePerStaff: ratio(h.completed, h.completers),
    weeklyByCategory: weekly.rows.map((r) => ({ week: r.week, categoryId: r.category_id, category: r.category, categoryEn: r.category_en, orders: r.orders })),
    dailyTimeliness: daily.rows.map((r) => ({ day: r.day, completed: r.completed, completedOnTime: r.completed_on_time, rate: ratio(r.completed_on_time, r.completed) })),
    perStaff: staff.rows.map((r) => ({
      staffId: r.staff_id, name: r.name, teamId: r.team_id, completed: r.completed, completedOnTime: r.completed_on_time,
      meanResponseMinutes: r.mean_response_min, meanCompletionMinutes: r.mean_completion_min,
    })),
    complaintsByCategory: complaints.rows.map((r) => ({ itemId: r.item_id, item: r.item, itemEn: r.item_en, orders: r.orders })),
  }
}
