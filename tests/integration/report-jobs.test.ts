// Long report exports as jobs, and the weekly summary PDF. 25,000 orders made in SQL over two weeks;
// the order export of that period answers 202 and runs on a runner (the tests drive it: no timer),
// progress goes over /ws to the asker only, the file is read back by openpyxl (XLSX) and pdftotext.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { createTestDatabase, TEST_DB, type TestDatabase } from '../helpers/db.ts'
import { openPostgres } from '../../server/src/db/db.ts'
import { startReportJobs, weekDue, PROGRESS_MS } from '../../server/src/reports/jobs.ts'

const ORDERS = 25_000
const FROM = '2026-01-05'
const TO = '2026-01-18'
const PERIOD = `from=${FROM}&to=${TO}`
const dir = mkdtempSync(join(tmpdir(), 'hotline-report-jobs-'))

let clock: Date | null = null
const now = () => clock ?? new Date()
let shared: TestDatabase
let a: TestApp
let b: TestApp

/** the orders' data rows of an export, counted by openpyxl (Debian's python3-openpyxl) */
function orderRows(body: Buffer) {
  const file = join(dir, `orders-${Math.random()}.xlsx`)
  writeFileSync(file, body)
  const script = 'import sys\nfrom openpyxl import load_workbook\nws = load_workbook(sys.argv[1], read_only=True).worksheets[0]\n'
    + 'print(sum(1 for r in ws.iter_rows(values_only=True) if r and isinstance(r[0], str) and r[0].startswith("RJ-")))'
  return Number(execFileSync('/usr/bin/python3', ['-c', script, file]).toString().trim())
}
const pdfText = (body: Buffer) => execFileSync('pdftotext', ['-layout', '-', '-'], { input: body }).toString()
const jobOf = (t: TestApp, id: number) => t.db.db.selectFrom('report_job').select(['status', 'attempts', 'rows_done', 'rows_total', sql<boolean>`file_bytes IS NOT NULL`.as('has_file')]).where('id', '=', id).executeTakeFirstOrThrow()

test.before(async () => {
  shared = await createTestDatabase()
  // on PostgreSQL the second instance has its own pool and LISTEN connection; PGlite is one in-process database
  const second = TEST_DB === 'postgres' ? await openPostgres(shared.url!) : shared
  a = await startTestApp({}, { ...shared, drop: async () => {} }, { now })
  b = await startTestApp({}, { ...second, url: shared.url, drop: async () => { if (second !== shared) await second.close() } }, { now })
  // two weeks of hospital-local days, evenly spread, as the bench makes its history
  await sql`
    INSERT INTO work_order (number, item_id, category_id, location_id, requester_name, requested_at, urgency, team_id, assignee_id, completed_by,
      routing_reason, status, created_at, dispatched_at, arrived_at, completed_at, closed_at, response_due_at, due_at, chase_count, escalation_level, source)
    SELECT 'RJ-' || g, i.id, i.category_id, l.id, '历史', t.created, 'routine', i.default_team_id, s.id, s.id,
      'test', 'closed', t.created, t.created, t.created + (g % 40) * interval '1 minute', t.created + (g % 300) * interval '1 minute',
      t.created + (g % 300 + 30) * interval '1 minute', t.created + interval '30 minutes', t.created + interval '240 minutes', (g % 7 = 0)::int, 99, 'import'
    FROM generate_series(1, ${ORDERS}) g
    CROSS JOIN LATERAL (SELECT '2026-01-05T00:00:00+08:00'::timestamptz + interval '14 days' * ((g - 1)::float8 / ${ORDERS}) AS created) t
    JOIN item i ON i.id = 1 + g % 31
    CROSS JOIN (SELECT array_agg(id ORDER BY id) AS ids FROM location WHERE kind IN ('room', 'ward')) locs
    CROSS JOIN LATERAL (SELECT locs.ids[1 + g % cardinality(locs.ids)] AS id) l
    JOIN (SELECT team_id, array_agg(id ORDER BY id) AS ids FROM staff GROUP BY team_id) crew ON crew.team_id = i.default_team_id
    CROSS JOIN LATERAL (SELECT crew.ids[1 + g % cardinality(crew.ids)] AS id) s`.execute(a.db.db)
})
test.after(async () => { await a.close(); await b.close(); await shared.drop() })

test('an order export below 20,000 rows is still the file itself', async () => {
  const res = await a.call('manager', 'GET', `/api/reports/orders.xlsx?from=${FROM}&to=${FROM}`)
  assert.is(res.status, 200)
  assert.match(res.headers['content-type']!, /spreadsheetml/)
})

test('a 25,000-order export answers 202; progress reaches the asker only, rising to the total; the file has every row; someone else gets 403', async () => {
  const asker = await a.connect('manager')
  const other = await a.connect('admin')
  const res = await a.call('manager', 'GET', `/api/reports/orders.xlsx?${PERIOD}`)
  assert.is(res.status, 202, JSON.stringify(res.body))
  const { jobId, total, statusUrl } = res.body
  assert.is(total, ORDERS)
  assert.is(statusUrl, `/api/report-jobs/${jobId}`)
  assert.is((await a.call('manager', 'GET', statusUrl)).body.status, 'queued')

  assert.is(await a.app.services.reportJobs!.runQueued(), 1)
  const done = await asker.next((m) => m.type === 'report.job' && m.data.id === jobId && m.data.status === 'done', 10_000)
  assert.is(done.data.rowsDone, ORDERS)
  const progress = asker.messages.filter((m) => m.type === 'report.job' && m.data.id === jobId && m.data.status === 'running')
  assert.ok(progress.length >= 1, 'progress while running')
  for (let i = 1; i < progress.length; i++) {
    assert.ok(progress[i].data.rowsDone > progress[i - 1].data.rowsDone, 'rows done rise')
    // a few a second at most
    assert.ok(Date.parse(progress[i].at) - Date.parse(progress[i - 1].at) >= PROGRESS_MS - 5, `${progress[i].at} after ${progress[i - 1].at}`)
  }
  assert.ok(progress.every((m) => m.data.rowsTotal === ORDERS && m.data.rowsDone <= ORDERS))
  assert.is(other.messages.filter((m) => m.type === 'report.job').length, 0, 'nobody else hears of it')

  const job = (await a.call('manager', 'GET', statusUrl)).body
  assert.is(job.status, 'done')
  assert.is(job.fileUrl, `/api/report-jobs/${jobId}/file`)
  const mine = (await a.call('manager', 'GET', '/api/report-jobs')).body.items
  assert.ok(mine.some((j: any) => j.id === jobId && j.status === 'done'))
  assert.is((await a.call('admin', 'GET', '/api/report-jobs')).body.items.length, 0)

  // any instance hands the file out: it lives in the database
  const file = await b.call('manager', 'GET', job.fileUrl)
  assert.is(file.status, 200)
  assert.match(file.headers['content-disposition']!, new RegExp(`hotline100-orders-${FROM}-${TO}\\.xlsx`))
  assert.is(orderRows(file.body), ORDERS)
  assert.is((await a.call('admin', 'GET', job.fileUrl)).status, 403)
  assert.is((await a.call('lead', 'GET', job.fileUrl)).status, 403)
  assert.is((await a.call('admin', 'GET', statusUrl)).status, 403)
  assert.is((await a.call('operator', 'GET', statusUrl)).status, 403)
})

test('an export cancelled mid-way stops between pages, is cancelled and leaves no file', async () => {
  const asker = await a.connect('manager')
  const res = await a.call('manager', 'POST', '/api/report-jobs', { report: 'orders', format: 'xlsx', from: FROM, to: TO })
  assert.is(res.status, 202, JSON.stringify(res.body))
  const id = res.body.jobId
  let cancelledAt = 0
  // a runner of its own, told after each page: the cancel lands while the export runs
  const runner = startReportJobs(a.app.services, {
    timer: false,
    afterPage: async (job, written) => {
      if (job.id !== id || cancelledAt) return
      cancelledAt = written
      assert.is((await a.call('manager', 'POST', `/api/report-jobs/${id}/cancel`, {})).status, 200)
    },
  })
  assert.is(await runner.runQueued(), 1)
  await runner.stop()
  assert.ok(cancelledAt > 0 && cancelledAt < ORDERS)
  const row = await jobOf(a, id)
  assert.is(row.status, 'cancelled')
  assert.is(row.has_file, false)
  assert.ok(row.rows_done <= cancelledAt, `stopped at ${row.rows_done}`)
  assert.is(readdirSync(tmpdir()).filter((f) => f.startsWith(`hotline100-job-${id}-`)).length, 0, 'the partial file is removed')
  assert.is((await a.call('manager', 'GET', `/api/report-jobs/${id}/file`)).status, 409)
  await asker.next((m) => m.type === 'report.job' && m.data.id === id && m.data.status === 'cancelled')
  // done is done: a second cancel is refused
  assert.is((await a.call('manager', 'POST', `/api/report-jobs/${id}/cancel`, {})).status, 409)
})

test('two runners on one database run each job once; a job a crashed instance left running is requeued', async () => {
  const ids: number[] = []
  for (const report of ['kpi', 'chases', 'staff']) {
    const res = await a.call('manager', 'POST', '/api/report-jobs', { report, format: 'pdf', from: '2026-01-12', to: '2026-01-18' })
    assert.is(res.status, 202)
    ids.push(res.body.jobId)
  }
  const [ranA, ranB] = await Promise.all([a.app.services.reportJobs!.runQueued(), b.app.services.reportJobs!.runQueued()])
  assert.is(ranA + ranB, 3)
  for (const id of ids) {
    const row = await jobOf(a, id)
    assert.equal([row.status, row.attempts, row.has_file, row.rows_done], ['done', 1, true, row.rows_total])
  }
  const pdf = await a.call('manager', 'GET', `/api/report-jobs/${ids[0]}/file`)
  assert.match(pdf.headers['content-type']!, /pdf/)

  const res = await a.call('manager', 'POST', '/api/report-jobs', { report: 'kpi', format: 'xlsx', from: '2026-01-12', to: '2026-01-18' })
  const stale = res.body.jobId
  await a.db.db.updateTable('report_job').set({ status: 'running', claim: 'gone:1', attempts: 1, heartbeat_at: new Date(Date.now() - 10 * 60_000) }).where('id', '=', stale).execute()
  assert.equal(await b.app.services.reportJobs!.sweep(), { requeued: 1, dropped: 0 })
  assert.is(await b.app.services.reportJobs!.runQueued(), 1)
  const again = await jobOf(a, stale)
  assert.equal([again.status, again.attempts, again.has_file], ['done', 2, true])
})

test('a file is kept for a day: then 410, and the sweep drops it', async () => {
  const [job] = (await a.call('manager', 'GET', '/api/report-jobs')).body.items.filter((j: any) => j.status === 'done')
  clock = new Date(Date.now() + 25 * 3_600_000)
  try {
    assert.is((await a.call('manager', 'GET', `/api/report-jobs/${job.id}/file`)).status, 410)
    const { dropped } = await a.app.services.reportJobs!.sweep()
    assert.ok(dropped >= 1)
    assert.is((await jobOf(a, job.id)).has_file, false)
  } finally { clock = null }
})

test('Monday 07:00 hospital time makes last week\'s summary PDF once across instances, and every manager is told once', async () => {
  assert.is((await a.call('admin', 'POST', '/api/users', { username: 'manager2', displayName: '副主任 周敏', role: 'manager', password: 'longenough' })).status, 201)
  assert.equal(weekDue(new Date('2026-01-19T06:59:00+08:00'), 'Asia/Shanghai'), { key: '2026-01-12', from: '2026-01-05', to: '2026-01-11' })
  assert.equal(weekDue(new Date('2026-01-19T07:00:00+08:00'), 'Asia/Shanghai'), { key: '2026-01-19', from: '2026-01-12', to: '2026-01-18' })
  assert.equal(weekDue(new Date('2026-01-25T23:59:00+08:00'), 'Asia/Shanghai'), { key: '2026-01-19', from: '2026-01-12', to: '2026-01-18' })
  const board = await a.connect('manager')
  clock = new Date('2026-01-19T07:00:00+08:00')
  try {
    const queued = await Promise.all([a.app.services.reportJobs!.schedule(), b.app.services.reportJobs!.schedule()])
    assert.is(queued.filter((id) => id !== null).length, 1)
    await Promise.all([a.app.services.reportJobs!.tick(), b.app.services.reportJobs!.tick()])
    clock = new Date('2026-01-19T07:10:00+08:00')
    await Promise.all([a.app.services.reportJobs!.tick(), b.app.services.reportJobs!.tick()])
    const weekly = await a.db.db.selectFrom('report_job').select(['id', 'status', 'owner_id']).where('weekly_key', 'is not', null).execute()
    assert.is(weekly.length, 1)
    assert.equal([weekly[0]!.status, weekly[0]!.owner_id], ['done', null])

    const { rows: [week] } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM work_order WHERE created_at >= '2026-01-12T00:00:00+08:00' AND created_at < '2026-01-19T00:00:00+08:00'`.execute(a.db.db)
    assert.ok(week!.n > 10_000)
    const pdf = await b.call('manager', 'GET', `/api/report-jobs/${weekly[0]!.id}/file`)
    assert.is(pdf.status, 200)
    const text = pdfText(pdf.body)
    assert.match(text, /2026-01-12 — 2026-01-18/)
    const completion = text.split('\n').find((l) => l.trim().startsWith('完成率'))
    assert.ok(completion?.includes(week!.n.toLocaleString('en')), `完成率 line holds ${week!.n}: ${completion}`)

    const managers = await a.db.db.selectFrom('app_user').select('id').where('role', '=', 'manager').where('active', '=', true).execute()
    assert.is(managers.length, 2)
    for (const m of managers) {
      const notes = await a.db.db.selectFrom('notification').select(['report_job_id']).where('user_id', '=', m.id).where('kind', '=', 'report').execute()
      assert.equal(notes, [{ report_job_id: weekly[0]!.id }])
    }
    const seen = await board.next((m) => m.type === 'notification' && m.data.reportJobId === weekly[0]!.id, 3000)
    assert.match(seen.data.message, /上周工作汇总/)
    const bell = (await a.call('manager', 'GET', '/api/notifications')).body.items
    assert.is(bell.find((n: any) => n.reportJobId === weekly[0]!.id)?.kind, 'report')
    // the system's report is every manager's, not a team lead's
    assert.is((await a.call('lead', 'GET', `/api/report-jobs/${weekly[0]!.id}/file`)).status, 403)
    assert.is((await a.call('admin', 'GET', `/api/report-jobs/${weekly[0]!.id}/file`)).status, 200)
  } finally { clock = null }
})

test.run()
