// Rules and transactions of the work order: create (route, assign, number, deadlines), move through
// the lifecycle, chase, rate. Live events are published inside each transaction and leave at commit.
import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB, Urgency, WorkOrderRow, WorkOrderStatus } from '../db/types.ts'
import type { SessionUser } from '../accounts/sessions.ts'
import { HttpError, badRequest, conflict, forbidden, notFound } from '../http/errors.ts'
import { publish, type LiveEventType } from '../live/events.ts'
import { executePrepared } from '../db/db.ts'
import { addEvents, findWorkOrder, lockWorkOrder, recipients, type EventInput } from './workorders.queries.ts'
import { CHASEABLE, LIFECYCLE, STAMPS, mayAct, type Action } from './lifecycle.ts'
import { URGENCIES, type CreateWorkOrder, type Transition, type WorkOrder } from './workorders.schemas.ts'

export interface Actor { userId: number | null; name: string; user?: SessionUser }
export const actorOf = (user: SessionUser): Actor => ({ userId: user.id, name: user.displayName, user })

export const urgencyIndex = (u: Urgency) => URGENCIES.indexOf(u)

export function orderEventData(o: WorkOrderRow, action?: string) {
  return { id: o.id, number: o.number, status: o.status, version: o.version, teamId: o.team_id, assigneeId: o.assignee_id, chaseCount: o.chase_count, escalationLevel: o.escalation_level, ...(action ? { action } : {}) }
}

/** WO-YYYYMMDD-NNNN with the hospital's local date; the counter row is per day. */
export async function nextOrderNumber(trx: Transaction<DB>, timeZone: string, at: Date = new Date()): Promise<string> {
  const { rows } = await sql<{ day: string; last: number }>`
    INSERT INTO order_counter (day, last) VALUES ((${at}::timestamptz AT TIME ZONE ${timeZone})::date, 1)
    ON CONFLICT (day) DO UPDATE SET last = order_counter.last + 1
    RETURNING to_char(day, 'YYYYMMDD') AS day, last`.execute(trx)
  const { day, last } = rows[0]!
  return `WO-${day}-${String(last).padStart(4, '0')}`
}

export async function notify(trx: Transaction<DB>, order: WorkOrderRow, who: ('assignee' | 'team_lead' | 'manager')[], kind: string, message: string) {
  const users = await recipients(trx, order, who)
  if (users.length === 0) return
  await trx.insertInto('notification').values(users.map((u) => ({ user_id: u.id, work_order_id: order.id, kind, message }))).execute()
  for (const u of users) await publish(trx, 'notification', { userId: u.id, kind, message, workOrderId: order.id })
}

/**
 * Files an order in one database call (sql/0003_intake_functions.sql: route, assign, number,
 * deadlines, timeline, live event), then reads it back as the API shows it.
 */
export async function createWorkOrder(db: Kysely<DB>, input: CreateWorkOrder, actor: Actor, opts: { timeZone: string; idempotencyKey?: string }): Promise<{ order: WorkOrder; replayed: boolean }> {
  const payload = JSON.stringify({ ...input, idempotencyKey: opts.idempotencyKey })
  for (let attempt = 0; ; attempt++) {
    try {
      const [{ id, replayed }] = await executePrepared(db, sql<{ id: number; replayed: boolean }>`
        SELECT * FROM create_work_order(${payload}::jsonb, ${actor.userId}, ${actor.name}, ${opts.timeZone})`) as [{ id: number; replayed: boolean }]
      return { order: (await findWorkOrder(db, id))!, replayed }
    } catch (err) {
      const { code, message } = err as { code?: string; message: string }
      if (code === '22023') {
        const [field, ...rest] = message.split(': ')
        throw new HttpError(field === 'itemId' && rest.join(': ').startsWith('no routing') ? 422 : 400, field === 'itemId' && rest.join(': ').startsWith('no routing') ? 'unroutable' : 'bad_request', rest.join(': '), field)
      }
      // a concurrent retry with the same Idempotency-Key won: ask again and get its order
      if (code === '40001' && attempt < 3) continue
      throw err
    }
  }
}

/** A technician acts on their own orders (and takes from their team's pool); a team lead on the team's. */
function checkScope(actor: Actor, order: WorkOrderRow, action: Action) {
  const user = actor.user
  if (!user) return
  if (!mayAct(user.role, action)) throw forbidden(`role ${user.role} may not ${action} an order`)
  if (user.role === 'technician') {
    const own = order.assignee_id !== null && order.assignee_id === user.staffId
    const fromPool = action === 'accept' && order.assignee_id === null && order.team_id === user.teamId
    if (!own && !fromPool) throw forbidden('this order is not assigned to you')
  }
  if (user.role === 'team_lead' && order.team_id !== user.teamId) throw forbidden("this order is not your team's")
}

export async function transition(db: Kysely<DB>, id: number, input: Transition, actor: Actor): Promise<WorkOrder> {
  const rule = LIFECYCLE[input.action]
  if (rule.reasonRequired && !input.reason?.trim()) throw badRequest('reason', `${input.action} needs a reason`)
  if (input.action === 'reassign' && !input.assigneeId) throw badRequest('assigneeId', 'reassign needs assigneeId')

  return db.transaction().execute(async (trx) => {
    const order = await lockWorkOrder(trx, id)
    if (!order) throw notFound(`work order ${id}`)
    checkScope(actor, order, input.action)
    if (order.version !== input.version) {
      throw conflict(`order ${order.number} was changed by someone else (version ${order.version}, you sent ${input.version}); reload it`, { currentStatus: order.status, currentVersion: order.version })
    }
    if (!rule.from.includes(order.status)) {
      throw conflict(`cannot ${input.action} an order that is ${order.status}`, { currentStatus: order.status, currentVersion: order.version })
    }
    const now = new Date()
    const to: WorkOrderStatus = rule.to ?? order.held_from ?? 'dispatched'
    const set: Record<string, unknown> = { status: to, version: order.version + 1 }
    const stamp = STAMPS[input.action]
    if (stamp) set[stamp] = now
    const events: EventInput[] = []
    const liveType: LiveEventType = 'workorder.changed'

    switch (input.action) {
      case 'accept':
        // taking an order from the team pool makes it yours
        if (order.assignee_id === null && actor.user?.staffId) set.assignee_id = actor.user.staffId
        break
      case 'complete':
        // a porter who never pressed "arrived" was there when the job was done
        if (!order.arrived_at) set.arrived_at = now
        set.completion_note = input.note ?? null
        set.completed_by = order.assignee_id ?? actor.user?.staffId ?? null
        break
      case 'hold':
        set.held_from = order.status
        set.hold_reason = input.reason
        break
      case 'resume':
        set.held_from = null
        break
      case 'cancel':
        set.cancel_reason = input.reason
        break
      case 'reassign': {
        const person = await trx.selectFrom('staff').select(['id', 'team_id', 'name']).where('id', '=', input.assigneeId!).where('active', '=', true).executeTakeFirst()
        if (!person) throw badRequest('assigneeId', `no staff member ${input.assigneeId}`)
        if (actor.user?.role === 'team_lead' && person.team_id !== actor.user.teamId) throw forbidden('a team lead reassigns within the team')
        // moving to another team moves the job sheet to that team's service point too
        const point = person.team_id === order.team_id ? order.service_point_id
          : (await trx.selectFrom('service_point').select('id').where('team_id', '=', person.team_id).orderBy('id').limit(1).executeTakeFirst())?.id ?? null
        Object.assign(set, { assignee_id: person.id, team_id: person.team_id, service_point_id: point, printed_at: person.team_id === order.team_id ? order.printed_at : null, accepted_at: null, arrived_at: null, held_from: null, dispatched_at: now })
        events.push({ workOrderId: id, kind: 'reassigned', actorUserId: actor.userId, actorName: actor.name, note: `→ ${person.name}`, data: { from: order.assignee_id, to: person.id } })
        break
      }
      case 'reopen':
        Object.assign(set, { rework_count: order.rework_count + 1, completed_at: null, closed_at: null, completed_by: null, dispatched_at: now, accepted_at: null, escalation_level: 0 })
        break
    }
    // the set of columns depends only on the action: a handful of statement shapes, each planned once
    const [updated] = await executePrepared(trx, trx.updateTable('work_order').set(set).where('id', '=', id).returningAll()) as [WorkOrderRow]
    if (input.action === 'complete' && order.assignee_id) await executePrepared(trx, trx.updateTable('staff').set({ idle_since: now }).where('id', '=', order.assignee_id))
    events.unshift({
      workOrderId: id, kind: input.action, actorUserId: actor.userId, actorName: actor.name,
      fromStatus: order.status, toStatus: to, note: input.reason ?? input.note ?? null,
    })
    await addEvents(trx, events)
    await publish(trx, liveType, orderEventData(updated, input.action))
    return (await findWorkOrder(trx, id))!
  })
}

export async function chase(db: Kysely<DB>, id: number, input: { note?: string; callId?: string | null }, actor: Actor): Promise<WorkOrder> {
  return db.transaction().execute(async (trx) => {
    const order = await lockWorkOrder(trx, id)
    if (!order) throw notFound(`work order ${id}`)
    if (!CHASEABLE.includes(order.status)) throw conflict(`order ${order.number} is ${order.status}: there is nothing to chase`, { currentStatus: order.status, currentVersion: order.version })
    const updated = await trx.updateTable('work_order')
      .set({ chase_count: order.chase_count + 1, version: order.version + 1 })
      .where('id', '=', id).returningAll().executeTakeFirstOrThrow()
    const nth = updated.chase_count
    const events: EventInput[] = [{ workOrderId: id, kind: 'chase', actorUserId: actor.userId, actorName: actor.name, note: input.note ?? null, callId: input.callId ?? null, data: { count: nth } }]
    const text = `催单 #${nth}: ${order.number}${input.note ? ` — ${input.note}` : ''}`
    await notify(trx, updated, ['assignee', 'team_lead'], 'chase', text)
    if (nth === 2) {
      // the second chase means the requester has waited twice: the managers hear of it
      events.push({ workOrderId: id, kind: 'escalated', actorUserId: actor.userId, actorName: actor.name, note: 'second chase', data: { reason: 'chase', count: nth } })
      await notify(trx, updated, ['manager'], 'escalation', `升级: ${order.number} 已催单 ${nth} 次`)
    }
    await addEvents(trx, events)
    await publish(trx, 'workorder.chased', orderEventData(updated, 'chase'))
    return (await findWorkOrder(trx, id))!
  })
}

export async function rate(db: Kysely<DB>, id: number, input: { score: number; comment?: string }, actor: Actor): Promise<WorkOrder> {
  return db.transaction().execute(async (trx) => {
    const order = await lockWorkOrder(trx, id)
    if (!order) throw notFound(`work order ${id}`)
    if (order.status !== 'completed' && order.status !== 'closed') throw conflict(`order ${order.number} is ${order.status}: rate it once it is completed`, { currentStatus: order.status })
    const updated = await trx.updateTable('work_order')
      .set({ rating_score: input.score, rating_comment: input.comment ?? null, rated_at: new Date(), version: order.version + 1 })
      .where('id', '=', id).returningAll().executeTakeFirstOrThrow()
    await addEvents(trx, [{ workOrderId: id, kind: 'rated', actorUserId: actor.userId, actorName: actor.name, note: input.comment ?? null, data: { score: input.score } }])
    await publish(trx, 'workorder.changed', orderEventData(updated, 'rate'))
    return (await findWorkOrder(trx, id))!
  })
}
