// The report jobs' table (sql/0150): the only place jobs.ts touches Kysely. A job is claimed with
// FOR UPDATE SKIP LOCKED and every later write names the claim, so a run that lost its job (cancelled,
// or requeued after looking dead) finds out at its next write and stops.
import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from '../db/types.ts'

const COLUMNS = ['id', 'owner_id', 'owner_name', 'report', 'format', 'query', 'status', 'rows_done', 'rows_total', 'file_name', 'file_size', 'error', 'attempts',
  'created_at', 'started_at', 'finished_at', 'expires_at'] as const

export interface NewJob { ownerId: number | null; ownerName: string; report: string; format: 'xlsx' | 'pdf'; query: unknown; total: number; fileName: string; at: Date; weeklyKey?: string }

const values = (j: NewJob) => ({
  owner_id: j.ownerId, owner_name: j.ownerName, report: j.report, format: j.format, query: JSON.stringify(j.query), rows_total: j.total, file_name: j.fileName, created_at: j.at, weekly_key: j.weeklyKey ?? null,
})

export function insertJob(db: Kysely<DB>, job: NewJob) {
  return db.insertInto('report_job').values(values(job)).returning(COLUMNS).executeTakeFirstOrThrow()
}

/** The system's job for a week, once however many instances ask: undefined when it exists already. */
export function insertWeeklyJob(db: Kysely<DB>, job: NewJob & { weeklyKey: string }) {
  return db.insertInto('report_job').values(values(job)).onConflict((oc) => oc.column('weekly_key').doNothing()).returning(COLUMNS).executeTakeFirst()
}

export function findJob(db: Kysely<DB>, id: number) {
  return db.selectFrom('report_job').select(COLUMNS).where('id', '=', id).executeTakeFirst()
}
export type JobRow = NonNullable<Awaited<ReturnType<typeof findJob>>>

/** A person's jobs created since `since`, newest first. */
export function listJobs(db: Kysely<DB>, ownerId: number, since: Date) {
  return db.selectFrom('report_job').select(COLUMNS).where('owner_id', '=', ownerId).where('created_at', '>=', since).orderBy('id', 'desc').limit(50).execute()
}

export function jobFile(db: Kysely<DB>, id: number) {
  return db.selectFrom('report_job').select(['file_bytes', 'file_name', 'format']).where('id', '=', id).executeTakeFirst()
}

/** The oldest queued job, now running under `claim`; another instance's claim skips it. */
export function claimNext(db: Kysely<DB>, claim: string, at: Date) {
  return db.updateTable('report_job').set({ status: 'running', claim, attempts: sql`attempts + 1`, rows_done: 0, started_at: at, heartbeat_at: at })
    .where('status', '=', 'queued')
    .where('id', '=', (eb) => eb.selectFrom('report_job').select('id').where('status', '=', 'queued').orderBy('id').limit(1).forUpdate().skipLocked())
    .returning(COLUMNS).executeTakeFirst()
}

/** Rows done so far, and a sign of life; false when the job is no longer this claim's (cancelled, requeued). */
export async function heartbeat(db: Kysely<DB>, id: number, claim: string, rowsDone: number, at: Date) {
  const r = await db.updateTable('report_job').set({ rows_done: rowsDone, heartbeat_at: at }).where('id', '=', id).where('status', '=', 'running').where('claim', '=', claim).executeTakeFirst()
  return Number(r.numUpdatedRows) === 1
}

export async function finishJob(trx: Transaction<DB>, id: number, claim: string, bytes: Buffer, rowsDone: number, at: Date, expiresAt: Date) {
  const r = await trx.updateTable('report_job').set({ status: 'done', file_bytes: bytes, file_size: bytes.length, rows_done: rowsDone, finished_at: at, expires_at: expiresAt, heartbeat_at: at })
    .where('id', '=', id).where('status', '=', 'running').where('claim', '=', claim).returning(COLUMNS).executeTakeFirst()
  return r
}

export function failJob(db: Kysely<DB>, id: number, claim: string, error: string, at: Date) {
  return db.updateTable('report_job').set({ status: 'failed', error: error.slice(0, 500), finished_at: at }).where('id', '=', id).where('status', '=', 'running').where('claim', '=', claim)
    .returning(COLUMNS).executeTakeFirst()
}

/** Back to the queue: this instance is closing mid-run. */
export function releaseJob(db: Kysely<DB>, id: number, claim: string) {
  return db.updateTable('report_job').set({ status: 'queued', claim: null, rows_done: 0 }).where('id', '=', id).where('status', '=', 'running').where('claim', '=', claim).execute()
}

/** Cancelled while queued or running; a running export sees it at its next page. */
export function cancelJob(db: Kysely<DB>, id: number, at: Date) {
  return db.updateTable('report_job').set({ status: 'cancelled', finished_at: at, file_bytes: null, file_size: null }).where('id', '=', id).where('status', 'in', ['queued', 'running'])
    .returning(COLUMNS).executeTakeFirst()
}

/** Jobs left running by an instance that stopped showing life before `before`: queued again. */
export async function requeueStale(db: Kysely<DB>, before: Date) {
  const r = await db.updateTable('report_job').set({ status: 'queued', claim: null, rows_done: 0 }).where('status', '=', 'running').where('heartbeat_at', '<', before).executeTakeFirst()
  return Number(r.numUpdatedRows)
}

/** Files past their day are dropped; the job stays listed as expired. */
export async function dropExpired(db: Kysely<DB>, at: Date) {
  const r = await db.updateTable('report_job').set({ file_bytes: null }).where('file_bytes', 'is not', null).where('expires_at', '<=', at).executeTakeFirst()
  return Number(r.numUpdatedRows)
}

export function activeManagers(trx: Transaction<DB>) {
  return trx.selectFrom('app_user').select('id').where('role', '=', 'manager').where('active', '=', true).orderBy('id').execute()
}

export function insertReportNotices(trx: Transaction<DB>, userIds: number[], jobId: number, message: string) {
  return trx.insertInto('notification').values(userIds.map((id) => ({ user_id: id, kind: 'report', message, report_job_id: jobId }))).returning(['id', 'user_id']).execute()
}
