// The AMI link sees every call in the hospital, not just the hotline's. A synthetic PBX in a worker
// thread replays the real captures (tests/fixtures/ami/real-phones) as a whole hospital would send
// them — many concurrent unrelated ward-to-ward calls, every 50th call a hotline call — to the
// app's real AmiClient (asterisk-manager over TCP) and call model, and we measure:
//   1. events per second absorbed on one core (the PBX sends as fast as the socket takes it);
//   2. the lag from the PBX writing a hotline call's DialBegin to the model's 'ringing', at 5,000 events/s.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads'
import { createServer } from 'node:net'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { AmiClient } from '../../telephony/src/ami-client.ts'
import { CallModel } from '../../telephony/src/calls.ts'
import { AmiParser, serializeMessage, type AmiMessage } from '../../telephony/src/ami-parser.ts'
import { fmt, percentile, type Row } from './lib.ts'

const CAPTURES = fileURLToPath(new URL('../../tests/fixtures/ami/real-phones/', import.meta.url))

function capture(name: string): AmiMessage[] {
  const messages: AmiMessage[] = []
  const parser = new AmiParser({ message: (m) => { if (m.Event) messages.push(m) } })
  parser.push(readFileSync(join(CAPTURES, name)))
  return messages.filter((m) => m.Linkedid || m.Event === 'DialBegin' || m.Event === 'DialEnd')
}

/** One call's events as text, its ids moved to call number `n`; `hotline` false turns 100 into a ward's extension. */
function callText(template: AmiMessage[], n: number, hotline: boolean): { text: string[]; linkedid: string } {
  const id = (v: string) => v.replace(/^\d+\.(\d+)$/, (_m, seq) => `${1_900_000_000 + n}.${seq}`)
  const text = template.map((m) => {
    const out: AmiMessage = {}
    for (const [k, v] of Object.entries(m)) {
      const value = Array.isArray(v) ? v[0]! : v
      out[k] = /uniqueid|linkedid/i.test(k) ? id(value) : hotline ? value : value.replace(/^100$/, '3605').replace(/PJSIP\/8001/g, 'PJSIP/3605')
    }
    return serializeMessage(out as Record<string, string>)
  })
  return { text, linkedid: `${1_900_000_000 + n}.${String(template[0]!.Linkedid).split('.')[1]}` }
}

interface PbxJob { rate: number; seconds: number; calls: number }

/** The worker: an AMI server that accepts the login and then plays the hospital at `rate` events/s (0: flat out). */
function pbx() {
  const job = workerData as PbxJob
  const template = capture('01-ward-pjsip-calls-100-answered.rx-raw.txt')
  // interleave CONCURRENT calls so unrelated calls' events come between each hotline call's events
  const CONCURRENT = 40
  const stream: { text: string; hotline: string | null }[] = []
  for (let batch = 0; batch * CONCURRENT < job.calls; batch++) {
    const calls = Array.from({ length: CONCURRENT }, (_, i) => {
      const n = batch * CONCURRENT + i
      const hotline = n % 50 === 0
      return { ...callText(template, n, hotline), hotline }
    })
    for (let e = 0; e < template.length; e++) {
      for (const c of calls) stream.push({ text: c.text[e]!, hotline: c.hotline && template[e]!.Event === 'DialBegin' ? c.linkedid : null })
    }
  }
  const sentAt: Record<string, number> = {}
  const server = createServer((socket) => {
    socket.write('Asterisk Call Manager/11.0.0\r\n')
    let loggedIn = false
    socket.on('data', (chunk) => {
      const text = chunk.toString()
      const id = /actionid: *(\S+)/i.exec(text)?.[1]
      if (id) socket.write(`Response: Success\r\nActionID: ${id}\r\nMessage: ok\r\n\r\n`)
      if (!loggedIn && /action: *login/i.test(text)) { loggedIn = true; setTimeout(play, 50) }
    })
    socket.on('error', () => {})
    const play = () => {
      const t0 = performance.now()
      let i = 0
      const step = () => {
        const due = job.rate ? Math.min(stream.length, Math.floor(((performance.now() - t0) / 1000) * job.rate)) : stream.length
        let chunk = ''
        for (; i < due && (job.rate || chunk.length < 1 << 20); i++) {
          chunk += stream[i]!.text
          const h = stream[i]!.hotline
          if (h) sentAt[h] = performance.timeOrigin + performance.now()
        }
        const flushed = chunk ? socket.write(chunk) : true
        if (i >= stream.length) parentPort!.postMessage({ done: true, events: stream.length, sentAt })
        else if (job.rate) setTimeout(step, 2)
        else if (flushed) setImmediate(step)
        else socket.once('drain', step)
      }
      step()
    }
  })
  server.listen(0, '127.0.0.1', () => parentPort!.postMessage({ port: (server.address() as { port: number }).port }))
}

async function run(job: PbxJob) {
  // the worker loads this file through tsx's API: a worker's execArgv cannot register a loader on Node 20
  const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(import.meta.url)}) })`
  const worker = new Worker(boot, { eval: true, workerData: job })
  const port = await new Promise<number>((resolve) => worker.once('message', (m) => resolve(m.port)))
  const client = new AmiClient({ host: '127.0.0.1', port, username: 'bench', secret: 'bench', pingIntervalMs: 0, actionTimeoutMs: 60_000 })
  const model = new CallModel({ hotlineExten: '100', hotlineContext: 'hotline' })
  const rangAt: Record<string, number> = {}
  let events = 0, first = 0, last = 0
  model.onCall((e) => { if (e.type === 'ringing') rangAt[e.linkedid] = performance.timeOrigin + performance.now() })
  client.on('event', (e) => {
    if (!first) first = performance.now()
    events++
    last = performance.now()
    model.handle(e)
  })
  const finished = new Promise<{ events: number; sentAt: Record<string, number> }>((resolve) => worker.on('message', (m) => { if (m.done) resolve(m) }))
  const cpu0 = process.cpuUsage()
  await client.connect()
  const done = await finished
  while (events < done.events && performance.now() - last < 2000) await new Promise((r) => setTimeout(r, 20))
  const cpu = process.cpuUsage(cpu0)
  await client.close()
  await worker.terminate()
  const lags = Object.entries(done.sentAt).map(([id, sent]) => (rangAt[id] ?? NaN) - sent).filter(Number.isFinite).sort((a, b) => a - b)
  return { events, seconds: (last - first) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, lags, calls: job.calls, hotline: Object.keys(done.sentAt).length, popped: Object.keys(rangAt).length, open: model.active.length }
}

export async function amiRows(smoke: boolean): Promise<Row[]> {
  const flat = await run({ rate: 0, seconds: 0, calls: smoke ? 400 : 4000 })
  const perSecond = flat.events / flat.seconds
  const paced = await run({ rate: 5000, seconds: 0, calls: smoke ? 200 : 1600 })
  const lagP50 = percentile(paced.lags, 50), lagP99 = percentile(paced.lags, 99)
  return [
    {
      name: 'AMI: events absorbed (client + call model, one core)',
      figure: `${fmt(perSecond, 0)} events/s (${fmt(flat.events, 0)} events, ${flat.calls} calls, CPU ${flat.cpuSeconds.toFixed(1)} s)`,
      baseline: `${flat.hotline} hotline calls in the stream, ${flat.popped} popped, ${flat.open} left open`,
      target: '≥ 5,000 events/s',
      verdict: perSecond >= 5000 && flat.popped === flat.hotline ? 'met' : `missed: ${fmt(perSecond, 0)}/s, ${flat.popped}/${flat.hotline} popped`,
    },
    {
      name: 'AMI: lag socket → ringing at 5,000 events/s',
      figure: `p50 ${lagP50.toFixed(1)} ms, p99 ${lagP99.toFixed(1)} ms`,
      baseline: `${paced.lags.length} hotline calls among ${paced.calls} (${fmt(paced.events, 0)} events)`,
      target: 'p99 < 50 ms',
      verdict: lagP99 < 50 && paced.lags.length === paced.hotline ? 'met' : `missed: p99 ${lagP99.toFixed(1)} ms`,
    },
  ]
}

if (!isMainThread) pbx()
