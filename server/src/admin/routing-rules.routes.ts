// Routing rules for administrators: list, create, edit (with version: two admins editing the same
// rule cannot overwrite each other), delete, and "which team would get this?".
import { Type, type Static } from 'typebox'
import { sql, type Selectable } from 'kysely'
import type { App } from '../http/types.ts'
import { errors, Nullable, IsoDate } from '../http/types.ts'
import { badRequest, conflict, notFound } from '../http/errors.ts'
import type { Services } from '../services.ts'
import type { RoutingRuleTable } from '../db/types.ts'
import { pickAssignee, routeOrder } from '../dispatch/routing.ts'
import { dutyAt } from '../rosters/rosters.queries.ts'

const Id = Type.Integer({ minimum: 1, maximum: 2147483647 })
const HhMm = Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$' })
const RuleFields = {
  position: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
  name: Type.String({ minLength: 1, maxLength: 100 }),
  categoryId: Nullable(Id), itemId: Nullable(Id), campusId: Nullable(Id), buildingId: Nullable(Id),
  zone: Nullable(Type.String({ maxLength: 50 })), timeFrom: Nullable(HhMm), timeTo: Nullable(HhMm),
  teamId: Id, servicePointId: Nullable(Id), active: Type.Boolean(),
}
const RuleInput = Type.Object(RuleFields, { additionalProperties: false })
const RuleUpdate = Type.Object({ ...RuleFields, version: Type.Integer({ minimum: 1 }) }, { additionalProperties: false })
const Rule = Type.Object({ id: Type.Integer(), version: Type.Integer(), ...RuleFields })
type RuleInput = Static<typeof RuleInput>

const toRule = (r: Selectable<RoutingRuleTable>) => ({
  id: r.id, version: r.version, position: r.position, name: r.name, categoryId: r.category_id, itemId: r.item_id,
  campusId: r.campus_id, buildingId: r.building_id, zone: r.zone, timeFrom: r.time_from?.slice(0, 5) ?? null,
  timeTo: r.time_to?.slice(0, 5) ?? null, teamId: r.team_id, servicePointId: r.service_point_id, active: r.active,
})

function toRow(b: RuleInput) {
  if ((b.timeFrom === null) !== (b.timeTo === null)) throw badRequest(b.timeFrom === null ? 'timeFrom' : 'timeTo', 'a time window needs both timeFrom and timeTo')
  return {
    position: b.position, name: b.name, category_id: b.categoryId, item_id: b.itemId, campus_id: b.campusId, building_id: b.buildingId,
    zone: b.zone, time_from: b.timeFrom, time_to: b.timeTo, team_id: b.teamId, service_point_id: b.servicePointId, active: b.active,
  }
}

export async function routingRuleRoutes(app: App, { db, config, now }: Services) {
  app.get('/api/routing-rules', { schema: { response: { 200: Type.Object({ items: Type.Array(Rule) }), ...errors } } }, async () => ({
    items: (await db.selectFrom('routing_rule').selectAll().orderBy('position').orderBy('id').execute()).map(toRule),
  }))

  app.post('/api/routing-rules', { schema: { body: RuleInput, response: { 201: Rule, ...errors } } }, async (request, reply) => {
    const row = await db.insertInto('routing_rule').values(toRow(request.body)).returningAll().executeTakeFirstOrThrow()
    return reply.status(201).send(toRule(row))
  })

  app.put('/api/routing-rules/:id', { schema: { params: Type.Object({ id: Id }), body: RuleUpdate, response: { 200: Rule, ...errors } } }, async (request) => {
    const { version, ...fields } = request.body
    const row = await db.updateTable('routing_rule').set({ ...toRow(fields), version: sql<number>`version + 1` })
      .where('id', '=', request.params.id).where('version', '=', version).returningAll().executeTakeFirst()
    if (row) return toRule(row)
    const current = await db.selectFrom('routing_rule').select('version').where('id', '=', request.params.id).executeTakeFirst()
    if (!current) throw notFound(`routing rule ${request.params.id}`)
    throw conflict(`the rule was changed by someone else (version ${current.version}); reload it`, { currentVersion: current.version })
  })

  app.delete('/api/routing-rules/:id', { schema: { params: Type.Object({ id: Id }), response: { 204: Type.Null(), ...errors } } }, async (request, reply) => {
    const used = await db.selectFrom('work_order').select('id').where('routing_rule_id', '=', request.params.id).limit(1).executeTakeFirst()
    // orders keep the rule that routed them: a used rule is switched off instead of deleted
    const touched = used
      ? (await db.updateTable('routing_rule').set({ active: false, version: sql<number>`version + 1` }).where('id', '=', request.params.id).executeTakeFirst()).numUpdatedRows
      : (await db.deleteFrom('routing_rule').where('id', '=', request.params.id).executeTakeFirst()).numDeletedRows
    if (Number(touched) === 0) throw notFound(`routing rule ${request.params.id}`)
    return reply.status(204).send(null)
  })

  app.post('/api/routing-rules/test', {
    schema: {
      body: Type.Object({ itemId: Id, locationId: Id, at: Type.Optional(IsoDate) }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          team: Type.Object({ id: Type.Integer(), name: Type.String() }), servicePoint: Nullable(Type.Object({ id: Type.Integer(), name: Type.String() })),
          ruleId: Nullable(Type.Integer()), reason: Type.String(), assignee: Nullable(Type.Object({ id: Type.Integer(), name: Type.String() })),
          // people of the team on duty now: 0 means the order would wait in the team pool (the desk says so)
          onDuty: Type.Integer(),
        }),
        ...errors,
      },
    },
  }, async (request) => {
    const item = await db.selectFrom('item').selectAll().where('id', '=', request.body.itemId).executeTakeFirst()
    if (!item) throw badRequest('itemId', `no catalogue item ${request.body.itemId}`)
    const location = await db.selectFrom('location').selectAll().where('id', '=', request.body.locationId).executeTakeFirst()
    if (!location) throw badRequest('locationId', `no location ${request.body.locationId}`)
    // the same instant for the rule's time window and for who is rostered on
    const at = request.body.at ? new Date(request.body.at) : now()
    const decision = await routeOrder(db, {
      itemId: item.id, categoryId: item.category_id, defaultTeamId: item.default_team_id, campusId: location.campus_id,
      buildingId: location.building_id, zone: location.zone, at, timeZone: config.timeZone,
    })
    if (!decision) throw badRequest('itemId', 'no rule matches and the item has no default team')
    const team = await db.selectFrom('team').select(['id', 'name']).where('id', '=', decision.teamId).executeTakeFirstOrThrow()
    const point = decision.servicePointId ? await db.selectFrom('service_point').select(['id', 'name']).where('id', '=', decision.servicePointId).executeTakeFirst() : undefined
    const who = await pickAssignee(db, decision.teamId, at, config.timeZone)
    const assignee = who.staffId ? await db.selectFrom('staff').select(['id', 'name']).where('id', '=', who.staffId).executeTakeFirst() : undefined
    const onDuty = (await dutyAt(db, at, config.timeZone, decision.teamId)).filter((d) => d.onDuty).length
    return { team, servicePoint: point ?? null, ruleId: decision.ruleId, reason: `${decision.reason}；${who.reason}`, assignee: assignee ?? null, onDuty: Number(onDuty) }
  })
}
