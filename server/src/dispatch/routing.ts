// Dispatch: which team (routing rules, first match by position) and then which person (on duty in
// that team, fewest open orders, then longest idle). Both answers say why. The rules themselves
// are SQL functions (sql/0003_intake_functions.sql) so that intake runs them inside its one call;
// the admin's "which team would get this?" asks the very same functions.
import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from '../db/types.ts'

export interface RoutingInput {
  itemId: number
  categoryId: number
  defaultTeamId: number | null
  campusId: number | null
  buildingId: number | null
  zone: string | null
  at: Date
  timeZone: string
}

export interface RoutingDecision { teamId: number; servicePointId: number | null; ruleId: number | null; reason: string }

export async function routeOrder(db: Kysely<DB> | Transaction<DB>, i: RoutingInput): Promise<RoutingDecision | null> {
  const { rows } = await sql<{ team_id: number; service_point_id: number | null; rule_id: number | null; reason: string }>`
    SELECT * FROM route_order(${i.itemId}, ${i.categoryId}, ${i.defaultTeamId}, ${i.campusId}, ${i.buildingId}, ${i.zone}, ${i.at}, ${i.timeZone})`.execute(db)
  const r = rows[0]
  return r ? { teamId: r.team_id, servicePointId: r.service_point_id, ruleId: r.rule_id, reason: r.reason } : null
}

export interface AssigneeDecision { staffId: number | null; reason: string }

/** Among the people on duty at `at` by the roster (sql/0100 staff_duty), as intake picks them. */
export async function pickAssignee(db: Kysely<DB> | Transaction<DB>, teamId: number, at: Date, timeZone: string): Promise<AssigneeDecision> {
  const { rows } = await sql<{ staff_id: number | null; reason: string }>`SELECT * FROM pick_assignee(${teamId}, ${at}::timestamptz, ${timeZone})`.execute(db)
  return { staffId: rows[0]!.staff_id, reason: rows[0]!.reason }
}
