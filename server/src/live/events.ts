// Live events: one typed map, shared by the server and the web app. They are sent with
// pg_notify inside the transaction that caused them, so PostgreSQL delivers them at commit —
// never for a change that rolled back — and to every instance listening on the database.
import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB, WorkOrderStatus } from '../db/types.ts'
import type { WorkOrder } from '../workorders/workorders.schemas.ts'
import { LIVE_CHANNEL, executePrepared } from '../db/db.ts'

export interface OrderEventData {
  id: number
  number: string
  status: WorkOrderStatus
  version: number
  teamId: number
  assigneeId: number | null
  chaseCount: number
  action?: string
  escalationLevel?: number
  /** the order as a list shows it (phone masked), attached by each instance as it delivers the event */
  order?: WorkOrder
}

export interface LiveEvents {
  'workorder.created': OrderEventData
  'workorder.changed': OrderEventData
  'workorder.chased': OrderEventData
  'workorder.overdue': OrderEventData
  'notification': { id: number; userId: number; kind: string; message: string; workOrderId: number | null; number?: string; urgency?: string; reportJobId?: number | null }
  /** a report export's progress and status (server/src/reports/jobs.ts): to the person who asked only */
  'report.job': { id: number; userId: number | null; status: string; rowsDone: number; rowsTotal: number }
  /** a feedback item changed (server/src/feedback): its handlers, the callback desk and managers re-read */
  'feedback.changed': { id: number; status: string; departmentId: number }
  /** this user's sessions changed (accounts/sessions.ts): each instance checks their sockets; never sent to a screen */
  'session.revoked': { userId: number }
}
export type LiveEventType = keyof LiveEvents
export interface LiveMessage<T extends LiveEventType = LiveEventType> { type: T; data: LiveEvents[T]; at: string }

export async function publish<T extends LiveEventType>(trx: Transaction<DB> | Kysely<DB>, type: T, data: LiveEvents[T]) {
  const message: LiveMessage<T> = { type, data, at: new Date().toISOString() }
  await executePrepared(trx, sql`SELECT pg_notify(${LIVE_CHANNEL}, ${JSON.stringify(message)})`)
}
