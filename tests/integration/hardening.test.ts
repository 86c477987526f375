// Tried as an attacker would: racing the sign-in lock, telling accounts apart, NUL bytes anywhere,
// huge and hostile imports, a reused Idempotency-Key, a technician in no team, formulas in CSV cells.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startTestApp, demoRefs, type TestApp } from '../helpers/app.ts'
import { csvCell } from '../../server/src/http/csv.ts'

let t: TestApp
let refs: Awaited<ReturnType<typeof demoRefs>>
test.before(async () => { t = await startTestApp(); refs = await demoRefs(t) })
test.after(async () => { await t.close() })

// each test signs in from an address of its own, so the per-address throttle never hides the lock
const signIn = (username: string, password: string, ip: string) =>
  t.app.inject({ method: 'POST', url: '/api/session', payload: { username, password }, remoteAddress: ip })
const userId = async (username: string) => (await t.db.db.selectFrom('app_user').select('id').where('username', '=', username).executeTakeFirstOrThrow()).id
const countOrders = async () => Number((await t.db.db.selectFrom('work_order').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)
const order = () => ({ itemId: refs.item('repair.door'), locationId: refs.locationOf('3715'), urgency: 'routine', requester: { name: '护士 王' } })
const csvImport = (text: string) => t.call('manager', 'POST', '/api/work-orders/import', text, { 'content-type': 'text/csv' })

/** Signs in as an account made for the test (not a demo user) and answers its cookie. */
async function newAccount(body: Record<string, unknown>) {
  const created = await t.call('admin', 'POST', '/api/users', { password: 'secret-pass', displayName: String(body.username), ...body })
  assert.is(created.status, 201, JSON.stringify(created.body))
  const res = await signIn(String(body.username), 'secret-pass', '10.9.9.9')
  assert.is(res.statusCode, 200)
  return String(res.headers['set-cookie']).split(';')[0]!
}

// --- signing in ---

test('ten wrong passwords at once count ten, and the account is locked', async () => {
  const answers = await Promise.all(Array.from({ length: 10 }, () => signIn('agent', 'wrong', '10.0.0.1')))
  assert.equal(answers.map((a) => a.statusCode), Array(10).fill(401))
  const row = await t.db.db.selectFrom('app_user').select(['failed_logins', 'locked_until']).where('username', '=', 'agent').executeTakeFirstOrThrow()
  assert.is(row.failed_logins, 10)
  const right = await signIn('agent', 'demo', '10.0.0.2')
  assert.is(right.statusCode, 401)
  assert.is(right.json().error, 'locked')
})

test('nine wrong passwords at once, then the right one, does not sign in', async () => {
  const answers = await Promise.all(Array.from({ length: 9 }, () => signIn('handler', 'wrong', '10.0.1.1')))
  assert.equal(answers.map((a) => a.statusCode), Array(9).fill(401))
  const right = await signIn('handler', 'demo', '10.0.1.1')
  assert.is(right.statusCode, 401)
  assert.is(right.json().error, 'locked')
  assert.not.ok(right.headers['set-cookie'])
  const sessions = await t.db.db.selectFrom('user_session').select('token_hash').where('user_id', '=', await userId('handler')).execute()
  assert.is(sessions.length, 0)
})

test('a locked account and an unknown name get the same answer', async () => {
  for (let i = 0; i < 5; i++) assert.is((await signIn('ghost', 'wrong', '10.0.2.1')).statusCode, 401)
  const unknown = await signIn('ghost', 'wrong', '10.0.2.1')
  const locked = await signIn('agent', 'wrong', '10.0.2.2')
  assert.is(locked.json().error, 'locked')
  assert.is(unknown.statusCode, 401)
  assert.is(locked.statusCode, unknown.statusCode)
  assert.equal(Object.keys(locked.json()).sort(), Object.keys(unknown.json()).sort())
  assert.is(locked.json().error, unknown.json().error)
  assert.is(locked.json().field, unknown.json().field)
  // a wrong password for a name that exists and for one that does not
  const first = await signIn('nobody-at-all', 'wrong', '10.0.2.3')
  const known = await signIn('lead', 'wrong', '10.0.2.4')
  assert.is(first.statusCode, 401)
  assert.equal(first.json(), known.json())
})

test('an unknown name takes about as long to refuse as a wrong password', async () => {
  const timed = async (username: string, ip: string) => {
    const ms: number[] = []
    for (let i = 0; i < 4; i++) {
      const start = performance.now()
      assert.is((await signIn(username, `wrong-${i}`, ip)).statusCode, 401)
      ms.push(performance.now() - start)
    }
    return ms.sort((a, b) => a - b)[2]!
  }
  await newAccount({ username: 'timing', role: 'operator' })
  const known = await timed('timing', '10.0.3.1')
  const unknown = await timed('no-such-user', '10.0.3.2')
  assert.ok(unknown > known * 0.5, `unknown ${unknown.toFixed(1)} ms, known ${known.toFixed(1)} ms`)
})

test('the lock message names when it ends, in the hospital\'s local time, in Chinese with English beside it', async () => {
  const { locked_until } = await t.db.db.selectFrom('app_user').select('locked_until').where('username', '=', 'agent').executeTakeFirstOrThrow()
  const clock = (timeZone: string) => new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hour12: false }).format(locked_until!)
  const { message, messageEn } = (await signIn('agent', 'demo', '10.0.4.1')).json()
  assert.match(message, /[\u4e00-\u9fff]/)
  assert.ok(message.includes(clock(t.config.timeZone)), message)
  assert.not.ok(message.includes(clock('UTC')), message)
  assert.match(messageEn, /try again after/)
  assert.ok(messageEn.includes(clock(t.config.timeZone)), messageEn)
  assert.not.ok(messageEn.includes(clock('UTC')), messageEn)
})

test('an administrator unlocks an account; the unlock is audited; nobody else may', async () => {
  const id = await userId('agent')
  assert.is((await t.call('operator', 'POST', `/api/users/${id}/unlock`)).status, 403)
  const res = await t.call('admin', 'POST', `/api/users/${id}/unlock`)
  assert.is(res.status, 200)
  assert.is(res.body.wasLocked, true)
  assert.is((await signIn('agent', 'demo', '10.0.5.1')).statusCode, 200)
  const log = await t.call('admin', 'GET', `/api/audit?action=unlock_user&subject=app_user:${id}`)
  assert.is(log.body.items.length, 1)
  assert.is(log.body.items[0].username, 'admin')
  assert.is((await t.call('admin', 'POST', '/api/users/999999/unlock')).status, 404)
})

// --- NUL ---

test('a NUL in a query string, a path parameter or a header is a 400 naming the field', async () => {
  const cases: [string, string, string, string][] = [
    ['operator', 'GET', '/api/locations?q=%00', 'q'],
    ['operator', 'GET', '/api/locations?extension=35%0012', 'extension'],
    ['operator', 'GET', '/api/work-orders?extension=%00', 'extension'],
    ['operator', 'GET', '/api/calls?number=%00', 'number'],
    ['admin', 'GET', '/api/audit?username=%00', 'username'],
    ['admin', 'DELETE', '/api/extensions/%00', 'number'],
  ]
  for (const [user, method, url, field] of cases) {
    const res = await t.call(user as 'admin', method, url)
    assert.is(res.status, 400, `${method} ${url} → ${res.status}`)
    assert.is(res.body.field, field, url)
  }
  const before = await countOrders()
  const header = await t.call('operator', 'POST', '/api/work-orders', order(), { 'idempotency-key': 'key\u0000' })
  assert.is(header.status, 400)
  assert.is(header.body.field, 'idempotency-key')
  const body = await t.call('operator', 'POST', '/api/work-orders', { ...order(), description: 'a\u0000b' })
  assert.is(body.status, 400)
  assert.is(body.body.field, 'description')
  assert.is(await countOrders(), before)
})

test('a NUL inside an imported CSV or NDJSON row is a 422 naming the row and field, and nothing is imported', async () => {
  const before = await countOrders()
  const csv = await csvImport('createdAt,itemCode,extension,requesterName,status\n'
    + '2025-02-01T08:00:00+08:00,repair.door,3715,ok,new\n2025-02-01T09:00:00+08:00,repair.door,3715,bad\u0000name,new\n')
  assert.is(csv.status, 422)
  assert.equal(csv.body.rows[0], { row: 2, field: 'requesterName', message: 'requesterName contains a NUL character' })
  const ndjson = await t.call('manager', 'POST', '/api/work-orders/import',
    JSON.stringify({ createdAt: '2025-02-01T08:00:00+08:00', itemCode: 'repair.door', extension: '3715', requesterName: 'x', status: 'new', description: 'pipe\u0000' }) + '\n',
    { 'content-type': 'application/x-ndjson' })
  assert.is(ndjson.status, 422)
  assert.is(ndjson.body.rows[0].row, 1)
  assert.is(ndjson.body.rows[0].field, 'description')
  const number = await csvImport(`number,createdAt,itemCode,extension,requesterName,status\nWO-20250201-0001\u0000,2025-02-01T08:00:00+08:00,repair.door,3715,x,new\n`)
  assert.is(number.status, 422)
  assert.is(number.body.rows[0].field, 'number')
  assert.is(await countOrders(), before)
})

// --- imports ---

test('an import checks the lengths intake checks', async () => {
  const before = await countOrders()
  const long = 'x'.repeat(100_000)
  const res = await csvImport(`createdAt,itemCode,extension,requesterName,requesterPhone,status\n2025-02-01T08:00:00+08:00,repair.door,3715,${long},1381234,new\n`
    + `2025-02-01T08:00:00+08:00,repair.door,3715,ok,${'1'.repeat(31)},new\n`)
  assert.is(res.status, 422)
  assert.equal(res.body.rows.map((r: any) => [r.row, r.field]), [[1, 'requesterName'], [2, 'requesterPhone']])
  // what intake refuses for the same name
  assert.is((await t.call('operator', 'POST', '/api/work-orders', { ...order(), requester: { name: long.slice(0, 101) } })).status, 400)
  assert.is(await countOrders(), before)
})

const numberedRows = (n: number, day = '20250110') => {
  const lines = ['number,createdAt,itemCode,extension,requesterName,status']
  for (let i = 1; i <= n; i++) lines.push(`WO-${day}-${String(i).padStart(5, '0')},2025-01-10T08:00:00+08:00,repair.door,3715,h${i},new`)
  return lines
}

test('more than 65,535 rows with their own numbers: one bad row, nothing imported', async () => {
  const before = await countOrders()
  const lines = numberedRows(66_000)
  lines[lines.length - 1] = lines[lines.length - 1]!.replace('repair.door', 'no.such.item')
  const res = await csvImport(lines.join('\n'))
  assert.is(res.status, 422)
  assert.equal(res.body.rows, [{ row: 66_000, field: 'itemCode', message: 'unknown catalogue item "no.such.item"' }])
  assert.is(await countOrders(), before)
})

test('more than 65,535 rows with their own numbers are all imported, with their timelines', async () => {
  const before = await countOrders()
  const res = await csvImport(numberedRows(66_000, '20250111').join('\n'))
  assert.is(res.status, 201, JSON.stringify(res.body).slice(0, 300))
  assert.equal(res.body, { imported: 66_000, first: 'WO-20250111-00001', last: 'WO-20250111-66000' })
  assert.is(await countOrders(), before + 66_000)
  const events = await t.db.db.selectFrom('work_order_event').innerJoin('work_order', 'work_order.id', 'work_order_event.work_order_id')
    .select((eb) => eb.fn.countAll().as('n')).where('work_order.number', 'like', 'WO-20250111-%').where('kind', '=', 'imported').executeTakeFirstOrThrow()
  assert.is(Number(events.n), 66_000)
  // the day's counter moved past the file's numbers: the same numbers again are refused
  const again = await csvImport(numberedRows(3, '20250111').join('\n'))
  assert.is(again.status, 422)
  assert.is(again.body.rows[0].message, 'number WO-20250111-00001 exists already')
})

// --- Idempotency-Key ---

test('an Idempotency-Key reused with a different body is a 422; the same body gets the first order', async () => {
  const key = { 'idempotency-key': 'hardening-retry-1' }
  const first = await t.call('operator', 'POST', '/api/work-orders', order(), key)
  assert.is(first.status, 201)
  const retry = await t.call('operator', 'POST', '/api/work-orders', order(), key)
  assert.is(retry.status, 201)
  assert.is(retry.body.id, first.body.id)
  const before = await countOrders()
  const other = await t.call('operator', 'POST', '/api/work-orders', { ...order(), description: 'a different leak', urgency: 'urgent' }, key)
  assert.is(other.status, 422)
  assert.is(other.body.error, 'idempotency_key_reused')
  assert.is(other.body.field, 'Idempotency-Key')
  const otherPlace = await t.call('operator', 'POST', '/api/work-orders', { ...order(), locationId: refs.locationOf('3512') }, key)
  assert.is(otherPlace.status, 422)
  assert.is(await countOrders(), before)
  const stored = await t.db.db.selectFrom('work_order').select(['description', 'urgency']).where('id', '=', first.body.id).executeTakeFirstOrThrow()
  assert.equal(stored, { description: '', urgency: 'routine' })
})

// --- a technician in no team ---

test('a technician in no team lists only the orders assigned to them', async () => {
  const mine = await t.call('operator', 'POST', '/api/work-orders', order())
  const other = await t.call('operator', 'POST', '/api/work-orders', { ...order(), itemId: refs.item('cleaning.spill') })
  const person = await t.db.db.selectFrom('staff').select('id').where('active', '=', true).where('team_id', '!=', other.body.team.id).orderBy('id').executeTakeFirstOrThrow()
  const moved = await t.call('admin', 'POST', `/api/work-orders/${mine.body.id}/transitions`, { action: 'reassign', version: mine.body.version, assigneeId: person.id, reason: 'test' })
  assert.is(moved.status, 200, JSON.stringify(moved.body))
  const asRoamer = async (cookie: string) => (await t.app.inject({ method: 'GET', url: '/api/work-orders?limit=500', headers: { cookie } })).json().items as any[]

  const items = await asRoamer(await newAccount({ username: 'roamer', role: 'technician', staffId: person.id, teamId: null }))
  assert.ok(items.some((o) => o.id === mine.body.id))
  assert.not.ok(items.some((o) => o.id === other.body.id))
  assert.ok(items.every((o) => o.assignee?.id === person.id), JSON.stringify(items.map((o) => o.assignee)))
  assert.equal(await asRoamer(await newAccount({ username: 'nobodys', role: 'technician', teamId: null })), [])
})

// --- CSV exports ---

test('staff names that a spreadsheet would run as formulas are neutralised in the KPI CSV', async () => {
  const names = ['=HYPERLINK("http://evil.example","click")', '+1+1', '-2+3', '@SUM(A1)']
  const people = await t.db.db.selectFrom('staff').innerJoin('team', 'team.id', 'staff.team_id').select(['staff.id', 'team.code'])
    .where('staff.active', '=', true).orderBy('staff.id', 'desc').limit(names.length).execute()
  const lines = ['createdAt,itemCode,extension,requesterName,status,teamCode,assigneeName,completedAt']
  for (const [i, p] of people.entries()) {
    assert.is((await t.call('admin', 'PATCH', `/api/staff/${p.id}`, { name: names[i] })).status, 200)
    lines.push(['2025-03-03T08:00:00+08:00', 'repair.door', '3715', 'x', 'completed', p.code, `"${names[i]!.replace(/"/g, '""')}"`, '2025-03-03T09:00:00+08:00'].join(','))
  }
  assert.is((await csvImport(lines.join('\n'))).status, 201)

  const res = await t.call('manager', 'GET', '/api/kpi.csv?from=2025-03-01&to=2025-03-31&lang=en')
  assert.is(res.status, 200)
  assert.match(res.headers['content-type']!, /^text\/csv/)
  const text = String(res.body)
  for (const name of names) assert.ok(text.includes(csvCell(name)) && csvCell(name).startsWith(`"'`), `${name} in ${text}`)
  // no cell of the file starts with a formula character
  const cells = text.replace(/^\ufeff/, '').split(/\r\n/).flatMap((line) => line.match(/"(?:[^"]|"")*"/g) ?? [])
  assert.ok(cells.length > 10)
  assert.not.ok(cells.some((c) => /^"[=+\-@\t\r]/.test(c)), cells.filter((c) => /^"[=+\-@]/.test(c)).join(' '))
  assert.is(csvCell('\tcmd'), `"'\tcmd"`)
  assert.is(csvCell('\rcmd'), `"'\rcmd"`)
  assert.is(csvCell('plain "quoted"'), '"plain ""quoted"""')
  assert.is((await t.call('tech', 'GET', '/api/kpi.csv?from=2025-03-01&to=2025-03-31')).status, 403)
})

test.run()
