// The handover list at shift change (the day shift's open orders to the evening people, by the
// lifecycle's reassign) and the staff statistics against a hand-built data set, on a moved clock.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startTestApp, demoRefs, type DemoUser, type TestApp } from '../helpers/app.ts'
import { addDays, instantOfDay, localClock } from '../../server/src/clock/local-time.ts'

let t: TestApp
let refs: Awaited<ReturnType<typeof demoRefs>>
let clock = new Date()
const TZ = 'Asia/Shanghai'
const D = addDays(localClock(new Date(), TZ).day, 1)
const at = (day: string, hhmm: string) => { clock = instantOfDay(day, hhmm, TZ) }
const as = (username: string) => username as DemoUser

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
  const types = await t.call('lead', 'PUT', '/api/shift-types', { teamId: maintenance, items: [
    { name: '早班', start: '08:00', end: '16:00' },
    { name: '中班', start: '16:00', end: '24:00' },
    { name: '长夜班', start: '22:00', end: '06:00', crossesMidnight: true },
  ] })
  assert.is(types.status, 200, JSON.stringify(types.body))
  for (const s of types.body.items) shifts[s.name] = s.id
})
test.after(async () => { await t.close() })

const fileRepair = async () => {
  const res = await t.call('operator', 'POST', '/api/work-orders', { itemId: refs.item('repair.light'), locationId: refs.locationOf('3512'), urgency: 'routine', requester: { name: '护士长' } })
  assert.is(res.status, 201, JSON.stringify(res.body))
  return res.body
}
const handover = async (user: DemoUser = 'lead', teamId = maintenance) => t.call(user, 'GET', `/api/handover?teamId=${teamId}`)
const order = async (id: number) => (await t.call('lead', 'GET', `/api/work-orders/${id}`)).body

test('at 15:30 the handover list shows the day person\'s open orders with the evening person proposed', async () => {
  const put = await t.call('lead', 'PUT', '/api/rosters', { teamId: maintenance, cells: [
    { staffId: people['陈志远'], day: D, shiftTypeIds: [shifts['早班']] },
    { staffId: people['李明'], day: D, shiftTypeIds: [shifts['中班']] },
    { staffId: people['王建国'], day: D, shiftTypeIds: [shifts['中班']] },
  ] })
  assert.is(put.status, 200, JSON.stringify(put.body))
  at(D, '10:00')
  const filed = [await fileRepair(), await fileRepair(), await fileRepair(), await fileRepair()]
  for (const o of filed) assert.is(o.assignee?.id, people['陈志远'])
  // the lead already holds two orders for the evening: the other evening person is less loaded
  for (const o of filed.slice(2)) {
    const moved = await t.call('lead', 'POST', `/api/work-orders/${o.id}/transitions`, { action: 'reassign', version: o.version, assigneeId: people['王建国'], reason: '班长自己处理' })
    assert.is(moved.status, 200, JSON.stringify(moved.body))
  }

  at(D, '14:00')
  assert.equal((await handover()).body.changes, [], 'two hours before the change there is nothing to hand over')
  at(D, '15:30')
  const list = await handover()
  assert.is(list.status, 200, JSON.stringify(list.body))
  assert.is(list.body.changes.length, 1)
  const [change] = list.body.changes
  assert.is(change.time, '16:00')
  assert.is(change.endsAt, instantOfDay(D, '16:00', TZ).toISOString())
  assert.equal(change.outgoing.map((p: any) => [p.name, p.shiftName]), [['陈志远', '早班']])
  assert.equal(change.outgoing[0].orders.map((o: any) => o.id).sort(), filed.slice(0, 2).map((o) => o.id).sort())
  for (const o of change.outgoing[0].orders) assert.equal(o.proposed, { staffId: people['李明'], name: '李明' })
  assert.equal(change.incoming.map((p: any) => [p.name, p.shiftName, p.openOrders]).sort(), [['李明', '中班', 0], ['王建国', '中班', 2]])
  // still listed 45 minutes after the change, gone after the hour
  at(D, '16:45')
  assert.is((await handover()).body.changes.length, 1)
  at(D, '17:01')
  assert.equal((await handover()).body.changes, [])
})

test('a wrong person, someone not on duty after the change or another team\'s lead is refused, and nothing moves', async () => {
  at(D, '15:30')
  const orders = (await handover()).body.changes[0].outgoing[0].orders.map((o: any) => ({ id: o.id, version: o.version }))
  const unknown = await t.call('lead', 'POST', '/api/handover/reassign', { toStaffId: 999999, orders })
  assert.is(unknown.status, 400)
  assert.is(unknown.body.field, 'toStaffId')
  const offDuty = await t.call('lead', 'POST', '/api/handover/reassign', { toStaffId: people['赵强'], orders })
  assert.is(offDuty.status, 400)
  assert.is(offDuty.body.field, 'toStaffId')
  assert.match(offDuty.body.message, '不在岗')
  assert.type(offDuty.body.messageEn, 'string')
  const foreign = await t.call('lead', 'POST', '/api/handover/reassign', { orders: [{ ...orders[0], toStaffId: people['李明'] }, { ...orders[1], toStaffId: people['张伟'] }] })
  assert.is(foreign.status, 400)
  assert.is(foreign.body.field, 'orders.1.toStaffId')
  const noTarget = await t.call('lead', 'POST', '/api/handover/reassign', { orders })
  assert.is(noTarget.body.field, 'orders.0.toStaffId')
  assert.is((await handover(as('lead.transport'))).status, 403)
  assert.is((await t.call(as('lead.transport'), 'POST', '/api/handover/reassign', { toStaffId: people['李明'], orders })).status, 403)
  assert.is((await handover('lead', transport)).status, 403)
  assert.is((await handover('tech')).status, 403)
  for (const o of orders) {
    const now = await order(o.id)
    assert.equal([now.version, now.assignee.id], [o.version, people['陈志远']])
  }
})

test('一键交接 moves both orders to the proposed person, with 改派 on the timeline and a notice to them', async () => {
  at(D, '15:30')
  const [change] = (await handover()).body.changes
  const orders = change.outgoing[0].orders.map((o: any) => ({ id: o.id, version: o.version, toStaffId: o.proposed.staffId }))
  const res = await t.call('lead', 'POST', '/api/handover/reassign', { orders })
  assert.is(res.status, 200, JSON.stringify(res.body))
  assert.is(res.body.done, 2)
  for (const r of res.body.results) assert.equal([r.status, r.order.assignee.id, r.order.status], [200, people['李明'], 'dispatched'])
  for (const o of orders) {
    const now = await order(o.id)
    assert.is(now.assignee.id, people['李明'])
    const reassign = now.timeline.find((e: any) => e.kind === 'reassign')
    assert.ok(reassign, JSON.stringify(now.timeline.map((e: any) => e.kind)))
    assert.match(reassign.note, '交接班：陈志远（早班）16:00 下班')
    assert.is(reassign.actor, '维修班长 王建国')
    assert.ok(now.timeline.some((e: any) => e.kind === 'reassigned' && e.note === '→ 李明'))
  }
  const notices = (await t.call('tech', 'GET', '/api/notifications')).body.items
  for (const o of orders) assert.ok(notices.some((n: any) => n.workOrderId === o.id && n.kind === 'assignment'), JSON.stringify(notices))
  const after = (await handover()).body.changes[0]
  assert.equal(after.outgoing[0].orders, [])
  assert.is(after.incoming.find((p: any) => p.staffId === people['李明']).openOrders, 2)
})

test('an order changed by someone meanwhile answers 409 stale on its own; the other is handed over', async () => {
  at(D, '10:00')
  const [a, b] = [await fileRepair(), await fileRepair()]
  at(D, '15:30')
  const listed = (await handover()).body.changes[0].outgoing[0].orders
  assert.equal(listed.map((o: any) => o.id).sort(), [a.id, b.id].sort())
  const held = await t.call('lead', 'POST', `/api/work-orders/${a.id}/transitions`, { action: 'hold', version: a.version, reason: '等配件' })
  assert.is(held.status, 200, JSON.stringify(held.body))
  const res = await t.call('lead', 'POST', '/api/handover/reassign', { toStaffId: people['王建国'], orders: listed.map((o: any) => ({ id: o.id, version: o.version })) })
  assert.is(res.status, 200, JSON.stringify(res.body))
  assert.is(res.body.done, 1)
  const byId = Object.fromEntries(res.body.results.map((r: any) => [r.id, r]))
  assert.equal([byId[a.id].status, byId[a.id].error], [409, 'stale'])
  assert.equal([byId[b.id].status, byId[b.id].order.assignee.id], [200, people['王建国']])
  const kept = await order(a.id)
  assert.equal([kept.status, kept.assignee.id], ['on_hold', people['陈志远']])
  // still in the list, held, with the version it has now
  const again = (await handover()).body.changes[0].outgoing[0].orders
  assert.equal(again.map((o: any) => [o.id, o.status, o.version]), [[a.id, 'on_hold', kept.version]])
})

// ---- staff statistics on a hand-built set: 2024-01-08 .. 2024-01-10 in Shanghai -------------

const P = { from: '2024-01-08', to: '2024-01-10' }
const local = (day: string, hhmm: string) => instantOfDay(day, hhmm, TZ)
let pmSchedule = 0
let seq = 0

async function completedOrder(by: string, times: { created: [string, string]; dispatched?: [string, string]; arrived: [string, string]; completed: [string, string] }, pmDue?: [string, string]) {
  const item = await t.db.db.selectFrom('item').select(['id', 'category_id']).where('id', '=', refs.item('repair.light')).executeTakeFirstOrThrow()
  const stamp = (x?: [string, string]) => (x ? local(...x) : null)
  const { id } = await t.db.db.insertInto('work_order').values({
    number: `WO-STATS-${++seq}`, item_id: item.id, category_id: item.category_id, location_id: refs.locationOf('3512'), requester_name: '护士',
    requested_at: local(...times.created), urgency: 'routine', team_id: maintenance, assignee_id: people[by]!, status: 'completed',
    created_at: local(...times.created), dispatched_at: stamp(times.dispatched), arrived_at: local(...times.arrived), completed_at: local(...times.completed),
    completed_by: people[by]!, response_due_at: local(...times.created), due_at: local(...times.created),
  }).returning('id').executeTakeFirstOrThrow()
  if (pmDue) await t.db.db.insertInto('pm_occurrence').values({ schedule_id: pmSchedule, due_at: local(...pmDue), work_order_id: id, status: 'generated' }).execute()
  return id
}

test('the staff statistics equal the hand computation of a built period', async () => {
  const roster = await t.call('lead', 'PUT', '/api/rosters', { teamId: maintenance, cells: [
    { staffId: people['李明'], day: '2024-01-08', shiftTypeIds: [shifts['早班']] },
    { staffId: people['李明'], day: '2024-01-09', shiftTypeIds: [shifts['早班']] },
    { staffId: people['李明'], day: '2024-01-10', shiftTypeIds: [shifts['早班']] },
    { staffId: people['陈志远'], day: '2024-01-07', shiftTypeIds: [shifts['中班']] },
    { staffId: people['陈志远'], day: '2024-01-08', shiftTypeIds: [shifts['长夜班']] },
    { staffId: people['陈志远'], day: '2024-01-10', shiftTypeIds: [shifts['中班']] },
    { staffId: people['陈志远'], day: '2024-01-11', shiftTypeIds: [shifts['早班']] },
    { staffId: people['赵强'], day: '2024-01-09', shiftTypeIds: [shifts['中班']] },
  ] })
  assert.is(roster.status, 200, JSON.stringify(roster.body))
  // 李明 is off sick on the 10th: that 早班 is not counted
  assert.is((await t.call('lead', 'POST', '/api/leave', { staffId: people['李明'], from: '2024-01-10', to: '2024-01-12', kind: 'sick' })).status, 201)
  pmSchedule = (await t.db.db.insertInto('pm_schedule').values({
    title: '灯具巡检', location_id: refs.locationOf('3512'), item_id: refs.item('repair.light'), rrule: 'FREQ=DAILY;COUNT=3', start_day: '2024-01-08', time_of_day: '02:00', checklist: '[]',
  }).returning('id').executeTakeFirstOrThrow()).id

  // 李明: response 15, 15, 30; completion 60, 120, 180; the PM one done after its 14:00 due time
  await completedOrder('李明', { created: ['2024-01-08', '09:00'], dispatched: ['2024-01-08', '09:05'], arrived: ['2024-01-08', '09:20'], completed: ['2024-01-08', '10:00'] })
  await completedOrder('李明', { created: ['2024-01-09', '08:30'], dispatched: ['2024-01-09', '08:30'], arrived: ['2024-01-09', '08:45'], completed: ['2024-01-09', '10:30'] })
  await completedOrder('李明', { created: ['2024-01-09', '12:00'], dispatched: ['2024-01-09', '12:00'], arrived: ['2024-01-09', '12:30'], completed: ['2024-01-09', '15:00'] }, ['2024-01-09', '14:00'])
  // 陈志远: a PM order done before its 02:00 due time (response 10, completion 120); one never dispatched (completion 60)
  await completedOrder('陈志远', { created: ['2024-01-08', '23:00'], dispatched: ['2024-01-08', '23:00'], arrived: ['2024-01-08', '23:10'], completed: ['2024-01-09', '01:00'] }, ['2024-01-09', '02:00'])
  await completedOrder('陈志远', { created: ['2024-01-10', '16:00'], arrived: ['2024-01-10', '16:20'], completed: ['2024-01-10', '17:00'] })
  // outside the period by ten minutes either side, and another team's porter
  await completedOrder('李明', { created: ['2024-01-07', '23:00'], dispatched: ['2024-01-07', '23:00'], arrived: ['2024-01-07', '23:10'], completed: ['2024-01-07', '23:50'] })
  await completedOrder('陈志远', { created: ['2024-01-10', '23:00'], dispatched: ['2024-01-10', '23:00'], arrived: ['2024-01-10', '23:30'], completed: ['2024-01-11', '00:10'] })
  await completedOrder('张伟', { created: ['2024-01-09', '10:00'], dispatched: ['2024-01-09', '10:00'], arrived: ['2024-01-09', '10:05'], completed: ['2024-01-09', '10:30'] })

  const res = await t.call('manager', 'GET', `/api/staff-statistics?from=${P.from}&to=${P.to}&teamId=${maintenance}`)
  assert.is(res.status, 200, JSON.stringify(res.body))
  const person = (name: string) => {
    const { staffId: _id, name: _n, teamId: _t, active: _a, ...figures } = res.body.people.find((p: any) => p.staffId === people[name])
    return figures
  }
  assert.equal(person('李明'), { rosteredHours: 16, ordersCompleted: 3, ordersPerRosteredHour: 3 / 16, avgResponseMinutes: 20, avgCompletionMinutes: 120, pmCompleted: 1, pmOnTime: 0, pmOnTimeRate: 0 })
  assert.equal(person('陈志远'), { rosteredHours: 16, ordersCompleted: 2, ordersPerRosteredHour: 2 / 16, avgResponseMinutes: 10, avgCompletionMinutes: 90, pmCompleted: 1, pmOnTime: 1, pmOnTimeRate: 1 })
  assert.equal(person('赵强'), { rosteredHours: 8, ordersCompleted: 0, ordersPerRosteredHour: 0, avgResponseMinutes: null, avgCompletionMinutes: null, pmCompleted: 0, pmOnTime: 0, pmOnTimeRate: null })
  assert.equal(person('王建国'), { rosteredHours: 0, ordersCompleted: 0, ordersPerRosteredHour: null, avgResponseMinutes: null, avgCompletionMinutes: null, pmCompleted: 0, pmOnTime: 0, pmOnTimeRate: null })
  assert.equal(res.body.people.map((p: any) => p.teamId), res.body.people.map(() => maintenance))
  const [team] = res.body.teams
  assert.equal(team, { id: maintenance, name: '维修班', nameEn: 'Maintenance', rosteredHours: 40, ordersCompleted: 5, ordersPerRosteredHour: 5 / 40, avgResponseMinutes: 17.5, avgCompletionMinutes: 108, pmCompleted: 2, pmOnTime: 1, pmOnTimeRate: 0.5 })
  assert.is(res.body.teams.length, 1)

  // all teams: the porter's order counts for the transport team only
  const all = await t.call('admin', 'GET', `/api/staff-statistics?from=${P.from}&to=${P.to}`)
  assert.is(all.body.teams.find((x: any) => x.id === maintenance).ordersCompleted, 5)
  assert.is(all.body.teams.find((x: any) => x.id === transport).ordersCompleted, 1)
  // a team lead sees their own team (asked for none: theirs), not another's
  const mine = await t.call('lead', 'GET', `/api/staff-statistics?from=${P.from}&to=${P.to}`)
  assert.equal([mine.status, mine.body.teamId, mine.body.teams[0].rosteredHours], [200, maintenance, 40])
  assert.is((await t.call('lead', 'GET', `/api/staff-statistics?from=${P.from}&to=${P.to}&teamId=${transport}`)).status, 403)
  assert.is((await t.call('tech', 'GET', `/api/staff-statistics?from=${P.from}&to=${P.to}`)).status, 403)
})

test('a period backwards, too long or not a date is refused naming the field', async () => {
  const backwards = await t.call('manager', 'GET', '/api/staff-statistics?from=2024-01-10&to=2024-01-08')
  assert.equal([backwards.status, backwards.body.field], [400, 'to'])
  const long = await t.call('manager', 'GET', '/api/staff-statistics?from=2023-01-01&to=2024-06-01')
  assert.equal([long.status, long.body.field], [400, 'to'])
  const notADay = await t.call('manager', 'GET', '/api/staff-statistics?from=2024-02-30&to=2024-03-01')
  assert.equal([notADay.status, notADay.body.field], [400, 'from'])
  const unknownTeam = await t.call('manager', 'GET', '/api/staff-statistics?from=2024-01-08&to=2024-01-10&teamId=999999')
  assert.equal([unknownTeam.status, unknownTeam.body.field], [400, 'teamId'])
})

test.run()
