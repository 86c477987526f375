// A shift's edges through HTTP: the desk acting for a technician only with a reason (and the
// timeline saying so), and one search over number, requester, phone, place, extension and text.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startTestApp, demoRefs, type TestApp } from '../helpers/app.ts'

let t: TestApp
let refs: Awaited<ReturnType<typeof demoRefs>>
test.before(async () => {
  t = await startTestApp()
  refs = await demoRefs(t)
})
test.after(async () => { await t.close() })

const airCon = (extra: Record<string, unknown> = {}) => ({
  itemId: refs.item('repair.ac'), locationId: refs.locationOf('3512'), urgency: 'urgent',
  description: '512室空调不制冷，病人发热', requester: { name: '护士 王丽', phone: '139-1234-5678', extension: '3512' }, ...extra,
})
const move = (user: 'operator' | 'tech' | 'lead', id: number, body: Record<string, unknown>) => t.call(user, 'POST', `/api/work-orders/${id}/transitions`, body)

test("the desk's accept without a reason is a 400 naming reason, and changes nothing", async () => {
  const { body: order } = await t.call('operator', 'POST', '/api/work-orders', airCon())
  const res = await move('operator', order.id, { action: 'accept', version: order.version })
  assert.is(res.status, 400)
  assert.is(res.body.field, 'reason')
  const after = await t.call('operator', 'GET', `/api/work-orders/${order.id}`)
  assert.is(after.body.status, 'dispatched')
  assert.is(after.body.version, order.version)
})

test('accept, arrive and complete by the desk are recorded as done on behalf of the assignee, with the reason', async () => {
  const { body: order } = await t.call('operator', 'POST', '/api/work-orders', airCon())
  let v = order.version
  for (const action of ['accept', 'arrive', 'complete']) {
    const res = await move('operator', order.id, { action, version: v, reason: '李明手机没电，电话报告' })
    assert.is(res.status, 200, JSON.stringify(res.body))
    v = res.body.version
  }
  const full = await t.call('operator', 'GET', `/api/work-orders/${order.id}`)
  const steps = full.body.timeline.filter((e: any) => ['accept', 'arrive', 'complete'].includes(e.kind))
  assert.is(steps.length, 3)
  for (const e of steps) {
    assert.is(e.onBehalfOf, order.assignee.name)
    assert.is(e.note, '李明手机没电，电话报告')
    assert.ok(e.actor && e.actor !== order.assignee.name, 'the operator stays the actor')
  }
  assert.is(full.body.timeline.find((e: any) => e.kind === 'created').onBehalfOf, null)
})

test("the technician's own accept is theirs: no reason needed, nobody's behalf", async () => {
  const { body: order } = await t.call('operator', 'POST', '/api/work-orders', airCon())
  const mine = order.assignee.name === '李明' ? order : (await t.call('operator', 'POST', '/api/work-orders', airCon())).body
  assert.is(mine.assignee.name, '李明')
  const res = await move('tech', mine.id, { action: 'accept', version: mine.version })
  assert.is(res.status, 200, JSON.stringify(res.body))
  const full = await t.call('tech', 'GET', `/api/work-orders/${mine.id}`)
  assert.is(full.body.timeline.find((e: any) => e.kind === 'accept').onBehalfOf, null)
})

test('a lead acting for nobody (an order in the team pool) is a 409 no_assignee', async () => {
  const { body: order } = await t.call('operator', 'POST', '/api/work-orders', airCon())
  // put it back in the pool the way the database would leave it when nobody was on duty
  await t.db.db.updateTable('work_order').set({ assignee_id: null }).where('id', '=', order.id).execute()
  const res = await move('operator', order.id, { action: 'accept', version: order.version, reason: '电话接单' })
  assert.is(res.status, 409)
  assert.is(res.body.error, 'no_assignee')
})

test('search finds an order by number, requester name, phone digits, place, extension and description', async () => {
  const { body: order } = await t.call('operator', 'POST', '/api/work-orders', airCon({ description: '冷凝水滴到病床上 XJ-77', requester: { name: '护士 欧阳青', phone: '137 0000 4242', extension: '3512' } }))
  const find = async (q: string, user: 'operator' | 'tech' = 'operator') =>
    (await t.call(user, 'GET', `/api/work-orders?q=${encodeURIComponent(q)}&limit=500`)).body.items.map((o: any) => o.number) as string[]
  for (const q of [order.number, order.number.slice(-4), '欧阳青', '13700004242', '0000 4242', order.location.fullName, '512', '3512', 'xj-77']) {
    assert.ok((await find(q)).includes(order.number), `found by ${q}`)
  }
  assert.not.ok((await find('没有这样的工单 %_')).length, 'LIKE wildcards are plain text')
})

test('a technician searching a phone number does not learn whose it is; by name they see it masked', async () => {
  const { body: order } = await t.call('operator', 'POST', '/api/work-orders', airCon({ requester: { name: '护士 司马兰', phone: '13655556666', extension: '3512' } }))
  const byPhone = await t.call('tech', 'GET', '/api/work-orders?q=13655556666')
  assert.is(byPhone.status, 200)
  assert.is(byPhone.body.items.length, 0)
  const byName = await t.call('tech', 'GET', `/api/work-orders?q=${encodeURIComponent('司马兰')}`)
  const seen = byName.body.items.find((o: any) => o.number === order.number)
  assert.ok(seen, 'the technician finds their team order by name')
  assert.is(seen.requester.phone, '136****6666')
})

test.run()
