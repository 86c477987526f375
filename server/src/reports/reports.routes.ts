// GET /api/reports/<report>.xlsx|.pdf?from=&to=&teamId=&lang= — the meeting reports. The figures
// come from reports.service.ts (computeKpis underneath); the files are rendered on worker threads.
// A period is at most MAX_DAYS local days; the order export at most MAX_ORDER_ROWS rows.
import { Type } from 'typebox'
import { MessageChannel } from 'node:worker_threads'
import { createReadStream } from 'node:fs'
import { unlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import type { App } from '../http/types.ts'
import { HttpError } from '../http/errors.ts'
import type { Services } from '../services.ts'
import { checkDay } from '../kpi/kpi.routes.ts'
import type { KpiQuery } from '../kpi/kpi.queries.ts'
import { buildReport } from './reports.service.ts'
import { countOrders, findTeam, orderPage, type OrderCursor } from './reports.queries.ts'
import { REPORT_LABELS } from './labels.ts'
import { runInWorker } from '../workers/pool.ts'
import type { RenderInput } from './render.task.ts'
import type { OrdersInput } from './orders.task.ts'
import type { ReportHeader, ReportName } from './reports.document.ts'

export const MAX_DAYS = 366
export const MAX_ORDER_ROWS = 300_000
const PAGE = 5_000
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })
const FILE = '^(kpi|weekly-volume|chases|complaints|staff|orders|feedback)\\.(xlsx|pdf)$'
const TYPES = { xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', pdf: 'application/pdf' }

/** A 400 naming the field, in Chinese with the English beside it, as the screens show messages. */
const refuse = (field: string, zh: string, en: string) => new HttpError(400, 'bad_request', zh, field, { messageEn: en })

function localStamp(timeZone: string, at = new Date()) {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    .formatToParts(at).map((x) => [x.type, x.value]))
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`
}

export async function reportRoutes(app: App, { db, config }: Services) {
  app.get('/api/reports/:file', {
    schema: {
      params: Type.Object({ file: Type.String({ pattern: FILE }) }),
      querystring: Type.Object({ from: Day, to: Day, teamId: Type.Optional(Type.Integer({ minimum: 1 })), lang: Type.Optional(Type.Union([Type.Literal('zh'), Type.Literal('en')])) }, { additionalProperties: false }),
    },
  }, async (request, reply) => {
    const [report, format] = request.params.file.split('.') as [ReportName, 'xlsx' | 'pdf']
    const { from, to } = request.query
    const start = checkDay('from', from)
    const end = checkDay('to', to)
    if (end < start) throw refuse('to', '结束日期早于开始日期', 'to is before from')
    if ((end.getTime() - start.getTime()) / 86_400_000 + 1 > MAX_DAYS) throw refuse('to', `报表期间最长 ${MAX_DAYS} 天`, `a report covers at most ${MAX_DAYS} days`)
    const user = request.user!
    // a team lead's reports are their own team's, as on the KPI page
    const teamId = user.role === 'team_lead' ? user.teamId ?? undefined : request.query.teamId
    const team = teamId ? await findTeam(db, teamId) : undefined
    if (teamId && !team) throw refuse('teamId', `没有编号为 ${teamId} 的班组`, `no team ${teamId}`)
    const lang = request.query.lang ?? 'zh'
    const L = REPORT_LABELS[lang]
    const query: KpiQuery = { from, to, teamId, timeZone: config.timeZone }
    const header = {
      hospital: config.hospitalName, period: `${from} — ${to}`, team: team ? (lang === 'en' && team.name_en) || team.name : L.allTeams,
      generatedAt: `${localStamp(config.timeZone)} (${config.timeZone})`, generatedBy: user.displayName,
    }
    // set only on the file itself: a refusal below stays a plain JSON answer
    const asFile = () => reply.header('content-type', TYPES[format]).header('content-disposition', `attachment; filename="hotline100-${report}-${from}-${to}.${format}"`)

    if (report === 'orders') {
      if (format !== 'xlsx') throw refuse('file', '工单明细只提供 Excel', 'the order export is XLSX only')
      const total = await countOrders(db, query)
      if (total > MAX_ORDER_ROWS) throw refuse('to', `该期间有 ${total} 张工单，一次最多导出 ${MAX_ORDER_ROWS} 张，请缩短期间`, `the period has ${total} orders; one export holds at most ${MAX_ORDER_ROWS}: choose a shorter period`)
      const file = join(tmpdir(), `hotline100-orders-${randomUUID()}.xlsx`)
      try {
        await exportOrders(query, file, { ...header, title: L.titles.orders, labels: L.header }, lang)
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

  /** Pages of orders from the database into the worker's streaming writer, one page in flight. */
  async function exportOrders(query: KpiQuery, filename: string, header: ReportHeader, lang: 'zh' | 'en') {
    const L = REPORT_LABELS[lang]
    const { port1, port2 } = new MessageChannel()
    const done = runInWorker<OrdersInput>(new URL('./orders.task.ts', import.meta.url), { port: port2, filename, header, columns: L.orderColumns, yesNo: [L.yes, L.no] }, { transferList: [port2] })
    const failed = done.then(() => { throw new Error('the export worker ended early') })
    try {
      let page = await orderPage(db, query, null, PAGE, lang === 'en')
      for (;;) {
        const written = new Promise((resolve) => port1.once('message', resolve))
        port1.postMessage({ rows: page.rows })
        const cursor: OrderCursor | null = page.next
        // the next page is read while the worker writes this one
        const [, next] = await Promise.all([Promise.race([written, failed]), cursor ? orderPage(db, query, cursor, PAGE, lang === 'en') : null])
        if (!next) break
        page = next
      }
      port1.postMessage({ end: true })
      return await done
    } finally {
      failed.catch(() => {})
      port1.close()
    }
  }
}
