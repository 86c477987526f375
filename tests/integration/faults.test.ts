// The database blinks under load: its backends terminated, the network to it cut or refused, the
// embedded database closed. The server stays up, fails only the requests caught in it (503 with
// Retry-After, to be retried), loses nothing it acknowledged, and live events come back by themselves.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import net from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { PGlite } from '@electric-sql/pglite'
import { startTestApp, demoRefs, type TestApp } from '../helpers/app.ts'
import { createTestDatabase, TEST_DB, type TestDatabase } from '../helpers/db.ts'
import { openEmbedded, openPostgres } from '../../server/src/db/db.ts'
import { migrate } from '../../server/src/db/migrate.ts'
import { seedDemo } from '../../server/src/demo/seed.ts'
import { escalateOverdue } from '../../server/src/escalation/escalation.ts'

const CLIENTS = 8
// Between one desk's orders: 8 desks then file 100–150 orders a second, a hundred times a busy
// hotline. Flat out (about 1,000/s here) the live hub, which reads each event's card in turn, falls
// behind by seconds with or without a fault, and the time events take to resume would measure that.
const PAUSE_MS = 50

// an error nobody handled would end the server's process, which here is this one: count them instead
const escaped: unknown[] = []
const record = (err: unknown) => { escaped.push(err) }
test.before(() => { process.on('uncaughtException', record); process.on('unhandledRejection', record) })
test.after(() => { process.off('uncaughtException', record); process.off('unhandledRejection', record) })
const escapedText = () => escaped.map((e) => (e as Error)?.stack ?? String(e)).join('\n')

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

type Post = (key: string) => Promise<Response>
/** Files an order as a desk does, over a real socket, under an Idempotency-Key. */
const poster = (t: TestApp, cookie: string, order: object): Post => (key) => fetch(`${t.base}/api/work-orders`, {
  method: 'POST', headers: { 'content-type': 'application/json', cookie, 'idempotency-key': key }, body: JSON.stringify(order),
})

/** Desks filing orders, one every PAUSE_MS or so each, every one under its own Idempotency-Key; `0` counts no answer at all. */
function fileOrders(post: Post) {
  const statuses = new Map<number, number>()
  const acknowledged = new Map<string, string>() // key → order number
  const tried: string[] = []
  const badUnavailable: string[] = []
  let running = true
  let n = 0
  async function desk() {
    while (running) {
      const key = `fault-${process.pid}-${n++}`
      tried.push(key)
      const res = await post(key).catch(() => null)
      statuses.set(res?.status ?? 0, (statuses.get(res?.status ?? 0) ?? 0) + 1)
      if (!res) { await sleep(PAUSE_MS); continue }
      const body = await res.json()
      if (res.status === 201) acknowledged.set(key, body.number)
      if (res.status === 503 && (body.error !== 'unavailable' || !(body.retryAfter > 0) || res.headers.get('retry-after') !== String(body.retryAfter) || !body.message)) badUnavailable.push(JSON.stringify(body))
      await sleep(PAUSE_MS)
    }
  }
  const desks = Array.from({ length: CLIENTS }, desk)
  return {
    statuses, acknowledged, tried, badUnavailable,
    async stop() { running = false; await Promise.all(desks) },
  }
}
type Load = ReturnType<typeof fileOrders>

/** Files one order, retrying its key through 503s, and returns the time its event reached the board. */
async function probe(post: Post, board: Board, key: string, deadline: number) {
  for (;;) {
    const res = await post(key)
    if (res.status === 201) {
      const { id } = await res.json()
      const seen = await board.next((m) => m.type === 'workorder.created' && m.data.id === id, Math.max(1, deadline - Date.now()))
      return seen.receivedAt as number
    }
    if (Date.now() > deadline) throw new Error(`probe still ${res.status} at the deadline`)
    await sleep(50)
  }
}

type Board = Awaited<ReturnType<TestApp['connect']>>

/**
 * Three faults 0.3 s apart under the load. The board must hear each (the server reconnecting, then
 * told to re-sync) and then get a new order's event; returns how long that took each time, in ms.
 */
async function faultThrice(post: Post, board: Board, label: string, fault: (round: number) => Promise<void>) {
  const resumed: number[] = []
  for (let round = 0; round < 3; round++) {
    await sleep(300)
    const at = performance.now()
    await fault(round)
    await board.next((m) => m.type === 'live.status' && m.data.status === 'reconnecting', 5000)
    await board.next((m) => m.type === 'resync', 5000)
    resumed.push((await probe(post, board, `probe-${label}-${process.pid}-${round}`, Date.now() + 5000)) - at)
  }
  return resumed
}

const figure = (what: string, load: Load, resumed?: number[]) =>
  `${what}: ${load.tried.length} orders tried, ${load.acknowledged.size} acknowledged, answers ${JSON.stringify(Object.fromEntries(load.statuses))}, lost 0${resumed ? `, live events resumed in ${(Math.max(...resumed) / 1000).toFixed(2)} s` : ''}`

/** After the faults: nothing 5xx but 503, every 201 stored once, every key retried gives one order. */
async function assertNothingLost(load: Load, post: Post, check: TestDatabase['db']) {
  const codes = [...load.statuses.keys()]
  assert.ok(codes.every((c) => c === 201 || c === 503), `answers ${JSON.stringify([...load.statuses])}`)
  assert.equal(load.badUnavailable, [], 'every 503 says unavailable, with retryAfter and a Retry-After header')
  assert.ok(load.acknowledged.size > 0)
  const rows = await check.selectFrom('work_order').select(['idempotency_key', 'number']).where('idempotency_key', 'like', `fault-${process.pid}-%`).execute()
  const stored = new Map(rows.map((r) => [r.idempotency_key, r.number]))
  assert.is(rows.length, stored.size, 'no key stored twice')
  const lost = [...load.acknowledged].filter(([key, number]) => stored.get(key) !== number)
  assert.equal(lost, [], 'every acknowledged order is in the database with the number it was given')
  // a desk retries whatever got no 201: the same key gives the same order, and only one
  for (const key of load.tried) {
    const res = await post(key)
    assert.is(res.status, 201, `retry of ${key}`)
    const { number } = await res.json()
    if (load.acknowledged.has(key)) assert.is(number, load.acknowledged.get(key))
  }
  const after = await check.selectFrom('work_order').select('idempotency_key').where('idempotency_key', 'like', `fault-${process.pid}-%`).execute()
  assert.is(after.length, load.tried.length, 'one order per key after the retries')
}

/** A TCP proxy between the app and PostgreSQL that can cut every connection or refuse new ones. */
function tcpProxy() {
  const sockets = new Set<net.Socket>()
  let server: net.Server | null = null
  let port = 0
  return {
    get port() { return port },
    async start() {
      server = net.createServer((inbound) => {
        const outbound = net.connect(5432, '127.0.0.1')
        const end = () => { inbound.destroy(); outbound.destroy(); sockets.delete(inbound); sockets.delete(outbound) }
        for (const s of [inbound, outbound]) { sockets.add(s); s.on('error', end); s.on('close', end) }
        inbound.pipe(outbound)
        outbound.pipe(inbound)
      })
      await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve))
      port = (server.address() as net.AddressInfo).port
    },
    /** Every connection through the proxy dies at once, as a FIN or (`reset`) as an RST. */
    cut(reset = false) {
      const n = sockets.size / 2
      for (const s of [...sockets]) if (reset) s.resetAndDestroy(); else s.destroy()
      return n
    },
    /** Nothing listens on the port: connection attempts are refused. */
    async stop() {
      const closed = new Promise((resolve) => server!.close(resolve))
      this.cut()
      await closed
    },
  }
}

const waitFor = async (what: string, ok: () => Promise<boolean>, ms: number) => {
  const deadline = Date.now() + ms
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`)
    await sleep(25)
  }
}

/** The three answers a desk needs first, with the database unreachable: all 503 to retry, none 500. */
async function assertUnavailable(t: TestApp, order: object) {
  const cookie = await t.login('operator').catch(() => null)
  assert.is(cookie, null, 'sign-in cannot succeed without the database')
  const answers = [
    await t.call(null, 'POST', '/api/session', { username: 'operator', password: 'demo' }),
    await t.call('manager', 'GET', '/api/session'),
    await t.call('manager', 'POST', '/api/work-orders', order, { 'idempotency-key': `unreachable-${Date.now()}` }),
  ]
  for (const res of answers) {
    assert.is(res.status, 503, JSON.stringify(res.body))
    assert.is(res.body.error, 'unavailable')
    assert.is(res.headers['retry-after'], String(res.body.retryAfter))
    assert.match(res.body.message, /数据库/)
  }
}

const figures: string[] = []
test.after(() => { if (figures.length) console.log(`\n  faults: ${figures.join('; ')}`) })

if (TEST_DB === 'postgres') {
  test('backends terminated 3× under 8 desks filing orders: alive, only 503s, nothing acknowledged lost, live events back within 5 s', async () => {
    const t = await startTestApp()
    try {
      const refs = await demoRefs(t)
      const order = { itemId: refs.item('cleaning.spill'), locationId: refs.locationOf('2120'), urgency: 'urgent', requester: { name: '急诊护士' } }
      const post = poster(t, await t.login('operator'), order)
      const board = await t.connect('manager')
      const database = new URL(t.db.url!).pathname.slice(1)
      const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' })
      await admin.connect()
      const load = fileOrders(post)
      let resumed: number[] = []
      try {
        resumed = await faultThrice(post, board, 'terminate', async () => {
          const { rows } = await admin.query('SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database])
          assert.ok(rows[0].n >= 2, `terminated ${rows[0].n} backends (the LISTEN connection and the pool's)`)
        })
      } finally {
        await load.stop()
        await admin.end()
      }
      assert.is(escaped.length, 0, escapedText())
      assert.ok(Math.max(...resumed) < 5000, `live events resumed in ${resumed.map(Math.round).join(', ')} ms`)
      await assertNothingLost(load, post, t.db.db)
      const health = await t.call(null, 'GET', '/api/health')
      assert.is(health.status, 200)
      assert.is(health.body.live, 'up')
      figures.push(figure('backends terminated 3×', load, resumed))
    } finally {
      await t.close()
    }
  })

  test('a TCP proxy between app and database cut 3× and then down: 503s meanwhile, health not ok, everything back once it returns', async () => {
    const direct = await createTestDatabase()
    const proxy = tcpProxy()
    await proxy.start()
    const url = new URL(direct.url!)
    url.port = String(proxy.port)
    const proxied = await openPostgres(url.toString(), 4)
    const t = await startTestApp({}, { ...proxied, url: url.toString(), drop: () => proxied.close() })
    try {
      const refs = await demoRefs(t)
      const order = { itemId: refs.item('repair.ac'), locationId: refs.locationOf('3512'), urgency: 'routine', requester: { name: '病房护士' } }
      const post = poster(t, await t.login('operator'), order)
      const board = await t.connect('manager')
      const load = fileOrders(post)
      let resumed: number[] = []
      try {
        // the second cut as an RST, the others as a FIN
        resumed = await faultThrice(post, board, 'cut', async (round) => { assert.ok(proxy.cut(round === 1) >= 1, 'connections were cut') })
        // the database is unreachable: nothing listens where it was
        board.messages.splice(0)
        await proxy.stop()
        await waitFor('health says reconnecting', async () => {
          const res = await t.call(null, 'GET', '/api/health')
          return res.status === 503 && res.body.live === 'reconnecting' && res.body.status !== 'ok'
        }, 3000)
        await board.next((m) => m.type === 'live.status' && m.data.status === 'reconnecting', 1000)
        await assertUnavailable(t, order)
        await sleep(1000)
        const backAt = performance.now()
        await proxy.start()
        await waitFor('health ok again', async () => (await t.call(null, 'GET', '/api/health')).status === 200, 6000)
        await board.next((m) => m.type === 'resync', 1000)
        resumed.push((await probe(post, board, `probe-back-${process.pid}`, Date.now() + 5000)) - backAt)
      } finally {
        await load.stop()
      }
      assert.is(escaped.length, 0, escapedText())
      assert.ok(Math.max(...resumed) < 5000, `live events resumed in ${resumed.map(Math.round).join(', ')} ms`)
      assert.ok((load.statuses.get(503) ?? 0) > 0, 'the outage was felt as 503s')
      await assertNothingLost(load, post, direct.db)
      figures.push(figure('proxy cut 3× and down 1 s', load, resumed))
    } finally {
      await t.close()
      await proxy.stop().catch(() => {})
      await direct.drop()
    }
  })
}

if (TEST_DB === 'pglite') {
  test('the embedded database closing under 8 desks: alive, only 503s, a sweep fails instead of hanging, acknowledged orders on disk', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hotline-faults-'))
    const pglite = await PGlite.create(dataDir)
    const database = await openEmbedded(null, pglite)
    await migrate(database)
    await seedDemo(database.db, 'demo')
    const t = await startTestApp({}, { ...database, url: null, drop: () => database.close() })
    const refs = await demoRefs(t)
    const order = { itemId: refs.item('cleaning.spill'), locationId: refs.locationOf('2120'), urgency: 'urgent', requester: { name: '急诊护士' } }
    const load = fileOrders(poster(t, await t.login('operator'), order))
    try {
      await t.login('manager')
      await sleep(300)
      await pglite.close()
      await sleep(200)
      await load.stop()
      assert.is(escaped.length, 0, escapedText())
      assert.ok([...load.statuses.keys()].every((c) => c === 201 || c === 503), JSON.stringify([...load.statuses]))
      assert.ok((load.statuses.get(503) ?? 0) > 0, 'requests after the close were answered 503')
      await assertUnavailable(t, order)
      const health = await t.call(null, 'GET', '/api/health')
      assert.is(health.status, 503)
      assert.is(health.body.status, 'degraded')
      // a transaction on it fails at once, instead of waiting forever with its error left unhandled
      const sweep = await Promise.race([escalateOverdue(t.db.db, t.config.escalation).then(() => 'swept', () => 'failed'), sleep(2000).then(() => 'hung')])
      assert.is(sweep, 'failed')
      await sleep(50)
      assert.is(escaped.length, 0, escapedText())
    } finally {
      await load.stop()
      await t.close()
    }
    // the folder opened again holds every order that was acknowledged, each once
    const reopened = await openEmbedded(dataDir)
    const again = await startTestApp({}, { ...reopened, url: null, drop: () => reopened.close() })
    try {
      await assertNothingLost(load, poster(again, await again.login('operator'), order), reopened.db)
      figures.push(figure('embedded database closed under load', load))
    } finally {
      await again.close()
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
}

test.run()
