// The heart of the product, end to end through HTTP and the live socket: an operator files an
// order, it is routed to the right team and person, printed, chased, escalated when late,
// accepted, done, rated and closed — and every screen hears of each step.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { execFileSync } from 'node:child_process'
import { startTestApp, demoRefs, type TestApp } from '../helpers/app.ts'
import { escalateOverdue } from '../../server/src/escalation/escalation.ts'

let t: TestApp
let refs: Awaited<ReturnType<typeof demoRefs>>
// the day shift's rules: 10:00 in Shanghai today, running (at night 夜间维修 routes to the night point)
const started = Date.now()
const ten = Date.parse(`${new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date())}T02:00:00Z`)
test.before(async () => {
  t = await startTestApp({}, undefined, { now: () => new Date(ten + Date.now() - started) })
  refs = await demoRefs(t)
})
test.after(async () => { await t.close() })

const airCon = () => ({
  itemId: refs.item('repair.ac'), locationId: refs.locationOf('3512'), urgency: 'urgent',
  description: '512室空调不制冷，病人发热', requester: { name: '护士 王丽', phone: '13912345678', extension: '3512' },
})

test('the whole loop: create → routed → printed → chased → escalated → accept → arrive → complete → rate → close', async () => {
  const desk = await t.connect('operator')
  const techLive = await t.connect('tech')
  const leadLive = await t.connect('lead')

  // the maintenance team's longest-idle person on duty (王建国) takes the first order, 李明 the second
  const first = await t.call('operator', 'POST', '/api/work-orders', airCon())
  assert.is(first.status, 201, JSON.stringify(first.body))
  assert.is(first.body.assignee.name, '王建国')
  const created = await t.call('operator', 'POST', '/api/work-orders', airCon())
  const order = created.body
  assert.is(created.status, 201)
  assert.match(order.number, /^WO-\d{8}-\d{4}$/)
  assert.is(order.status, 'dispatched')
  assert.is(order.team.name, '维修班')
  assert.is(order.servicePoint.name, '南院区维修服务点')
  assert.is(order.assignee.name, '李明')
  assert.match(order.routing.reason, /^规则 #\d+「南院区维修」命中：类别；李明：在岗，未完成 \d+ 单/)
  assert.equal(order.tools, ['梯子', '万用表'])
  // urgent air conditioning: 15 min to arrive, 120 min to finish
  assert.is(Date.parse(order.responseDueAt) - Date.parse(order.createdAt), 15 * 60_000)
  assert.is(Date.parse(order.dueAt) - Date.parse(order.createdAt), 120 * 60_000)

  const seenByDesk = await desk.next((m) => m.type === 'workorder.created' && m.data.id === order.id)
  const seenByTech = await techLive.next((m) => m.type === 'workorder.created' && m.data.id === order.id)
  assert.is(seenByDesk.data.number, order.number)
  assert.is(seenByTech.data.assigneeId, order.assignee.id)
  // the event carries the card a board shows, so no screen has to fetch it; the phone is masked
  // for every screen, the desk's included (the desk opens the order to see the full number)
  assert.is(seenByDesk.data.order.location.fullName, order.location.fullName)
  assert.is(seenByDesk.data.order.item.name, '空调不制冷/不制热')
  assert.is(seenByTech.data.order.requester.phone, '139****5678')

  // the job sheet at the service point, Chinese text extractable
  const pdf = await t.call('tech', 'GET', `/api/work-orders/${order.id}/job-sheet.pdf`)
  assert.is(pdf.status, 200)
  assert.is(pdf.headers['content-type'], 'application/pdf')
  const text = execFileSync('pdftotext', ['-', '-'], { input: pdf.body as unknown as Buffer }).toString()
  assert.ok(text.includes(order.number), 'order number on the sheet')
  assert.ok(text.includes('空调不制冷'), 'item on the sheet')
  assert.ok(text.includes('512室空调不制冷，病人发热'), 'description on the sheet')

  // a chase is counted, lands on the timeline, and reaches the assignee and the team lead
  const chased = await t.call('operator', 'POST', `/api/work-orders/${order.id}/chases`, { note: '病人家属着急' })
  assert.is(chased.status, 201)
  assert.is(chased.body.chaseCount, 1)
  await desk.next((m) => m.type === 'workorder.chased' && m.data.id === order.id && m.data.chaseCount === 1)
  const techNotice = await techLive.next((m) => m.type === 'notification' && m.data.kind === 'chase')
  assert.match(techNotice.data.message, order.number)
  await leadLive.next((m) => m.type === 'notification' && m.data.kind === 'chase')
  // the second chase escalates to the managers
  const again = await t.call('operator', 'POST', `/api/work-orders/${order.id}/chases`, { confirm: true })
  assert.is(again.body.chaseCount, 2)
  const managerNotes = await t.call('manager', 'GET', '/api/notifications')
  assert.ok(managerNotes.body.items.some((n: any) => n.kind === 'escalation' && n.workOrderId === order.id), 'manager told of the second chase')

  // nobody arrived in time: the sweep escalates level 1 (team lead) exactly once
  await t.db.db.updateTable('work_order').set({ response_due_at: new Date(Date.now() - 60_000) }).where('id', '=', order.id).execute()
  const fired = await escalateOverdue(t.db.db, t.config.escalation)
  assert.ok(fired >= 1)
  const overdue = await desk.next((m) => m.type === 'workorder.overdue' && m.data.id === order.id)
  assert.is(overdue.data.escalationLevel, 1)
  await leadLive.next((m) => m.type === 'notification' && m.data.kind === 'overdue')
  assert.is(await escalateOverdue(t.db.db, t.config.escalation), 0, 'level 1 does not fire twice')
  const late = await t.call('operator', 'GET', `/api/work-orders/${order.id}`)
  assert.is(late.body.overdue, true)
  assert.is(late.body.escalationLevel, 1)

  // the technician works it through; each step needs the version they saw
  let version = late.body.version
  for (const action of ['accept', 'arrive', 'complete'] as const) {
    const res = await t.call('tech', 'POST', `/api/work-orders/${order.id}/transitions`, { action, version, ...(action === 'complete' ? { note: '更换电容，已恢复制冷' } : {}) })
    assert.is(res.status, 200, `${action}: ${JSON.stringify(res.body)}`)
    version = res.body.version
    const seen = await desk.next((m) => m.type === 'workorder.changed' && m.data.id === order.id && m.data.action === action)
    assert.is(seen.data.order.version, version, `${action}: the card is the order after the change`)
  }
  const rated = await t.call('operator', 'POST', `/api/work-orders/${order.id}/rating`, { score: 5, comment: '很及时' })
  assert.is(rated.status, 200)
  const closed = await t.call('operator', 'POST', `/api/work-orders/${order.id}/transitions`, { action: 'close', version: rated.body.version })
  assert.is(closed.status, 200)
  assert.is(closed.body.status, 'closed')
  assert.is(closed.body.completionNote, '更换电容，已恢复制冷')
  assert.is(closed.body.rating.score, 5)

  const full = await t.call('operator', 'GET', `/api/work-orders/${order.id}`)
  assert.equal(full.body.timeline.map((e: any) => e.kind),
    ['created', 'dispatched', 'chase', 'chase', 'escalated', 'escalated', 'accept', 'arrive', 'complete', 'rated', 'close'])
  assert.ok(full.body.timeline.every((e: any) => e.at && e.kind), 'every step timestamped')

  // nothing left to chase on a closed order
  const chaseClosed = await t.call('operator', 'POST', `/api/work-orders/${order.id}/chases`, {})
  assert.is(chaseClosed.status, 409)
  assert.is(chaseClosed.body.currentStatus, 'closed')
})

test('an invalid transition answers 409 naming the current state', async () => {
  const { body: order } = await t.call('operator', 'POST', '/api/work-orders', airCon())
  const res = await t.call('operator', 'POST', `/api/work-orders/${order.id}/transitions`, { action: 'complete', version: order.version, reason: '电话报告已修好' })
  assert.is(res.status, 409)
  assert.is(res.body.currentStatus, 'dispatched')
  assert.match(res.body.message, 'dispatched')
})

test('a stale version answers 409 and changes nothing', async () => {
  const { body: order } = await t.call('operator', 'POST', '/api/work-orders', airCon())
  const held = await t.call('operator', 'POST', `/api/work-orders/${order.id}/transitions`, { action: 'hold', version: order.version, reason: '等配件' })
  assert.is(held.status, 200)
  const stale = await t.call('operator', 'POST', `/api/work-orders/${order.id}/transitions`, { action: 'cancel', version: order.version, reason: '重复' })
  assert.is(stale.status, 409)
  assert.is(stale.body.currentVersion, held.body.version)
  const resumed = await t.call('operator', 'POST', `/api/work-orders/${order.id}/transitions`, { action: 'resume', version: held.body.version })
  assert.is(resumed.body.status, 'dispatched', 'resume returns to where it was held from')
  // the timeline says who did what, from which state to which, and why; the refused cancel is not there
  const { body: page } = await t.call('operator', 'GET', `/api/work-orders/${order.id}`)
  const steps = page.timeline.map((e: any) => [e.kind, e.fromStatus, e.toStatus, e.note])
  assert.equal(steps.slice(-2), [['hold', 'dispatched', 'on_hold', '等配件'], ['resume', 'on_hold', 'dispatched', null]])
  assert.is(page.timeline.at(-1).actor, '受理员 陈静')
})

test('a technician may not act on another person\'s order', async () => {
  const { body: order } = await t.call('operator', 'POST', '/api/work-orders', airCon())
  // reassign to 王建国 (the lead), then 李明 (tech) tries to accept it
  const staff = await t.call('operator', 'GET', '/api/staff')
  const wang = staff.body.items.find((s: any) => s.name === '王建国')
  const moved = await t.call('lead', 'POST', `/api/work-orders/${order.id}/transitions`, { action: 'reassign', version: order.version, assigneeId: wang.id, reason: '李明外出' })
  assert.is(moved.status, 200)
  const { body: page } = await t.call('operator', 'GET', `/api/work-orders/${order.id}`)
  assert.equal(page.timeline.slice(-2).map((e: any) => [e.kind, e.note]), [['reassign', '李明外出'], ['reassigned', '→ 王建国']])
  const res = await t.call('tech', 'POST', `/api/work-orders/${order.id}/transitions`, { action: 'accept', version: moved.body.version })
  assert.is(res.status, 403)
})

test('reopening a completed order counts as rework', async () => {
  const { body: order } = await t.call('operator', 'POST', '/api/work-orders', airCon())
  let v = order.version
  for (const action of ['accept', 'arrive', 'complete']) v = (await t.call('operator', 'POST', `/api/work-orders/${order.id}/transitions`, { action, version: v, reason: '李明电话报告' })).body.version
  const reopened = await t.call('operator', 'POST', `/api/work-orders/${order.id}/transitions`, { action: 'reopen', version: v, reason: '空调又坏了' })
  assert.is(reopened.status, 200)
  assert.is(reopened.body.status, 'dispatched')
  assert.is(reopened.body.reworkCount, 1)
  assert.is(reopened.body.completedAt, null)
})

test('reassigning to another team moves the order to that team\'s service point and print queue', async () => {
  const { body: order } = await t.call('operator', 'POST', '/api/work-orders', airCon())
  await t.call('operator', 'POST', '/api/job-sheets/printed', { ids: [order.id] })
  const staff = (await t.call('operator', 'GET', '/api/staff')).body.items
  const it = staff.find((s: any) => s.name === '林涛')
  const moved = await t.call('operator', 'POST', `/api/work-orders/${order.id}/transitions`, { action: 'reassign', version: order.version + 0, assigneeId: it.id, reason: '其实是网络问题' })
  assert.is(moved.status, 200, JSON.stringify(moved.body))
  assert.is(moved.body.team.name, '信息中心')
  assert.is(moved.body.servicePoint.name, '门诊计算机维修点')
  assert.is(moved.body.printedAt, null, 'waits to be printed at the new service point')
})

test('a booked time that has passed is refused naming requestedAt; a retry of an order filed with it gets the order', async () => {
  const past = new Date(Date.now() - 3600_000).toISOString()
  const refused = await t.call('operator', 'POST', '/api/work-orders', { ...airCon(), requestedAt: past })
  assert.equal([refused.status, refused.body.field], [400, 'requestedAt'])
  const soon = new Date(Date.now() + 3600_000).toISOString()
  const booked = await t.call('operator', 'POST', '/api/work-orders', { ...airCon(), requestedAt: soon }, { 'idempotency-key': 'booked-1' })
  assert.is(booked.status, 201)
  assert.is(booked.body.booked, true)
  // the same request again later, with its key: the order, not an error
  assert.is((await t.call('operator', 'POST', '/api/work-orders', { ...airCon(), requestedAt: soon }, { 'idempotency-key': 'booked-1' })).body.id, booked.body.id)
})

test.run()
