// GET /api/reports/<report>.xlsx|.pdf?from=&to=&teamId=&lang= — the meeting reports. The figures
// come from reports.service.ts (computeKpis underneath); the files are rendered on worker threads.
// A period is at most MAX_DAYS local days; the order export at most MAX_ORDER_ROWS rows, and one of
// more than JOB_ORDER_ROWS rows becomes a job (jobs.ts): 202 with the job to follow.
import { Type } from 'typebox'
import { createReadStream } from 'node:fs'
import { unlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import type { App } from '../http/types.ts'
import type { Services } from '../services.ts'
import { buildReport } from './reports.service.ts'
import { countOrders } from './reports.queries.ts'
import { REPORT_LABELS } from './labels.ts'
import { runInWorker } from '../workers/pool.ts'
import type { RenderInput } from './render.task.ts'
import type { ReportName } from './reports.document.ts'
import { checkAsk, headerOf, refuse } from './period.ts'
import { exportOrders } from './orders.export.ts'
import { startJob } from './jobs.ts'

export { MAX_DAYS } from './period.ts'
export const MAX_ORDER_ROWS = 300_000
/** above this many orders the export is a job, not an answer that holds the request */
export const JOB_ORDER_ROWS = 20_000
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })
const FILE = '^(kpi|weekly-volume|chases|complaints|staff|orders|feedback)\\.(xlsx|pdf)$'
export const FILE_TYPES = { xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', pdf: 'application/pdf' }

export async function reportRoutes(app: App, services: Services) {
  const { db, config } = services
  app.get('/api/reports/:file', {
    schema: {
      params: Type.Object({ file: Type.String({ pattern: FILE }) }),
      querystring: Type.Object({ from: Day, to: Day, teamId: Type.Optional(Type.Integer({ minimum: 1 })), lang: Type.Optional(Type.Union([Type.Literal('zh'), Type.Literal('en')])) }, { additionalProperties: false }),
    },
  }, async (request, reply) => {
    const [report, format] = request.params.file.split('.') as [ReportName, 'xlsx' | 'pdf']
    const { from, to } = request.query
    const user = request.user!
    const { query, team, lang } = await checkAsk(db, config, user, request.query)
    const L = REPORT_LABELS[lang]
    const header = headerOf(config, { from, to, lang }, team, user.displayName)
    // set only on the file itself: a refusal below stays a plain JSON answer
    const asFile = () => reply.header('content-type', FILE_TYPES[format]).header('content-disposition', `attachment; filename="hotline100-${report}-${from}-${to}.${format}"`)

    if (report === 'orders') {
      if (format !== 'xlsx') throw refuse('file', '工单明细只提供 Excel', 'the order export is XLSX only')
      const total = await countOrders(db, query)
      if (total > MAX_ORDER_ROWS) throw refuse('to', `该期间有 ${total} 张工单，一次最多导出 ${MAX_ORDER_ROWS} 张，请缩短期间`, `the period has ${total} orders; one export holds at most ${MAX_ORDER_ROWS}: choose a shorter period`)
      if (total > JOB_ORDER_ROWS) {
        const job = await startJob(services, { id: user.id, name: user.displayName }, { report, format, from, to, teamId: query.teamId, lang }, total)
        return reply.status(202).send(job)
      }
      const file = join(tmpdir(), `hotline100-orders-${randomUUID()}.xlsx`)
      try {
        await exportOrders(db, query, file, { ...header, title: L.titles.orders, labels: L.header }, lang)
      } catch (err) {
        await unlink(file).catch(() => {})
        throw err
      }
      const stream = createReadStream(file)
      stream.once('close', () => { void unlink(file).catch(() => {}) })
      return asFile().send(stream)
    }
    const doc = await buildReport(report, { db, query, lang, header })
    const bytes = await runInWorker<RenderInput>(new URL('./render.task.ts', import.meta.url), { format, doc })
    return asFile().send(bytes)
  })
}
