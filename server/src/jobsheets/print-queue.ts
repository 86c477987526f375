// The service point's print queue: what waits to be printed at a point, what was sent to its
// printer and not yet confirmed (a jam loses nothing: the order stays waiting), and what came out,
// when and by whom (the history a sheet is reprinted from). The only place job_sheet_print is touched.
import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../db/types.ts'
import type { SessionUser } from '../accounts/sessions.ts'
import type { WorkOrder } from '../workorders/workorders.schemas.ts'
import { forbidden, notFound } from '../http/errors.ts'
import { OPEN } from '../workorders/lifecycle.ts'

/** roles tied to one team, who print only at that team's service points */
const OWN_POINTS_ONLY = new Set(['team_lead', 'technician'])

export async function findServicePoint(db: Kysely<DB>, id: number) {
  const point = await db.selectFrom('service_point').select(['id', 'team_id', 'name', 'name_en']).where('id', '=', id).executeTakeFirst()
  if (!point) throw notFound(`service point ${id}`)
  return point
}

export function checkPoint(user: SessionUser, point: { team_id: number }) {
  if (OWN_POINTS_ONLY.has(user.role) && point.team_id !== user.teamId) throw forbidden("a team lead prints at their own team's service points only")
}

/** Every order's service point (its team, for an order with none) must be one the user prints at. */
export async function checkOrdersPoints(db: Kysely<DB>, user: SessionUser, orders: WorkOrder[]) {
  if (!OWN_POINTS_ONLY.has(user.role)) return
  const pointIds = [...new Set(orders.flatMap((o) => (o.servicePoint ? [o.servicePoint.id] : [])))]
  const teamOf = new Map(pointIds.length
    ? (await db.selectFrom('service_point').select(['id', 'team_id']).where('id', 'in', pointIds).execute()).map((p) => [p.id, p.team_id])
    : [])
  for (const o of orders) checkPoint(user, { team_id: o.servicePoint ? teamOf.get(o.servicePoint.id) ?? -1 : o.team.id })
}

/** The PDF went to the printer: one row per sheet, or the one still unconfirmed sent again. */
export async function markSent(db: Kysely<DB>, orders: WorkOrder[], user: SessionUser) {
  if (!orders.length) return
  await db.transaction().execute(async (trx) => {
    const ids = orders.map((o) => o.id)
    const resent = await trx.updateTable('job_sheet_print').set({ sent_at: new Date(), sent_by: user.id, sent_by_name: user.displayName })
      .where('work_order_id', 'in', ids).where('confirmed_at', 'is', null).returning('work_order_id').execute()
    const again = new Set(resent.map((r) => r.work_order_id))
    const fresh = orders.filter((o) => !again.has(o.id))
    if (fresh.length) {
      await trx.insertInto('job_sheet_print').values(fresh.map((o) => ({
        work_order_id: o.id, service_point_id: o.servicePoint?.id ?? null, reprint: o.printedAt !== null, sent_by: user.id, sent_by_name: user.displayName,
      }))).execute()
    }
  })
}

/** The station says the sheets came out: each order's unconfirmed sending is confirmed (or one is recorded). */
export async function confirmPrinted(trx: Transaction<DB>, orders: WorkOrder[], user: SessionUser, at: Date) {
  const ids = orders.map((o) => o.id)
  const confirmed = await trx.updateTable('job_sheet_print').set({ confirmed_at: at, confirmed_by: user.id, confirmed_by_name: user.displayName })
    .where('work_order_id', 'in', ids).where('confirmed_at', 'is', null).returning('work_order_id').execute()
  const done = new Set(confirmed.map((r) => r.work_order_id))
  const unsent = orders.filter((o) => !done.has(o.id))
  if (unsent.length) {
    await trx.insertInto('job_sheet_print').values(unsent.map((o) => ({
      work_order_id: o.id, service_point_id: o.servicePoint?.id ?? null, reprint: o.printedAt !== null, sent_at: at,
      sent_by: user.id, sent_by_name: user.displayName, confirmed_at: at, confirmed_by: user.id, confirmed_by_name: user.displayName,
    }))).execute()
  }
}

/** Open orders of the point not yet confirmed printed (oldest first), and when each was last sent. */
export async function waitingAt(db: Kysely<DB>, pointId: number, limit: number) {
  return db.selectFrom('work_order as w')
    .leftJoin('job_sheet_print as p', (join) => join.onRef('p.work_order_id', '=', 'w.id').onRef('p.service_point_id', '=', 'w.service_point_id').on('p.confirmed_at', 'is', null))
    .select(['w.id', 'p.sent_at', 'p.sent_by_name'])
    .where('w.service_point_id', '=', pointId).where('w.printed_at', 'is', null).where('w.status', 'in', OPEN)
    .orderBy('w.id').limit(limit).execute()
}

/** The point's recent sheets that came out, and reprints sent from them not yet confirmed, newest first. */
export async function historyAt(db: Kysely<DB>, pointId: number, limit: number) {
  return db.selectFrom('job_sheet_print as p').innerJoin('work_order_view as w', 'w.id', 'p.work_order_id')
    .select(['p.id', 'p.work_order_id', 'p.reprint', 'p.sent_at', 'p.sent_by_name', 'p.confirmed_at', 'p.confirmed_by_name', 'w.number', 'w.item_name', 'w.item_name_en', 'w.location_name'])
    .where('p.service_point_id', '=', pointId)
    .where((eb) => eb.or([eb('p.confirmed_at', 'is not', null), eb('p.reprint', '=', true)]))
    .orderBy('p.id', 'desc').limit(limit).execute()
}
