// The AMI layer against real bytes: the captures from Asterisk 22 replayed through the parser,
// and the asterisk-manager-based client driven over TCP against the simulator.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, readdirSync, existsSync, mkdtempSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AmiParser, MAX_MESSAGE_BYTES, type AmiMessage } from '../../telephony/src/ami-parser.ts'
import { AmiClient, AmiLoginError } from '../../telephony/src/ami-client.ts'
import { CallModel, type CallEvent } from '../../telephony/src/calls.ts'
import { PbxSimulator } from '../../telephony/src/simulator.ts'

// raw bytes captured from a real Asterisk 22 (copied from shared/ami, see tests/fixtures/ami/SOURCE.md)
const AMI = join(import.meta.dirname, '../fixtures/ami')
const recordings = mkdtempSync(join(tmpdir(), 'hotline-rec-'))
const sim = new PbxSimulator({ recordingsDir: recordings, speed: 4 })
let port = 0
const clients: AmiClient[] = []
const client = (o: Partial<ConstructorParameters<typeof AmiClient>[0]> = {}) => {
  const c = new AmiClient({ host: '127.0.0.1', port, username: 'hotline', secret: 'hotline-secret', pingIntervalMs: 0, ...o })
  clients.push(c)
  return c
}
const waitFor = <T>(fn: () => T | undefined, ms = 3000): Promise<T> => new Promise((resolve, reject) => {
  const t0 = Date.now()
  const tick = () => { const v = fn(); if (v) return resolve(v); if (Date.now() - t0 > ms) return reject(new Error('timed out')); setTimeout(tick, 10) }
  tick()
})

test.before(async () => { port = await sim.start() })
test.after(async () => { for (const c of clients) await c.close(); await sim.stop() })

/** A connected client feeding a call model; `seen` collects what the model reports. */
async function watchCalls() {
  const c = client()
  const model = new CallModel({ hotlineExten: '100', hotlineContext: 'hotline' })
  const seen: CallEvent[] = []
  model.onCall((e) => seen.push(e))
  c.on('event', (e) => model.handle(e))
  await c.connect()
  return { c, seen }
}

function replay(file: string, chunk: () => number) {
  const bytes = readFileSync(join(AMI, file))
  const messages: AmiMessage[] = []
  let banner = ''
  const parser = new AmiParser({ message: (m) => messages.push(m), banner: (b) => { banner = b } })
  for (let i = 0; i < bytes.length;) { const n = chunk(); parser.push(bytes.subarray(i, i + n)); i += n }
  return { messages, banner }
}

test('every captured Asterisk 22 stream parses the same whole or cut into random pieces', () => {
  const files = existsSync(AMI) ? readdirSync(AMI).filter((f) => f.endsWith('.rx-raw.txt')) : []
  assert.ok(files.length >= 9, 'the captures are in tests/fixtures/ami')
  for (const f of files) {
    const whole = replay(f, () => 1 << 30)
    const pieces = replay(f, () => 1 + Math.floor(Math.random() * 17))
    assert.equal(pieces.messages, whole.messages, f)
    if (!f.includes('unauth')) assert.match(whole.banner, /^Asterisk Call Manager\//, f)
  }
  const o3 = replay('03-originate-local100-to-200-mixmonitor.rx-raw.txt', () => 64).messages
  const answered = o3.find((m) => m.Event === 'OriginateResponse')!
  assert.is(answered.Reason, '4')
  assert.ok(o3.some((m) => m.Event === 'MixMonitorStart'))
  assert.ok(o3.some((m) => m.Event === 'Hangup' && m.Cause === '16' && m['Cause-txt'] === 'Normal Clearing'))
  assert.is(replay('04-originate-local300-noanswer.rx-raw.txt', () => 5).messages.find((m) => m.Event === 'OriginateResponse')!.Reason, '3')
  const failed = replay('02-login-failure.badclient.rx-raw.txt', () => 3).messages
  assert.is(failed[0]!.Message, 'Authentication failed')
  assert.match(String(replay('08-command-and-status.rx-raw.txt', () => 9).messages.find((m) => m.Output)!.Output), 'Asterisk 22')
})

test('the call model ties a recording named after the ;2 leg to the call (Linkedid), from the real capture', () => {
  const model = new CallModel({ hotlineExten: '100', hotlineContext: 'hotline' })
  const seen: CallEvent[] = []
  model.onCall((e) => seen.push(e))
  model.trackOriginate('orig-100-200')
  for (const m of replay('03-originate-local100-to-200-mixmonitor.rx-raw.txt', () => 1 << 30).messages) model.handle(m)
  const rec = seen.find((e) => e.type === 'recording') as Extract<CallEvent, { type: 'recording' }>
  assert.is(rec.linkedid, '1795337546.2')
  assert.match(rec.file, '1795337546.3.wav')
  assert.equal(model.active, [], 'the call ended')
})

test('garbage, half messages and a huge header do not break the parser, and it keeps no oversized message', () => {
  const messages: AmiMessage[] = []
  const garbage: string[] = []
  const parser = new AmiParser({ message: (m) => messages.push(m), garbage: (g) => garbage.push(g) })
  parser.push('Asterisk Call Manager/11.0.0\r\n\x00\xff\xfe binary \r\n\r\nResponse: Succ')
  parser.push('ess\r\nActionID: a\r\n\r\n')
  parser.push(`Event: Big\r\nX: ${'y'.repeat(MAX_MESSAGE_BYTES + 10)}\r\n\r\nEvent: After\r\n\r\n`)
  parser.push('z'.repeat(MAX_MESSAGE_BYTES * 2))
  parser.push('\r\n\r\nEvent: Last\n\n')
  assert.equal(messages.map((m) => m.Event ?? m.Response), ['Success', 'After', 'Last'])
  assert.ok(garbage.length >= 2)
})

test('login: accepted; a wrong secret is reported as an AmiLoginError, not swallowed', async () => {
  const ok = client()
  await ok.connect()
  assert.is(ok.linkStatus, 'up')
  const bad = client({ secret: 'wrong' })
  try { await bad.connect(); assert.unreachable('bad login must reject') } catch (err) {
    assert.instance(err, AmiLoginError)
    assert.match((err as Error).message, 'Authentication failed')
  }
  await bad.close()
})

test('actions: responses matched by our own ActionID, Command output, CoreShowChannels collected to the end', async () => {
  const c = client()
  await c.connect()
  const [a, b] = await Promise.all([c.ping(), c.action('Ping', {}, { actionId: 'mine-42' })])
  assert.is(a.Ping, 'Pong')
  assert.is(b.ActionID, 'mine-42', 'the caller\'s ActionID is kept')
  assert.equal(await c.command('core show version'), ['Asterisk 22.10.1 (Hotline 100 simulator)'])
  sim.simulateIncomingCall({ from: '3601', answerBy: 'PJSIP/8001', talkMs: 4000 })
  const channels = await c.coreShowChannels()
  assert.equal(channels.map((ch) => String(ch.Channel).replace(/-[0-9a-f]+$/, '')).sort(), ['PJSIP/3601', 'PJSIP/8001'])
  await assert.not.throws(() => c.hangup(String(channels[0]!.Channel)))
  try { await c.action('NoSuchAction'); assert.unreachable() } catch (err) { assert.match((err as Error).message, 'Invalid/unknown command') }
})

test('a hotline call: ringing at the operator\'s phone → answered → ended with duration, cause and a real WAV', async () => {
  const { seen } = await watchCalls()
  sim.simulateIncomingCall({ from: '3512', callerName: '心内科护士站', answerBy: 'PJSIP/8001', answerAfterMs: 400, talkMs: 4000 })
  const ended = await waitFor(() => seen.find((e) => e.type === 'ended')) as Extract<CallEvent, { type: 'ended' }>
  assert.equal(seen.map((e) => e.type), ['ringing', 'recording', 'answered', 'ended'])
  const ringing = seen[0] as Extract<CallEvent, { type: 'ringing' }>
  assert.is(ringing.callerNumber, '3512')
  assert.is(ringing.operatorDevice, 'PJSIP/8001')
  assert.is(ended.cause, 16)
  assert.is(ended.missed, false)
  assert.ok(ended.durationSec >= 1)
  const file = join(recordings, (seen[1] as Extract<CallEvent, { type: 'recording' }>).file.split('/').pop()!)
  const wav = readFileSync(file)
  assert.is(wav.subarray(0, 4).toString(), 'RIFF')
  assert.is(wav.subarray(8, 12).toString(), 'WAVE')
  assert.ok(wav.length > 1000)
})

test('a call nobody answers is reported missed', async () => {
  const { seen } = await watchCalls()
  sim.simulateIncomingCall({ from: '2120', ringMs: 400 })
  const ended = await waitFor(() => seen.find((e) => e.type === 'ended')) as Extract<CallEvent, { type: 'ended' }>
  assert.is(ended.missed, true)
  assert.is(ended.durationSec, 0)
})

test('originate: answered (Reason 4) and no answer (Reason 3), as in the captures', async () => {
  const c = client()
  await c.connect()
  const responses: AmiMessage[] = []
  c.on('event', (e) => { if (e.Event === 'OriginateResponse') responses.push(e) })
  await c.originate({ channel: 'Local/200@hotline', context: 'hotline', exten: '200', actionId: 'orig-200' })
  await c.originate({ channel: 'Local/300@hotline', context: 'hotline', exten: '200', actionId: 'orig-300', timeoutMs: 2000 })
  await c.originate({ channel: 'Local/999@hotline', context: 'hotline', exten: '200', actionId: 'orig-999' })
  await waitFor(() => responses.length === 3 || undefined, 4000)
  const by = Object.fromEntries(responses.map((r) => [r.ActionID, r]))
  assert.is(by['orig-200']!.Reason, '4')
  assert.is(by['orig-300']!.Reason, '3')
  assert.is(by['orig-999']!.Reason, '0')
  assert.is(by['orig-999']!.Uniqueid, '<unknown>')
})

test('the PBX dies: pending actions fail at once; it comes back: the client is up again within 5 s', async () => {
  const c = client()
  await c.connect()
  const statuses: string[] = []
  c.on('status', (s) => statuses.push(s))
  const pending = c.action('Ping', {}, { timeoutMs: 10_000, actionId: 'never-answered' })
  await sim.stop()
  const t0 = Date.now()
  try { await pending; assert.unreachable() } catch (err) { assert.match((err as Error).message, 'closed') }
  assert.ok(Date.now() - t0 < 1000, 'rejected on the drop, not on its timeout')
  await sim.start(port)
  const back = Date.now()
  await waitFor(() => c.linkStatus === 'up' || undefined, 5000)
  assert.ok(Date.now() - back < 5000)
  assert.equal(statuses.slice(0, 1), ['down'])
  assert.is((await c.ping()).Ping, 'Pong')
})

test('a peer that sends garbage and never answers a Ping is dropped by the keepalive, and nothing crashes', async () => {
  const junk = createServer((s) => { s.write('Asterisk Call Manager/11.0.0\r\n'); s.on('data', () => s.write('\x00\x01garbage\r\n' + 'x'.repeat(100_000))) })
  await new Promise<void>((r) => junk.listen(0, '127.0.0.1', () => r()))
  const junkPort = (junk.address() as { port: number }).port
  const c = client({ port: junkPort, pingIntervalMs: 200, actionTimeoutMs: 500 })
  const failure = await c.connect().then(() => null, (err: Error) => err)
  assert.match(String(failure?.message), 'no answer to Login')
  assert.ok(c.linkStatus !== 'up')
  await c.close()
  junk.close()
})

test.run()
