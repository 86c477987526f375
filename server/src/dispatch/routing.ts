// Dispatch: which team (routing rules, first match by position) and then which person
// (on duty in that team, fewest open orders, then longest idle). Both answers say why.
import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from '../db/types.ts'
import { OPEN } from '../workorders/lifecycle.ts'

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

export async function routeOrder(db: Kysely<DB> | Transaction<DB>, input: RoutingInput): Promise<RoutingDecision | null> {
  const localTime = sql<string>`(${input.at}::timestamptz AT TIME ZONE ${input.timeZone})::time`
  const rule = await db.selectFrom('routing_rule')
    .select(['id', 'name', 'team_id', 'service_point_id', 'category_id', 'item_id', 'campus_id', 'building_id', 'zone', 'time_from', 'time_to'])
    .where('active', '=', true)
    .where((eb) => eb.and([
      eb.or([eb('item_id', 'is', null), eb('item_id', '=', input.itemId)]),
      eb.or([eb('category_id', 'is', null), eb('category_id', '=', input.categoryId)]),
      eb.or([eb('campus_id', 'is', null), eb('campus_id', '=', input.campusId)]),
      eb.or([eb('building_id', 'is', null), eb('building_id', '=', input.buildingId)]),
      eb.or([eb('zone', 'is', null), eb('zone', '=', input.zone)]),
      // a window may wrap midnight: 22:00–06:00
      sql<boolean>`(time_from IS NULL
        OR (time_from <= time_to AND ${localTime} >= time_from AND ${localTime} < time_to)
        OR (time_from > time_to AND (${localTime} >= time_from OR ${localTime} < time_to)))`,
    ]))
    .orderBy('position').orderBy('id')
    .limit(1)
    .executeTakeFirst()
  if (rule) {
    const matched = [
      rule.item_id && 'item', rule.category_id && 'category', rule.campus_id && 'campus', rule.building_id && 'building',
      rule.zone && `zone ${rule.zone}`, rule.time_from && `time ${rule.time_from.slice(0, 5)}–${rule.time_to!.slice(0, 5)}`,
    ].filter(Boolean)
    return {
      teamId: rule.team_id, servicePointId: rule.service_point_id, ruleId: rule.id,
      reason: `rule #${rule.id} "${rule.name}" matched on ${matched.length ? matched.join(', ') : 'fallback (no conditions)'}`,
    }
  }
  if (input.defaultTeamId) {
    const point = await db.selectFrom('service_point').select('id').where('team_id', '=', input.defaultTeamId).orderBy('id').limit(1).executeTakeFirst()
    return { teamId: input.defaultTeamId, servicePointId: point?.id ?? null, ruleId: null, reason: "no rule matched: the item's default team" }
  }
  return null
}

export interface AssigneeDecision { staffId: number | null; reason: string }

export async function pickAssignee(db: Kysely<DB> | Transaction<DB>, teamId: number): Promise<AssigneeDecision> {
  const openCount = sql<number>`(SELECT count(*)::int FROM work_order w WHERE w.assignee_id = staff.id AND w.status IN (${sql.join(OPEN)}))`
  const person = await db.selectFrom('staff')
    .select(['id', 'name', openCount.as('open_orders')])
    .where('team_id', '=', teamId).where('on_duty', '=', true).where('active', '=', true)
    .orderBy(openCount).orderBy('idle_since').orderBy('id')
    .limit(1)
    .executeTakeFirst()
  if (!person) return { staffId: null, reason: 'nobody on duty: left in the team pool' }
  return { staffId: person.id, reason: `${person.name}: on duty with ${person.open_orders} open order(s), idle longest among equals` }
}
