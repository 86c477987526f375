// The long order export on a worker thread: pages of rows arrive on `port` and go straight into
// exceljs's streaming writer, which writes `filename`. Answers the row count as text.
import type { MessagePort } from 'node:worker_threads'
import type { ReportHeader } from './reports.document.ts'
import { writeOrderExport } from './xlsx.ts'

export interface OrdersInput { port: MessagePort; filename: string; header: ReportHeader; columns: string[]; yesNo: [string, string] }

export default async function exportOrders({ port, filename, header, columns, yesNo }: OrdersInput): Promise<Buffer> {
  return Buffer.from(String(await writeOrderExport(port, filename, header, columns, yesNo)))
}
