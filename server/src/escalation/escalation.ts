// Overdue orders escalate in levels (team lead, then manager), each level exactly once.
// Every instance runs the sweep; rows are claimed with FOR UPDATE SKIP LOCKED and the level is
// part of the claim condition, so two instances on one database never fire the same level twice.
import { sql, type Kysely } from 'kysely'
import type { DB } from '../db/types.ts'
import type { EscalationLevel } from '../config.ts'
import { publish } from '../live/events.ts'
import { addEvents, recipients } from '../workorders/workorders.queries.ts'
import { notify, orderEventData } from '../workorders/workorders.service.ts'
import { OPEN } from '../workorders/lifecycle.ts'

const BATCH = 100

/** Runs one sweep and returns how many escalations fired. */
export async function escalateOverdue(db: Kysely<DB>, levels: EscalationLevel[], now: Date = new Date()): Promise<number> {
  if (levels.length === 0) return 0
  const offsets = levels.map((l) => l.afterMinutes)
  return db.transaction().execute(async (trx) => {
    // overdue since: the response deadline while nobody has arrived, else the completion deadline
    const claimed = await trx.selectFrom('work_order').selectAll()
      .where('status', 'in', OPEN)
      .where('escalation_level', '<', levels.length)
      .where(sql<boolean>`LEAST(CASE WHEN arrived_at IS NULL THEN response_due_at END, due_at)
        + make_interval(mins => (${sql.val(offsets)}::int[])[escalation_level + 1]) <= ${now}`)
      .orderBy('due_at')
      .limit(BATCH)
      .forUpdate().skipLocked()
      .execute()
    for (const order of claimed) {
      const level = levels[order.escalation_level]!
      const updated = await trx.updateTable('work_order')
        .set({ escalation_level: order.escalation_level + 1, version: order.version + 1 })
        .where('id', '=', order.id).where('escalation_level', '=', order.escalation_level)
        .returningAll().executeTakeFirstOrThrow()
      const late = order.arrived_at === null && order.response_due_at <= now ? '未按时到场' : '未按时完成'
      const message = `超时升级 L${updated.escalation_level}: ${order.number} ${late}`
      // a team whose lead has no login would escalate to nobody: the managers hear of it instead
      const noLead = level.notify === 'team_lead' && (await recipients(trx, order, ['team_lead'])).length === 0
      const told = noLead ? 'manager' : level.notify
      const note = noLead ? `${message}（班组长无可登录账号，已通知后勤管理）` : message
      await notify(trx, order, [told], 'overdue', note)
      await addEvents(trx, [{ workOrderId: order.id, kind: 'escalated', actorName: 'system', note, data: { level: updated.escalation_level, notify: told } }])
      await publish(trx, 'workorder.overdue', orderEventData(updated, 'escalate'))
    }
    return claimed.length
  })
}

export function startEscalationTimer(db: Kysely<DB>, levels: EscalationLevel[], intervalMs: number, log: (err: unknown) => void) {
  let running = false
  const timer = setInterval(async () => {
    if (running) return
    running = true
    try { await escalateOverdue(db, levels) } catch (err) { log(err) } finally { running = false }
  }, intervalMs)
  timer.unref()
  return () => clearInterval(timer)
}
