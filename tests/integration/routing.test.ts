// Routing rules pick the team and service point; the person is the least loaded on duty.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { sql } from 'kysely'
import { startTestApp, demoRefs, type TestApp } from '../helpers/app.ts'

let t: TestApp
let refs: Awaited<ReturnType<typeof demoRefs>>
test.before(async () => { t = await startTestApp(); refs = await demoRefs(t) })
test.after(async () => { await t.close() })

/** Tomorrow at hh:mm in the hospital's time zone (Asia/Shanghai, UTC+8). */
function tomorrowAt(hhmm: string) {
  const day = new Date(Date.now() + 86_400_000 + 8 * 3_600_000).toISOString().slice(0, 10)
  return new Date(`${day}T${hhmm}:00+08:00`).toISOString()
}

const repairAt = (ext: string, requestedAt?: string) => ({
  itemId: refs.item('repair.light'), locationId: refs.locationOf(ext), urgency: 'routine',
  requester: { name: '护士长' }, ...(requestedAt ? { requestedAt } : {}),
})

test('a booked daytime repair on the north campus goes to the north service point', async () => {
  const res = await t.call('operator', 'POST', '/api/work-orders', repairAt('5301', tomorrowAt('14:00')))
  assert.is(res.status, 201, JSON.stringify(res.body))
  assert.is(res.body.booked, true)
  assert.is(res.body.servicePoint.name, '北院区维修服务点')
  assert.match(res.body.routing.reason, '北院区维修')
  // a booked order's deadlines run from the requested time
  assert.is(Date.parse(res.body.responseDueAt) - Date.parse(tomorrowAt('14:00')), 30 * 60_000)
})

test('the night rule (22:00–07:00, wrapping midnight) sends north-campus repairs to the south point', async () => {
  for (const time of ['23:30', '03:00']) {
    const res = await t.call('operator', 'POST', '/api/work-orders', repairAt('5301', tomorrowAt(time)))
    assert.is(res.body.servicePoint.name, '南院区维修服务点', time)
    assert.match(res.body.routing.reason, '夜间维修')
  }
})

test('an item with no matching rule falls back to its default team', async () => {
  const res = await t.call('operator', 'POST', '/api/work-orders', { ...repairAt('2301'), itemId: refs.item('inquiry.it') })
  assert.is(res.body.team.name, '信息中心')
  assert.match(res.body.routing.reason, '默认班组')
})

test('with nobody on duty the order waits in the team pool, and a technician of the team can take it', async () => {
  await t.db.db.updateTable('staff').set({ on_duty: false }).where('team_id', '=', (await t.db.db.selectFrom('team').select('id').where('code', '=', 'maintenance').executeTakeFirstOrThrow()).id).execute()
  const res = await t.call('operator', 'POST', '/api/work-orders', repairAt('3701'))
  assert.is(res.body.assignee, null)
  assert.match(res.body.routing.reason, '待领池')
  const taken = await t.call('tech', 'POST', `/api/work-orders/${res.body.id}/transitions`, { action: 'accept', version: res.body.version })
  assert.is(taken.status, 200)
  assert.is(taken.body.assignee.name, '李明')
})

test('the least loaded person on duty gets the next order', async () => {
  await t.db.db.updateTable('work_order').set({ status: 'closed' }).execute()
  await t.db.db.updateTable('staff').set({ on_duty: true }).where('name', 'in', ['王建国', '李明']).execute()
  await t.db.db.updateTable('staff').set({ on_duty: false }).where('name', 'in', ['赵强', '陈志远']).execute()
  const first = await t.call('operator', 'POST', '/api/work-orders', repairAt('3701'))
  const second = await t.call('operator', 'POST', '/api/work-orders', repairAt('3701'))
  assert.ok(['王建国', '李明'].includes(first.body.assignee.name))
  assert.is.not(second.body.assignee.name, first.body.assignee.name, 'the one without an open order gets the second')
  assert.match(second.body.routing.reason, '未完成 0 单')
  const third = await t.call('operator', 'POST', '/api/work-orders', repairAt('3701'))
  assert.is(third.body.assignee.name, first.body.assignee.name, 'equal load: the one idle longest')
})

test('a busy day: the 10,000th order keeps every digit of its number and the next one follows', async () => {
  // the day's counter as it stands after 9,999 orders (the hospital's local day, as intake counts it)
  await sql`INSERT INTO order_counter (day, last) VALUES ((now() AT TIME ZONE 'Asia/Shanghai')::date, 9999)
            ON CONFLICT (day) DO UPDATE SET last = 9999`.execute(t.db.db)
  const tenThousandth = await t.call('operator', 'POST', '/api/work-orders', repairAt('3701'))
  const next = await t.call('operator', 'POST', '/api/work-orders', repairAt('3701'))
  assert.is(tenThousandth.status, 201, JSON.stringify(tenThousandth.body))
  assert.match(tenThousandth.body.number, /^WO-\d{8}-10000$/)
  assert.match(next.body.number, /^WO-\d{8}-10001$/)
})

test('someone with many open orders still gets no more than someone with few', async () => {
  const maintenance = (await t.db.db.selectFrom('team').select('id').where('code', '=', 'maintenance').executeTakeFirstOrThrow()).id
  await t.db.db.updateTable('work_order').set({ status: 'closed' }).execute()
  await t.db.db.updateTable('staff').set({ on_duty: true }).where('name', 'in', ['王建国', '李明']).execute()
  await t.db.db.updateTable('staff').set({ on_duty: false }).where('team_id', '=', maintenance).where('name', 'not in', ['王建国', '李明']).execute()
  // 王建国 has 60 open orders, 李明 has 3: every new order goes to 李明 until they are even
  for (let i = 0; i < 60; i++) await t.call('operator', 'POST', '/api/work-orders', repairAt('3701'))
  const wang = (await t.db.db.selectFrom('staff').select('id').where('name', '=', '王建国').executeTakeFirstOrThrow()).id
  const li = (await t.db.db.selectFrom('staff').select('id').where('name', '=', '李明').executeTakeFirstOrThrow()).id
  await t.db.db.updateTable('work_order').set({ assignee_id: wang }).where('status', '=', 'dispatched').execute()
  await t.db.db.updateTable('work_order').set({ assignee_id: li }).where('status', '=', 'dispatched').where('id', 'in',
    t.db.db.selectFrom('work_order').select('id').where('status', '=', 'dispatched').orderBy('id').limit(3)).execute()
  const res = await t.call('operator', 'POST', '/api/work-orders', repairAt('3701'))
  assert.is(res.body.assignee.name, '李明')
  assert.match(res.body.routing.reason, '未完成 3 单')
})

test.run()
