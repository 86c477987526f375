// Booked work: a transport booked for a slot of the transport team, whose capacity comes from the
// roster (people on duty at the slot's start × jobs per person), with a reserve kept for urgent work
// until it is released, dispatched lead minutes before the slot by the sweep, reminded 24 h and 1 h
// before, and no-shows and late cancels counted. A clock the test moves; the sweep run by hand.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startTestApp, demoRefs, type TestApp } from '../helpers/app.ts'
import { addDays, instantOfDay, localClock } from '../../server/src/clock/local-time.ts'
import { runBookingSweep } from '../../server/src/bookings/bookings.routes.ts'

let t: TestApp
let refs: Awaited<ReturnType<typeof demoRefs>>
let clock = new Date()
const TZ = 'Asia/Shanghai'
const TODAY = localClock(new Date(), TZ).day
// the day the slots are on: tomorrow in the hospital's zone
const D = addDays(TODAY, 1)
const at = (day: string, hhmm: string) => instantOfDay(day, hhmm, TZ)
const setClock = (day: string, hhmm: string) => { clock = at(day, hhmm) }
const sweep = () => runBookingSweep({ ...t.app.services, now: () => clock })

let transport: number
const people: Record<string, number> = {}

test.before(async () => {
  t = await startTestApp({ timeZone: TZ }, undefined, { now: () => clock })
  refs = await demoRefs(t)
  const staff = await t.db.db.selectFrom('staff').innerJoin('team', 'team.id', 'staff.team_id').select(['staff.id', 'staff.name', 'team.code', 'team.id as team_id']).execute()
  for (const s of staff) people[s.name] = s.id
  transport = staff.find((s) => s.code === 'transport')!.team_id
  // the transport team's roster today and the next two days: two on 早班, one on 中班, one on 夜班
  const types = await t.call('admin', 'PUT', '/api/shift-types', { teamId: transport, items: [
    { name: '早班', start: '08:00', end: '16:00' }, { name: '中班', start: '16:00', end: '24:00' }, { name: '夜班', start: '00:00', end: '08:00' },
  ] })
  assert.is(types.status, 200, JSON.stringify(types.body))
  const shift = Object.fromEntries(types.body.items.map((s: any) => [s.name, s.id]))
  const cells = [TODAY, D, addDays(D, 1), addDays(D, 2)].flatMap((day) => [
    { staffId: people['张伟'], day, shiftTypeIds: [shift['早班']] }, { staffId: people['刘洋'], day, shiftTypeIds: [shift['早班']] },
    { staffId: people['孙磊'], day, shiftTypeIds: [shift['中班']] }, { staffId: people['周杰'], day, shiftTypeIds: [shift['夜班']] },
  ])
  const roster = await t.call('admin', 'PUT', '/api/rosters', { teamId: transport, cells })
  assert.is(roster.status, 200, JSON.stringify(roster.body))
})
test.after(async () => { await t.close() })

const ctTransport = (bookedFor: Date | string, urgency = 'routine') => ({
  itemId: refs.item('transport.patient_exam'), locationId: refs.locationOf('3512'), urgency,
  requester: { name: '护士 李' }, description: 'CT 检查', bookedFor: typeof bookedFor === 'string' ? bookedFor : bookedFor.toISOString(),
})
const book = (bookedFor: Date | string, urgency = 'routine') => t.call('operator', 'POST', '/api/work-orders', ctTransport(bookedFor, urgency))
const orderCount = async () => Number((await t.db.db.selectFrom('work_order').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)
const SETTINGS = { slotMinutes: 15, jobsPerPerson: 2, reserve: 1, releaseMinutes: 30, leadMinutes: 20 }

test('a team takes bookings only once it has settings; the lead of another team and an operator may not set them', async () => {
  clock = new Date()
  const none = await book(at(D, '10:30'))
  assert.is(none.status, 400)
  assert.is(none.body.field, 'bookedFor')
  assert.match(none.body.message, '不接受预约')
  assert.is((await t.call('operator', 'PUT', `/api/teams/${transport}/booking`, SETTINGS)).status, 403)
  // lead is maintenance's lead
  assert.is((await t.call('lead', 'PUT', `/api/teams/${transport}/booking`, SETTINGS)).status, 403)
  const bad = await t.call('admin', 'PUT', `/api/teams/${transport}/booking`, { ...SETTINGS, slotMinutes: 7 })
  assert.is(bad.status, 400)
  assert.is(bad.body.field, 'slotMinutes')
  assert.type(bad.body.messageEn, 'string')
  const negative = await t.call('admin', 'PUT', `/api/teams/${transport}/booking`, { ...SETTINGS, reserve: -1 })
  assert.is(negative.status, 400)
  assert.is(negative.body.field, 'reserve')
  const ok = await t.call('admin', 'PUT', `/api/teams/${transport}/booking`, SETTINGS)
  assert.is(ok.status, 200, JSON.stringify(ok.body))
  assert.equal(ok.body, { teamId: transport, ...SETTINGS, lateCancelMinutes: 60 })
})

test('a booking in the past or off a slot boundary is refused naming bookedFor, and nothing is saved', async () => {
  setClock(D, '08:00')
  const before = await orderCount()
  for (const when of [at(D, '07:45'), at(D, '08:00'), at(D, '10:37'), new Date(at(D, '10:30').getTime() + 1000)]) {
    const res = await book(when)
    assert.is(res.status, 400, `${when.toISOString()}: ${JSON.stringify(res.body)}`)
    assert.is(res.body.field, 'bookedFor')
    assert.type(res.body.messageEn, 'string')
  }
  assert.is(await orderCount(), before)
})

test('the free-slot finder proposes the nearest slots with room, from the roster', async () => {
  setClock(D, '07:40')
  const res = await t.call('operator', 'GET', `/api/booking-slots?itemId=${refs.item('transport.patient_exam')}&locationId=${refs.locationOf('3512')}&from=${encodeURIComponent(at(D, '07:30').toISOString())}`)
  assert.is(res.status, 200, JSON.stringify(res.body))
  assert.is(res.body.team.id, transport)
  assert.is(res.body.slots.length, 8)
  const [first, second] = res.body.slots
  // 07:45 is the night porter's (1 × 2), its reserve released at 07:15; 08:00 two on 早班, released at 07:30
  assert.equal([first.start, first.capacity, first.reserve, first.reserveReleased, first.free], [at(D, '07:45').toISOString(), 2, 0, true, 2])
  assert.equal([second.start, second.capacity, second.free], [at(D, '08:00').toISOString(), 4, 4])
  // 09:00 still keeps its one place for urgent work
  const later = (await t.call('operator', 'GET', `/api/booking-slots?itemId=${refs.item('transport.patient_exam')}&locationId=${refs.locationOf('3512')}&from=${encodeURIComponent(at(D, '09:00').toISOString())}&count=1`)).body.slots[0]
  assert.equal([later.start, later.capacity, later.reserve, later.reserveReleased, later.free, later.freeUrgent], [at(D, '09:00').toISOString(), 4, 1, false, 3, 4])
})

test('under 20 concurrent routine bookings for one slot exactly capacity − reserve succeed; an urgent one then takes the reserve', async () => {
  setClock(D, '08:00')
  const slot = at(D, '10:30')
  const answers = await Promise.all(Array.from({ length: 20 }, () => book(slot)))
  const ok = answers.filter((a) => a.status === 201)
  const full = answers.filter((a) => a.status === 409)
  assert.is(ok.length, 3, answers.map((a) => a.status).join(','))
  assert.is(full.length, 17)
  for (const a of full) { assert.is(a.body.error, 'slot_full'); assert.is(a.body.field, 'bookedFor') }
  for (const a of ok) {
    assert.is(a.body.status, 'new')
    assert.is(a.body.assignee, null, 'not assigned at booking')
    assert.is(a.body.bookedFor, slot.toISOString())
    assert.is(a.body.booked, true)
  }
  const urgent = await book(slot, 'urgent')
  assert.is(urgent.status, 201, JSON.stringify(urgent.body))
  const more = await Promise.all([book(slot, 'critical'), book(slot, 'urgent')])
  assert.equal(more.map((a) => a.status), [409, 409])
  const booked = await t.db.db.selectFrom('work_order').select('id').where('booked_for', '=', slot).execute()
  assert.is(booked.length, 4, 'exactly the capacity')
})

test('the unused reserve is released release_minutes before the slot: a routine booking then succeeds', async () => {
  setClock(D, '08:00')
  const slot = at(D, '10:45')
  for (let i = 0; i < 3; i++) assert.is((await book(slot)).status, 201)
  assert.is((await book(slot)).status, 409)
  setClock(D, '10:14')
  assert.is((await book(slot)).status, 409, 'still held a minute before the release')
  setClock(D, '10:15')
  const slots = await t.call('operator', 'GET', `/api/booking-slots?itemId=${refs.item('transport.patient_exam')}&locationId=${refs.locationOf('3512')}&from=${encodeURIComponent(slot.toISOString())}&count=1`)
  assert.equal([slots.body.slots[0].start, slots.body.slots[0].reserveReleased, slots.body.slots[0].free], [slot.toISOString(), true, 1])
  assert.is((await book(slot)).status, 201)
  assert.is((await book(slot)).status, 409)
})

test('a booked order is dispatched at slot − lead time to a person on duty, and not before', async () => {
  setClock(D, '08:00')
  const slot = at(D, '11:00')
  const res = await book(slot)
  assert.is(res.status, 201)
  const id = res.body.id
  setClock(D, '10:39')
  await sweep()
  let order = (await t.call('operator', 'GET', `/api/work-orders/${id}`)).body
  assert.equal([order.status, order.assignee], ['new', null])
  setClock(D, '10:40')
  const swept = await sweep()
  assert.ok(swept.dispatched.includes(id))
  order = (await t.call('operator', 'GET', `/api/work-orders/${id}`)).body
  assert.is(order.status, 'dispatched')
  assert.ok([people['张伟'], people['刘洋']].includes(order.assignee?.id), JSON.stringify(order.assignee))
  const event = order.timeline.find((e: any) => e.kind === 'dispatched')
  assert.match(event.note, '开始前 20 分钟派单')
  assert.ok(order.timeline.some((e: any) => e.kind === 'booked'))
  // a second sweep does nothing more to it
  assert.not.ok((await sweep()).dispatched.includes(id))
  const told = await t.db.db.selectFrom('notification').innerJoin('app_user', 'app_user.id', 'notification.user_id')
    .select('app_user.staff_id').where('work_order_id', '=', id).where('kind', '=', 'assignment').execute()
  assert.equal(told.map((n) => n.staff_id), [order.assignee.id], 'the assignee is told once')
})

test('reminders 24 h and 1 h before the slot go to the booking desk (and the assignee), once each', async () => {
  setClock(D, '08:00')
  const slot = at(addDays(D, 1), '11:30')
  const res = await book(slot)
  assert.is(res.status, 201)
  const id = res.body.id
  const reminders = async () => (await t.db.db.selectFrom('notification').innerJoin('app_user', 'app_user.id', 'notification.user_id')
    .select(['app_user.username', 'notification.message']).where('work_order_id', '=', id).where('kind', '=', 'booking_reminder').orderBy('notification.id').execute())
  setClock(D, '11:29')
  await sweep()
  assert.is((await reminders()).length, 0)
  setClock(D, '11:30')
  await sweep()
  await sweep()
  let sent = await reminders()
  assert.equal(sent.map((r) => r.username), ['operator'])
  assert.match(sent[0]!.message, '24 小时')
  setClock(addDays(D, 1), '10:30')
  await sweep()
  setClock(addDays(D, 1), '10:45')
  await sweep()
  sent = await reminders()
  assert.equal(sent.map((r) => r.username), ['operator', 'operator'])
  assert.match(sent[1]!.message, '1 小时')
  // dispatched at 11:10; nothing more is sent however often the sweep runs
  setClock(addDays(D, 1), '11:10')
  await sweep()
  await sweep()
  assert.is((await reminders()).length, 2)
  // a booking made less than a day ahead gets the hour's reminder only
  setClock(addDays(D, 1), '12:00')
  const soon = await book(at(addDays(D, 1), '14:00'))
  setClock(addDays(D, 1), '13:00')
  await sweep()
  await sweep()
  const soonSent = await t.db.db.selectFrom('notification').select('message').where('work_order_id', '=', soon.body.id).where('kind', '=', 'booking_reminder').execute()
  assert.is(soonSent.length, 1)
  assert.match(soonSent[0]!.message, '1 小时')
})

test('a settings change that would break booked slots is refused naming the field, and nothing is saved', async () => {
  setClock(D, '08:00')
  // 10:30 holds 4 with two people on duty: one job each is too few
  const fewer = await t.call('admin', 'PUT', `/api/teams/${transport}/booking`, { ...SETTINGS, jobsPerPerson: 1 })
  assert.is(fewer.status, 409, JSON.stringify(fewer.body))
  assert.is(fewer.body.field, 'jobsPerPerson')
  // 10:45 is booked: not the start of an hour-long slot
  const longer = await t.call('admin', 'PUT', `/api/teams/${transport}/booking`, { ...SETTINGS, slotMinutes: 60 })
  assert.is(longer.status, 409)
  assert.is(longer.body.field, 'slotMinutes')
  const saved = await t.db.db.selectFrom('team_booking').selectAll().where('team_id', '=', transport).executeTakeFirstOrThrow()
  assert.equal([saved.slot_minutes, saved.jobs_per_person], [15, 2])
  // the lead of the team may change what breaks nothing
  const lead = await t.call('admin', 'PUT', `/api/teams/${transport}/booking`, { ...SETTINGS, leadMinutes: 25 })
  assert.is(lead.status, 200)
  await t.call('admin', 'PUT', `/api/teams/${transport}/booking`, SETTINGS)
})

test('a no-show is recorded from the slot on, and a cancel close to the slot counts as late; the statistics count both', async () => {
  setClock(D, '08:00')
  const slot = at(D, '13:00')
  const res = await book(slot)
  const early = await t.call('operator', 'POST', `/api/work-orders/${res.body.id}/no-show`, {})
  assert.is(early.status, 409)
  assert.is(early.body.error, 'too_early')
  setClock(D, '13:05')
  const noShow = await t.call('operator', 'POST', `/api/work-orders/${res.body.id}/no-show`, { note: '病人已出院' })
  assert.is(noShow.status, 200, JSON.stringify(noShow.body))
  assert.is(noShow.body.status, 'cancelled')
  assert.ok(noShow.body.noShowAt)
  assert.is(noShow.body.lateCancel, false)
  assert.is((await t.call('operator', 'POST', `/api/work-orders/${res.body.id}/no-show`, {})).status, 409)
  // an order filed for now is not a booking
  clock = new Date()
  const walkIn = await t.call('operator', 'POST', '/api/work-orders', { ...ctTransport(new Date()), bookedFor: undefined })
  assert.is((await t.call('operator', 'POST', `/api/work-orders/${walkIn.body.id}/no-show`, {})).body.error, 'not_booked')

  // a cancel is judged by its own time (the real clock's): a slot just ahead and one hours away
  const next = (minutes: number) => { const c = localClock(new Date(Date.now() + minutes * 60_000), TZ); return at(c.day, `${c.hhmm.slice(0, 3)}${String(Math.floor(Number(c.hhmm.slice(3)) / 15) * 15).padStart(2, '0')}`) }
  const close = await book(next(30))
  const far = await book(next(240))
  assert.is(close.status, 201, JSON.stringify(close.body))
  assert.is(far.status, 201, JSON.stringify(far.body))
  for (const o of [close.body, far.body]) {
    const cancelled = await t.call('operator', 'POST', `/api/work-orders/${o.id}/transitions`, { action: 'cancel', version: o.version, reason: '病人取消检查' })
    assert.is(cancelled.status, 200, JSON.stringify(cancelled.body))
  }
  assert.is((await t.call('operator', 'GET', `/api/work-orders/${close.body.id}`)).body.lateCancel, true)
  assert.is((await t.call('operator', 'GET', `/api/work-orders/${far.body.id}`)).body.lateCancel, false)

  const from = TODAY, to = addDays(D, 2)
  assert.is((await t.call('operator', 'GET', `/api/bookings/stats?from=${from}&to=${to}`)).status, 403)
  const stats = await t.call('manager', 'GET', `/api/bookings/stats?from=${from}&to=${to}`)
  assert.is(stats.status, 200, JSON.stringify(stats.body))
  const row = stats.body.teams.find((r: any) => r.team.id === transport)
  assert.equal([row.noShow, row.lateCancelled, row.cancelled], [1, 1, 2])
  assert.is(stats.body.total.noShow, 1)
  const backwards = await t.call('manager', 'GET', `/api/bookings/stats?from=${to}&to=${from}`)
  assert.equal([backwards.status, backwards.body.field], [400, 'to'])
})

test.run()
