// Who may see and do what: every route × every role against the permission table, masked phone
// numbers, the audit log, sign-in throttling and lock-out, Origin checks and security headers.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import WebSocket from 'ws'
import { startTestApp, demoRefs, type TestApp, type DemoUser } from '../helpers/app.ts'
import { PERMISSIONS, allows } from '../../server/src/accounts/permissions.ts'
import type { Role } from '../../server/src/db/types.ts'

let t: TestApp
let refs: Awaited<ReturnType<typeof demoRefs>>
const routes: { method: string; url: string }[] = []
test.before(async () => {
  t = await startTestApp()
  refs = await demoRefs(t)
})
test.after(async () => { await t.close() })

const ROLE_OF: Record<DemoUser, Role> = { admin: 'admin', operator: 'operator', lead: 'team_lead', tech: 'technician', manager: 'manager', agent: 'callback_agent', handler: 'dept_handler' }

test('every registered API route has an entry in the permission table', async () => {
  const registered = t.app.services.routes
  // (a registered route without an entry already fails at start-up: see installAccessControl)
  for (const key of Object.keys(PERMISSIONS)) assert.ok(registered.includes(key), `${key} is in the table but no such route exists`)
  for (const key of registered) {
    const [method, url] = key.split(' ') as [string, string]
    routes.push({ method, url })
  }
  assert.ok(routes.length >= 30)
})

test('every route with every role (and none) answers 401/403 exactly as the table says', async () => {
  const { body: order } = await t.call('operator', 'POST', '/api/work-orders', { itemId: refs.item('repair.door'), locationId: refs.locationOf('3715'), urgency: 'routine', requester: { name: '护士' } })
  const users: (DemoUser | null)[] = [null, 'admin', 'operator', 'lead', 'tech', 'manager', 'agent', 'handler']
  let checked = 0
  for (const { method, url } of routes) {
    if (url === '/ws') continue
    const path = url.replace(':id', String(order.id)).replace(':number', '99999')
    for (const user of users) {
      const access = PERMISSIONS[`${method} ${url}`]!
      const res = await t.call(user, method, path, method === 'GET' || method === 'DELETE' ? undefined : {})
      const allowed = allows(access, user ? ROLE_OF[user] : undefined)
      if (!allowed) assert.is(res.status, user ? 403 : 401, `${user ?? 'anonymous'} ${method} ${url} → ${res.status}`)
      // this test server has no phone system: dialling is a 503 pbx_down to retry, not a fault
      else if (res.status === 503) assert.is(res.body.error, 'pbx_down', `${method} ${url} → 503 ${JSON.stringify(res.body)}`)
      else assert.ok(res.status !== 401 && res.status !== 403 && res.status < 500, `${user ?? 'anonymous'} ${method} ${url} → ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`)
      checked++
      // signing out ends that user's session: sign in again for the next routes
      if (method === 'DELETE' && url === '/api/session' && user) await t.login(user)
    }
  }
  assert.ok(checked > 200)
})

test('a technician sees the requester phone masked; the operator sees it whole and the look is audited', async () => {
  const created = await t.call('operator', 'POST', '/api/work-orders', {
    itemId: refs.item('repair.ac'), locationId: refs.locationOf('3512'), urgency: 'routine', requester: { name: '家属 陈先生', phone: '13812341234' },
  })
  assert.is(created.body.requester.phone, '13812341234')
  const asTech = await t.call('tech', 'GET', `/api/work-orders?status=open&teamId=${created.body.team.id}`)
  const seen = asTech.body.items.find((o: any) => o.id === created.body.id)
  assert.is(seen.requester.phone, '138****1234')
  await t.call('operator', 'GET', `/api/work-orders/${created.body.id}`)
  const log = await t.call('admin', 'GET', `/api/audit?subject=work_order:${created.body.id}`)
  assert.is(log.body.items[0].action, 'view_requester')
  assert.is(log.body.items[0].username, 'operator')
  // the card a board fetches shows the full number to a manager too: that look is audited as well
  await t.call('manager', 'GET', `/api/work-orders/${created.body.id}?brief=true`)
  const after = (await t.call('admin', 'GET', `/api/audit?subject=work_order:${created.body.id}`)).body.items
  assert.is(after.length, log.body.items.length + 1)
  assert.equal([after[0].username, after[0].detail], ['manager', { number: created.body.number, brief: true }])
})

test('the audit log cannot be edited or deleted, even by the database owner', async () => {
  await t.call('operator', 'GET', '/api/work-orders/1')
  for (const statement of ['UPDATE audit_log SET action = \'x\'', 'DELETE FROM audit_log']) {
    let refused = false
    try { await t.db.withScriptRunner((run) => run(statement)) } catch (err) { refused = /append-only/.test(String(err)) }
    assert.ok(refused, statement)
  }
})

test('five wrong passwords lock the account; sign-ins are throttled per address', async () => {
  for (let i = 0; i < 5; i++) assert.is((await t.call(null, 'POST', '/api/session', { username: 'handler', password: 'wrong' })).status, 401)
  const locked = await t.call(null, 'POST', '/api/session', { username: 'handler', password: 'demo' })
  assert.is(locked.status, 401)
  assert.is(locked.body.error, 'locked')
  const codes = []
  for (let i = 0; i < 12; i++) codes.push((await t.call(null, 'POST', '/api/session', { username: 'nobody', password: 'x' })).status)
  assert.ok(codes.includes(429), codes.join(','))
})

test('a state-changing request from another origin is refused; security headers are set', async () => {
  const res = await t.call('operator', 'POST', '/api/work-orders/1/chases', {}, { origin: 'https://evil.example' })
  assert.is(res.status, 403)
  assert.is(res.body.error, 'bad_origin')
  const health = await t.call(null, 'GET', '/api/health')
  assert.ok(health.headers['content-security-policy'])
  assert.is(health.headers['x-content-type-options'], 'nosniff')
})

test('/ws needs a session', async () => {
  const status = await new Promise<number>((resolve) => {
    const socket = new WebSocket(`ws://127.0.0.1:${t.port}/ws`)
    socket.on('unexpected-response', (_req, res) => { resolve(res.statusCode ?? 0); socket.terminate() })
    socket.on('open', () => { resolve(101); socket.terminate() })
    socket.on('error', () => {})
  })
  assert.is(status, 401)
})

test.run()
