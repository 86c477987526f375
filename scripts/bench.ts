// npm run bench — measures the desk against the machine's own limits, each figure beside a
// baseline measured in the same run, and prints one table. `--smoke` runs for seconds (CI).
//   DATABASE_URL / TEST_DATABASE_URL: the PostgreSQL server to create the bench databases on
import os from 'node:os'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import WebSocket, { WebSocketServer } from 'ws'
import { adminQuery, databaseUrl, fmt, load, percentile, printTable, signIn, startServer, type Row } from './bench/lib.ts'
import { KeepAliveConnection } from './bench/http.ts'
import { amiRows } from './bench/ami.ts'
import { stallRows } from './bench/stall.ts'
import { hl7Rows } from './bench/hl7.ts'
import { smsRows } from './bench/sms.ts'
import { dialerRows } from './bench/dialer.ts'

const smoke = process.argv.includes('--smoke')
const ADMIN_URL = process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const DB = `hotline_bench_${process.pid}`
const url = databaseUrl(ADMIN_URL, DB)
const SECONDS = smoke ? 1 : 8
const WS_CLIENTS = smoke ? 20 : 1000
const HISTORY = smoke ? 20_000 : 2_000_000
const SHEETS = smoke ? 10 : 100
const rows: Row[] = []
const verdict = (ok: boolean, miss: string) => (ok ? 'met' : `missed: ${miss}`)

console.log(`Hotline 100 bench${smoke ? ' (smoke)' : ''} — ${os.cpus().length} × ${os.cpus()[0]?.model}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`)
await adminQuery(ADMIN_URL, `DROP DATABASE IF EXISTS ${DB}`)
await adminQuery(ADMIN_URL, `CREATE DATABASE ${DB}`)
const pgVersion = (await adminQuery(ADMIN_URL, 'SHOW server_version')).rows[0].server_version
console.log(`PostgreSQL ${pgVersion}`)

const server = await startServer({ DATABASE_URL: url, DEMO: '1' }, 3850)
const cookie = await signIn(server.base, 'operator')
const json = { 'content-type': 'application/json', cookie }
const catalogue = await (await fetch(`${server.base}/api/catalogue`, { headers: { cookie } })).json()
const item = catalogue.categories[0].items[0].id
const location = (await (await fetch(`${server.base}/api/locations?extension=3512`, { headers: { cookie } })).json()).items[0].id
const orderBody = JSON.stringify({ itemId: item, locationId: location, urgency: 'routine', requester: { name: '基准测试', phone: '13800000000', extension: '3512' }, description: '空调不制冷' })

// --- bare baselines through pg
const bare = new pg.Pool({ connectionString: url, max: 32 })
const operatorId = (await bare.query(`SELECT id FROM app_user WHERE username = 'operator'`)).rows[0].id as number
await bare.query('CREATE TABLE bench_bare (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payload text NOT NULL, v integer NOT NULL DEFAULT 0)')

// 1. intake. Each load loop keeps one keep-alive connection, as a desk's browser does. Beside the
// bare INSERT, two more references at the same concurrency: the HTTP floor, the cheapest request
// the server answers (GET /api/health: one `SELECT 1`), and the database ceiling, the intake
// function alone called through pg (routing, assignee, number, order, timeline, live event).
let rssPeak = 0
const rssTimer = setInterval(() => { rssPeak = Math.max(rssPeak, server.rssKb()) }, 100)
const connections = (n: number) => Array.from({ length: n }, () => KeepAliveConnection.fromUrl(server.base))
{
  // a second of intake first, not counted: the server's JIT and each connection's prepared statements warm up
  const warm = connections(8)
  await load(8, smoke ? 0.2 : 1, async (_i, loop) => { await warm[loop]!.request('POST', '/api/work-orders', json, orderBody) })
  for (const conn of warm) conn.close()
}
for (const c of [8, 32]) {
  const base = await load(c, SECONDS, async () => { await bare.query('INSERT INTO bench_bare (payload) VALUES ($1) RETURNING id', [orderBody]) })
  const ceiling = await load(c, SECONDS, async () => {
    await bare.query({ name: 'intake', text: 'SELECT * FROM create_work_order($1::jsonb, $2, $3, $4)', values: [orderBody, operatorId, 'bench', 'Asia/Shanghai'] })
  })
  const conns = connections(c)
  const floor = await load(c, SECONDS, async (_i, loop) => {
    const res = await conns[loop]!.request('GET', '/api/health', {})
    if (res.status !== 200) throw new Error(`health ${res.status}`)
  })
  const intake = await load(c, SECONDS, async (_i, loop) => {
    const res = await conns[loop]!.request('POST', '/api/work-orders', json, orderBody)
    if (res.status !== 201) throw new Error(`intake ${res.status} ${res.body}`)
  })
  for (const conn of conns) conn.close()
  const share = intake.perSecond / base.perSecond
  rows.push({
    name: `intake, ${c} clients`, figure: `${fmt(intake.perSecond, 0)}/s p50 ${fmt(intake.p50)} ms p99 ${fmt(intake.p99)} ms`,
    baseline: `bare INSERT ${fmt(base.perSecond, 0)}/s p50 ${fmt(base.p50)} p99 ${fmt(base.p99)}; HTTP floor ${fmt(floor.perSecond, 0)}/s; intake function alone ${fmt(ceiling.perSecond, 0)}/s p50 ${fmt(ceiling.p50)}`,
    target: c === 8 ? '≥ 50% of bare, p99 ≤ 20 ms' : '≥ 50% of bare',
    verdict: verdict(share >= 0.5 && (c !== 8 || intake.p99 <= 20), `${fmt(share * 100, 0)}% of bare${c === 8 ? `, p99 ${fmt(intake.p99)} ms` : ''}`),
  })
}
clearInterval(rssTimer)

// 2. transitions: accept → arrive → complete on fresh orders
{
  const open = (await (await fetch(`${server.base}/api/work-orders?status=dispatched&limit=500`, { headers: { cookie } })).json()).items as { id: number; version: number }[]
  const steps = ['accept', 'arrive', 'complete']
  const state = open.map((o) => ({ id: o.id, version: o.version, step: 0 }))
  let cursor = 0
  const conns = connections(8)
  const moves = await load(8, SECONDS, async (_i, loop) => {
    const o = state[cursor++ % state.length]!
    if (o.step >= steps.length) return
    // a step claims the order before it goes, so two loops never move one order at once
    const step = o.step++
    const res = await conns[loop]!.request('POST', `/api/work-orders/${o.id}/transitions`, json, JSON.stringify({ action: steps[step], version: o.version, reason: 'bench' }))
    if (res.status !== 200) throw new Error(`transition ${res.status} ${res.body}`)
    o.version = JSON.parse(res.body).version
  }, state.length * steps.length)
  for (const conn of conns) conn.close()
  const ids = (await bare.query('SELECT id FROM bench_bare LIMIT 500')).rows.map((r) => r.id)
  const base = await load(8, SECONDS, async () => { await bare.query('UPDATE bench_bare SET v = v + 1 WHERE id = $1 RETURNING v', [ids[Math.floor(Math.random() * ids.length)]]) }, moves.count * 4)
  rows.push({
    name: 'transitions, 8 clients', figure: `${fmt(moves.perSecond, 0)}/s p50 ${fmt(moves.p50)} ms p99 ${fmt(moves.p99)} ms`,
    baseline: `bare UPDATE ${fmt(base.perSecond, 0)}/s p50 ${fmt(base.p50)} p99 ${fmt(base.p99)}`, target: '≥ 50% of bare',
    verdict: verdict(moves.perSecond >= base.perSecond / 2, `${fmt((moves.perSecond / base.perSecond) * 100, 0)}% of bare`),
  })
}

// 3. live fan-out to WS_CLIENTS sockets: request start → last client has the change. Each socket
// also plays a board: the time it has the changed card to show, from the event itself when the
// event carries it, else from its own GET of the order (what a board without it must do).
{
  const board = await signIn(server.base, 'manager')
  const sockets: WebSocket[] = []
  const received = new Map<number, number[]>()
  const shown = new Map<number, number[]>()
  for (let i = 0; i < WS_CLIENTS; i++) {
    const s = new WebSocket(`${server.base.replace('http', 'ws')}/ws`, { headers: { cookie: board } })
    const http = KeepAliveConnection.fromUrl(server.base)
    s.on('message', async (raw) => {
      const m = JSON.parse(String(raw))
      if (m.type !== 'workorder.chased') return
      const k = m.data.chaseCount as number
      received.get(k)?.push(performance.now())
      let card = m.data.order
      if (!card) card = JSON.parse((await http.request('GET', `/api/work-orders/${m.data.id}?brief=true`, { cookie: board })).body)
      if (card.chaseCount === k) shown.get(k)?.push(performance.now())
    })
    s.once('close', () => http.close())
    await new Promise((r) => s.once('open', r))
    sockets.push(s)
  }
  const target = (await (await fetch(`${server.base}/api/work-orders?status=dispatched&limit=1`, { headers: { cookie } })).json()).items[0]
  const lat: number[] = []
  const boardLat: number[] = []
  for (let k = 1; k <= (smoke ? 5 : 30); k++) {
    received.set(k, [])
    shown.set(k, [])
    const t0 = performance.now()
    await fetch(`${server.base}/api/work-orders/${target.id}/chases`, { method: 'POST', headers: json, body: '{}' })
    while (shown.get(k)!.length < WS_CLIENTS && performance.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 1))
    lat.push(Math.max(...received.get(k)!) - t0)
    boardLat.push(Math.max(...shown.get(k)!) - t0)
  }
  for (const s of sockets) s.terminate()
  // the same message size broadcast by a bare ws server in this process
  const wss = new WebSocketServer({ port: 3851 })
  const bareClients: WebSocket[] = []
  let got = 0
  for (let i = 0; i < WS_CLIENTS; i++) {
    const s = new WebSocket('ws://127.0.0.1:3851')
    s.on('message', () => { got++ })
    await new Promise((r) => s.once('open', r))
    bareClients.push(s)
  }
  const message = JSON.stringify({ type: 'workorder.chased', data: { id: 1, number: 'WO-20261123-0001', status: 'dispatched', version: 9, teamId: 1, assigneeId: 1, chaseCount: 1 }, at: new Date().toISOString(), seq: 1 })
  const bareLat: number[] = []
  for (let k = 0; k < (smoke ? 5 : 30); k++) {
    got = 0
    const t0 = performance.now()
    for (const c of wss.clients) c.send(message)
    while (got < WS_CLIENTS) await new Promise((r) => setImmediate(r))
    bareLat.push(performance.now() - t0)
  }
  for (const s of bareClients) s.terminate()
  wss.close()
  lat.sort((a, b) => a - b); bareLat.sort((a, b) => a - b); boardLat.sort((a, b) => a - b)
  rows.push({
    name: `live fan-out, ${WS_CLIENTS} sockets`, figure: `p50 ${fmt(percentile(lat, 50))} ms p99 ${fmt(percentile(lat, 99))} ms (request start → last socket)`,
    baseline: `bare broadcast p50 ${fmt(percentile(bareLat, 50))} p99 ${fmt(percentile(bareLat, 99))}`, target: 'p99 ≤ 100 ms',
    verdict: verdict(percentile(lat, 99) <= 100, `p99 ${fmt(percentile(lat, 99))} ms`),
  })
  rows.push({
    name: `boards showing the change, ${WS_CLIENTS} boards`, figure: `p50 ${fmt(percentile(boardLat, 50))} ms p99 ${fmt(percentile(boardLat, 99))} ms (request start → last board has the new card)`,
    baseline: `the event alone p50 ${fmt(percentile(lat, 50))} p99 ${fmt(percentile(lat, 99))}`, target: '—', verdict: '',
  })
}

// 4. KPIs over a long history generated in SQL
{
  const t0 = performance.now()
  const gen = new pg.Client({ connectionString: url })
  await gen.connect()
  await gen.query(`SELECT set_config('hotline.bench', 'on', false)`)
  await gen.query(`
    INSERT INTO work_order (number, item_id, category_id, location_id, requester_name, requested_at, urgency, team_id, assignee_id, completed_by,
      routing_reason, status, created_at, dispatched_at, arrived_at, completed_at, closed_at, response_due_at, due_at, chase_count,
      rating_score, rated_at, escalation_level, source)
    SELECT 'H-' || g, i.id, i.category_id, l.id, '历史', t.created, 'routine', i.default_team_id, s.id, s.id,
      'bench', 'closed', t.created, t.created, t.created + (g % 40) * interval '1 minute', t.created + (g % 300) * interval '1 minute',
      t.created + (g % 300 + 30) * interval '1 minute', t.created + interval '30 minutes', t.created + interval '240 minutes', (g % 7 = 0)::int,
      CASE WHEN g % 3 = 0 THEN 1 + g % 5 END, CASE WHEN g % 3 = 0 THEN t.created + interval '6 hours' END, 99, 'import'
    FROM generate_series(1, ${HISTORY}) g
    CROSS JOIN LATERAL (SELECT now() - interval '4 years' * (g::float8 / ${HISTORY}) AS created) t
    JOIN item i ON i.id = 1 + g % 31
    CROSS JOIN (SELECT array_agg(id ORDER BY id) AS ids FROM location WHERE kind IN ('room', 'ward')) locs
    CROSS JOIN LATERAL (SELECT locs.ids[1 + g % cardinality(locs.ids)] AS id) l
    JOIN (SELECT team_id, array_agg(id ORDER BY id) AS ids FROM staff GROUP BY team_id) crew ON crew.team_id = i.default_team_id
    CROSS JOIN LATERAL (SELECT crew.ids[1 + g % cardinality(crew.ids)] AS id) s`)
  await gen.query('ANALYZE work_order')
  await gen.end()
  const genSeconds = (performance.now() - t0) / 1000
  const mgr = await signIn(server.base, 'manager')
  const day = (offset: number) => new Date(Date.now() - offset * 86_400_000).toISOString().slice(0, 10)
  for (const [label, days] of [['month', 30], ['year', 365]] as const) {
    const times: number[] = []
    for (let i = 0; i < 5; i++) {
      const t1 = performance.now()
      const res = await fetch(`${server.base}/api/kpi?from=${day(days)}&to=${day(0)}`, { headers: { cookie: mgr } })
      await res.json()
      times.push(performance.now() - t1)
    }
    times.sort((a, b) => a - b)
    rows.push({
      name: `KPI dashboard, one ${label} of ${HISTORY.toLocaleString('en')} orders`, figure: `median ${fmt(percentile(times, 50))} ms, worst ${fmt(times[times.length - 1]!)} ms`,
      baseline: `history generated in ${fmt(genSeconds)} s`, target: label === 'year' ? '≤ 150 ms' : '—',
      verdict: label === 'year' ? verdict(percentile(times, 50) <= 150, `${fmt(percentile(times, 50))} ms`) : '',
    })
  }
}

// 5. job sheets: a batch in one PDF
{
  const list = (await (await fetch(`${server.base}/api/work-orders?limit=${SHEETS}`, { headers: { cookie } })).json()).items as { id: number }[]
  const ids = list.map((o) => o.id).join(',')
  await (await fetch(`${server.base}/api/work-orders/${list[0]!.id}/job-sheet.pdf`, { headers: { cookie } })).arrayBuffer() // loads the font once
  const t1 = performance.now()
  const one = Buffer.from(await (await fetch(`${server.base}/api/work-orders/${list[0]!.id}/job-sheet.pdf`, { headers: { cookie } })).arrayBuffer())
  const oneMs = performance.now() - t1
  const t2 = performance.now()
  const batch = Buffer.from(await (await fetch(`${server.base}/api/job-sheets.pdf?ids=${ids}`, { headers: { cookie } })).arrayBuffer())
  const perSheet = (performance.now() - t2) / list.length
  const bytes = batch.length / list.length
  rows.push({
    name: `job sheets, ${list.length}-sheet batch`, figure: `${fmt(perSheet)} ms and ${fmt(bytes / 1024)} KB a sheet`,
    baseline: `one sheet alone ${fmt(oneMs)} ms, ${fmt(one.length / 1024)} KB`, target: '≤ 20 ms, ≤ 40 KB a sheet',
    verdict: verdict(perSheet <= 20 && bytes <= 40 * 1024, `${fmt(perSheet)} ms, ${fmt(bytes / 1024)} KB`),
  })
}

// nothing stalls the desk: health while a long print run and a big import go
rows.push(...await stallRows(server.base, 'PostgreSQL', smoke))

// 5b. reports for meetings: the order export as XLSX (streamed), and a month's KPI PDF with charts
{
  const mgr = await signIn(server.base, 'manager')
  const target = smoke ? 5_000 : 100_000
  const local = (sql: string) => bare.query(sql).then((r) => r.rows[0].d as string)
  const to = await local(`SELECT to_char(max(created_at) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') AS d FROM work_order`)
  // the period that holds about `target` orders (a report covers at most 366 days)
  const from = await local(`SELECT greatest(to_char(created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'), to_char(now() - interval '365 days', 'YYYY-MM-DD')) AS d
    FROM work_order ORDER BY created_at DESC OFFSET ${target - 1} LIMIT 1`)
  let peak = 0
  const before = server.rssKb()
  const sampler = setInterval(() => { peak = Math.max(peak, server.rssKb()) }, 50)
  const t1 = performance.now()
  // above 20,000 rows the export is a job (202): followed until done, then its file downloaded
  let answer = await fetch(`${server.base}/api/reports/orders.xlsx?from=${from}&to=${to}`, { headers: { cookie: mgr } })
  if (answer.status === 202) {
    const { statusUrl } = await answer.json() as { statusUrl: string }
    let job: { status: string; fileUrl: string | null }
    do {
      await new Promise((r) => setTimeout(r, 100))
      job = await (await fetch(`${server.base}${statusUrl}`, { headers: { cookie: mgr } })).json() as typeof job
    } while (job.status === 'queued' || job.status === 'running')
    if (!job.fileUrl) throw new Error(`the order export job ended ${job.status}`)
    answer = await fetch(`${server.base}${job.fileUrl}`, { headers: { cookie: mgr } })
  }
  const xlsx = Buffer.from(await answer.arrayBuffer())
  const xlsxSeconds = (performance.now() - t1) / 1000
  clearInterval(sampler)
  const { rows: [count] } = await bare.query(`SELECT count(*)::int AS n FROM work_order WHERE created_at >= ($1::date::timestamp AT TIME ZONE 'Asia/Shanghai') AND created_at < (($2::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai')`, [from, to])
  const growth = Math.max(0, peak - before) / 1024
  rows.push({
    name: `report XLSX, ${count.n.toLocaleString('en')} order rows`, figure: `${fmt(xlsxSeconds)} s, ${fmt(xlsx.length / 2 ** 20)} MB, server RSS +${fmt(growth, 0)} MB at peak`,
    baseline: `RSS before ${fmt(before / 1024, 0)} MB`, target: '≤ 10 s, RSS growth ≤ 200 MB',
    verdict: verdict(xlsxSeconds <= 10 && growth <= 200, `${fmt(xlsxSeconds)} s, +${fmt(growth, 0)} MB`),
  })
  const month = `from=${new Date(Date.now() - 29 * 86_400_000).toISOString().slice(0, 10)}&to=${new Date().toISOString().slice(0, 10)}`
  await (await fetch(`${server.base}/api/reports/kpi.pdf?${month}`, { headers: { cookie: mgr } })).arrayBuffer() // a worker loads pdfmake, ECharts and the font once
  const times: number[] = []
  let size = 0
  for (let i = 0; i < (smoke ? 2 : 5); i++) {
    const t2 = performance.now()
    size = (await (await fetch(`${server.base}/api/reports/kpi.pdf?${month}`, { headers: { cookie: mgr } })).arrayBuffer()).byteLength
    times.push(performance.now() - t2)
  }
  times.sort((a, b) => a - b)
  const t3 = performance.now()
  await (await fetch(`${server.base}/api/kpi?${month}`, { headers: { cookie: mgr } })).json()
  rows.push({
    name: 'report PDF, KPI month with charts', figure: `median ${fmt(percentile(times, 50))} ms, ${fmt(size / 1024)} KB`,
    baseline: `the same month's /api/kpi ${fmt(performance.now() - t3)} ms`, target: '≤ 2 s',
    verdict: verdict(percentile(times, 50) <= 2000, `${fmt(percentile(times, 50))} ms`),
  })
}

// 5c. the embedded demo's history: set-based generation with its rollup, as a fresh `npm start` fills it
{
  const { openEmbedded } = await import('../server/src/db/db.ts')
  const { migrate } = await import('../server/src/db/migrate.ts')
  const { seedDemo } = await import('../server/src/demo/seed.ts')
  const { planDemoHistory, fillDemoHistory } = await import('../server/src/demo/history.ts')
  const embedded = await openEmbedded(null)
  await migrate(embedded)
  await seedDemo(embedded.db, 'demo')
  const days = smoke ? 14 : 365
  const t0 = performance.now()
  await planDemoHistory(embedded.db, days, 'Asia/Shanghai')
  const written = await fillDemoHistory(embedded.db, 'Asia/Shanghai', 400)
  const seconds = (performance.now() - t0) / 1000
  await embedded.close()
  rows.push({
    name: `demo history, ${days} days (embedded, in memory)`, figure: `${written.toLocaleString('en')} orders in ${fmt(seconds)} s (${fmt(written / seconds, 0)}/s, with the KPI rollup)`,
    baseline: 'written after the server answers; start-up below is without it', target: '—', verdict: '',
  })
}

// 6. memory and start-up
rows.push({ name: 'server RSS under intake load', figure: `peak ${fmt(rssPeak / 1024, 0)} MB`, baseline: `idle after start ${fmt(server.rssKb() / 1024, 0)} MB now`, target: '—', verdict: '' })
await bare.end()
await server.stop()
{
  const again = await startServer({ DATABASE_URL: url, DEMO: '0' }, 3852)
  await again.stop()
  const dir = mkdtempSync(join(tmpdir(), 'hotline-bench-'))
  const fresh = await startServer({ DATA_DIR: dir, DEMO_HISTORY_DAYS: '0' }, 3853)
  await fresh.stop()
  const reopen = await startServer({ DATA_DIR: dir, DEMO_HISTORY_DAYS: '0' }, 3854)
  await reopen.stop()
  // intake on the embedded database, where it applies: one process, one PGlite connection
  const embedded = await startServer({ DATA_DIR: dir, DEMO_HISTORY_DAYS: '0' }, 3855)
  const ecookie = await signIn(embedded.base, 'operator')
  const ecat = await (await fetch(`${embedded.base}/api/catalogue`, { headers: { cookie: ecookie } })).json()
  const eloc = (await (await fetch(`${embedded.base}/api/locations?extension=3512`, { headers: { cookie: ecookie } })).json()).items[0].id
  const ebody = JSON.stringify({ itemId: ecat.categories[0].items[0].id, locationId: eloc, urgency: 'routine', requester: { name: '基准测试' } })
  const eIntake = await load(8, SECONDS, async () => {
    const res = await fetch(`${embedded.base}/api/work-orders`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: ecookie }, body: ebody })
    if (res.status !== 201) throw new Error(`embedded intake ${res.status}`)
    await res.arrayBuffer()
  })
  rows.push(...await stallRows(embedded.base, 'embedded', smoke))
  await embedded.stop()
  rmSync(dir, { recursive: true, force: true })
  rows.push({
    name: 'intake on the embedded database, 8 clients', figure: `${fmt(eIntake.perSecond, 0)}/s p50 ${fmt(eIntake.p50)} ms p99 ${fmt(eIntake.p99)} ms`,
    baseline: 'PGlite: one connection in the server process', target: '—', verdict: '',
  })
  rows.push({
    name: 'start-up to first answered request', figure: `PostgreSQL ${fmt(again.startMs, 0)} ms; embedded: reopen ${fmt(reopen.startMs, 0)} ms`,
    baseline: `embedded first start (init + migrate + seed) ${fmt(fresh.startMs, 0)} ms`, target: '—', verdict: '',
  })
}
await adminQuery(ADMIN_URL, `DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`)
// the phone system's side: the hospital's whole AMI stream through the client and the call model
rows.push(...await amiRows(smoke))
// the HIS's side of the callback desk: HL7 discharges with ACKs and the supervisor's CSV upload
rows.push(...await hl7Rows(smoke, ADMIN_URL))
// the SMS channel: submits through our SMPP client against Net::SMPP's SMSC
rows.push(...await smsRows(smoke, ADMIN_URL))
// the callback desk's dialer: 20 agents in progressive mode against the PBX simulator
rows.push(...await dialerRows(smoke, ADMIN_URL))
console.log(`\nnpm run bench${smoke ? ' -- --smoke' : ''}\n`)
printTable(rows)
