// The long order export: pages of orders from the database into the worker's streaming writer
// (orders.task.ts), one page in flight. Used by GET /api/reports/orders.xlsx for a short period and
// by the job runner (jobs.ts), which is told after each page and may stop the export there.
import { MessageChannel } from 'node:worker_threads'
import type { Kysely } from 'kysely'
import type { DB } from '../db/types.ts'
import type { KpiQuery } from '../kpi/kpi.queries.ts'
import { orderPage, type OrderCursor } from './reports.queries.ts'
import { REPORT_LABELS } from './labels.ts'
import { runInWorker } from '../workers/pool.ts'
import type { OrdersInput } from './orders.task.ts'
import type { ReportHeader } from './reports.document.ts'

export const PAGE = 5_000

/**
 * Writes `filename`. `afterPage(written)` runs once each page is written; answering false ends the
 * export there (the file is then closed with the rows so far, for the caller to remove).
 * Answers the rows written.
 */
export async function exportOrders(db: Kysely<DB>, query: KpiQuery, filename: string, header: ReportHeader, lang: 'zh' | 'en',
  options: { page?: number; afterPage?: (written: number) => Promise<boolean> } = {}): Promise<number> {
  const L = REPORT_LABELS[lang]
  const size = options.page ?? PAGE
  const { port1, port2 } = new MessageChannel()
  const done = runInWorker<OrdersInput>(new URL('./orders.task.ts', import.meta.url), { port: port2, filename, header, columns: L.orderColumns, yesNo: [L.yes, L.no] }, { transferList: [port2] })
  const failed = done.then(() => { throw new Error('the export worker ended early') })
  try {
    let page = await orderPage(db, query, null, size, lang === 'en')
    for (;;) {
      const written = new Promise<{ written: number }>((resolve) => port1.once('message', resolve))
      port1.postMessage({ rows: page.rows })
      const cursor: OrderCursor | null = page.next
      // the next page is read while the worker writes this one
      const [ack, next] = await Promise.all([Promise.race([written, failed]), cursor ? orderPage(db, query, cursor, size, lang === 'en') : null])
      if (options.afterPage && !(await options.afterPage(ack.written))) break
      if (!next) break
      page = next
    }
    port1.postMessage({ end: true })
    return Number(String(await done))
  } finally {
    failed.catch(() => {})
    port1.close()
  }
}
