// Rules and transactions of the work order: create (route, assign, number, deadlines), move through
// the lifecycle, chase, rate. Live events are published inside each transaction and leave at commit.
import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely'
import type { DB, Urgency, WorkOrderRow } from '../db/types.ts'
import type { SessionUser } from '../accounts/sessions.ts'
import { HttpError, badRequest, conflict, forbidden, notFound } from '../http/errors.ts'
import { publish, type OrderEventData } from '../live/events.ts'
import { LIVE_CHANNEL, executePrepared } from '../db/db.ts'
import { addEvents, findWorkOrder, fromJson, lockWorkOrder, recipients, toWorkOrder, type EventInput, type Recipient } from './workorders.queries.ts'
import { CHASEABLE, LIFECYCLE, STAMPS, actsOnBehalf, mayAct, type Action } from './lifecycle.ts'
import { URGENCIES, type CreateWorkOrder, type Transition, type WorkOrder } from './workorders.schemas.ts'

export interface Actor { userId: number | null; name: string; user?: SessionUser }
export const actorOf = (user: SessionUser): Actor => ({ userId: user.id, name: user.displayName, user })

export const urgencyIndex = (u: Urgency) => URGENCIES.indexOf(u)

/** What a live event says of the order: event key → column. One list for events built here and in SQL. */
const EVENT_FIELDS = {
  id: 'id', number: 'number', status: 'status', version: 'version', teamId: 'team_id',
  assigneeId: 'assignee_id', chaseCount: 'chase_count', escalationLevel: 'escalation_level',
} as const satisfies Record<string, keyof WorkOrderRow>

export function orderEventData(o: WorkOrderRow, action?: string): OrderEventData {
  const data = Object.fromEntries(Object.entries(EVENT_FIELDS).map(([key, column]) => [key, o[column]]))
  return { ...data, ...(action ? { action } : {}) } as OrderEventData
}

/** The same, as SQL over the row `alias` (for an event sent from inside a statement). */
function orderEventJson(alias: string, action: string) {
  const pairs = Object.entries(EVENT_FIELDS).map(([key, column]) => sql`${sql.lit(key)}, ${sql.ref(`${alias}.${column}`)}`)
  return sql`json_build_object(${sql.join(pairs)}, 'action', ${sql.lit(action)})`
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

export async function notify(trx: Transaction<DB>, order: WorkOrderRow, who: Recipient[], kind: string, message: string) {
  const users = await recipients(trx, order, who)
  if (users.length === 0) return
  const rows = await trx.insertInto('notification').values(users.map((u) => ({ user_id: u.id, work_order_id: order.id, kind, message }))).returning(['id', 'user_id']).execute()
  // the id lets a toast mark its notice read; the urgency decides whether it stays until dismissed
  for (const r of rows) await publish(trx, 'notification', { id: r.id, userId: r.user_id, kind, message, workOrderId: order.id, number: order.number, urgency: order.urgency })
}

/**
 * Tells the person an order was just given to (and, for a critical order, the team's leads), in one
 * statement after the filing or reassignment committed: a notice row each and its live event.
 */
export async function noticeAssigned(db: Kysely<DB>, id: number) {
  await sql`
    WITH o AS (SELECT id, number, urgency, team_id, assignee_id, '派单: ' || number AS message FROM work_order WHERE id = ${id}::bigint),
    n AS (
      INSERT INTO notification (user_id, work_order_id, kind, message)
      SELECT u.id, o.id, 'assignment', o.message FROM o JOIN app_user u ON u.active
        AND (u.staff_id = o.assignee_id OR (o.urgency = 'critical' AND u.role = 'team_lead' AND u.team_id = o.team_id))
      RETURNING id, user_id)
    SELECT pg_notify(${LIVE_CHANNEL}, json_build_object('type', 'notification', 'at', now()::text, 'data', json_build_object(
      'id', n.id, 'userId', n.user_id, 'kind', 'assignment', 'message', o.message, 'workOrderId', o.id, 'number', o.number, 'urgency', o.urgency))::text)
    FROM n, o`.execute(db)
}

/** how far in the past a requested time may be (clocks differ; a form left open a few minutes) */
const BOOKED_GRACE_MS = 5 * 60_000

/**
 * Files an order in one database call (sql/0003 create_work_order: route, assign, number,
 * deadlines, timeline, live event; sql/0008 file_work_order answers with the order as shown).
 */
export async function createWorkOrder(db: Kysely<DB>, input: CreateWorkOrder, actor: Actor, opts: { timeZone: string; idempotencyKey?: string; now?: Date }): Promise<{ order: WorkOrder; replayed: boolean }> {
  // a booked time already gone is a typing slip (old orders come in through the import, not here)
  // (a retry of an order already filed with that time is answered with the order, below)
  const past = input.requestedAt && new Date(input.requestedAt).getTime() < Date.now() - BOOKED_GRACE_MS
  const filedBefore = past && opts.idempotencyKey && actor.userId
    ? await db.selectFrom('work_order').select('id').where('created_by', '=', actor.userId).where('idempotency_key', '=', opts.idempotencyKey).executeTakeFirst()
    : undefined
  if (past && !filedBefore) {
    throw new HttpError(400, 'bad_request', '预约时间已经过去：请选择将来的时间', 'requestedAt', { messageEn: 'the booked time has passed: choose a time in the future' })
  }
  // dutyAt: the instant whose roster says who is on duty (the app's clock, never the caller's)
  const payload = JSON.stringify({ ...input, idempotencyKey: opts.idempotencyKey, dutyAt: opts.now ?? null })
  for (let attempt = 0; ; attempt++) {
    try {
      const [filed] = await executePrepared(db, sql<{ replayed: boolean; work_order: Record<string, unknown> }>`
        SELECT * FROM file_work_order(${payload}::jsonb, ${actor.userId}, ${actor.name}, ${opts.timeZone})`)
      const order = toWorkOrder(fromJson(filed!.work_order))
      if (filed!.replayed) {
        const differs = differsFromRequest(order, input)
        if (differs) throw new HttpError(422, 'idempotency_key_reused', `Idempotency-Key was used for order ${order.number}, whose ${differs} was different: use a new key for a new order`, 'Idempotency-Key', { number: order.number, differs })
      }
      if (!filed!.replayed && (order.assignee || order.urgency === 'critical')) await noticeAssigned(db, order.id)
      return { order, replayed: filed!.replayed }
    } catch (err) {
      const { code, message } = err as { code?: string; message: string }
      const { detail } = err as { detail?: string }
      if (code === '22023' && detail) {
        // the booking's refusals come in Chinese (detail) with the English as the message
        const [field, ...rest] = message.split(': ')
        throw new HttpError(400, 'bad_request', detail, field, { messageEn: rest.join(': ') })
      }
      if (code === 'HL409') throw new HttpError(409, 'slot_full', detail ?? message, 'bookedFor', { messageEn: message.replace(/^bookedFor: /, '') })
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

/**
 * Which field of a retried request is not what the order it replays was filed with (undefined: it
 * is the same request). Fields the request left out took a default, so only those it sent count.
 */
function differsFromRequest(order: WorkOrder, input: CreateWorkOrder): string | undefined {
  const checks: [string, boolean][] = [
    ['itemId', order.item.id === input.itemId],
    ['locationId', order.location.id === input.locationId],
    ['urgency', order.urgency === input.urgency],
    ['description', order.description === (input.description ?? '')],
    ['requester.name', order.requester.name === input.requester.name],
    ['requester.phone', order.requester.phone === (input.requester.phone ?? null)],
    ['requester.extension', order.requester.extension === (input.requester.extension ?? null)],
    ['requestedAt', !input.requestedAt || new Date(input.requestedAt).getTime() === new Date(order.requestedAt).getTime()],
    ['bookedFor', !input.bookedFor || (order.bookedFor !== null && new Date(input.bookedFor).getTime() === new Date(order.bookedFor).getTime())],
    // no tools (or none listed) took the item's own
    ['tools', !input.tools?.length || order.tools.join('\n') === input.tools.join('\n')],
    ['source', order.source === (input.source ?? 'phone')],
    ['callId', order.callId === (input.callId ?? null)],
  ]
  return checks.find(([, ok]) => !ok)?.[0]
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

/**
 * What an action writes, as SQL over the order it changes. On the right-hand side a column means
 * its value before the change (UPDATE semantics), so "hold" remembers the status it interrupts.
 */
function effects(input: Transition, actor: Actor, now: Date, target: { id: number; teamId: number; servicePointId: number | null } | null) {
  const rule = LIFECYCLE[input.action]
  const set: Record<string, RawBuilder<unknown>> = {
    status: rule.to ? sql`${rule.to}` : sql`coalesce(held_from, 'dispatched')`,
    version: sql`version + 1`,
  }
  const stamp = STAMPS[input.action]
  if (stamp) set[stamp] = sql`${now}`
  const staffId = actor.user?.staffId ?? null
  switch (input.action) {
    case 'accept':
      // taking an order from the team pool makes it yours
      if (staffId) set.assignee_id = sql`coalesce(assignee_id, ${staffId}::int)`
      break
    case 'complete':
      // a porter who never pressed "arrived" was there when the job was done
      set.arrived_at = sql`coalesce(arrived_at, ${now})`
      set.completion_note = sql`${input.note ?? null}::text`
      set.completed_by = sql`coalesce(assignee_id, ${staffId}::int)`
      break
    case 'hold':
      set.held_from = sql`status`
      set.hold_reason = sql`${input.reason}::text`
      break
    case 'resume':
      set.held_from = sql`NULL`
      break
    case 'cancel':
      set.cancel_reason = sql`${input.reason}::text`
      break
    case 'reassign': {
      // moving to another team moves the job sheet to that team's service point (and print queue) too
      const t = target!
      Object.assign(set, {
        assignee_id: sql`${t.id}::int`, team_id: sql`${t.teamId}::int`,
        service_point_id: sql`CASE WHEN team_id = ${t.teamId}::int THEN service_point_id ELSE ${t.servicePointId}::int END`,
        printed_at: sql`CASE WHEN team_id = ${t.teamId}::int THEN printed_at END`,
        accepted_at: sql`NULL`, arrived_at: sql`NULL`, held_from: sql`NULL`, dispatched_at: sql`${now}`,
      })
      break
    }
    case 'reopen':
      Object.assign(set, {
        rework_count: sql`rework_count + 1`, completed_at: sql`NULL`, closed_at: sql`NULL`, completed_by: sql`NULL`,
        dispatched_at: sql`${now}`, accepted_at: sql`NULL`, escalation_level: sql`0`,
      })
      break
  }
  return sql.join(Object.entries(set).map(([column, value]) => sql`${sql.ref(column)} = ${value}`))
}

/** Which orders this person may move at all: a technician their own (and the pool's, to accept), a team lead the team's. */
function scope(actor: Actor, action: Action) {
  const user = actor.user
  if (user?.role === 'technician') {
    return action === 'accept'
      ? sql`(w.assignee_id = ${user.staffId}::int OR (w.assignee_id IS NULL AND w.team_id = ${user.teamId}::int))`
      : sql`w.assignee_id = ${user.staffId}::int`
  }
  if (user?.role === 'team_lead') return sql`w.team_id = ${user.teamId}::int`
  return sql`true`
}

/**
 * Moves an order through its lifecycle in one statement: the update is pinned on the version the
 * client saw and on the states the action may start from, and writes the timeline and the live
 * event with it (they leave at commit). A stale version, a wrong state or an order out of scope
 * changes nothing; the order is then read to say which it was.
 */
export async function transition(db: Kysely<DB>, id: number, input: Transition, actor: Actor): Promise<WorkOrder> {
  const rule = LIFECYCLE[input.action]
  if (rule.reasonRequired && !input.reason?.trim()) throw badRequest('reason', `${input.action} needs a reason`)
  if (input.action === 'reassign' && !input.assigneeId) throw badRequest('assigneeId', 'reassign needs assigneeId')
  const onBehalf = actor.user ? actsOnBehalf(actor.user.role, input.action) : false
  if (onBehalf && !input.reason?.trim()) throw badRequest('reason', `${input.action} by a ${actor.user!.role} is done on the technician's behalf and needs a reason`)
  if (actor.user && !mayAct(actor.user.role, input.action)) throw await whyNot(db, id, input, actor)

  let target: { id: number; teamId: number; servicePointId: number | null; name: string } | null = null
  if (input.action === 'reassign') {
    const person = await db.selectFrom('staff').select(['id', 'team_id', 'name']).where('id', '=', input.assigneeId!).where('active', '=', true).executeTakeFirst()
    if (!person) throw badRequest('assigneeId', `no staff member ${input.assigneeId}`)
    if (actor.user?.role === 'team_lead' && person.team_id !== actor.user.teamId) throw forbidden('a team lead reassigns within the team')
    const point = await db.selectFrom('service_point').select('id').where('team_id', '=', person.team_id).orderBy('id').limit(1).executeTakeFirst()
    target = { id: person.id, teamId: person.team_id, servicePointId: point?.id ?? null, name: person.name }
  }

  const now = new Date()
  const note = input.reason ?? input.note ?? null
  // the action's own entry first, then (reassign) who it went to, in this order on the timeline
  // done for the technician: the timeline names whom it was done for
  const actionData = onBehalf ? sql`jsonb_build_object('onBehalfOf', b.assignee_name, 'onBehalfOfId', b.assignee_id)` : sql`NULL::jsonb`
  const events = [sql`(1, ${input.action}::text, b.status, c.status, ${note}::text, ${actionData})`]
  if (target) events.push(sql`(2, 'reassigned', NULL, NULL, ${`→ ${target.name}`}::text, jsonb_build_object('from', b.assignee_id, 'to', c.assignee_id))`)
  const moved = await executePrepared(db, sql<{ id: number }>`
    WITH before AS (SELECT w.status, w.assignee_id, s.name AS assignee_name FROM work_order w LEFT JOIN staff s ON s.id = w.assignee_id WHERE w.id = ${id}::bigint),
    changed AS (
      UPDATE work_order w SET ${effects(input, actor, now, target)}
      WHERE w.id = ${id}::bigint AND w.version = ${input.version}::int AND w.status IN (${sql.join(rule.from)}) AND ${scope(actor, input.action)}
        ${onBehalf ? sql`AND w.assignee_id IS NOT NULL` : sql``}
      RETURNING w.*),
    logged AS (
      INSERT INTO work_order_event (work_order_id, at, kind, actor_user_id, actor_name, from_status, to_status, note, data)
      SELECT c.id, ${now}, e.kind, ${actor.userId}::int, ${actor.name}::text, e.from_status, e.to_status, e.note, e.data
      FROM changed c, before b, LATERAL (VALUES ${sql.join(events)}) e(n, kind, from_status, to_status, note, data)
      ORDER BY e.n)
    ${input.action === 'complete' ? sql`, rested AS (UPDATE staff SET idle_since = ${now} FROM changed c WHERE staff.id = c.assignee_id)` : sql``}
    SELECT c.id, pg_notify(${LIVE_CHANNEL}, json_build_object('type', 'workorder.changed', 'at', ${now.toISOString()}::text,
      'data', ${orderEventJson('c', input.action)})::text)
    FROM changed c`)
  if (moved.length === 0) throw await whyNot(db, id, input, actor)
  if (target) await noticeAssigned(db, id)
  return (await findWorkOrder(db, id))!
}

/** The reason a transition changed nothing, from the order as it is now. */
async function whyNot(db: Kysely<DB>, id: number, input: Transition, actor: Actor): Promise<HttpError> {
  const order = await db.selectFrom('work_order').selectAll().where('id', '=', id).executeTakeFirst()
  if (!order) return notFound(`work order ${id}`)
  try { checkScope(actor, order, input.action) } catch (err) { return err as HttpError }
  const current = { currentStatus: order.status, currentVersion: order.version }
  if (order.version !== input.version) return conflict(`order ${order.number} was changed by someone else (version ${order.version}, you sent ${input.version}); reload it`, current)
  if (!LIFECYCLE[input.action].from.includes(order.status)) return conflict(`cannot ${input.action} an order that is ${order.status}`, current)
  if (actor.user && actsOnBehalf(actor.user.role, input.action) && order.assignee_id === null) return new HttpError(409, 'no_assignee', `order ${order.number} has nobody to act for: reassign it first`, 'assigneeId', current)
  return conflict(`order ${order.number} changed while you acted; reload it`, current)
}

/** A second chase of one order by the same person within this long is asked about first (a double click, a re-dial). */
export const CHASE_GUARD_MS = 60_000

export async function chase(db: Kysely<DB>, id: number, input: { note?: string; callId?: string | null; confirm?: boolean }, actor: Actor): Promise<WorkOrder> {
  return db.transaction().execute(async (trx) => {
    const order = await lockWorkOrder(trx, id)
    if (!order) throw notFound(`work order ${id}`)
    if (!CHASEABLE.includes(order.status)) throw conflict(`order ${order.number} is ${order.status}: there is nothing to chase`, { currentStatus: order.status, currentVersion: order.version })
    if (!input.confirm && actor.userId) {
      // under the order's row lock, so three clicks at once are one chase and two questions
      const recent = await trx.selectFrom('work_order_event').select('at').where('work_order_id', '=', id).where('kind', '=', 'chase')
        .where('actor_user_id', '=', actor.userId).where('at', '>', new Date(Date.now() - CHASE_GUARD_MS)).orderBy('at', 'desc').limit(1).executeTakeFirst()
      if (recent) {
        throw new HttpError(409, 'chase_recent', `${order.number} 在一分钟内已由您催过一次；确认后才会再计一次`, 'confirm', {
          messageEn: `you chased ${order.number} less than a minute ago; confirm to count another chase`, lastChaseAt: recent.at.toISOString(), chaseCount: order.chase_count,
        })
      }
    }
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
