// The bell's notices (read state per person, live with an id) and the service point's print queue:
// sent to the printer is not printed until the station confirms it, a jam loses nothing, the
// history reprints, and a team lead prints only at the team's own points.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startTestApp, demoRefs, type TestApp, type DemoUser } from '../helpers/app.ts'

let t: TestApp
let refs: Awaited<ReturnType<typeof demoRefs>>
let points: { maintenance: number; other: number }
test.before(async () => {
  t = await startTestApp()
  refs = await demoRefs(t)
  const teams = (await t.call('manager', 'GET', '/api/teams')).body.items
  const maintenance = teams.find((x: any) => x.name === '维修班')
  const other = teams.find((x: any) => x.name === '信息中心')
  points = { maintenance: maintenance.servicePoints.find((p: any) => p.name === '南院区维修服务点').id, other: other.servicePoints[0].id }
})
test.after(async () => { await t.close() })

const airCon = (urgency = 'urgent') => ({
  itemId: refs.item('repair.ac'), locationId: refs.locationOf('3512'), urgency,
  description: '空调不制冷', requester: { name: '护士 王丽', extension: '3512' },
})
const queue = (user: DemoUser, point: number) => t.call(user, 'GET', `/api/job-sheets/queue?servicePointId=${point}`)

test('a chase rings the assignee and the lead with an id; reading marks only one\'s own notices read', async () => {
  const techLive = await t.connect('tech')
  let order = (await t.call('operator', 'POST', '/api/work-orders', airCon())).body
  // 王建国 (the lead) takes the first order of a quiet team; file until 李明 (tech) has one
  if (order.assignee.name !== '李明') order = (await t.call('operator', 'POST', '/api/work-orders', airCon())).body
  assert.is(order.assignee.name, '李明')
  const assigned = await techLive.next((m) => m.type === 'notification' && m.data.kind === 'assignment' && m.data.workOrderId === order.id)
  assert.is(assigned.data.number, order.number)

  const before = (await t.call('tech', 'GET', '/api/notifications')).body.unread
  await t.call('operator', 'POST', `/api/work-orders/${order.id}/chases`, { note: '病人很热' })
  const live = await techLive.next((m) => m.type === 'notification' && m.data.kind === 'chase')
  assert.type(live.data.id, 'number')
  assert.is(live.data.urgency, 'urgent')

  const mine = (await t.call('tech', 'GET', '/api/notifications')).body
  assert.is(mine.unread, before + 1)
  const chase = mine.items.find((n: any) => n.id === live.data.id)
  assert.is(chase.readAt, null)
  assert.is(chase.number, order.number)
  const leads = (await t.call('lead', 'GET', '/api/notifications')).body
  const leadChase = leads.items.find((n: any) => n.kind === 'chase' && n.workOrderId === order.id)
  assert.ok(leadChase, 'the team lead hears of the chase too')

  // the technician cannot mark the lead's notice read
  const other = await t.call('tech', 'POST', '/api/notifications/read', { ids: [leadChase.id] })
  assert.equal([other.status, other.body.read], [200, 0])
  const read = await t.call('tech', 'POST', '/api/notifications/read', { ids: [live.data.id] })
  assert.equal([read.status, read.body.read, read.body.unread], [200, 1, before])
  const after = (await t.call('tech', 'GET', '/api/notifications')).body
  assert.ok(after.items.find((n: any) => n.id === live.data.id).readAt)
  assert.is((await t.call('lead', 'GET', '/api/notifications')).body.items.find((n: any) => n.id === leadChase.id).readAt, null)

  const all = await t.call('lead', 'POST', '/api/notifications/read', { all: true })
  assert.is(all.body.unread, 0)
})

test('a critical order tells the team lead as well as its assignee', async () => {
  const order = (await t.call('operator', 'POST', '/api/work-orders', airCon('critical'))).body
  const leads = (await t.call('lead', 'GET', '/api/notifications')).body
  const notice = leads.items.find((n: any) => n.workOrderId === order.id && n.kind === 'assignment')
  assert.ok(notice)
  assert.is(notice.urgency, 'critical')
})

test('the queue is the service point\'s: sent is not printed until confirmed, a jam keeps the order waiting', async () => {
  const a = (await t.call('operator', 'POST', '/api/work-orders', airCon())).body
  const b = (await t.call('operator', 'POST', '/api/work-orders', airCon())).body
  assert.is(a.servicePoint.id, points.maintenance)
  let q = (await queue('lead', points.maintenance)).body
  assert.is(q.servicePoint.id, points.maintenance)
  const entry = (id: number) => q.waiting.find((w: any) => w.order.id === id)
  assert.ok(entry(a.id) && entry(b.id))
  assert.is(entry(a.id).sentAt, null)
  assert.not.ok((await queue('manager', points.other)).body.waiting.some((w: any) => w.order.id === a.id), "not in another point's queue")

  const pdf = await t.call('lead', 'GET', `/api/job-sheets.pdf?ids=${a.id},${b.id}`)
  assert.is(pdf.status, 200)
  assert.is(pdf.headers['content-type'], 'application/pdf')
  q = (await queue('lead', points.maintenance)).body
  assert.ok(entry(a.id).sentAt, 'sent to the printer')
  assert.is(entry(a.id).sentBy, '维修班长 王建国')
  assert.is(entry(a.id).order.printedAt, null, 'not printed until the station says so')

  // the printer jammed on b: only a is confirmed; b stays waiting, marked sent
  const confirmed = await t.call('lead', 'POST', '/api/job-sheets/printed', { ids: [a.id] })
  assert.equal([confirmed.status, confirmed.body.printed], [200, 1])
  q = (await queue('lead', points.maintenance)).body
  assert.not.ok(entry(a.id))
  assert.ok(entry(b.id).sentAt)
  const printed = q.history.find((h: any) => h.workOrderId === a.id)
  assert.ok(printed.printedAt)
  assert.equal([printed.printedBy, printed.reprint, printed.number], ['维修班长 王建国', false, a.number])
  assert.not.ok(q.history.some((h: any) => h.workOrderId === b.id), 'an unconfirmed first print is in the queue, not the history')

  // sent again after clearing the jam: still one entry, then confirmed
  await t.call('lead', 'GET', `/api/job-sheets.pdf?ids=${b.id}`)
  q = (await queue('lead', points.maintenance)).body
  assert.is(q.waiting.filter((w: any) => w.order.id === b.id).length, 1)
  await t.call('lead', 'POST', '/api/job-sheets/printed', { ids: [b.id] })
  q = (await queue('lead', points.maintenance)).body
  assert.not.ok(entry(b.id))
  assert.is(q.history.filter((h: any) => h.workOrderId === b.id).length, 1)
})

test('a reprint from the history is sent, shown unconfirmed in the history, then confirmed', async () => {
  const a = (await t.call('operator', 'POST', '/api/work-orders', airCon())).body
  await t.call('lead', 'GET', `/api/job-sheets.pdf?ids=${a.id}`)
  await t.call('lead', 'POST', '/api/job-sheets/printed', { ids: [a.id] })
  await t.call('manager', 'GET', `/api/job-sheets.pdf?ids=${a.id}`)
  let q = (await queue('lead', points.maintenance)).body
  assert.not.ok(q.waiting.some((w: any) => w.order.id === a.id), 'a reprint does not put the order back in the queue')
  const rows = q.history.filter((h: any) => h.workOrderId === a.id)
  assert.is(rows.length, 2)
  assert.equal([rows[0].reprint, rows[0].printedAt, rows[0].sentBy], [true, null, '后勤主任 刘芳'])
  await t.call('manager', 'POST', '/api/job-sheets/printed', { ids: [a.id] })
  q = (await queue('lead', points.maintenance)).body
  const again = q.history.filter((h: any) => h.workOrderId === a.id)
  assert.ok(again[0].printedAt)
  assert.is(again[0].printedBy, '后勤主任 刘芳')
  const timeline = (await t.call('operator', 'GET', `/api/work-orders/${a.id}`)).body.timeline
  assert.is(timeline.filter((e: any) => e.kind === 'printed').length, 2)
})

test("a team lead prints only at the team's own service points: 403 for another's; managers and admins any", async () => {
  const it = (await t.call('operator', 'POST', '/api/work-orders', { itemId: refs.item('inquiry.it'), locationId: refs.locationOf('5305'), urgency: 'routine', requester: { name: '护士' } })).body
  assert.is(it.team.name, '信息中心')
  assert.is((await queue('lead', points.other)).status, 403)
  assert.is((await t.call('lead', 'GET', `/api/job-sheets.pdf?ids=${it.id}`)).status, 403)
  assert.is((await t.call('lead', 'POST', '/api/job-sheets/printed', { ids: [it.id] })).status, 403)
  const q = (await queue('lead', points.other))
  assert.is(q.body.error, 'forbidden')
  assert.ok((await queue('manager', points.other)).body.waiting.some((w: any) => w.order.id === it.id))
  assert.is((await queue('admin', points.other)).status, 200)
  assert.is((await t.call('manager', 'GET', `/api/job-sheets.pdf?ids=${it.id}`)).status, 200)
  assert.is((await t.call('admin', 'POST', '/api/job-sheets/printed', { ids: [it.id] })).status, 200)
  assert.is((await t.call('lead', 'GET', '/api/job-sheets/queue?servicePointId=99999')).status, 404)
})

test.run()
