// Job sheets rendered on a worker thread (workers/pool.ts): pdfmake lays out hundreds of pages
// synchronously, which on the main thread held every other request until it was done.
import { renderJobSheets, type JobSheet, type RenderOptions } from './render.ts'

export interface RenderInput { sheets: JobSheet[]; options: RenderOptions }

export default function render({ sheets, options }: RenderInput): Promise<Buffer> {
  return renderJobSheets(sheets, options)
}
