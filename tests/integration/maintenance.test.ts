// Preventive maintenance: a schedule's RRULE on the hospital's local dates files each occurrence's
// work order its lead days ahead, once (two sweeps at once file once), routed like any order; a rule
// that never ends is refused at its field; the PM KPIs count a hand-built set exactly.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startTestApp, demoRefs, type TestApp } from '../helpers/app.ts'
import { instantOfDay } from '../../server/src/clock/local-time.ts'
import { generatePm } from '../../server/src/maintenance/maintenance.service.ts'

let t: TestApp
let refs: Awaited<ReturnType<typeof demoRefs>>
const TZ = 'Asia/Shanghai'
// a year ahead of the wall clock: the orders' booked times are then in the future however the test runs
const YEAR = new Date().getUTCFullYear() + 1
const day = (mmdd: string) => `${YEAR}-${mmdd}`
let clock = instantOfDay(day('03-15'), '10:00', TZ)
const at = (d: string, hhmm: string) => { clock = instantOfDay(d, hhmm, TZ) }
const sweep = () => generatePm(t.db.db, clock, TZ)

let maintenance: number
let lift: number
let monthly: number

test.before(async () => {
  t = await startTestApp({ timeZone: TZ }, undefined, { now: () => clock })
  refs = await demoRefs(t)
  maintenance = (await t.db.db.selectFrom('team').select('id').where('code', '=', 'maintenance').executeTakeFirstOrThrow()).id
})
test.after(async () => { await t.close() })

const schedules = async () => Number((await t.db.db.selectFrom('pm_schedule').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)
const ordersOf = (scheduleId: number) => t.db.db.selectFrom('pm_occurrence as o').innerJoin('work_order as w', 'w.id', 'o.work_order_id')
  .select(['o.id', 'o.due_at', 'w.id as order_id', 'w.number', 'w.description', 'w.team_id', 'w.due_at as order_due_at', 'w.version'])
  .where('o.schedule_id', '=', scheduleId).orderBy('o.due_at').execute()

test('an asset is registered at a place; its code is unique; a team lead reads but may not write', async () => {
  const res = await t.call('manager', 'POST', '/api/assets', { code: 'DT-T-01', name: '测试电梯', kind: 'lift', locationId: refs.locationOf('3901') })
  assert.is(res.status, 201, JSON.stringify(res.body))
  lift = res.body.id
  assert.match(res.body.location.name, 'ICU')
  const twice = await t.call('admin', 'POST', '/api/assets', { code: 'DT-T-01', name: '又一台', kind: 'lift', locationId: refs.locationOf('3901') })
  assert.is(twice.status, 409)
  assert.is(twice.body.field, 'code')
  const nowhere = await t.call('admin', 'POST', '/api/assets', { code: 'X-1', name: '无处', kind: 'other', locationId: 999999 })
  assert.is(nowhere.status, 400)
  assert.is(nowhere.body.field, 'locationId')
  assert.is((await t.call('lead', 'GET', '/api/assets')).status, 200)
  assert.is((await t.call('lead', 'POST', '/api/assets', { code: 'L-1', name: '班组长的', kind: 'other', locationId: refs.locationOf('3901') })).status, 403)
  assert.is((await t.call('lead', 'POST', '/api/pm-schedules', { title: 'x', itemId: refs.item('repair.elevator'), locationId: refs.locationOf('3901'), rrule: 'FREQ=DAILY;COUNT=1', startDay: day('03-15') })).status, 403)
  assert.is((await t.call('tech', 'GET', '/api/pm-calendar?from=2027-01-01&to=2027-01-31')).status, 403)
})

test("an asset's label: an SVG with its QR (the asset's page), name, code and place, the text escaped", async () => {
  const made = await t.call('manager', 'POST', '/api/assets', { code: 'DT-LBL-01', name: '<b>2号梯', kind: 'lift', locationId: refs.locationOf('3901') })
  assert.is(made.status, 201, JSON.stringify(made.body))
  const res = await t.call('lead', 'GET', `/api/assets/${made.body.id}/label.svg`)
  assert.is(res.status, 200)
  assert.match(res.headers['content-type'], 'image/svg+xml')
  const svg = Buffer.from(res.body as unknown as Buffer).toString('utf8')
  assert.match(svg, '&#60;b&#62;2号梯')
  assert.not.match(svg, '<b>')
  assert.match(svg, 'DT-LBL-01')
  assert.match(svg, /<svg x="3" y="3" width="34" height="34" viewBox="0 0 \d+ \d+">/)
  assert.match(svg, /<path [^>]*d="M/)
  assert.is((await t.call('lead', 'GET', '/api/assets/999999/label.svg')).status, 404)
  assert.is((await t.call('tech', 'GET', `/api/assets/${made.body.id}/label.svg`)).status, 403)
})

test('a rule that never ends, one that does not parse, an unknown asset, item or place and an empty title: 400 naming the field, nothing saved', async () => {
  const before = await schedules()
  const base = { title: '电梯月检', assetId: lift, itemId: refs.item('repair.elevator'), rrule: 'FREQ=MONTHLY;BYMONTHDAY=1;COUNT=24', startDay: day('03-15'), timeOfDay: '08:00' }
  const cases: [Record<string, unknown>, string, string?][] = [
    [{ rrule: 'FREQ=MONTHLY;BYMONTHDAY=1' }, 'rrule', '永不结束'],
    [{ rrule: 'FREQ=SOMETIMES;COUNT=3' }, 'rrule', '无法解析'],
    [{ rrule: 'BYMONTHDAY=1;COUNT=3' }, 'rrule'],
    [{ rrule: 'FREQ=DAILY;BYHOUR=8;COUNT=3' }, 'rrule'],
    [{ rrule: 'FREQ=DAILY;UNTIL=20200101' }, 'rrule'],
    [{ assetId: 999999 }, 'assetId'],
    [{ itemId: 999999 }, 'itemId'],
    [{ assetId: null, locationId: 999999 }, 'locationId'],
    [{ assetId: null }, 'locationId'],
    [{ title: '   ' }, 'title'],
    [{ startDay: `${YEAR}-02-30` }, 'startDay'],
  ]
  for (const [change, field, words] of cases) {
    const res = await t.call('manager', 'POST', '/api/pm-schedules', { ...base, ...change })
    assert.is(res.status, 400, `${JSON.stringify(change)} → ${res.status}`)
    assert.is(res.body.field, field, JSON.stringify(res.body))
    assert.type(res.body.messageEn, 'string')
    if (words) assert.match(res.body.message, words)
  }
  assert.is(await schedules(), before)
})

test('a monthly PM created on the 15th with 7 days lead files the next 1st\'s order exactly 7 days ahead, checklist and all, to the maintenance team', async () => {
  at(day('03-15'), '10:00')
  const res = await t.call('manager', 'POST', '/api/pm-schedules', {
    title: '电梯月检', assetId: lift, itemId: refs.item('repair.elevator'), rrule: 'RRULE:FREQ=MONTHLY;BYMONTHDAY=1;COUNT=24',
    startDay: day('03-15'), timeOfDay: '08:00', leadDays: 7, checklist: ['检查曳引机与制动器', '测试紧急呼叫'],
  })
  assert.is(res.status, 201, JSON.stringify(res.body))
  monthly = res.body.id
  assert.is(res.body.rrule, 'FREQ=MONTHLY;BYMONTHDAY=1;COUNT=24')
  assert.is(res.body.location.id, refs.locationOf('3901'), 'the asset\'s place')
  // 08:00 in Shanghai is midnight UTC, not 08:00 UTC
  assert.is(res.body.nextDueAt, `${day('04-01')}T00:00:00.000Z`)
  const due = new Date(res.body.nextDueAt)
  clock = new Date(due.getTime() - 7 * 86_400_000 - 60_000)
  await sweep()
  assert.is((await ordersOf(monthly)).length, 0, 'a minute before the lead time: nothing yet')
  clock = new Date(due.getTime() - 7 * 86_400_000)
  await sweep()
  const orders = await ordersOf(monthly)
  assert.is(orders.length, 1)
  assert.is(orders[0]!.due_at.toISOString(), `${day('04-01')}T00:00:00.000Z`)
  assert.is(orders[0]!.team_id, maintenance)
  assert.match(orders[0]!.description, '电梯月检')
  assert.match(orders[0]!.description, '1. 检查曳引机与制动器')
  assert.match(orders[0]!.description, '2. 测试紧急呼叫')
  assert.match(orders[0]!.description, 'DT-T-01')
  // booked so that the order's own deadline is the PM's due time
  assert.is(orders[0]!.order_due_at.toISOString(), orders[0]!.due_at.toISOString())
  const order = (await t.call('lead', 'GET', `/api/work-orders/${orders[0]!.order_id}`)).body
  assert.is(order.team.id, maintenance)
  const cal = await t.call('lead', 'GET', `/api/pm-calendar?from=${day('03-15')}&to=${day('06-30')}`)
  assert.is(cal.status, 200)
  const mine = cal.body.items.filter((e: any) => e.schedule.id === monthly)
  assert.equal(mine.map((e: any) => `${e.day} ${e.time} ${e.status}`), [`${day('04-01')} 08:00 generated`, `${day('05-01')} 08:00 planned`, `${day('06-01')} 08:00 planned`])
  assert.is(mine[0].workOrder.number, orders[0]!.number)
})

test('month by month one order each, never twice; two sweeps at once file once', async () => {
  for (const mm of ['05', '06', '07', '08']) {
    clock = new Date(instantOfDay(day(`${mm}-01`), '08:00', TZ).getTime() - 7 * 86_400_000)
    const [a, b] = await Promise.all([sweep(), sweep()])
    assert.is([...a.filed, ...b.filed].filter((f) => f.number).length, 1, `${mm}: ${JSON.stringify([a, b])}`)
    await sweep()
  }
  const orders = await ordersOf(monthly)
  assert.equal(orders.map((o) => o.due_at.toISOString()), ['04', '05', '06', '07', '08'].map((mm) => `${day(`${mm}-01`)}T00:00:00.000Z`))
  assert.is(new Set(orders.map((o) => o.number)).size, 5)
})

test('a stopped schedule files nothing more and drops out of the calendar ahead', async () => {
  const off = await t.call('manager', 'PUT', `/api/pm-schedules/${monthly}`, { active: false })
  assert.is(off.status, 200, JSON.stringify(off.body))
  assert.is(off.body.nextDueAt, null)
  clock = new Date(instantOfDay(day('09-01'), '08:00', TZ).getTime() - 86_400_000)
  await sweep()
  assert.is((await ordersOf(monthly)).length, 5)
  const cal = (await t.call('manager', 'GET', `/api/pm-calendar?from=${day('09-01')}&to=${day('12-31')}`)).body.items
  assert.is(cal.filter((e: any) => e.schedule.id === monthly).length, 0)
})

test('the PM KPIs count a hand-built week exactly: on time, late, skipped, missed, still open', async () => {
  // a daily check, 09:00, from 10-01 to 10-07, filed a day ahead
  at(day('09-30'), '07:00')
  const res = await t.call('admin', 'POST', '/api/pm-schedules', {
    title: '发电机日检', locationId: refs.locationOf('3005'), itemId: refs.item('repair.socket'), rrule: `FREQ=DAILY;UNTIL=${YEAR}1007`,
    startDay: day('10-01'), timeOfDay: '09:00', leadDays: 1, checklist: ['油位'],
  })
  assert.is(res.status, 201, JSON.stringify(res.body))
  const id = res.body.id
  at(day('10-05'), '12:00')
  await sweep()
  const orders = await ordersOf(id)
  // 10-01 … 10-06 (10-06 09:00 is within a day of 10-05 12:00); 10-07 still only planned
  assert.is(orders.length, 6)
  const dueOf = (i: number) => orders[i]!.due_at
  const complete = async (i: number, minutesAfterDue: number) => {
    const o = orders[i]!
    const done = await t.call('admin', 'POST', `/api/work-orders/${o.order_id}/transitions`, { action: 'accept', version: o.version, reason: '代为操作' })
    assert.is(done.status, 200, JSON.stringify(done.body))
    const fin = await t.call('admin', 'POST', `/api/work-orders/${o.order_id}/transitions`, { action: 'complete', version: done.body.version, reason: '代为操作', note: '已完成' })
    assert.is(fin.status, 200, JSON.stringify(fin.body))
    // the hand-built completion time
    await t.db.db.updateTable('work_order').set({ completed_at: new Date(dueOf(i).getTime() + minutesAfterDue * 60_000) }).where('id', '=', o.order_id).execute()
  }
  await complete(0, -30) // 10-01 on time
  await complete(1, 0) // 10-02 on time (at the due minute)
  await complete(2, 90) // 10-03 late
  const skip = await t.call('manager', 'POST', `/api/pm-occurrences/${orders[3]!.id}/skip`, { reason: '停电检修，改下周' }) // 10-04 skipped
  assert.is(skip.status, 200, JSON.stringify(skip.body))
  assert.is(skip.body.status, 'skipped')
  assert.is((await t.call('lead', 'GET', `/api/work-orders/${orders[3]!.order_id}`)).body.status, 'cancelled')
  assert.is((await t.call('manager', 'POST', `/api/pm-occurrences/${orders[3]!.id}/skip`, { reason: '再跳' })).status, 409)
  assert.is((await t.call('manager', 'POST', `/api/pm-occurrences/${orders[0]!.id}/skip`, { reason: '已完成的' })).status, 409)
  const empty = await t.call('manager', 'POST', `/api/pm-occurrences/${orders[4]!.id}/skip`, { reason: '  ' })
  assert.is(empty.status, 400)
  assert.is(empty.body.field, 'reason')
  // 10-05 09:00 passed at 12:00 undone: missed; 10-06 (generated) and 10-07 (planned) still open
  const kpi = await t.call('lead', 'GET', `/api/pm-kpi?from=${day('10-01')}&to=${day('10-07')}`)
  assert.is(kpi.status, 200, JSON.stringify(kpi.body))
  assert.equal(kpi.body, { from: day('10-01'), to: day('10-07'), due: 7, doneOnTime: 2, doneLate: 1, skipped: 1, missed: 1, open: 2, onTimeRate: 2 / 5 })
  const cal = (await t.call('lead', 'GET', `/api/pm-calendar?from=${day('10-01')}&to=${day('10-07')}`)).body.items
  assert.equal(cal.map((e: any) => e.status), ['done', 'done', 'done', 'skipped', 'overdue', 'generated', 'planned'])
  assert.equal(cal.map((e: any) => e.onTime), [true, true, false, null, null, null, null])
  assert.is(cal[3].skippedReason, '停电检修，改下周')
  // one day of the period: only 10-03, done late
  const one = (await t.call('manager', 'GET', `/api/pm-kpi?from=${day('10-03')}&to=${day('10-03')}`)).body
  assert.equal([one.due, one.doneLate, one.onTimeRate], [1, 1, 0])
  const bad = await t.call('manager', 'GET', `/api/pm-kpi?from=${day('10-07')}&to=${day('10-01')}`)
  assert.is(bad.status, 400)
  assert.is(bad.body.field, 'to')
})

test.run()
