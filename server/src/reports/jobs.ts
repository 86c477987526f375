// Report exports as jobs: a period too long to answer while the request waits (an order export of
// more than JOB_ORDER_ROWS rows, or any report asked for with POST /api/report-jobs) is queued in
// report_job and run by the runner of one instance — claimed with FOR UPDATE SKIP LOCKED, rendered
// on the worker pool, its progress published to the asker at most PROGRESS_MS apart, the file kept a
// day. A job whose instance stopped showing life for STALE_MS is queued again. The same runner makes
// the weekly summary PDF every Monday 07:00 hospital time: a job owned by the system, one per week.
import { randomUUID } from 'node:crypto'
import { readFile, unlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../db/types.ts'
import type { Services } from '../services.ts'
import type { KpiQuery } from '../kpi/kpi.queries.ts'
import { publish } from '../live/events.ts'
import { runInWorker } from '../workers/pool.ts'
import type { RenderInput } from './render.task.ts'
import { buildReport } from './reports.service.ts'
import { countOrders, findTeam } from './reports.queries.ts'
import { REPORT_LABELS } from './labels.ts'
import { headerOf } from './period.ts'
import { exportOrders } from './orders.export.ts'
import type { ReportName } from './reports.document.ts'
import {
  activeManagers, claimNext, dropExpired, failJob, finishJob, heartbeat, insertJob, insertReportNotices, insertWeeklyJob, releaseJob, requeueStale, type JobRow,
} from './jobs.queries.ts'

export const JOB_KEEP_MS = 24 * 3_600_000
export const STALE_MS = 3 * 60_000
/** progress goes out at most this often (and once more when the job ends) */
export const PROGRESS_MS = 250
/** rows per page of a job's order export: between pages the runner reports and looks for a cancel */
export const JOB_PAGE = 2_000
const TICK_MS = 5_000
const WEEKLY_HOUR = 7
export const SYSTEM_OWNER = '系统'

export interface JobAsk { report: ReportName; format: 'xlsx' | 'pdf'; from: string; to: string; teamId?: number; lang: 'zh' | 'en' }
export interface JobView {
  id: number; report: string; format: string; from: string; to: string; teamId: number | null; lang: string; status: string; rowsDone: number; rowsTotal: number
  fileName: string; size: number | null; error: string | null; system: boolean; createdAt: string; finishedAt: string | null; expiresAt: string | null; expired: boolean; fileUrl: string | null
}

export function jobView(row: JobRow, now: Date): JobView {
  const q = row.query as Partial<JobAsk>
  const expired = row.expires_at !== null && row.expires_at <= now
  return {
    id: row.id, report: row.report, format: row.format, from: q.from ?? '', to: q.to ?? '', teamId: q.teamId ?? null, lang: q.lang ?? 'zh', status: row.status,
    rowsDone: row.rows_done, rowsTotal: row.rows_total, fileName: row.file_name, size: row.file_size, error: row.error, system: row.owner_id === null,
    createdAt: row.created_at.toISOString(), finishedAt: row.finished_at?.toISOString() ?? null, expiresAt: row.expires_at?.toISOString() ?? null, expired,
    fileUrl: row.status === 'done' && !expired ? `/api/report-jobs/${row.id}/file` : null,
  }
}

const fileName = (a: { report: string; from: string; to: string; format: string }) => `hotline100-${a.report}-${a.from}-${a.to}.${a.format}`
const statusUrl = (id: number) => `/api/report-jobs/${id}`

/** Queues a job for `owner` and wakes this instance's runner; the answer a 202 carries. */
export async function startJob(services: Services, owner: { id: number; name: string }, ask: JobAsk, total: number) {
  const { report, format, from, to, teamId, lang } = ask
  const row = await insertJob(services.db, { ownerId: owner.id, ownerName: owner.name, report, format, query: { from, to, teamId, lang }, total, fileName: fileName(ask), at: services.now() })
  services.reportJobs?.wake()
  return { jobId: row.id, total, statusUrl: statusUrl(row.id) }
}

/** The asker's screens hear of the job (sent at commit when `db` is a transaction). */
export const tellJob = (db: Kysely<DB> | Transaction<DB>, row: Pick<JobRow, 'id' | 'owner_id' | 'status' | 'rows_done' | 'rows_total'>) =>
  publish(db, 'report.job', { id: row.id, userId: row.owner_id, status: row.status, rowsDone: row.rows_done, rowsTotal: row.rows_total })

/** Hospital-local date parts of an instant: the day (YYYY-MM-DD), hour and ISO weekday (1 = Monday). */
function localParts(at: Date, timeZone: string) {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', weekday: 'short', hourCycle: 'h23' })
    .formatToParts(at).map((x) => [x.type, x.value]))
  return { day: `${p.year}-${p.month}-${p.day}`, hour: Number(p.hour), weekday: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(p.weekday!) + 1 }
}
const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10)

/** The week whose summary is due at `at`: Mon–Sun local days before the latest Monday 07:00. */
export function weekDue(at: Date, timeZone: string) {
  const l = localParts(at, timeZone)
  let monday = addDays(l.day, 1 - l.weekday)
  if (l.weekday === 1 && l.hour < WEEKLY_HOUR) monday = addDays(monday, -7)
  return { key: monday, from: addDays(monday, -7), to: addDays(monday, -1) }
}

export interface RunnerOptions {
  /** the runner's own timer (off in tests, which call tick(), sweep(), schedule(), runQueued()) */
  timer: boolean
  /** told after each page of an order export, before the runner looks for a cancel (tests) */
  afterPage?: (job: JobRow, written: number) => Promise<void> | void
  onError?: (err: unknown) => void
}

export function startReportJobs(services: Services, options: RunnerOptions) {
  const { db, config } = services
  const instance = randomUUID().slice(0, 8)
  const onError = options.onError ?? (() => {})
  let running: Promise<number> | null = null
  let again = false
  let stopping = false
  let timer: ReturnType<typeof setInterval> | null = null

  /** Requeues what a crashed instance left running, and drops files past their day. */
  async function sweep() {
    const at = services.now()
    return { requeued: await requeueStale(db, new Date(at.getTime() - STALE_MS)), dropped: await dropExpired(db, at) }
  }

  /** The weekly summary, queued once per week across instances; answers the job's id when this call queued it. */
  async function schedule(): Promise<number | null> {
    const week = weekDue(services.now(), config.timeZone)
    const query: KpiQuery = { from: week.from, to: week.to, timeZone: config.timeZone }
    const row = await insertWeeklyJob(db, {
      ownerId: null, ownerName: SYSTEM_OWNER, report: 'kpi', format: 'pdf', query: { from: week.from, to: week.to, lang: 'zh' }, total: await countOrders(db, query),
      fileName: `hotline100-weekly-${week.from}-${week.to}.pdf`, at: services.now(), weeklyKey: week.key,
    })
    if (row) wake()
    return row?.id ?? null
  }

  /** Runs queued jobs one after another until none is left; answers how many this call ran. */
  function runQueued(): Promise<number> {
    if (running) { again = true; return running }
    running = (async () => {
      let ran = 0
      do {
        again = false
        for (;;) {
          if (stopping) break
          const claim = `${instance}:${randomUUID().slice(0, 8)}`
          const job = await claimNext(db, claim, services.now())
          if (!job) break
          await run(job, claim)
          ran++
        }
      } while (again && !stopping)
      return ran
    })().finally(() => { running = null })
    return running
  }

  async function run(job: JobRow, claim: string) {
    const ask = job.query as JobAsk
    const lang = ask.lang ?? 'zh'
    const L = REPORT_LABELS[lang]
    const query: KpiQuery = { from: ask.from, to: ask.to, teamId: ask.teamId, timeZone: config.timeZone }
    const team = ask.teamId ? await findTeam(db, ask.teamId) : undefined
    const header = headerOf(config, { from: ask.from, to: ask.to, lang }, team, job.owner_name, services.now())
    let told = 0
    try {
      let bytes: Buffer
      let rows = job.rows_total
      if (job.report === 'orders') {
        const file = join(tmpdir(), `hotline100-job-${job.id}-${randomUUID()}.xlsx`)
        let stopped = false
        try {
          rows = await exportOrders(db, query, file, { ...header, title: L.titles.orders, labels: L.header }, lang, {
            page: JOB_PAGE,
            afterPage: async (written) => {
              await options.afterPage?.(job, written)
              const alive = !stopping && (await heartbeat(db, job.id, claim, written, services.now()))
              if (!alive) { stopped = true; return false }
              if (Date.now() - told >= PROGRESS_MS) {
                told = Date.now()
                await tellJob(db, { ...job, status: 'running', rows_done: written })
              }
              return true
            },
          })
          if (!stopped) bytes = await readFile(file)
        } finally {
          // a cancelled export leaves no file behind; a finished one lives on in the database
          await unlink(file).catch(() => {})
        }
        if (stopped) {
          if (stopping) await releaseJob(db, job.id, claim)
          return
        }
      } else {
        const doc = await buildReport(job.report as Exclude<ReportName, 'orders'>, { db, query, lang, header })
        bytes = await runInWorker<RenderInput>(new URL('./render.task.ts', import.meta.url), { format: job.format, doc })
      }
      const at = services.now()
      await db.transaction().execute(async (trx) => {
        const done = await finishJob(trx, job.id, claim, bytes!, rows, at, new Date(at.getTime() + JOB_KEEP_MS))
        if (!done) return
        await tellJob(trx, done)
        if (done.owner_id === null) {
          // the weekly summary: every manager is told where to download it
          const managers = await activeManagers(trx)
          const message = `上周工作汇总（${ask.from} — ${ask.to}）已生成，点击下载 PDF`
          if (managers.length) {
            for (const n of await insertReportNotices(trx, managers.map((m) => m.id), done.id, message)) {
              await publish(trx, 'notification', { id: n.id, userId: n.user_id, kind: 'report', message, workOrderId: null, reportJobId: done.id })
            }
          }
        }
      })
    } catch (err) {
      onError(err)
      const failed = await failJob(db, job.id, claim, err instanceof Error ? err.message : String(err), services.now()).catch(() => undefined)
      if (failed) await tellJob(db, failed).catch(() => {})
    }
  }

  function wake() {
    if (!options.timer || stopping) return
    setImmediate(() => { runQueued().catch(onError) })
  }

  async function tick() {
    await sweep()
    await schedule()
    return runQueued()
  }

  if (options.timer) {
    timer = setInterval(() => { tick().catch(onError) }, TICK_MS)
    timer.unref()
  }

  return {
    instance, sweep, schedule, runQueued, tick, wake,
    async stop() {
      stopping = true
      if (timer) clearInterval(timer)
      await running?.catch(() => {})
    },
  }
}
export type ReportJobs = ReturnType<typeof startReportJobs>
