// The report files, rendered on a worker thread (workers/pool.ts): XLSX and PDF layout is CPU work
// that would otherwise hold every other request. The input is a plain ReportDocument.
import type { ReportDocument } from './reports.document.ts'
import { renderXlsx } from './xlsx.ts'
import { renderPdf } from './pdf.ts'

export interface RenderInput { format: 'xlsx' | 'pdf'; doc: ReportDocument }

export default function render({ format, doc }: RenderInput): Promise<Buffer> {
  return format === 'xlsx' ? renderXlsx(doc) : renderPdf(doc)
}
