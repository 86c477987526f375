// Crash test: against real PostgreSQL, fire a few hundred concurrent order creations with
// idempotency keys, kill -9 the server mid-flight, restart it, retry every key, and check that
// every order the server acknowledged exists exactly once with a complete timeline.
//   npx tsx scripts/crash-test.ts [orders=300] [concurrency=32]
import { spawn, type ChildProcess } from 'node:child_process'
import pg from 'pg'

const ORDERS = Number(process.argv[2] ?? 300)
const CONCURRENCY = Number(process.argv[3] ?? 32)
const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const DB_NAME = `hotline_crash_${process.pid}`
const PORT = 3900 + (process.pid % 90)
const base = `http://127.0.0.1:${PORT}`
const dbUrl = (() => { const u = new URL(ADMIN_URL); u.pathname = `/${DB_NAME}`; return u.toString() })()

async function admin(sqlText: string) {
  const c = new pg.Client({ connectionString: ADMIN_URL })
  await c.connect()
  try { await c.query(sqlText) } finally { await c.end() }
}

function startServer(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    env: { ...process.env, DATABASE_URL: dbUrl, DEMO: '1', PORT: String(PORT), HOST: '127.0.0.1', LOG_LEVEL: 'error', WEB_DIR: '/nonexistent' },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 30_000
    const poll = async () => {
      try { if ((await fetch(`${base}/api/health`)).ok) return resolve(child) } catch { /* not up yet */ }
      if (Date.now() > deadline) return reject(new Error('server did not start'))
      setTimeout(poll, 100)
    }
    void poll()
  })
}

async function login() {
  const res = await fetch(`${base}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'operator', password: 'demo' }) })
  return res.headers.get('set-cookie')!.split(';')[0]!
}

await admin(`DROP DATABASE IF EXISTS ${DB_NAME}`)
await admin(`CREATE DATABASE ${DB_NAME}`)
let server = await startServer()
let cookie = await login()
const refs = await (await fetch(`${base}/api/catalogue`, { headers: { cookie } })).json()
const item = refs.categories[0].items[0].id
const location = (await (await fetch(`${base}/api/locations?extension=3512`, { headers: { cookie } })).json()).items[0].id

const acknowledged = new Map<string, string>() // key → order number
const keys = Array.from({ length: ORDERS }, (_, i) => `crash-${process.pid}-${i}`)
const create = (key: string) => fetch(`${base}/api/work-orders`, {
  method: 'POST', headers: { 'content-type': 'application/json', cookie, 'idempotency-key': key },
  body: JSON.stringify({ itemId: item, locationId: location, urgency: 'routine', requester: { name: '压力测试' }, description: key }),
})

// fire with a bounded number in flight; kill -9 once about half are acknowledged
let next = 0
let killed = false
async function worker() {
  while (next < keys.length) {
    const key = keys[next++]!
    try {
      const res = await create(key)
      if (res.status === 201) acknowledged.set(key, (await res.json()).number)
    } catch { /* the server died under us: this one was never acknowledged */ }
    if (!killed && acknowledged.size >= ORDERS / 2) { killed = true; server.kill('SIGKILL') }
  }
}
await Promise.all(Array.from({ length: CONCURRENCY }, worker))
const beforeCrash = acknowledged.size
console.log(`killed the server (SIGKILL) after ${beforeCrash} acknowledged orders`)

server = await startServer()
cookie = await login()
// the clients retry every key, as a desk would after a network error
const retried = new Map<string, string>()
for (let i = 0; i < keys.length; i += CONCURRENCY) {
  await Promise.all(keys.slice(i, i + CONCURRENCY).map(async (key) => {
    const res = await create(key)
    if (res.status !== 201) throw new Error(`retry of ${key} answered ${res.status}`)
    retried.set(key, (await res.json()).number)
  }))
}

const c = new pg.Client({ connectionString: dbUrl })
await c.connect()
const rows = (await c.query(`SELECT idempotency_key, count(*)::int AS n, min(number) AS number,
  bool_and((SELECT count(*) FROM work_order_event e WHERE e.work_order_id = w.id AND e.kind IN ('created', 'dispatched')) = 2) AS timeline_ok
  FROM work_order w WHERE idempotency_key LIKE 'crash-%' GROUP BY idempotency_key`)).rows
await c.end()
const byKey = new Map(rows.map((r) => [r.idempotency_key, r]))
let lost = 0, duplicated = 0, changed = 0, brokenTimelines = 0
for (const [key, number] of acknowledged) {
  const row = byKey.get(key)
  if (!row) lost++
  else if (row.number !== number || retried.get(key) !== number) changed++
}
for (const r of rows) { if (r.n > 1) duplicated++; if (!r.timeline_ok) brokenTimelines++ }

server.kill('SIGTERM')
await new Promise((r) => server.once('exit', r))
await admin(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`)
console.log(`orders ${keys.length}, acknowledged ${acknowledged.size}, lost ${lost}, duplicated ${duplicated}, answer changed ${changed}, incomplete timelines ${brokenTimelines}, stored ${rows.length}`)
process.exit(lost + duplicated + changed + brokenTimelines === 0 && rows.length === keys.length ? 0 : 1)
