// The administrator's reference data: catalogue items, extensions, staff duty and user accounts.
import { Type } from 'typebox'
import type { App } from '../http/types.ts'
import { errors, Nullable, StringEnum } from '../http/types.ts'
import { HttpError, badRequest, conflict, forbidden, notFound } from '../http/errors.ts'
import { OPEN } from '../workorders/lifecycle.ts'
import { recordDutyOverride } from '../rosters/rosters.service.ts'
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
  // set while five wrong passwords keep the account out (解锁 lifts it)
  lockedUntil: Nullable(Type.String({ format: 'date-time' })),
})
const Device = Nullable(Type.String({ maxLength: 100 }))
const minutesArray = (m: { routine: number; urgent: number; critical: number }) => URGENCIES.map((u) => m[u])

export async function adminRoutes(app: App, { db, config, now }: Services) {
  app.put('/api/items/:id', {
    schema: {
      params: Type.Object({ id: Id }),
      body: Type.Object({
        name: Type.String({ minLength: 1, maxLength: 100 }), nameEn: Type.String({ minLength: 1, maxLength: 100 }),
        responseMinutes: Minutes, completionMinutes: Minutes, tools: Type.Array(Type.String({ maxLength: 50 }), { maxItems: 20 }),
        script: Type.String({ maxLength: 4000 }), defaultTeamId: Nullable(Id), active: Type.Boolean(),
        // an order of the item becomes a feedback case of this class (server/src/feedback); null: it does not
        feedbackClass: Type.Optional(Nullable(StringEnum(['service', 'medical', 'environment', 'process'] as const))),
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
      ...(b.feedbackClass === undefined ? {} : { feedback_class: b.feedbackClass }),
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
    const row = await db.transaction().execute(async (trx) => {
      // ticked by hand: holds for today over the roster, and says who ticked it and when
      if (b.onDuty !== undefined) await recordDutyOverride(trx, person.id, b.onDuty, user, now(), config.timeZone)
      return trx.updateTable('staff').set({
        ...(b.onDuty !== undefined ? { on_duty: b.onDuty } : {}),
        // someone who left is off duty too, so routing never picks them
        ...(b.active !== undefined ? { active: b.active, ...(b.active ? {} : { on_duty: false }) } : {}),
        ...(b.name !== undefined ? { name: b.name.trim() } : {}),
        ...(b.phone !== undefined ? { phone: b.phone || null } : {}),
      }).where('id', '=', person.id).returning(['id', 'name', 'on_duty', 'active']).executeTakeFirstOrThrow()
    })
    return { id: row.id, name: row.name, onDuty: row.on_duty, active: row.active }
  })

  app.get('/api/users', { schema: { response: { 200: Type.Object({ items: Type.Array(User) }), ...errors } } }, async () => {
    const rows = await db.selectFrom('app_user').select(['id', 'username', 'display_name', 'role', 'team_id', 'staff_id', 'phone_device', 'active', 'locked_until']).orderBy('id').execute()
    const now = new Date()
    return {
      items: rows.map((r) => ({
        id: r.id, username: r.username, displayName: r.display_name, role: r.role, teamId: r.team_id, staffId: r.staff_id, phoneDevice: r.phone_device, active: r.active,
        lockedUntil: r.locked_until && r.locked_until > now ? r.locked_until.toISOString() : null,
      })),
    }
  })

  app.post('/api/users', {
    schema: {
      body: Type.Object({
        username: Type.String({ minLength: 2, maxLength: 50, pattern: '^[a-zA-Z0-9_.-]+$' }), displayName: Type.String({ minLength: 1, maxLength: 100 }),
        role: StringEnum(ROLES), password: Type.String({ minLength: 8, maxLength: 200 }), teamId: Type.Optional(Nullable(Id)), staffId: Type.Optional(Nullable(Id)),
        phoneDevice: Type.Optional(Device),
      }, { additionalProperties: false }),
      response: { 201: Type.Object({ id: Type.Integer() }), ...errors },
    },
  }, async (request, reply) => {
    const b = request.body
    const link = await checkLink(db, null, { staffId: b.staffId, teamId: b.teamId, phoneDevice: b.phoneDevice, active: true })
    const row = await uniqueDevice(db.insertInto('app_user').values({
      username: b.username, display_name: b.displayName, role: b.role, password_hash: await hashPassword(b.password),
      team_id: link.team_id ?? null, staff_id: link.staff_id ?? null, phone_device: link.phone_device ?? null,
    }).onConflict((oc) => oc.column('username').doNothing()).returning('id').executeTakeFirst())
    if (!row) throw new HttpError(409, 'conflict', `username ${b.username} is taken`, 'username')
    return reply.status(201).send({ id: row.id })
  })

  app.patch('/api/users/:id', {
    schema: {
      params: Type.Object({ id: Id }),
      body: Type.Object({
        role: Type.Optional(StringEnum(ROLES)), active: Type.Optional(Type.Boolean()), password: Type.Optional(Type.String({ minLength: 8, maxLength: 200 })),
        displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' })),
        // the person this login is: their orders show on this login's phone; the team a lead leads
        staffId: Type.Optional(Nullable(Id)), teamId: Type.Optional(Nullable(Id)), phoneDevice: Type.Optional(Device),
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ id: Type.Integer() }), ...errors },
    },
  }, async (request) => {
    const b = request.body
    if (request.params.id === request.user!.id && (b.active === false || (b.role && b.role !== 'admin'))) throw badRequest('role', 'an administrator cannot lock themselves out')
    const current = await db.selectFrom('app_user').select(['id', 'active', 'phone_device']).where('id', '=', request.params.id).executeTakeFirst()
    if (!current) throw notFound(`user ${request.params.id}`)
    const link = await checkLink(db, current.id, {
      staffId: b.staffId, teamId: b.teamId, active: b.active ?? current.active,
      // reactivating an account takes its device back only if nobody else has it now
      phoneDevice: b.phoneDevice !== undefined ? b.phoneDevice : b.active ? current.phone_device : undefined,
    })
    const set = {
      ...(b.role ? { role: b.role } : {}), ...(b.active !== undefined ? { active: b.active } : {}),
      ...(b.displayName ? { display_name: b.displayName.trim() } : {}),
      // a new password set by the administrator also lifts a sign-in lock: it is how a locked-out user gets back in
      ...(b.password ? { password_hash: await hashPassword(b.password), failed_logins: 0, locked_until: null } : {}),
      ...link,
    }
    if (Object.keys(set).length === 0) throw badRequest('body', 'nothing to change')
    await uniqueDevice(db.updateTable('app_user').set(set).where('id', '=', current.id).executeTakeFirst())
    // a locked, demoted or re-passworded account is signed out everywhere, its open sockets too; any
    // other change (a phone device, the person or team) reaches them as they are
    if (b.active === false || b.role || b.password) await signOutEverywhere(db, current.id)
    else await announceSessionChange(db, current.id)
    return { id: current.id }
  })
}

/** A 409 naming the field whose value another account already holds. */
const taken = (field: string, message: string) => new HttpError(409, 'conflict', message, field)

/**
 * The person, team and phone of a login, checked: the staff member exists and has not left (their
 * team is the login's unless another is given), and the phone device is no other active account's —
 * two accounts on one device would send the screen pop to the wrong person.
 */
async function checkLink(db: Services['db'], userId: number | null, b: { staffId?: number | null; teamId?: number | null; phoneDevice?: string | null; active: boolean }) {
  const set: { staff_id?: number | null; team_id?: number | null; phone_device?: string | null } = {}
  if (b.staffId !== undefined) {
    if (b.staffId !== null) {
      const person = await db.selectFrom('staff').select(['id', 'team_id']).where('id', '=', b.staffId).where('active', '=', true).executeTakeFirst()
      if (!person) throw badRequest('staffId', `no staff member ${b.staffId}`)
      if (b.teamId === undefined) set.team_id = person.team_id
    }
    set.staff_id = b.staffId
  }
  if (b.teamId !== undefined) {
    if (b.teamId !== null && !(await db.selectFrom('team').select('id').where('id', '=', b.teamId).executeTakeFirst())) throw badRequest('teamId', `no team ${b.teamId}`)
    set.team_id = b.teamId
  }
  if (b.phoneDevice !== undefined) {
    const device = b.phoneDevice?.trim() || null
    if (device && b.active) {
      let other = db.selectFrom('app_user').select('username').where('phone_device', '=', device).where('active', '=', true)
      if (userId !== null) other = other.where('id', '!=', userId)
      const holder = await other.executeTakeFirst()
      if (holder) throw taken('phoneDevice', `${device} is the phone of ${holder.username}: one device, one active account`)
    }
    set.phone_device = device
  }
  return set
}

/** The database's own guard (sql/0070) for two requests racing to the same device. */
async function uniqueDevice<T>(write: Promise<T>): Promise<T> {
  try { return await write } catch (err) {
    if ((err as { code?: string }).code === '23505' && String((err as { constraint?: string }).constraint ?? (err as Error).message).includes('phone_device')) {
      throw taken('phoneDevice', 'this phone device belongs to another active account')
    }
    throw err
  }
}
