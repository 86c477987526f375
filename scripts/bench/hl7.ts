// The HIS's side of the callback desk: discharges over HL7 v2 MLLP (messages per second with their
// ACKs, on one connection and on four) and a 50,000-row CSV upload checked and applied, against the
// real server process on its own PostgreSQL database. Alone (just these rows, for profiling):
//   node --import tsx scripts/bench/hl7.ts [--smoke] [--mllp-only]
import net from 'node:net'
import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { adminQuery, databaseUrl, fmt, percentile, printTable, signIn, startServer, type Row } from './lib.ts'

const VT = 0x0b, FS = 0x1c

/** One MLLP connection: send a message, wait for its ACK. */
async function connection(port: number) {
  const socket = net.connect(port, '127.0.0.1')
  socket.setNoDelay(true)
  await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject) })
  let buffer = Buffer.alloc(0)
  const waiting: ((ack: string) => void)[] = []
  socket.on('data', (d) => {
    buffer = Buffer.concat([buffer, d])
    let end
    while ((end = buffer.indexOf(FS)) !== -1) {
      const ack = buffer.subarray(1, end).toString('utf8')
      buffer = buffer.subarray(end + 2)
      waiting.shift()?.(ack)
    }
  })
  return {
    send(message: string): Promise<string> {
      return new Promise((resolve) => {
        waiting.push(resolve)
        socket.write(Buffer.concat([Buffer.from([VT]), Buffer.from(message, 'utf8'), Buffer.from([FS, 0x0d])]))
      })
    },
    close: () => socket.destroy(),
  }
}

// the client's own cost kept small (it shares the machine with the server): one formatter, days worked out once
const dayFormat = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' })
const days = new Map<number, string>()
const day = (offset: number) => days.get(offset) ?? days.set(offset, dayFormat.format(new Date(Date.now() + offset * 86_400_000)).replace(/-/g, '')).get(offset)!

function discharge(n: number, run: string) {
  const pv1 = Array.from({ length: 46 }, () => '')
  pv1[0] = 'PV1'; pv1[2] = 'I'; pv1[3] = 'GK1^^12'; pv1[7] = '1001^李^建华'; pv1[10] = ['0301', '0302', '0201', '0202', '0401', '0203'][n % 6]!
  pv1[19] = `B${run}${n}`; pv1[36] = '01'; pv1[44] = `${day(-3)}0800`; pv1[45] = `${day(0)}0900`
  return [
    `MSH|^~\\&|HIS|RMYY|HOTLINE100|RMYY|${day(0)}0930||ADT^A03^ADT_A03|B${run}-${n}|P|2.5|||||CHN|UNICODE UTF-8`,
    `EVN|A03|${day(0)}0930`,
    `PID|1||M${run}${n}^^^RMYY^MR||王^秀英||19560312|F|||||138${String(10_000_000 + n).slice(-8)}^PRN^CP`,
    pv1.join('|'),
    `PR1|1||81.51^全髋关节置换术||${day(-1)}1000`,
  ].join('\r') + '\r'
}

async function mllpLoad(port: number, connections: number, messages: number, run: string) {
  const conns = await Promise.all(Array.from({ length: connections }, () => connection(port)))
  const latencies: number[] = []
  let next = 0, failed = 0
  const t0 = performance.now()
  await Promise.all(conns.map(async (c) => {
    while (next < messages) {
      const n = next++
      const t1 = performance.now()
      const ack = await c.send(discharge(n, run))
      latencies.push(performance.now() - t1)
      if (!ack.includes('MSA|AA|')) failed++
    }
  }))
  const seconds = (performance.now() - t0) / 1000
  for (const c of conns) c.close()
  latencies.sort((a, b) => a - b)
  return { perSecond: messages / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), failed }
}

export async function hl7Rows(smoke: boolean, adminUrl: string, opts: { csv?: boolean } = {}): Promise<Row[]> {
  const name = `hotline_bench_hl7_${process.pid}`
  await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name}`)
  await adminQuery(adminUrl, `CREATE DATABASE ${name}`)
  const hl7Port = 3870
  const server = await startServer({ DATABASE_URL: databaseUrl(adminUrl, name), DEMO: '1', HL7_PORT: String(hl7Port), HL7_HOST: '127.0.0.1' }, 3871)
  const rows: Row[] = []
  try {
    const messages = smoke ? 100 : 5000
    // the floor: a message refused before the database (ORU is not taken), over the same framing and parser
    const floorConn = await connection(hl7Port)
    const floorTimes: number[] = []
    const tf = performance.now()
    for (let i = 0; i < (smoke ? 100 : 2000); i++) {
      const t1 = performance.now()
      await floorConn.send(discharge(i, 'F').replace('ADT^A03^ADT_A03', 'ORU^R01^ORU_R01'))
      floorTimes.push(performance.now() - t1)
    }
    const floorRate = floorTimes.length / ((performance.now() - tf) / 1000)
    floorConn.close()
    await mllpLoad(hl7Port, 1, smoke ? 20 : 200, 'W') // warm-up: JIT and prepared plans
    for (const c of [1, 4]) {
      const r = await mllpLoad(hl7Port, c, messages, `C${c}`)
      rows.push({
        name: `HL7 MLLP discharges, ${c} connection${c > 1 ? 's' : ''}`, figure: `${fmt(r.perSecond, 0)} msg/s with ACKs, p50 ${fmt(r.p50)} ms p99 ${fmt(r.p99)} ms${r.failed ? `, ${r.failed} not AA` : ''}`,
        baseline: `AR before the database ${fmt(floorRate, 0)} msg/s`, target: '≥ 500 msg/s, p99 ≤ 20 ms',
        verdict: r.failed ? `missed: ${r.failed} not AA` : r.perSecond >= 500 && r.p99 <= 20 ? 'met' : `missed: ${fmt(r.perSecond, 0)}/s p99 ${fmt(r.p99)} ms`,
      })
    }

    if (opts.csv === false) return rows
    const count = smoke ? 1000 : 50_000
    const header = 'visitNumber,mrn,name,sex,birthDate,mobile,department,attendingDoctor,dischargedAt,procedures,diagnoses'
    const when = `${day(0).slice(0, 4)}-${day(0).slice(4, 6)}-${day(0).slice(6)} 09:00`
    const line = (i: number) => `U${i},MU${i},"刘桂兰",F,1961-05-20,136${String(10_000_000 + i).slice(-8)},${['0301', '0302', '0201', '0202', '0401', '0203'][i % 6]},周医生,${when},,"E11.9 2型糖尿病"`
    const good = [header, ...Array.from({ length: count }, (_, i) => line(i))].join('\r\n')
    const bad = good.replace(`,${when},,"E11.9 2型糖尿病"\r\nU${count - 1},`, `,2026-02-30 09:00,,"E11.9 2型糖尿病"\r\nU${count - 1},`)
    const cookie = await signIn(server.base, 'agent')
    const post = async (body: string) => {
      const t1 = performance.now()
      const res = await fetch(`${server.base}/api/discharges/import`, { method: 'POST', headers: { cookie, 'content-type': 'text/csv' }, body })
      const json = await res.json()
      return { status: res.status, json, seconds: (performance.now() - t1) / 1000 }
    }
    let rssPeak = 0
    const timer = setInterval(() => { rssPeak = Math.max(rssPeak, server.rssKb()) }, 100)
    const refused = await post(bad)
    const applied = await post(good)
    clearInterval(timer)
    if (refused.status !== 422 || applied.status !== 200) throw new Error(`CSV upload: ${refused.status} then ${applied.status} ${JSON.stringify(applied.json).slice(0, 200)}`)
    rows.push({
      name: `discharge CSV, ${count.toLocaleString('en')} rows checked and applied`, figure: `${fmt(applied.seconds)} s (${fmt(count / applied.seconds, 0)} rows/s), ${applied.json.created} stays created; server peak ${fmt(rssPeak / 1024, 0)} MB`,
      baseline: `checked only, one bad row: 422 in ${fmt(refused.seconds)} s`, target: '≤ 30 s for 50,000 rows',
      verdict: smoke ? '' : applied.seconds <= 30 ? 'met' : `missed: ${fmt(applied.seconds)} s`,
    })
  } finally {
    await server.stop()
    await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  }
  return rows
}

// run alone: `node --import tsx scripts/bench/hl7.ts [--smoke] [--mllp-only]` prints only these rows
if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))) {
  const adminUrl = process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
  printTable(await hl7Rows(process.argv.includes('--smoke'), adminUrl, { csv: !process.argv.includes('--mllp-only') }))
}
