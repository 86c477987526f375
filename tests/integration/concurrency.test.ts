// Two people pressing the same button at the same moment: exactly one wins, nothing is lost.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startTestApp, demoRefs, type TestApp } from '../helpers/app.ts'

let t: TestApp
let refs: Awaited<ReturnType<typeof demoRefs>>
let cookie: string
test.before(async () => {
  t = await startTestApp()
  refs = await demoRefs(t)
  cookie = await t.login('operator')
})
test.after(async () => { await t.close() })

const newOrder = () => ({
  itemId: refs.item('transport.specimen'), locationId: refs.locationOf('3601'), urgency: 'critical',
  requester: { name: '护士 张敏', extension: '3601' }, description: '急查血气标本',
})

// real sockets, not inject: the requests really overlap in the server and the database
function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${t.base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', cookie, ...headers }, body: JSON.stringify(body) })
}

test('50 concurrent accepts of one order: exactly one succeeds, the rest answer 409', async () => {
  const { body: order } = await t.call('operator', 'POST', '/api/work-orders', newOrder())
  const answers = await Promise.all(Array.from({ length: 50 }, () => post(`/api/work-orders/${order.id}/transitions`, { action: 'accept', version: order.version, reason: '运送员电话接单' })))
  const codes = answers.map((a) => a.status)
  assert.is(codes.filter((c) => c === 200).length, 1, codes.join(','))
  assert.is(codes.filter((c) => c === 409).length, 49)
  const accepts = await t.db.db.selectFrom('work_order_event').select('id').where('work_order_id', '=', order.id).where('kind', '=', 'accept').execute()
  assert.is(accepts.length, 1, 'one accept on the timeline')
})

test('50 concurrent confirmed chases are all counted', async () => {
  const { body: order } = await t.call('operator', 'POST', '/api/work-orders', newOrder())
  const answers = await Promise.all(Array.from({ length: 50 }, () => post(`/api/work-orders/${order.id}/chases`, { confirm: true })))
  assert.ok(answers.every((a) => a.status === 201))
  const after = await t.call('operator', 'GET', `/api/work-orders/${order.id}`)
  assert.is(after.body.chaseCount, 50)
})

test('three clicks on 催单 in two seconds are one chase and two questions; confirmed, the second counts', async () => {
  const { body: order } = await t.call('operator', 'POST', '/api/work-orders', newOrder())
  const answers = await Promise.all(Array.from({ length: 3 }, () => post(`/api/work-orders/${order.id}/chases`, {})))
  const codes = answers.map((a) => a.status).sort()
  assert.equal(codes, [201, 409, 409])
  const refused = await Promise.all(answers.filter((a) => a.status === 409).map((a) => a.json()))
  assert.ok(refused.every((b) => b.error === 'chase_recent' && b.field === 'confirm' && b.chaseCount === 1))
  assert.is((await t.call('operator', 'GET', `/api/work-orders/${order.id}`)).body.chaseCount, 1, 'not escalated by a double click')
  assert.is((await post(`/api/work-orders/${order.id}/chases`, { confirm: true })).status, 201)
  assert.is((await t.call('operator', 'GET', `/api/work-orders/${order.id}`)).body.chaseCount, 2)
  // another desk chasing the same order is another person asking: counted without a question
  assert.is((await t.call('lead', 'POST', `/api/work-orders/${order.id}/chases`, {})).status, 201)
})

test('a retried Idempotency-Key gives one order, even when the retries overlap', async () => {
  const key = `desk-1-${Date.now()}`
  const answers = await Promise.all(Array.from({ length: 8 }, () => post('/api/work-orders', newOrder(), { 'idempotency-key': key })))
  const bodies = await Promise.all(answers.map((a) => a.json()))
  assert.ok(answers.every((a) => a.status === 201), answers.map((a) => a.status).join(','))
  assert.is(new Set(bodies.map((b) => b.id)).size, 1, 'all retries name the same order')
  const later = await post('/api/work-orders', newOrder(), { 'idempotency-key': key })
  assert.is((await later.json()).number, bodies[0].number)
  const rows = await t.db.db.selectFrom('work_order').select('id').where('idempotency_key', '=', key).execute()
  assert.is(rows.length, 1)
})

test('order numbers are unique and consecutive within the day under concurrent intake', async () => {
  const answers = await Promise.all(Array.from({ length: 12 }, () => post('/api/work-orders', newOrder())))
  const numbers = (await Promise.all(answers.map((a) => a.json()))).map((b) => b.number as string)
  assert.is(new Set(numbers).size, 12)
  const seq = numbers.map((n) => Number(n.slice(-4))).sort((a, b) => a - b)
  assert.is(seq[seq.length - 1]! - seq[0]!, 11, 'no gaps')
})

test('concurrent edits of one routing rule: one wins, the others are told it changed, nothing is lost silently', async () => {
  const admin = await t.login('admin')
  const rules = (await t.call('admin', 'GET', '/api/routing-rules')).body.items
  const rule = rules.find((r: any) => r.name === '餐饮')
  const { id, version, ...fields } = rule
  const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => fetch(`${t.base}/api/routing-rules/${id}`, {
    method: 'PUT', headers: { 'content-type': 'application/json', cookie: admin }, body: JSON.stringify({ ...fields, name: `餐饮 ${i}`, version }),
  })))
  const codes = answers.map((a) => a.status)
  assert.is(codes.filter((c) => c === 200).length, 1, codes.join(','))
  assert.is(codes.filter((c) => c === 409).length, 9)
  const winner = await answers.find((a) => a.status === 200)!.json()
  const now = (await t.call('admin', 'GET', '/api/routing-rules')).body.items.find((r: any) => r.id === id)
  assert.is(now.name, winner.name)
  assert.is(now.version, version + 1)
})

test.run()
