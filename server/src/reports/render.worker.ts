// The render worker (piscina): XLSX and PDF are CPU work, so they run here and the server's event
// loop keeps answering. Each task is a plain ReportDocument, or a port the order pages arrive on.
import type { MessagePort } from 'node:worker_threads'
import type { ReportDocument, ReportHeader } from './reports.document.ts'
import { renderXlsx, writeOrderExport } from './xlsx.ts'
import { renderPdf } from './pdf.ts'

export type RenderTask =
  | { kind: 'xlsx' | 'pdf'; doc: ReportDocument }
  | { kind: 'orders'; port: MessagePort; filename: string; header: ReportHeader; columns: string[]; yesNo: [string, string] }

export default async function render(task: RenderTask): Promise<Buffer | number> {
  if (task.kind === 'orders') return writeOrderExport(task.port, task.filename, task.header, task.columns, task.yesNo)
  if (task.kind === 'xlsx') return renderXlsx(task.doc)
  return renderPdf(task.doc)
}
