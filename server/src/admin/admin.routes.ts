// The administrator's reference data: catalogue items, extensions, staff duty and user accounts.
import { Type } from 'typebox'
import type { App } from '../http/types.ts'
import { errors, Nullable, StringEnum } from '../http/types.ts'
import { HttpError, badRequest, conflict, forbidden, notFound } from '../http/errors.ts'
import { OPEN } from '../workorders/lifecycle.ts'
import type { Services } from '../services.ts'
import { hashPassword } from '../accounts/password.ts'
import { announceSessionChange, signOutEverywhere } from '../accounts/sessions.ts'
import { URGENCIES } from '../workorders/workorders.schemas.ts'

const Id = Type.Integer({ minimum: 1, maximum: 2147483647 })
const Minutes = Type.Object({ routine: Type.Integer({ minimum: 1, maximum: 100_000 }), urgent: Type.Integer({ minimum: 1, maximum: 100_000 }), critical: Type.Integer({ minimum: 1, maximum: 100_000 }) }, { additionalProperties: false })
const ROLES = ['operator', 'technician', 'team_lead', 'manager', 'callback_agent', 'dept_handler', 'admin'] as const
const User = Type.Object({
  id: Type.Integer(), username: Type.String(), displayName: Type.String(), role: Type.String(),
  teamId: Nullable(Type.Integer()), staffId: Nullable(Type.Integer()), phoneDevice: Nullable(Type.String()), active: Type.Boolean(),
})
const minutesArray = (m: { routine: number; urgent: number; critical: number }) => URGENCIES.map((u) => m[u])

export async function adminRoutes(app: App, { db }: Services) {
  app.put('/api/items/:id', {
    schema: {
      params: Type.Object({ id: Id }),
      body: Type.Object({
        name: Type.String({ minLength: 1, maxLength: 100 }), nameEn: Type.String({ minLength: 1, maxLength: 100 }),
        responseMinutes: Minutes, completionMinutes: Minutes, tools: Type.Array(Type.String({ maxLength: 50 }), { maxItems: 20 }),
        script: Type.String({ maxLength: 4000 }), defaultTeamId: Nullable(Id), active: Type.Boolean(),
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ id: Type.Integer() }), ...errors },
    },
  }, async (request) => {
    const b = request.body
    for (const u of URGENCIES) {
      if (b.completionMinutes[u] < b.responseMinutes[u]) throw badRequest(`completionMinutes.${u}`, 'the completion limit cannot be shorter than the response limit')
    }
    const res = await db.updateTable('item').set({
      name: b.name, name_en: b.nameEn, response_minutes: minutesArray(b.responseMinutes), completion_minutes: minutesArray(b.completionMinutes),
      tools: b.tools, script: b.script, default_team_id: b.defaultTeamId, active: b.active,
    }).where('id', '=', request.params.id).executeTakeFirst()
    if (Number(res.numUpdatedRows) === 0) throw notFound(`item ${request.params.id}`)
    return { id: request.params.id }
  })

  app.post('/api/extensions', {
    schema: {
      body: Type.Object({ number: Type.String({ minLength: 1, maxLength: 20, pattern: '^[0-9*#]+$' }), locationId: Id, label: Type.Optional(Type.String({ maxLength: 100 })) }, { additionalProperties: false }),
      response: { 201: Type.Object({ number: Type.String(), locationId: Type.Integer() }), ...errors },
    },
  }, async (request, reply) => {
    const { number, locationId, label } = request.body
    const row = await db.insertInto('extension').values({ number, location_id: locationId, label: label ?? null })
      .onConflict((oc) => oc.column('number').doNothing()).returning('number').executeTakeFirst()
    if (!row) throw conflict(`extension ${number} already belongs to a location`)
    return reply.status(201).send({ number, locationId })
  })

  app.delete('/api/extensions/:number', {
    schema: { params: Type.Object({ number: Type.String({ maxLength: 20 }) }), response: { 204: Type.Null(), ...errors } },
  }, async (request, reply) => {
    const res = await db.deleteFrom('extension').where('number', '=', request.params.number).executeTakeFirst()
    if (Number(res.numDeletedRows) === 0) throw notFound(`extension ${request.params.number}`)
    return reply.status(204).send(null)
  })

  // on/off duty decides who gets new orders; a team lead sets it for their own team. Only an
  // administrator renames a person or records that they left (their orders keep their name).
  app.patch('/api/staff/:id', {
    schema: {
      params: Type.Object({ id: Id }),
      body: Type.Object({
        onDuty: Type.Optional(Type.Boolean()), active: Type.Optional(Type.Boolean()),
        name: Type.Optional(Type.String({ minLength: 1, maxLength: 50, pattern: '\\S' })),
        phone: Type.Optional(Nullable(Type.String({ maxLength: 30, pattern: '^[0-9+\\-() ]*$' }))),
      }, { additionalProperties: false, minProperties: 1 }),
      response: { 200: Type.Object({ id: Type.Integer(), name: Type.String(), onDuty: Type.Boolean(), active: Type.Boolean() }), ...errors },
    },
  }, async (request) => {
    const b = request.body
    const user = request.user!
    const person = await db.selectFrom('staff').select(['id', 'team_id', 'name']).where('id', '=', request.params.id).executeTakeFirst()
    if (!person) throw notFound(`staff member ${request.params.id}`)
    if (user.role === 'team_lead' && person.team_id !== user.teamId) throw forbidden('a team lead sets duty for their own team')
    const beyondDuty = (['active', 'name', 'phone'] as const).find((f) => b[f] !== undefined)
    if (beyondDuty && user.role !== 'admin') throw forbidden(`only an administrator changes a person's ${beyondDuty}`)
    if (b.active === false) {
      // whoever leaves hands their open orders on first, so none waits for someone who is gone
      const { open } = await db.selectFrom('work_order').select((eb) => eb.fn.countAll<number>().as('open'))
        .where('assignee_id', '=', person.id).where('status', 'in', OPEN).executeTakeFirstOrThrow()
      if (Number(open) > 0) throw new HttpError(409, 'conflict', `${person.name} still has ${open} open order(s): reassign them first`, 'active')
    }
    const row = await db.updateTable('staff').set({
      ...(b.onDuty !== undefined ? { on_duty: b.onDuty } : {}),
      // someone who left is off duty too, so routing never picks them
      ...(b.active !== undefined ? { active: b.active, ...(b.active ? {} : { on_duty: false }) } : {}),
      ...(b.name !== undefined ? { name: b.name.trim() } : {}),
      ...(b.phone !== undefined ? { phone: b.phone || null } : {}),
    }).where('id', '=', person.id).returning(['id', 'name', 'on_duty', 'active']).executeTakeFirstOrThrow()
    return { id: row.id, name: row.name, onDuty: row.on_duty, active: row.active }
  })

  app.get('/api/users', { schema: { response: { 200: Type.Object({ items: Type.Array(User) }), ...errors } } }, async () => {
    const rows = await db.selectFrom('app_user').select(['id', 'username', 'display_name', 'role', 'team_id', 'staff_id', 'phone_device', 'active']).orderBy('id').execute()
    return { items: rows.map((r) => ({ id: r.id, username: r.username, displayName: r.display_name, role: r.role, teamId: r.team_id, staffId: r.staff_id, phoneDevice: r.phone_device, active: r.active })) }
  })

  app.post('/api/users', {
    schema: {
      body: Type.Object({
        username: Type.String({ minLength: 2, maxLength: 50, pattern: '^[a-zA-Z0-9_.-]+$' }), displayName: Type.String({ minLength: 1, maxLength: 100 }),
        role: StringEnum(ROLES), password: Type.String({ minLength: 8, maxLength: 200 }), teamId: Type.Optional(Nullable(Id)), staffId: Type.Optional(Nullable(Id)),
        phoneDevice: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
      }, { additionalProperties: false }),
      response: { 201: Type.Object({ id: Type.Integer() }), ...errors },
    },
  }, async (request, reply) => {
    const b = request.body
    const row = await db.insertInto('app_user').values({
      username: b.username, display_name: b.displayName, role: b.role, password_hash: await hashPassword(b.password),
      team_id: b.teamId ?? null, staff_id: b.staffId ?? null, phone_device: b.phoneDevice ?? null,
    }).onConflict((oc) => oc.column('username').doNothing()).returning('id').executeTakeFirst()
    if (!row) throw conflict(`username ${b.username} is taken`)
    return reply.status(201).send({ id: row.id })
  })

  app.patch('/api/users/:id', {
    schema: {
      params: Type.Object({ id: Id }),
      body: Type.Object({ role: Type.Optional(StringEnum(ROLES)), active: Type.Optional(Type.Boolean()), password: Type.Optional(Type.String({ minLength: 8, maxLength: 200 })), phoneDevice: Type.Optional(Nullable(Type.String({ maxLength: 100 }))) }, { additionalProperties: false }),
      response: { 200: Type.Object({ id: Type.Integer() }), ...errors },
    },
  }, async (request) => {
    const b = request.body
    if (request.params.id === request.user!.id && (b.active === false || (b.role && b.role !== 'admin'))) throw badRequest('role', 'an administrator cannot lock themselves out')
    const set = {
      ...(b.role ? { role: b.role } : {}), ...(b.active !== undefined ? { active: b.active } : {}),
      ...(b.password ? { password_hash: await hashPassword(b.password) } : {}), ...(b.phoneDevice !== undefined ? { phone_device: b.phoneDevice } : {}),
    }
    if (Object.keys(set).length === 0) throw badRequest('body', 'nothing to change')
    const res = await db.updateTable('app_user').set(set).where('id', '=', request.params.id).executeTakeFirst()
    if (Number(res.numUpdatedRows) === 0) throw notFound(`user ${request.params.id}`)
    // a locked or demoted account is signed out everywhere, its open sockets too; any other change
    // (a phone device) reaches them as they are
    if (b.active === false || b.role || b.password) await signOutEverywhere(db, request.params.id)
    else await announceSessionChange(db, request.params.id)
    return { id: request.params.id }
  })
}
