// "Done — how did we do? Reply 1–5": the requester's mobile gets the survey when an order is
// completed, and a reply rates the order. A score of 1–2 is a complaint: it goes on the order's
// timeline and to the team lead and the managers as a complaint notice (the feedback module, when
// it lands, takes these over as feedback items). Work orders ask messaging to send; messaging
// hands the reply back through the handler app.ts registers, and never imports this.
import { sql, type Kysely } from 'kysely'
import type { DB } from '../db/types.ts'
import type { Messaging, Reply } from '../messaging/messaging.service.ts'
import { normaliseMobile } from '../messaging/text.ts'
import { localTime } from '../messaging/quiet-hours.ts'
import { addEvents, findWorkOrder, lockWorkOrder } from './workorders.queries.ts'
import { notify, rate } from './workorders.service.ts'

export const RATING_PURPOSE = 'rating'
const SMS_ACTOR = { userId: null, name: '短信回复' }

/** Queues the survey for a completed order once per completion (a reopened and re-done order asks again). */
export async function requestRating(db: Kysely<DB>, messaging: Messaging, orderId: number, timeZone: string): Promise<number | null> {
  const order = await db.selectFrom('work_order').innerJoin('item', 'item.id', 'work_order.item_id')
    .select(['work_order.id', 'work_order.number', 'work_order.status', 'work_order.requester_phone', 'work_order.completed_at', 'work_order.rework_count', 'item.name as item_name'])
    .where('work_order.id', '=', orderId).executeTakeFirst()
  if (!order || order.status !== 'completed' || !order.completed_at || !order.requester_phone) return null
  const to = normaliseMobile(order.requester_phone)
  // an extension or a landline gets no SMS
  if (!to) return null
  const row = await messaging.send({
    to, template: 'order.done', values: { 项目: order.item_name, 工单号: order.number, 时间: localTime(order.completed_at, timeZone) },
    subject: { kind: 'work_order', id: String(order.id) }, purpose: RATING_PURPOSE,
    dedupeKey: `work_order:${order.id}:rating:${order.rework_count}`,
  })
  return row.id
}

/**
 * Orders completed since `since` whose survey is not queued yet. Polled by every instance (the
 * unique dedupe key makes one message however many ask), so a completion is never missed, even
 * one made while this instance was away from the database.
 */
export async function sweepCompleted(db: Kysely<DB>, messaging: Messaging, timeZone: string, since: Date): Promise<number> {
  const { rows } = await sql<{ id: number }>`
    SELECT w.id FROM work_order w
    WHERE w.completed_at > ${since} AND w.status = 'completed' AND w.rated_at IS NULL
      AND regexp_replace(coalesce(w.requester_phone, ''), '[ ()-]', '', 'g') ~ '^([+]?86)?1[3-9][0-9]{9}$'
      AND NOT EXISTS (SELECT 1 FROM sms_message m WHERE m.dedupe_key = 'work_order:' || w.id || ':rating:' || w.rework_count)
    ORDER BY w.completed_at LIMIT 200`.execute(db)
  let queued = 0
  for (const r of rows) if (await requestRating(db, messaging, r.id, timeZone)) queued++
  return queued
}

/** A 1–5 reply to the survey about an order. */
export function ratingReplyHandler(db: Kysely<DB>) {
  return async (reply: Reply): Promise<{ handled: boolean; detail?: unknown }> => {
    const id = Number(reply.subjectId)
    const order = await findWorkOrder(db, id)
    if (!order || (order.status !== 'completed' && order.status !== 'closed')) return { handled: false, detail: { reason: `order is ${order?.status ?? 'gone'}` } }
    await rate(db, id, { score: reply.score, comment: `短信评分 ${reply.score}` }, SMS_ACTOR)
    if (reply.score <= 2) {
      await db.transaction().execute(async (trx) => {
        const row = await lockWorkOrder(trx, id)
        if (!row) return
        await addEvents(trx, [{ workOrderId: id, kind: 'complaint', actorUserId: null, actorName: SMS_ACTOR.name, note: `短信评分 ${reply.score} 分`, data: { score: reply.score, source: 'sms', smsId: reply.messageId } }])
        await notify(trx, row, ['team_lead', 'manager'], 'complaint', `投诉: ${row.number} 短信评分 ${reply.score} 分`)
      })
      return { handled: true, detail: { orderId: id, score: reply.score, complaint: true } }
    }
    return { handled: true, detail: { orderId: id, score: reply.score } }
  }
}
