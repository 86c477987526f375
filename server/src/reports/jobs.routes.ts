// /api/report-jobs: start a report as a job, follow it, download its file (kept a day), cancel it.
// A job is its asker's; the weekly summary (owned by the system) is every manager's and admin's.
import { Type } from 'typebox'
import type { App } from '../http/types.ts'
import { errors } from '../http/types.ts'
import { HttpError, conflict, forbidden, notFound } from '../http/errors.ts'
import type { Services } from '../services.ts'
import type { SessionUser } from '../accounts/sessions.ts'
import { countOrders } from './reports.queries.ts'
import { checkAsk, refuse } from './period.ts'
import { FILE_TYPES, MAX_ORDER_ROWS } from './reports.routes.ts'
import { JOB_KEEP_MS, jobView, startJob, tellJob } from './jobs.ts'
import { cancelJob, findJob, jobFile, listJobs, type JobRow } from './jobs.queries.ts'
import type { ReportName } from './reports.document.ts'

const Id = Type.Integer({ minimum: 1, maximum: 2147483647 })
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })
const REPORTS = ['kpi', 'weekly-volume', 'chases', 'complaints', 'staff', 'orders', 'feedback'] as const
const Lit = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)))
const Ask = Type.Object({
  report: Lit(REPORTS), format: Lit(['xlsx', 'pdf'] as const), from: Day, to: Day,
  teamId: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647 })), lang: Type.Optional(Lit(['zh', 'en'] as const)),
}, { additionalProperties: false })
const Started = Type.Object({ jobId: Type.Integer(), total: Type.Integer(), statusUrl: Type.String() })

const mayHave = (user: SessionUser, job: JobRow) => job.owner_id === user.id || (job.owner_id === null && (user.role === 'manager' || user.role === 'admin'))

export async function reportJobRoutes(app: App, services: Services) {
  const { db, config } = services

  async function visible(user: SessionUser, id: number) {
    const job = await findJob(db, id)
    if (!job) throw notFound(`report job ${id}`)
    if (!mayHave(user, job)) throw forbidden('这份报表不是您导出的 (this export is someone else\'s)')
    return job
  }

  app.post('/api/report-jobs', { schema: { body: Ask, response: { 202: Started, ...errors } } }, async (request, reply) => {
    const user = request.user!
    const ask = request.body
    const { query, lang } = await checkAsk(db, config, user, ask)
    if (ask.report === 'orders' && ask.format !== 'xlsx') throw refuse('format', '工单明细只提供 Excel', 'the order export is XLSX only')
    const total = await countOrders(db, query)
    if (ask.report === 'orders' && total > MAX_ORDER_ROWS) throw refuse('to', `该期间有 ${total} 张工单，一次最多导出 ${MAX_ORDER_ROWS} 张，请缩短期间`, `the period has ${total} orders; one export holds at most ${MAX_ORDER_ROWS}: choose a shorter period`)
    const started = await startJob(services, { id: user.id, name: user.displayName }, { report: ask.report as ReportName, format: ask.format, from: ask.from, to: ask.to, teamId: query.teamId, lang }, total)
    return reply.status(202).send(started)
  })

  // my exports of the last day, newest first
  app.get('/api/report-jobs', {}, async (request) => {
    const now = services.now()
    const rows = await listJobs(db, request.user!.id, new Date(now.getTime() - JOB_KEEP_MS))
    return { items: rows.map((r) => jobView(r, now)) }
  })

  app.get('/api/report-jobs/:id', { schema: { params: Type.Object({ id: Id }) } }, async (request) => {
    return jobView(await visible(request.user!, request.params.id), services.now())
  })

  app.get('/api/report-jobs/:id/file', { schema: { params: Type.Object({ id: Id }) } }, async (request, reply) => {
    const job = await visible(request.user!, request.params.id)
    if ((job.expires_at && job.expires_at <= services.now()) || (job.status === 'done' && job.file_size === null)) {
      throw new HttpError(410, 'expired', '文件已过期（保留 24 小时），请重新导出', undefined, { messageEn: 'the file is kept for 24 hours and has expired: export it again' })
    }
    if (job.status !== 'done') throw conflict(`报表尚未生成（${job.status}）`, { status: job.status, messageEn: `the report is not ready (${job.status})` })
    const file = await jobFile(db, job.id)
    if (!file?.file_bytes) throw new HttpError(410, 'expired', '文件已过期（保留 24 小时），请重新导出', undefined, { messageEn: 'the file has expired: export it again' })
    return reply.header('content-type', FILE_TYPES[file.format]).header('content-disposition', `attachment; filename="${file.file_name}"`).send(file.file_bytes)
  })

  app.post('/api/report-jobs/:id/cancel', { schema: { params: Type.Object({ id: Id }) } }, async (request) => {
    const job = await visible(request.user!, request.params.id)
    const cancelled = await cancelJob(db, job.id, services.now())
    if (!cancelled) throw conflict(`报表已${job.status === 'done' ? '生成' : '结束'}，不能取消`, { status: job.status, messageEn: `the job is ${job.status} and cannot be cancelled` })
    await tellJob(db, cancelled)
    return jobView(cancelled, services.now())
  })
}
