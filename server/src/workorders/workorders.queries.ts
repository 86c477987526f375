// The only place work orders touch Kysely. Functions that lock rows take a Transaction.
import { sql, type Kysely, type Selectable, type Transaction, type ExpressionBuilder } from 'kysely'
import type { DB, WorkOrderViewTable } from '../db/types.ts'
import { executePrepared } from '../db/db.ts'
import type { ListQuery, WorkOrder } from './workorders.schemas.ts'
import { OPEN } from './lifecycle.ts'

/** The order as every screen shows it (sql/0008 work_order_view), under the table's name so filters read the same. */
function orderView(db: Kysely<DB> | Transaction<DB>) {
  return db.selectFrom('work_order_view as work_order').selectAll('work_order')
}
export type OrderViewRow = Selectable<WorkOrderViewTable>

const iso = (d: Date | null) => (d ? d.toISOString() : null)

/** The order as jsonb (intake's answer), with its timestamps made dates again. */
export function fromJson(row: Record<string, unknown>): OrderViewRow {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(row)) out[key] = (key.endsWith('_at') || key === 'booked_for') && typeof value === 'string' ? new Date(value) : value
  return out as unknown as OrderViewRow
}

export function toWorkOrder(r: OrderViewRow): WorkOrder {
  return {
    id: r.id, number: r.number, status: r.status, version: r.version, urgency: r.urgency, source: r.source,
    description: r.description, booked: r.booked,
    item: { id: r.item_id, name: r.item_name, nameEn: r.item_name_en },
    category: { id: r.category_id, name: r.category_name, nameEn: r.category_name_en },
    location: { id: r.location_id, fullName: r.location_name, buildingId: r.location_building_id },
    requester: { name: r.requester_name, phone: r.requester_phone, extension: r.requester_extension },
    requestedAt: r.requested_at.toISOString(), tools: r.tools, callId: r.call_id,
    team: { id: r.team_id, name: r.team_name, nameEn: r.team_name_en },
    servicePoint: r.service_point_id ? { id: r.service_point_id, name: r.service_point_name ?? '', nameEn: r.service_point_name_en } : null,
    assignee: r.assignee_id ? { id: r.assignee_id, name: r.assignee_name ?? '' } : null,
    routing: { ruleId: r.routing_rule_id, reason: r.routing_reason },
    createdAt: r.created_at.toISOString(), dispatchedAt: iso(r.dispatched_at), acceptedAt: iso(r.accepted_at), arrivedAt: iso(r.arrived_at),
    completedAt: iso(r.completed_at), closedAt: iso(r.closed_at), cancelledAt: iso(r.cancelled_at),
    responseDueAt: r.response_due_at.toISOString(), dueAt: r.due_at.toISOString(), overdue: Boolean(r.overdue),
    chaseCount: r.chase_count, reworkCount: r.rework_count, escalationLevel: r.escalation_level,
    holdReason: r.hold_reason, cancelReason: r.cancel_reason, completionNote: r.completion_note,
    rating: r.rating_score && r.rated_at ? { score: r.rating_score, comment: r.rating_comment, ratedAt: r.rated_at.toISOString() } : null,
    printedAt: iso(r.printed_at),
    bookedFor: iso(r.booked_for), noShowAt: iso(r.no_show_at), lateCancel: r.late_cancel,
  }
}

export async function findWorkOrder(db: Kysely<DB> | Transaction<DB>, id: number): Promise<WorkOrder | undefined> {
  const [row] = await executePrepared(db, orderView(db).where('work_order.id', '=', id))
  return row && toWorkOrder(row)
}

export async function findWorkOrders(db: Kysely<DB>, ids: number[]): Promise<WorkOrder[]> {
  if (ids.length === 0) return []
  const rows = await orderView(db).where('work_order.id', 'in', ids).orderBy('work_order.id').execute()
  return rows.map(toWorkOrder)
}

/** A technician lists their team's orders; one in no team only the orders assigned to them. */
export interface TechnicianScope { teamId: number | null; staffId: number | null }

/**
 * Orders where any searchable field holds the text. The phone number is searched by its digits, and
 * only for those who may see numbers (`byPhone`): a masked viewer must not learn whose number it is.
 */
function matching(needle: string, byPhone: boolean) {
  const text = needle.trim().toLowerCase()
  const fields = ['number', 'requester_name', 'requester_extension', 'location_name', 'item_name', 'item_name_en', 'description'] as const
  const ors = fields.map((f) => sql<boolean>`strpos(lower(coalesce(${sql.ref(`work_order.${f}`)}, '')), ${text}) > 0`)
  const digits = text.replace(/\D/g, '')
  if (byPhone && digits.length >= 3) ors.push(sql<boolean>`strpos(regexp_replace(coalesce(work_order.requester_phone, ''), '[^0-9]', '', 'g'), ${digits}) > 0`)
  return sql<boolean>`(${sql.join(ors, sql` OR `)})`
}

export async function listWorkOrders(db: Kysely<DB>, q: ListQuery & { technician?: TechnicianScope | null; byPhone?: boolean }) {
  const limit = q.limit ?? 100
  let query = orderView(db)
  if (q.status) {
    const wanted = q.status.split(',').flatMap((s) => (s === 'open' ? OPEN : [s]))
    query = query.where('work_order.status', 'in', wanted as never)
  }
  if (q.teamId) query = query.where('work_order.team_id', '=', q.teamId)
  if (q.technician?.teamId) query = query.where('work_order.team_id', '=', q.technician.teamId)
  else if (q.technician) query = q.technician.staffId ? query.where('work_order.assignee_id', '=', q.technician.staffId) : query.where(sql<boolean>`false`)
  if (q.assigneeId) query = query.where('work_order.assignee_id', '=', q.assigneeId)
  if (q.extension) query = query.where('work_order.requester_extension', '=', q.extension)
  if (q.q?.trim()) query = query.where(matching(q.q, q.byPhone ?? false))
  if (q.overdue !== undefined) query = query.where('work_order.overdue', '=', q.overdue)
  if (q.printed !== undefined) query = query.where('work_order.printed_at', q.printed ? 'is not' : 'is', null)
  if (q.from) query = query.where('work_order.created_at', '>=', new Date(q.from))
  if (q.to) query = query.where('work_order.created_at', '<', new Date(q.to))
  // newest first; the cursor is the last id of the previous page
  if (q.completedFrom) query = query.where('work_order.completed_at', '>=', new Date(q.completedFrom))
  if (q.cursor) query = query.where('work_order.id', '<', q.cursor)
  const rows = await query.orderBy('work_order.id', 'desc').limit(limit + 1).execute()
  const items = rows.slice(0, limit).map(toWorkOrder)
  return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.id : null }
}

export async function timeline(db: Kysely<DB> | Transaction<DB>, workOrderId: number) {
  const rows = await db.selectFrom('work_order_event').selectAll().where('work_order_id', '=', workOrderId).orderBy('id').execute()
  return rows.map((e) => ({
    id: e.id, at: e.at.toISOString(), kind: e.kind, actor: e.actor_name, fromStatus: e.from_status, toStatus: e.to_status, note: e.note, callId: e.call_id,
    onBehalfOf: onBehalfOf(e.data),
  }))
}

/** The technician a step was done for by someone else (lifecycle's technicianStep), from the event's data. */
function onBehalfOf(data: unknown): string | null {
  const name = data && typeof data === 'object' ? (data as { onBehalfOf?: unknown }).onBehalfOf : null
  return typeof name === 'string' ? name : null
}

export async function lockWorkOrder(trx: Transaction<DB>, id: number) {
  const [row] = await executePrepared(trx, trx.selectFrom('work_order').selectAll().where('id', '=', id).forUpdate())
  return row
}

export interface EventInput {
  workOrderId: number
  kind: string
  actorUserId?: number | null
  actorName?: string | null
  fromStatus?: string | null
  toStatus?: string | null
  note?: string | null
  callId?: string | null
  data?: unknown
}

export function addEvents(trx: Transaction<DB> | Kysely<DB>, events: EventInput[]) {
  const insert = trx.insertInto('work_order_event').values(events.map((e) => ({
    work_order_id: e.workOrderId, kind: e.kind, actor_user_id: e.actorUserId ?? null, actor_name: e.actorName ?? null,
    from_status: e.fromStatus ?? null, to_status: e.toStatus ?? null, note: e.note ?? null, call_id: e.callId ?? null,
    data: e.data === undefined ? null : JSON.stringify(e.data),
  })))
  // the one or two events of a transition or chase: a statement planned once per connection;
  // a batch (import, printing) has a shape of its own each time
  return events.length <= 2 ? executePrepared(trx, insert) : insert.execute()
}

export type Recipient = 'assignee' | 'team_lead' | 'manager' | 'desk'

/** The people to tell about an order: its assignee's account, the team's leads, the managers, the desk account that filed it. */
export function recipients(db: Kysely<DB> | Transaction<DB>, order: { team_id: number; assignee_id: number | null; created_by?: number | null }, who: Recipient[]) {
  return db.selectFrom('app_user').select(['id', 'role']).where('active', '=', true).where((eb: ExpressionBuilder<DB, 'app_user'>) => {
    const ors = []
    if (who.includes('assignee') && order.assignee_id) ors.push(eb('staff_id', '=', order.assignee_id))
    if (who.includes('desk') && order.created_by) ors.push(eb('id', '=', order.created_by))
    if (who.includes('team_lead')) ors.push(eb.and([eb('role', '=', 'team_lead'), eb('team_id', '=', order.team_id)]))
    if (who.includes('manager')) ors.push(eb('role', '=', 'manager'))
    return ors.length ? eb.or(ors) : eb.val(false)
  }).execute()
}
