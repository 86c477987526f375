// Bad input gets a clear 4xx naming the field, nothing is half-written, and roles are enforced.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startTestApp, demoRefs, type TestApp } from '../helpers/app.ts'

let t: TestApp
let refs: Awaited<ReturnType<typeof demoRefs>>
test.before(async () => { t = await startTestApp(); refs = await demoRefs(t) })
test.after(async () => { await t.close() })

const valid = () => ({ itemId: refs.item('cleaning.spill'), locationId: refs.locationOf('2120'), urgency: 'urgent', requester: { name: '急诊护士' } })
const countOrders = async () => Number((await t.db.db.selectFrom('work_order').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)

test('health answers without a session and names the database', async () => {
  const res = await t.call(null, 'GET', '/api/health')
  assert.is(res.status, 200)
  assert.is(res.body.status, 'ok')
  assert.is(res.body.db, process.env.TEST_DB === 'postgres' ? 'postgres' : 'pglite')
})

test('no session: 401; wrong role: 403; wrong password: 401 naming the field', async () => {
  assert.is((await t.call(null, 'GET', '/api/work-orders')).status, 401)
  assert.is((await t.call('agent', 'POST', '/api/work-orders', valid())).status, 403)
  assert.is((await t.call('tech', 'POST', '/api/work-orders/import', 'a,b\n1,2', { 'content-type': 'text/csv' })).status, 403)
  const bad = await t.call(null, 'POST', '/api/session', { username: 'operator', password: 'nope' })
  assert.is(bad.status, 401)
  assert.is(bad.body.field, 'password')
})

test('a session can be read and ended', async () => {
  const cookie = await t.login('manager')
  const me = await t.app.inject({ method: 'GET', url: '/api/session', headers: { cookie } })
  assert.is(me.json().user.role, 'manager')
  assert.match(String((await t.app.inject({ method: 'POST', url: '/api/session', payload: { username: 'manager', password: 'demo' } })).headers['set-cookie']), /HttpOnly/i)
  assert.is((await t.app.inject({ method: 'DELETE', url: '/api/session', headers: { cookie } })).statusCode, 204)
  assert.is((await t.app.inject({ method: 'GET', url: '/api/session', headers: { cookie } })).statusCode, 401)
})

test('each malformed order is a 400 naming the field, and no order is written', async () => {
  const before = await countOrders()
  const cases: [unknown, string][] = [
    [{ ...valid(), itemId: 'abc' }, 'itemId'],
    [{ ...valid(), urgency: 'whenever' }, 'urgency'],
    [{ ...valid(), requester: {} }, 'requester.name'],
    [{ ...valid(), requester: { name: 'x', phone: "1'; DROP TABLE work_order;--" } }, 'requester.phone'],
    [{ ...valid(), requestedAt: 'tomorrow' }, 'requestedAt'],
    [{ ...valid(), description: 'x'.repeat(5000) }, 'description'],
    [{ ...valid(), colour: 'red' }, 'colour'],
    [{ ...valid(), itemId: 999999 }, 'itemId'],
    [{ ...valid(), locationId: 999999 }, 'locationId'],
  ]
  for (const [body, field] of cases) {
    const res = await t.call('operator', 'POST', '/api/work-orders', body)
    assert.is(res.status, 400, `${field}: ${JSON.stringify(res.body)}`)
    assert.is(res.body.field, field)
    // a schema refusal: Chinese first, naming the field; the English beside it
    if (res.body.error === 'validation') {
      assert.match(res.body.message, /[\u4e00-\u9fff]/, `${field}: ${res.body.message}`)
      assert.ok(res.body.message.includes(field), `${field}: ${res.body.message}`)
      assert.type(res.body.messageEn, 'string')
    }
  }
  const tooLong = await t.call('operator', 'POST', '/api/work-orders', { ...valid(), description: 'x'.repeat(5000) })
  assert.match(tooLong.body.message, /^description 最多 \d+ 个字符$/)
  assert.match(tooLong.body.messageEn, /^description must NOT have more than \d+ characters$/)
  assert.is((await t.call('operator', 'POST', '/api/work-orders', { ...valid(), colour: 'red' })).body.message, 'colour 不是可接受的字段')
  const broken = await t.call('operator', 'POST', '/api/work-orders', '{"itemId": 1,', { 'content-type': 'application/json' })
  assert.is(broken.status, 400)
  assert.is(await countOrders(), before)
})

test('unknown order: 404; reason required for cancel: 400', async () => {
  assert.is((await t.call('operator', 'GET', '/api/work-orders/99999')).status, 404)
  const { body: order } = await t.call('operator', 'POST', '/api/work-orders', valid())
  const res = await t.call('operator', 'POST', `/api/work-orders/${order.id}/transitions`, { action: 'cancel', version: order.version })
  assert.is(res.status, 400)
  assert.is(res.body.field, 'reason')
})

test('a description with HTML comes back exactly as typed (the screens show it as text)', async () => {
  const res = await t.call('operator', 'POST', '/api/work-orders', { ...valid(), description: '<img src=x onerror=alert(1)>' })
  assert.is(res.body.description, '<img src=x onerror=alert(1)>')
})

test('a bad import is rejected whole with per-row errors', async () => {
  const before = await countOrders()
  const csv = [
    'itemCode,extension,requesterName,status,createdAt,completedAt',
    'repair.ac,3512,甲,completed,2026-01-05T09:00:00+08:00,2026-01-05T10:00:00+08:00',
    'no.such.item,3512,乙,completed,2026-01-05T09:00:00+08:00,2026-01-05T10:00:00+08:00',
    'repair.ac,0000,丙,completed,2026-01-05T09:00:00+08:00,',
    'repair.ac,3512,丁,completed,yesterday,2026-01-05T10:00:00+08:00',
  ].join('\n')
  const res = await t.call('admin', 'POST', '/api/work-orders/import', csv, { 'content-type': 'text/csv' })
  assert.is(res.status, 422)
  const byRow = res.body.rows.map((r: any) => `${r.row}:${r.field}`)
  assert.ok(byRow.includes('2:itemCode'), byRow.join(' '))
  assert.ok(byRow.includes('3:extension'))
  assert.ok(byRow.includes('3:completedAt'))
  assert.ok(byRow.includes('4:createdAt'))
  assert.ok(!byRow.some((r: string) => r.startsWith('1:')), 'the good row has no error')
  assert.is(await countOrders(), before, 'nothing imported')

  const good = await t.call('admin', 'POST', '/api/work-orders/import', csv.split('\n').slice(0, 2).join('\n'), { 'content-type': 'text/csv' })
  assert.is(good.status, 201)
  assert.is(good.body.imported, 1)
  assert.match(good.body.first, /^WO-20260105-\d{4}$/)
})

test('null stays null: an optional phone sent as null is stored as null, not as an empty string', async () => {
  const res = await t.call('operator', 'POST', '/api/work-orders', { ...valid(), requester: { name: '护士', phone: null, extension: null }, callId: null })
  assert.is(res.status, 201)
  assert.is(res.body.requester.phone, null)
  assert.is(res.body.requester.extension, null)
  assert.is(res.body.callId, null)
})

test.run()
