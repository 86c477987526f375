// Rosters decide who is on duty: shift types per team, the week grid, leave, the lead's same-day
// override, and dispatch giving new orders only to people rostered on now (a clock the test moves).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startTestApp, demoRefs, type TestApp } from '../helpers/app.ts'
import { addDays, instantOfDay, localClock } from '../../server/src/clock/local-time.ts'
import { ensureDemoRosters } from '../../server/src/demo/rosters.ts'

let t: TestApp
let refs: Awaited<ReturnType<typeof demoRefs>>
let clock = new Date()
const TZ = 'Asia/Shanghai'
// the night the test is about: tomorrow in the hospital's zone
const D = addDays(localClock(new Date(), TZ).day, 1)
const at = (day: string, hhmm: string) => { clock = instantOfDay(day, hhmm, TZ) }

let maintenance: number, transport: number
const people: Record<string, number> = {}
const shifts: Record<string, number> = {}

test.before(async () => {
  t = await startTestApp({ timeZone: TZ }, undefined, { now: () => clock })
  refs = await demoRefs(t)
  const staff = await t.db.db.selectFrom('staff').innerJoin('team', 'team.id', 'staff.team_id').select(['staff.id', 'staff.name', 'team.code', 'team.id as team_id']).execute()
  for (const s of staff) people[s.name] = s.id
  maintenance = staff.find((s) => s.code === 'maintenance')!.team_id
  transport = staff.find((s) => s.code === 'transport')!.team_id
})
test.after(async () => { await t.close() })

const repair = () => ({ itemId: refs.item('repair.light'), locationId: refs.locationOf('3512'), urgency: 'routine', requester: { name: '护士长' } })
const fileRepair = async () => {
  const res = await t.call('operator', 'POST', '/api/work-orders', repair())
  assert.is(res.status, 201, JSON.stringify(res.body))
  return res.body
}
const grid = async (day = D) => (await t.call('lead', 'GET', `/api/rosters?teamId=${maintenance}&week=${day}`)).body

test('a shift that ends before it starts and is not marked as crossing midnight is refused, and nothing is saved', async () => {
  const bad = await t.call('lead', 'PUT', '/api/shift-types', { teamId: maintenance, items: [
    { name: '早班', start: '08:00', end: '16:00' },
    { name: '夜班', start: '22:00', end: '06:00' },
  ] })
  assert.is(bad.status, 400)
  assert.is(bad.body.field, 'items.1.end')
  assert.match(bad.body.message, '跨午夜')
  assert.type(bad.body.messageEn, 'string')
  assert.equal((await t.call('lead', 'GET', `/api/shift-types?teamId=${maintenance}`)).body.items, [])
  const unknown = await t.call('admin', 'PUT', '/api/shift-types', { teamId: 999999, items: [] })
  assert.is(unknown.status, 400)
  assert.is(unknown.body.field, 'teamId')
})

test('a lead sets the team\'s shift types, a crossing night shift among them', async () => {
  const res = await t.call('lead', 'PUT', '/api/shift-types', { teamId: maintenance, items: [
    { name: '早班', nameEn: 'Early', start: '08:00', end: '16:00' },
    { name: '中班', nameEn: 'Late', start: '16:00', end: '24:00' },
    { name: '夜班', nameEn: 'Night', start: '00:00', end: '08:00' },
    { name: '长夜班', nameEn: 'Long night', start: '20:00', end: '08:00', crossesMidnight: true },
  ] })
  assert.is(res.status, 200, JSON.stringify(res.body))
  for (const s of res.body.items) shifts[s.name] = s.id
  assert.equal(res.body.items.map((s: any) => `${s.name} ${s.start}–${s.end}${s.crossesMidnight ? '+1' : ''}`), ['早班 08:00–16:00', '中班 16:00–24:00', '夜班 00:00–08:00', '长夜班 20:00–08:00+1'])
  // another team's lead may not
  const other = await t.call('lead', 'PUT', '/api/shift-types', { teamId: transport, items: [] })
  assert.is(other.status, 403)
})

test('a team without any roster keeps the manual 在岗 flags', async () => {
  at(D, '03:00')
  const res = await fileRepair()
  // 赵强 is the one maintenance person not ticked 在岗 in the demo
  assert.ok(res.assignee && res.assignee.id !== people['赵强'], JSON.stringify(res.assignee))
  assert.match(res.routing.reason, '在岗，未完成')
})

test('a roster for tonight sends 03:00 orders to the night porter and never to the day shift', async () => {
  const put = await t.call('lead', 'PUT', '/api/rosters', { teamId: maintenance, cells: [
    { staffId: people['赵强'], day: D, shiftTypeIds: [shifts['夜班']] },
    { staffId: people['王建国'], day: D, shiftTypeIds: [shifts['早班']] },
    { staffId: people['李明'], day: D, shiftTypeIds: [shifts['早班']] },
    { staffId: people['陈志远'], day: D, shiftTypeIds: [shifts['中班']] },
  ] })
  assert.is(put.status, 200, JSON.stringify(put.body))
  assert.is(put.body.entries.length, 4)
  assert.is(put.body.week <= D, true)
  at(D, '03:00')
  for (let i = 0; i < 4; i++) {
    const order = await fileRepair()
    assert.is(order.assignee?.id, people['赵强'], `order ${i} went to ${order.assignee?.name}`)
    assert.match(order.routing.reason, '排班在岗（夜班）')
  }
  const staff = (await t.call('lead', 'GET', `/api/staff?teamId=${maintenance}`)).body.items
  assert.equal(staff.filter((s: any) => s.onDuty).map((s: any) => s.id), [people['赵强']])
  const who = await t.call('operator', 'POST', '/api/routing-rules/test', { itemId: refs.item('repair.light'), locationId: refs.locationOf('3512'), at: clock.toISOString() })
  assert.is(who.body.onDuty, 1)
  assert.is(who.body.assignee.id, people['赵强'])
  // at 10:00 the day shift has it, and the night porter nothing
  at(D, '10:00')
  for (let i = 0; i < 4; i++) {
    const order = await fileRepair()
    assert.ok([people['王建国'], people['李明']].includes(order.assignee?.id), `10:00 order went to ${order.assignee?.name}`)
  }
  // 20:00: the 中班
  at(D, '20:00')
  assert.is((await fileRepair()).assignee?.id, people['陈志远'])
})

test('a person on leave gets nothing', async () => {
  const leave = await t.call('lead', 'POST', '/api/leave', { staffId: people['李明'], from: D, to: D, kind: 'sick', note: '发烧' })
  assert.is(leave.status, 201, JSON.stringify(leave.body))
  at(D, '09:00')
  for (let i = 0; i < 5; i++) assert.is((await fileRepair()).assignee?.id, people['王建国'])
  const g = await grid()
  assert.equal(g.leave.map((l: any) => [l.staffId, l.from, l.to, l.kind]), [[people['李明'], D, D, 'sick']])
  assert.is(g.staff.find((s: any) => s.id === people['李明']).dutySource, 'leave')
  // overlapping leave and a backwards period are refused
  const twice = await t.call('lead', 'POST', '/api/leave', { staffId: people['李明'], from: addDays(D, -1), to: D, kind: 'leave' })
  assert.is(twice.status, 400)
  assert.is(twice.body.field, 'from')
  const backwards = await t.call('lead', 'POST', '/api/leave', { staffId: people['李明'], from: addDays(D, 3), to: addDays(D, 2), kind: 'leave' })
  assert.is(backwards.body.field, 'to')
})

test('the lead unticking 在岗 overrides the roster for the day, recorded with who and when', async () => {
  at(D, '09:30')
  const off = await t.call('lead', 'PATCH', `/api/staff/${people['王建国']}`, { onDuty: false })
  assert.is(off.status, 200, JSON.stringify(off.body))
  const order = await fileRepair()
  assert.is(order.assignee, null, 'nobody on duty: the order waits in the team pool')
  assert.match(order.routing.reason, '无人在岗')
  const g = await grid()
  const override = g.overrides.find((o: any) => o.staffId === people['王建国'])
  assert.equal([override.day, override.onDuty, override.setBy], [D, false, '维修班长 王建国'])
  assert.is(override.setAt.length > 0, true)
  // the next day the roster rules again
  await t.call('lead', 'PUT', '/api/rosters', { teamId: maintenance, cells: [{ staffId: people['王建国'], day: addDays(D, 1), shiftTypeIds: [shifts['早班']] }] })
  at(addDays(D, 1), '09:30')
  assert.is((await fileRepair()).assignee?.id, people['王建国'])
})

test('double-booking a person is refused with the field named, and nothing of the request is saved', async () => {
  const before = await grid()
  // the same day: 早班 and 长夜班 are apart, but 中班 16–24 and 长夜班 20–08 overlap
  const same = await t.call('lead', 'PUT', '/api/rosters', { teamId: maintenance, cells: [
    { staffId: people['王建国'], day: D, shiftTypeIds: [] },
    { staffId: people['陈志远'], day: D, shiftTypeIds: [shifts['中班'], shifts['长夜班']] },
  ] })
  assert.is(same.status, 400, JSON.stringify(same.body))
  assert.is(same.body.field, 'cells.1.shiftTypeIds')
  assert.match(same.body.message, '陈志远')
  assert.type(same.body.messageEn, 'string')
  // across midnight: 长夜班 the evening before runs into tonight's 夜班
  const crossing = await t.call('lead', 'PUT', '/api/rosters', { teamId: maintenance, cells: [{ staffId: people['赵强'], day: addDays(D, -1), shiftTypeIds: [shifts['长夜班']] }] })
  assert.is(crossing.status, 400)
  assert.is(crossing.body.field, 'cells.0.shiftTypeIds')
  const unknown = await t.call('lead', 'PUT', '/api/rosters', { teamId: maintenance, cells: [{ staffId: people['张伟'], day: D, shiftTypeIds: [shifts['早班']] }] })
  assert.is(unknown.body.field, 'cells.0.staffId')
  const foreignShift = await t.call('admin', 'PUT', '/api/rosters', { teamId: transport, cells: [{ staffId: people['张伟'], day: D, shiftTypeIds: [shifts['早班']] }] })
  assert.is(foreignShift.body.field, 'cells.0.shiftTypeIds')
  const badDay = await t.call('lead', 'PUT', '/api/rosters', { teamId: maintenance, cells: [{ staffId: people['赵强'], day: '2026-02-30', shiftTypeIds: [] }] })
  assert.is(badDay.body.field, 'cells.0.day')
  assert.equal((await grid()).entries, before.entries)
  // and the transport team still has no roster (the refused request wrote nothing there either)
  assert.is((await t.call('admin', 'GET', `/api/rosters?teamId=${transport}&week=${D}`)).body.rostered, false)
})

test('copying last week fills the next week with the same shifts', async () => {
  const next = addDays(D, 7)
  const res = await t.call('lead', 'POST', '/api/rosters/copy-week', { teamId: maintenance, week: next })
  assert.is(res.status, 200, JSON.stringify(res.body))
  const source = (await grid()).entries.map((e: any) => `${e.staffId} ${addDays(e.day, 7)} ${e.shiftTypeId}`).sort()
  assert.equal(res.body.grid.entries.map((e: any) => `${e.staffId} ${e.day} ${e.shiftTypeId}`).sort(), source)
  at(next, '03:00')
  assert.is((await fileRepair()).assignee?.id, people['赵强'])
  const empty = await t.call('lead', 'POST', '/api/rosters/copy-week', { teamId: maintenance, week: addDays(D, -21) })
  assert.is(empty.body.field, 'week')
})

test('a rostered team does not change another team still on manual flags', async () => {
  at(D, '03:00')
  const res = await t.call('operator', 'POST', '/api/work-orders', { itemId: refs.item('transport.patient_exam'), locationId: refs.locationOf('3512'), urgency: 'routine', requester: { name: '护士' } })
  assert.is(res.status, 201, JSON.stringify(res.body))
  assert.ok([people['张伟'], people['刘洋'], people['孙磊']].includes(res.body.assignee?.id), res.body.assignee?.name)
})

test('two leads booking one person on overlapping shifts at once: one is saved, the other refused', async () => {
  const [a, b] = await Promise.all([
    t.call('lead', 'PUT', '/api/rosters', { teamId: maintenance, cells: [{ staffId: people['陈志远'], day: addDays(D, 3), shiftTypeIds: [shifts['长夜班']] }] }),
    t.call('admin', 'PUT', '/api/rosters', { teamId: maintenance, cells: [{ staffId: people['陈志远'], day: addDays(D, 4), shiftTypeIds: [shifts['夜班']] }] }),
  ])
  assert.equal([a.status, b.status].sort(), [200, 400], JSON.stringify([a.body, b.body]))
  const left = (await grid(addDays(D, 3))).entries.filter((e: any) => e.staffId === people['陈志远'] && (e.day === addDays(D, 3) || e.day === addDays(D, 4)))
  assert.is(left.length, 1)
})

test('leave counts on a team still on the manual ticks too', async () => {
  const day = addDays(D, 2)
  for (const name of ['张伟', '刘洋']) assert.is((await t.call('admin', 'POST', '/api/leave', { staffId: people[name], from: day, to: day, kind: 'leave' })).status, 201)
  at(day, '03:00')
  for (let i = 0; i < 3; i++) {
    const res = await t.call('operator', 'POST', '/api/work-orders', { itemId: refs.item('transport.patient_exam'), locationId: refs.locationOf('3512'), urgency: 'routine', requester: { name: '护士' } })
    assert.is(res.body.assignee?.id, people['孙磊'], res.body.assignee?.name)
  }
})

test('the demo month: transport and cleaning have a 夜班 porter every night, each shift covered once', async () => {
  const written = await ensureDemoRosters(t.db.db, TZ, instantOfDay(D, '12:00', TZ))
  assert.ok(written > 100, `${written} shifts`)
  assert.is(await ensureDemoRosters(t.db.db, TZ, instantOfDay(D, '12:00', TZ)), 0, 'a second start adds nothing')
  for (const hhmm of ['03:00', '10:00', '20:00']) {
    at(D, hhmm)
    const staff = (await t.call('admin', 'GET', `/api/staff?teamId=${transport}`)).body.items
    const onDuty = staff.filter((s: any) => s.onDuty)
    assert.is(onDuty.length, 1, `${hhmm}: ${onDuty.map((s: any) => s.name)}`)
    const order = await t.call('operator', 'POST', '/api/work-orders', { itemId: refs.item('transport.patient_exam'), locationId: refs.locationOf('3512'), urgency: 'routine', requester: { name: '护士' } })
    assert.is(order.body.assignee?.id, onDuty[0].id, hhmm)
  }
})

test.run()
