// The handover list at shift change: for a team, the people whose rostered shift ends within an hour
// either side of now and who are not on duty right after it (no back-to-back shift, no override),
// their open orders, the people on duty after the change (staff_duty at the shift's end, the same
// function dispatch assigns by) with their load, and a proposed incoming person per order. The
// lead hands orders over with the order lifecycle's own reassign (version-pinned, timeline,
// notice, live event), which app.ts passes in: rosters sit below work orders and do not import them.
import { sql, type Kysely } from 'kysely'
import { Type } from 'typebox'
import type { DB, Urgency, WorkOrderStatus } from '../db/types.ts'
import type { SessionUser } from '../accounts/sessions.ts'
import type { App } from '../http/types.ts'
import { errors, IsoDate, Nullable } from '../http/types.ts'
import { HttpError, refuseField } from '../http/errors.ts'
import type { Services } from '../services.ts'
import { localClock } from '../clock/local-time.ts'
import { dutyAt } from './rosters.queries.ts'
import { requireTeam } from './rosters.service.ts'

/** how far before and after a shift's end its people are listed */
export const HANDOVER_WINDOW_MINUTES = 60
/** open orders someone is working on (a new one in the pool has nobody to hand it over) */
const HANDED_OVER: WorkOrderStatus[] = ['dispatched', 'accepted', 'arrived', 'on_hold']
const LOAD: WorkOrderStatus[] = ['new', ...HANDED_OVER]
const URGENCY_RANK: Record<Urgency, number> = { critical: 0, urgent: 1, routine: 2 }

/** The order lifecycle's reassign (workorders.service transition), as app.ts wires it. */
export type Reassign = (orderId: number, change: { version: number; assigneeId: number; reason: string }, user: SessionUser) =>
  Promise<{ id: number; number: string; version: number; status: string; assignee: { id: number; name: string } | null }>

const refuse = refuseField

function checkLeadScope(user: SessionUser, teamId: number) {
  if (user.role === 'team_lead' && user.teamId !== teamId) {
    throw new HttpError(403, 'forbidden', '班组长只能交接本班组的工单', undefined, { messageEn: 'a team lead hands over their own team only' })
  }
}

// ---- queries -------------------------------------------------------------------------------

/** Roster entries of the team whose shift ends between `from` and `to` (the day not on leave). */
async function shiftsEnding(db: Kysely<DB>, teamId: number, from: Date, to: Date, timeZone: string) {
  const day = localClock(from, timeZone).day
  const { rows } = await sql<{ staff_id: number; name: string; shift_name: string; ends_at: Date }>`
    SELECT r.staff_id, s.name, st.name AS shift_name, e.ends_at
    FROM roster_entry r JOIN shift_type st ON st.id = r.shift_type_id JOIN staff s ON s.id = r.staff_id
    CROSS JOIN LATERAL (SELECT (r.day + make_interval(mins => st.end_minute + CASE WHEN st.crosses_midnight THEN 1440 ELSE 0 END)) AT TIME ZONE ${timeZone} AS ends_at) e
    WHERE r.team_id = ${teamId}::int AND s.team_id = r.team_id AND s.active
      AND r.day BETWEEN ${day}::date - 2 AND ${day}::date + 1
      AND e.ends_at BETWEEN ${from}::timestamptz AND ${to}::timestamptz
      AND NOT EXISTS (SELECT 1 FROM staff_leave l WHERE l.staff_id = r.staff_id AND r.day BETWEEN l.from_day AND l.to_day)
    ORDER BY e.ends_at, r.staff_id`.execute(db)
  return rows.map((r) => ({ staffId: r.staff_id, name: r.name, shiftName: r.shift_name, endsAt: new Date(r.ends_at) }))
}

function openOrdersOf(db: Kysely<DB>, teamId: number, staffIds: number[]) {
  if (staffIds.length === 0) return Promise.resolve([])
  return db.selectFrom('work_order as w').innerJoin('item as i', 'i.id', 'w.item_id').innerJoin('location as l', 'l.id', 'w.location_id')
    .select(['w.id', 'w.number', 'w.version', 'w.status', 'w.urgency', 'w.assignee_id', 'w.created_at', 'w.due_at', 'i.name as item_name', 'i.name_en as item_name_en', 'l.full_name as location_name'])
    .where('w.team_id', '=', teamId).where('w.assignee_id', 'in', staffIds).where('w.status', 'in', HANDED_OVER)
    .orderBy('w.created_at').orderBy('w.id').execute()
}

async function loads(db: Kysely<DB>, staffIds: number[]) {
  if (staffIds.length === 0) return []
  return db.selectFrom('staff as s').leftJoin('work_order as w', (j) => j.onRef('w.assignee_id', '=', 's.id').on('w.status', 'in', LOAD))
    .select(['s.id', 's.name', 's.idle_since', (eb) => eb.fn.count<number>('w.id').as('open')])
    .where('s.id', 'in', staffIds).groupBy(['s.id', 's.name', 's.idle_since']).execute()
}

// ---- the list ------------------------------------------------------------------------------

export interface HandoverOrder {
  id: number; number: string; version: number; status: string; urgency: string; item: string; itemEn: string | null; location: string
  createdAt: string; dueAt: string; proposed: { staffId: number; name: string } | null
}
export interface ShiftChange {
  endsAt: string; time: string
  outgoing: { staffId: number; name: string; shiftName: string; orders: HandoverOrder[] }[]
  incoming: { staffId: number; name: string; shiftName: string | null; openOrders: number }[]
}

/** The team's shift changes within the window around `at`, each with who leaves, what they hold, and who comes. */
export async function handoverList(db: Kysely<DB>, teamId: number, at: Date, timeZone: string): Promise<ShiftChange[]> {
  const window = HANDOVER_WINDOW_MINUTES * 60_000
  const ending = await shiftsEnding(db, teamId, new Date(at.getTime() - window), new Date(at.getTime() + window), timeZone)
  const changes: ShiftChange[] = []
  for (const endsAt of [...new Set(ending.map((e) => e.endsAt.getTime()))].map((t) => new Date(t))) {
    const duty = await dutyAt(db, endsAt, timeZone, teamId)
    const onAfter = new Set(duty.filter((d) => d.onDuty).map((d) => d.staffId))
    // someone whose next shift follows straight on (or whom the lead kept on) is not going off duty
    const leaving = ending.filter((e) => e.endsAt.getTime() === endsAt.getTime() && !onAfter.has(e.staffId))
      .filter((e, i, all) => all.findIndex((x) => x.staffId === e.staffId) === i)
    if (leaving.length === 0) continue
    const [orders, people] = await Promise.all([openOrdersOf(db, teamId, leaving.map((l) => l.staffId)), loads(db, [...onAfter])])
    // least loaded first, then idle longest (as pick_assignee); each proposal adds to that person's load
    const incoming = people.map((p) => ({ staffId: p.id, name: p.name, idleSince: p.idle_since ? new Date(p.idle_since).getTime() : 0, openOrders: Number(p.open), proposed: 0 }))
    const propose = () => {
      const best = [...incoming].sort((a, b) => a.openOrders + a.proposed - (b.openOrders + b.proposed) || a.idleSince - b.idleSince || a.staffId - b.staffId)[0]
      if (!best) return null
      best.proposed++
      return { staffId: best.staffId, name: best.name }
    }
    const proposals = new Map<number, HandoverOrder['proposed']>()
    for (const o of [...orders].sort((a, b) => URGENCY_RANK[a.urgency] - URGENCY_RANK[b.urgency] || Number(a.id) - Number(b.id))) proposals.set(Number(o.id), propose())
    const shiftOf = new Map(duty.map((d) => [d.staffId, d.shiftName]))
    changes.push({
      endsAt: endsAt.toISOString(), time: localClock(endsAt, timeZone).hhmm,
      outgoing: leaving.map((l) => ({
        staffId: l.staffId, name: l.name, shiftName: l.shiftName,
        orders: orders.filter((o) => o.assignee_id === l.staffId).map((o) => ({
          id: Number(o.id), number: o.number, version: o.version, status: o.status, urgency: o.urgency, item: o.item_name, itemEn: o.item_name_en,
          location: o.location_name, createdAt: new Date(o.created_at).toISOString(), dueAt: new Date(o.due_at).toISOString(), proposed: proposals.get(Number(o.id)) ?? null,
        })),
      })),
      incoming: incoming.sort((a, b) => a.staffId - b.staffId).map((p) => ({ staffId: p.staffId, name: p.name, shiftName: shiftOf.get(p.staffId) ?? null, openOrders: p.openOrders })),
    })
  }
  return changes
}

// ---- handing over --------------------------------------------------------------------------

export interface HandoverItem { id: number; version: number; toStaffId?: number }
export interface HandoverResult {
  id: number; status: number; error?: string; message?: string; messageEn?: string
  order?: { id: number; number: string; version: number; status: string; assignee: { id: number; name: string } | null }
}

/**
 * Each order to its incoming person through the lifecycle's reassign. Everything a request names is
 * checked first (who, which team, on duty after the change) and a fault there changes nothing; then
 * each order on its own: one changed meanwhile is answered 409 stale and the others still go.
 */
export async function handOver(db: Kysely<DB>, reassign: Reassign, input: { toStaffId?: number; orders: HandoverItem[] }, user: SessionUser, now: Date, timeZone: string): Promise<HandoverResult[]> {
  const seen = new Set<number>()
  input.orders.forEach((o, i) => {
    if (seen.has(o.id)) throw refuse(`orders.${i}.id`, `工单 ${o.id} 出现了两次`, `order ${o.id} is listed twice`)
    seen.add(o.id)
    if (o.toStaffId === undefined && input.toStaffId === undefined) throw refuse(`orders.${i}.toStaffId`, '请选择交接给谁', 'say whom to hand the order to (toStaffId)')
  })
  const found = await db.selectFrom('work_order').select(['id', 'number', 'team_id', 'assignee_id', 'status', 'version']).where('id', 'in', [...seen]).execute()
  const orderOf = new Map(found.map((o) => [Number(o.id), o]))
  const targetIds = [...new Set(input.orders.map((o) => o.toStaffId ?? input.toStaffId!))]
  const targets = new Map((await db.selectFrom('staff').select(['id', 'name', 'team_id', 'active']).where('id', 'in', targetIds).execute()).map((s) => [s.id, s]))
  const teams = [...new Set(found.map((o) => o.team_id))]
  for (const teamId of teams) checkLeadScope(user, teamId)
  const lists = new Map<number, ShiftChange[]>()
  for (const teamId of teams) lists.set(teamId, await handoverList(db, teamId, now, timeZone))

  const plan: { item: HandoverItem; to: number; reason: string }[] = []
  const results = new Map<number, HandoverResult>()
  for (const [i, item] of input.orders.entries()) {
    const field = item.toStaffId !== undefined ? `orders.${i}.toStaffId` : 'toStaffId'
    const to = item.toStaffId ?? input.toStaffId!
    const person = targets.get(to)
    if (!person || !person.active) throw refuse(field, `没有编号为 ${to} 的在职员工`, `no staff member ${to}`)
    const order = orderOf.get(item.id)
    if (!order) { results.set(item.id, { id: item.id, status: 404, error: 'not_found', message: `没有编号为 ${item.id} 的工单`, messageEn: `no work order ${item.id}` }); continue }
    if (person.team_id !== order.team_id) throw refuse(field, `${person.name} 不是工单 ${order.number} 所在班组的员工`, `${person.name} is not of order ${order.number}'s team`)
    if (order.version !== item.version || !HANDED_OVER.includes(order.status)) {
      results.set(item.id, stale(order))
      continue
    }
    const change = lists.get(order.team_id)!.find((c) => c.outgoing.some((p) => p.staffId === order.assignee_id))
    if (!change) {
      results.set(item.id, { id: item.id, status: 409, error: 'not_handover', message: `工单 ${order.number} 的处理人现在不在交班`, messageEn: `order ${order.number}'s assignee is not going off duty now` })
      continue
    }
    if (!change.incoming.some((p) => p.staffId === to)) {
      throw refuse(field, `${person.name} 在 ${change.time} 交班后不在岗`, `${person.name} is not on duty after the ${change.time} shift change`)
    }
    const leaving = change.outgoing.find((p) => p.staffId === order.assignee_id)!
    plan.push({ item, to, reason: `交接班：${leaving.name}（${leaving.shiftName}）${change.time} 下班` })
  }
  for (const { item, to, reason } of plan) {
    try {
      const moved = await reassign(item.id, { version: item.version, assigneeId: to, reason }, user)
      results.set(item.id, { id: item.id, status: 200, order: { id: moved.id, number: moved.number, version: moved.version, status: moved.status, assignee: moved.assignee } })
    } catch (err) {
      if (!(err instanceof HttpError)) throw err
      const order = orderOf.get(item.id)!
      results.set(item.id, err.statusCode === 409 ? stale(order) : { id: item.id, status: err.statusCode, error: err.error, message: err.message })
    }
  }
  return input.orders.map((o) => results.get(o.id)!)
}

const stale = (order: { id: number | string; number: string }): HandoverResult => ({
  id: Number(order.id), status: 409, error: 'stale',
  message: `工单 ${order.number} 刚被他人修改，请刷新后再交接`, messageEn: `order ${order.number} was changed by someone else meanwhile; reload the list`,
})

// ---- routes --------------------------------------------------------------------------------

const Id = Type.Integer({ minimum: 1, maximum: 2147483647 })
const Person = Type.Object({ staffId: Type.Integer(), name: Type.String() })
const Change = Type.Object({
  endsAt: Type.String(), time: Type.String(),
  outgoing: Type.Array(Type.Object({
    staffId: Type.Integer(), name: Type.String(), shiftName: Type.String(),
    orders: Type.Array(Type.Object({
      id: Type.Integer(), number: Type.String(), version: Type.Integer(), status: Type.String(), urgency: Type.String(), item: Type.String(), itemEn: Nullable(Type.String()),
      location: Type.String(), createdAt: Type.String(), dueAt: Type.String(), proposed: Nullable(Person),
    })),
  })),
  incoming: Type.Array(Type.Object({ staffId: Type.Integer(), name: Type.String(), shiftName: Nullable(Type.String()), openOrders: Type.Integer() })),
})
const Result = Type.Object({
  id: Type.Integer(), status: Type.Integer(), error: Type.Optional(Type.String()), message: Type.Optional(Type.String()), messageEn: Type.Optional(Type.String()),
  order: Type.Optional(Type.Object({ id: Type.Integer(), number: Type.String(), version: Type.Integer(), status: Type.String(), assignee: Nullable(Type.Object({ id: Type.Integer(), name: Type.String() })) })),
})

export async function handoverRoutes(app: App, { db, config, now }: Services, reassign: Reassign) {
  app.get('/api/handover', {
    schema: {
      querystring: Type.Object({ teamId: Id, at: Type.Optional(IsoDate) }, { additionalProperties: false }),
      response: { 200: Type.Object({ teamId: Type.Integer(), at: Type.String(), windowMinutes: Type.Integer(), changes: Type.Array(Change) }), ...errors },
    },
  }, async (request) => {
    const { teamId } = request.query
    checkLeadScope(request.user!, teamId)
    await requireTeam(db, teamId)
    const at = request.query.at ? new Date(request.query.at) : now()
    return { teamId, at: at.toISOString(), windowMinutes: HANDOVER_WINDOW_MINUTES, changes: await handoverList(db, teamId, at, config.timeZone) }
  })

  app.post('/api/handover/reassign', {
    schema: {
      body: Type.Object({
        toStaffId: Type.Optional(Id),
        orders: Type.Array(Type.Object({ id: Id, version: Type.Integer({ minimum: 1 }), toStaffId: Type.Optional(Id) }, { additionalProperties: false }), { minItems: 1, maxItems: 200 }),
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ done: Type.Integer(), results: Type.Array(Result) }), ...errors },
    },
  }, async (request) => {
    const results = await handOver(db, reassign, request.body, request.user!, now(), config.timeZone)
    return { done: results.filter((r) => r.status === 200).length, results }
  })
}
