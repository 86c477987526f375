// What the reports read beyond computeKpis(): the same rollup (kpi_rows) cut by team and item,
// and the orders themselves where the rollup has no column (place, chases received, ratings).
// A period is [from, to] in local days of the hospital's time zone, as for the KPIs.
import { sql, type Kysely } from 'kysely'
import type { DB } from '../db/types.ts'
import type { KpiQuery } from '../kpi/kpi.queries.ts'
import type { OrderRow } from './reports.document.ts'

const bounds = (q: KpiQuery) => ({
  start: sql`(${q.from}::date::timestamp AT TIME ZONE ${q.timeZone})`,
  end: sql`((${q.to}::date + 1)::timestamp AT TIME ZONE ${q.timeZone})`,
})

export function findTeam(db: Kysely<DB>, id: number) {
  return db.selectFrom('team').select(['id', 'name', 'name_en']).where('id', '=', id).executeTakeFirst()
}

/** Chase rate by team and by item, from the rollup computeKpis() has just brought up to date. */
export async function chasesBy(db: Kysely<DB>, q: KpiQuery) {
  const team = q.teamId ? sql`AND r.team_id = ${q.teamId}` : sql``
  const { rows } = await sql<{ set: 'team' | 'item'; team_id: number | null; team: string | null; team_en: string | null; item_id: number | null; item: string | null; item_en: string | null; category: string | null; category_en: string | null; created: number; chased: number }>`
    SELECT CASE WHEN grouping(t.id) = 0 THEN 'team' ELSE 'item' END AS set,
           t.id AS team_id, t.name AS team, t.name_en AS team_en, i.id AS item_id, i.name AS item, i.name_en AS item_en, c.name AS category, c.name_en AS category_en,
           sum(r.created)::int AS created, sum(r.created_chased)::int AS chased
    FROM kpi_rows(${q.from}::date, ${q.to}::date) r JOIN team t ON t.id = r.team_id JOIN item i ON i.id = r.item_id JOIN category c ON c.id = i.category_id
    WHERE true ${team}
    GROUP BY GROUPING SETS ((t.id, t.name, t.name_en), (i.id, i.name, i.name_en, c.id, c.name, c.name_en))
    HAVING sum(r.created) > 0`.execute(db)
  return {
    byTeam: rows.filter((r) => r.set === 'team').sort((a, b) => a.team_id! - b.team_id!),
    byItem: rows.filter((r) => r.set === 'item').sort((a, b) => b.chased - a.chased || b.created - a.created || a.item_id! - b.item_id!),
  }
}

/** Complaints (complaint items, not cancelled) created in the period, by class and place. */
export async function complaintsByPlace(db: Kysely<DB>, q: KpiQuery) {
  const { start, end } = bounds(q)
  const team = q.teamId ? sql`AND w.team_id = ${q.teamId}` : sql``
  const { rows } = await sql<{ item_id: number; item: string; item_en: string; place: string; place_en: string | null; orders: number }>`
    SELECT i.id AS item_id, i.name AS item, i.name_en AS item_en, l.name AS place, l.name_en AS place_en, count(*)::int AS orders
    FROM work_order w JOIN item i ON i.id = w.item_id JOIN location l ON l.id = w.location_id
    WHERE i.complaint AND w.status <> 'cancelled' AND w.created_at >= ${start} AND w.created_at < ${end} ${team}
    GROUP BY i.id, i.name, i.name_en, l.id, l.name, l.name_en
    ORDER BY orders DESC, i.id, l.id`.execute(db)
  return rows
}

/** Per person, among the orders they completed in the period: chases those orders received and their ratings. */
export async function staffExtras(db: Kysely<DB>, q: KpiQuery) {
  const { start, end } = bounds(q)
  const team = q.teamId ? sql`AND w.team_id = ${q.teamId}` : sql``
  const { rows } = await sql<{ staff_id: number; team: string; team_en: string; chases: number; chased: number; rated: number; mean_rating: number | null; rated_good: number }>`
    SELECT w.completed_by AS staff_id, min(t.name) AS team, min(t.name_en) AS team_en, sum(w.chase_count)::int AS chases, count(*) FILTER (WHERE w.chase_count > 0)::int AS chased,
           count(w.rating_score)::int AS rated, avg(w.rating_score)::float8 AS mean_rating, count(*) FILTER (WHERE w.rating_score >= 4)::int AS rated_good
    FROM work_order w JOIN staff s ON s.id = w.completed_by JOIN team t ON t.id = s.team_id
    WHERE w.completed_at >= ${start} AND w.completed_at < ${end} ${team}
    GROUP BY w.completed_by`.execute(db)
  return new Map(rows.map((r) => [r.staff_id, r]))
}

export interface OrderCursor { at: string; id: string }

/** The orders created in the period, oldest first, a page at a time after `after` (keyset on the created_at index). */
export async function orderPage(db: Kysely<DB>, q: KpiQuery, after: OrderCursor | null, limit: number, en: boolean): Promise<{ next: OrderCursor | null; rows: OrderRow[] }> {
  const { start, end } = bounds(q)
  const team = q.teamId ? sql`AND w.team_id = ${q.teamId}` : sql``
  const name = (table: string) => sql.raw(en ? `coalesce(nullif(${table}.name_en, ''), ${table}.name)` : `${table}.name`)
  const local = (column: string) => sql`to_char(${sql.ref(column)} AT TIME ZONE ${q.timeZone}, 'YYYY-MM-DD"T"HH24:MI:SS')`
  const past = after ? sql`AND (w.created_at, w.id) > (${after.at}::timestamptz, ${after.id}::bigint)` : sql``
  const { rows } = await sql<{ id: string; at: string; number: string; created: string; category: string; item: string; location: string; team: string; assignee: string | null; status: string; urgency: string; chase_count: number; response_ok: boolean | null; completion_ok: boolean | null; completed: string | null; rating_score: number | null }>`
    SELECT w.id, w.created_at::text AS at, w.number, ${local('w.created_at')} AS created, ${name('c')} AS category, ${name('i')} AS item, l.full_name AS location, ${name('t')} AS team,
           s.name AS assignee, w.status, w.urgency, w.chase_count, w.arrived_at <= w.response_due_at AS response_ok, w.completed_at <= w.due_at AS completion_ok,
           ${local('w.completed_at')} AS completed, w.rating_score
    FROM work_order w JOIN item i ON i.id = w.item_id JOIN category c ON c.id = w.category_id JOIN location l ON l.id = w.location_id
      JOIN team t ON t.id = w.team_id LEFT JOIN staff s ON s.id = w.assignee_id
    WHERE w.created_at >= ${start} AND w.created_at < ${end} ${past} ${team}
    ORDER BY w.created_at, w.id LIMIT ${limit}`.execute(db)
  return {
    next: rows.length === limit ? { at: rows[limit - 1]!.at, id: String(rows[limit - 1]!.id) } : null,
    rows: rows.map((r) => [r.number, r.created, r.category, r.item, r.location, r.team, r.assignee, r.status, r.urgency, r.chase_count, r.response_ok, r.completion_ok, r.completed, r.rating_score]),
  }
}

export async function countOrders(db: Kysely<DB>, q: KpiQuery) {
  const { start, end } = bounds(q)
  const team = q.teamId ? sql`AND w.team_id = ${q.teamId}` : sql``
  const { rows: [r] } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM work_order w WHERE w.created_at >= ${start} AND w.created_at < ${end} ${team}`.execute(db)
  return r!.n
}
