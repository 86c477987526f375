// Each KPI of PRODUCT.md checked against a small history built by hand, with orders on both
// sides of the period's local-day boundaries (Asia/Shanghai), imported as a hospital would.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startTestApp, type TestApp } from '../helpers/app.ts'

let t: TestApp
const at = (local: string) => `${local}:00+08:00`
const rows = [
  // A: in period, on time both ways, rated 5
  { number: 'WO-20260302-0001', itemCode: 'repair.ac', extension: '3512', requesterName: 'A', status: 'closed', assigneeName: '王建国',
    createdAt: at('2026-03-02T09:00'), arrivedAt: at('2026-03-02T09:20'), completedAt: at('2026-03-02T12:00'), closedAt: at('2026-03-02T12:30'), ratingScore: 5, ratedAt: at('2026-03-02T12:30') },
  // B: late to arrive and late to finish, chased twice, rated 3
  { itemCode: 'repair.light', extension: '3601', requesterName: 'B', status: 'completed', assigneeName: '李明', chaseCount: 2,
    createdAt: at('2026-03-03T10:00'), arrivedAt: at('2026-03-03T10:45'), completedAt: at('2026-03-03T12:30'), ratingScore: 3, ratedAt: at('2026-03-03T13:00') },
  // C: transport, on time, rated 4
  { itemCode: 'transport.specimen', extension: '2201', requesterName: 'C', status: 'closed', assigneeName: '张伟',
    createdAt: at('2026-03-04T08:00'), arrivedAt: at('2026-03-04T08:10'), completedAt: at('2026-03-04T08:40'), closedAt: at('2026-03-04T09:00'), ratingScore: 4, ratedAt: at('2026-03-04T09:00') },
  // D: a complaint still open, chased once
  { itemCode: 'complaint.food', extension: '3501', requesterName: 'D', status: 'dispatched', chaseCount: 1, createdAt: at('2026-03-05T14:00') },
  // E: cancelled (chased once): left out of completion and chase rates
  { itemCode: 'cleaning.spill', extension: '2101', requesterName: 'E', status: 'cancelled', chaseCount: 1, createdAt: at('2026-03-06T11:00'), cancelledAt: at('2026-03-06T11:05') },
  // F: created the evening before the period, arrived late and completed on time inside it
  { itemCode: 'repair.ac', extension: '3512', requesterName: 'F', status: 'completed', assigneeName: '王建国',
    createdAt: at('2026-03-01T23:30'), arrivedAt: at('2026-03-02T00:10'), completedAt: at('2026-03-02T01:00') },
  // G: created in the last half hour of the period, completed after it ended
  { itemCode: 'complaint.service', extension: '5100', requesterName: 'G', status: 'completed', assigneeName: '高敏',
    createdAt: at('2026-03-08T23:30'), completedAt: at('2026-03-09T00:30') },
  // H: after the period altogether
  { itemCode: 'repair.ac', extension: '3512', requesterName: 'H', status: 'completed', assigneeName: '李明',
    createdAt: at('2026-03-09T00:10'), arrivedAt: at('2026-03-09T00:20'), completedAt: at('2026-03-09T01:00') },
  // J: praise is feedback in the same category, not a complaint
  { itemCode: 'complaint.praise', extension: '3501', requesterName: 'J', status: 'dispatched', createdAt: at('2026-03-05T15:00') },
  // I: on time, chased once, rated only after the period
  { itemCode: 'repair.water', extension: '3701', requesterName: 'I', status: 'completed', assigneeName: '李明', chaseCount: 1,
    createdAt: at('2026-03-07T09:00'), arrivedAt: at('2026-03-07T09:15'), completedAt: at('2026-03-07T10:00'), ratingScore: 2, ratedAt: at('2026-03-09T10:00') },
]

test.before(async () => {
  t = await startTestApp()
  const res = await t.call('manager', 'POST', '/api/work-orders/import', rows.map((r) => JSON.stringify(r)).join('\n'), { 'content-type': 'application/x-ndjson' })
  assert.is(res.status, 201, JSON.stringify(res.body))
  assert.is(res.body.imported, rows.length)
})
test.after(async () => { await t.close() })

const kpi = async (query = 'from=2026-03-02&to=2026-03-08') => {
  const res = await t.call('manager', 'GET', `/api/kpi?${query}`)
  assert.is(res.status, 200, JSON.stringify(res.body))
  return res.body
}
const close = (actual: number | null, expected: number) => assert.ok(actual !== null && Math.abs(actual - expected) < 1e-9, `${actual} ≠ ${expected}`)

test('timeliness: completed in the period on time / completed in the period (A, B late, C, F, I)', async () => {
  const k = await kpi()
  assert.is(k.counts.completed, 5)
  assert.is(k.counts.completedOnTime, 4)
  close(k.timelinessRate, 4 / 5)
})

test('response on time: arrived in the period by the response deadline (B and F late)', async () => {
  const k = await kpi()
  assert.is(k.counts.arrived, 5)
  close(k.responseOnTimeRate, 3 / 5)
})

test('completion: created in the period, not cancelled, completed by its end (G finished after it)', async () => {
  const k = await kpi()
  assert.is(k.counts.created, 7)
  assert.is(k.counts.createdCompleted, 4)
  close(k.completionRate, 4 / 7)
})

test('chase rate: created in the period with a chase, cancelled orders left out (B, D, I)', async () => {
  const k = await kpi()
  assert.is(k.counts.createdChased, 3)
  close(k.chaseRate, 3 / 7)
})

test('satisfaction: mean and share of 4–5 among orders rated in the period (5, 3, 4)', async () => {
  const k = await kpi()
  assert.is(k.satisfaction.rated, 3)
  close(k.satisfaction.mean, 4)
  close(k.satisfaction.goodShare, 2 / 3)
})

test('volume per staff member: completed / distinct people who completed (王建国 2, 李明 2, 张伟 1)', async () => {
  const k = await kpi()
  close(k.volumePerStaff, 5 / 3)
  const wang = k.perStaff.find((s: any) => s.name === '王建国')
  assert.is(wang.completed, 2)
  assert.is(wang.completedOnTime, 2)
  assert.is(k.perStaff.find((s: any) => s.name === '李明').completedOnTime, 1)
})

test('weekly volume by category and complaints by category', async () => {
  const k = await kpi()
  const week = Object.fromEntries(k.weeklyByCategory.map((w: any) => [w.categoryEn, w.orders]))
  assert.equal(week, { Repairs: 3, Transport: 1, 'Complaints & feedback': 3 })
  assert.ok(k.weeklyByCategory.every((w: any) => w.week === '2026-03-02'))
  assert.is(k.counts.complaints, 2, 'praise is not a complaint')
  assert.equal(k.complaintsByCategory.map((c: any) => c.itemEn).sort(), ['Food quality complaint', 'Staff attitude complaint'])
})

test('a team filter narrows every figure to that team (maintenance: A, B, F, I)', async () => {
  const team = await t.db.db.selectFrom('team').select('id').where('code', '=', 'maintenance').executeTakeFirstOrThrow()
  const k = await kpi(`from=2026-03-02&to=2026-03-08&teamId=${team.id}`)
  assert.is(k.counts.completed, 4)
  close(k.timelinessRate, 3 / 4)
})

test('a one-day period counts only that local day', async () => {
  const k = await kpi('from=2026-03-09&to=2026-03-09')
  assert.is(k.counts.created, 1) // H
  assert.is(k.counts.completed, 2) // G and H
})

test('bad periods are 400s naming the field', async () => {
  for (const [q, field] of [['from=2026-02-30&to=2026-03-01', 'from'], ['from=2026-03-05&to=2026-03-01', 'to'], ['to=2026-03-01', 'from']]) {
    const res = await t.call('manager', 'GET', `/api/kpi?${q}`)
    assert.is(res.status, 400, q)
    assert.is(res.body.field, field, q)
  }
  assert.is((await t.call('operator', 'GET', '/api/kpi?from=2026-03-01&to=2026-03-02')).status, 403)
})

test('a change to an order of a past day shows in the next dashboard (the day\'s rollup is rebuilt)', async () => {
  await kpi() // every day of the period is rolled up now
  const d = await t.db.db.selectFrom('work_order').select(['id', 'version']).where('requester_name', '=', 'D').executeTakeFirstOrThrow()
  const cancelled = await t.call('manager', 'POST', `/api/work-orders/${d.id}/transitions`, { action: 'cancel', version: d.version, reason: '重复投诉' })
  assert.is(cancelled.status, 200)
  const k = await kpi()
  assert.is(k.counts.created, 6)
  assert.is(k.counts.complaints, 1)
  close(k.chaseRate, 2 / 6)
})

test('today is counted live: an order filed now is in today\'s figures at once', async () => {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date())
  const before = (await kpi(`from=${today}&to=${today}`)).counts.created
  const item = await t.db.db.selectFrom('item').select('id').where('code', '=', 'repair.ac').executeTakeFirstOrThrow()
  const loc = await t.db.db.selectFrom('extension').select('location_id').where('number', '=', '3512').executeTakeFirstOrThrow()
  const res = await t.call('operator', 'POST', '/api/work-orders', { itemId: item.id, locationId: loc.location_id, urgency: 'routine', requester: { name: '今天' } })
  assert.is(res.status, 201)
  assert.is((await kpi(`from=${today}&to=${today}`)).counts.created, before + 1)
})

test.run()
