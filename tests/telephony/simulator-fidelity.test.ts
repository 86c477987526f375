// The simulator against the real thing: each scenario of the real-phones captures (a real Asterisk
// 22.10.1 with our dialplan and SIP phones) is driven through the simulator over a TCP AMI session, and
// both streams, normalised to what a client may rely on, must be the same sequence.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AmiParser, serializeAction, type AmiMessage } from '../../telephony/src/ami-parser.ts'
import { conclude, gist } from './conclude.ts'
import { PbxSimulator, type SimulatorOptions } from '../../telephony/src/simulator.ts'

const CAPTURES = [join(import.meta.dirname, '../fixtures/ami/real-phones'), join(import.meta.dirname, '../../../shared/ami/real-phones')].find((d) => existsSync(d))!
const recordings = mkdtempSync(join(tmpdir(), 'hotline-fidelity-'))
const sims: PbxSimulator[] = []
const str = (m: AmiMessage, k: string) => { const v = m[k]; return Array.isArray(v) ? v[0]! : v }

function capture(prefix: string): AmiMessage[] {
  const file = readdirSync(CAPTURES).find((f) => f.startsWith(prefix) && f.endsWith('.rx-raw.txt'))!
  const messages: AmiMessage[] = []
  new AmiParser({ message: (m) => messages.push(m) }).push(readFileSync(join(CAPTURES, file)))
  return messages
}

// what a client must ignore anyway; the simulator leaves it out
const NOISE = new Set(['RTCPSent', 'RTCPReceived', 'DeviceStateChange', 'PeerStatus', 'ContactStatus', 'FullyBooted', 'SuccessfulAuth', 'ChannelHungup', 'ChannelsHungupListComplete'])
const isHotlineMarker = (m: AmiMessage) => (m.Event === 'VarSet' && m.Variable === 'HOTLINE_CALL') || (m.Event === 'Newexten' && m.Application === 'Set' && m.AppData === 'HOTLINE_CALL=1')

function kind(name: string | undefined) {
  if (!name) return '-'
  if (/^Local\/.*;1$/.test(name)) return 'local;1'
  if (/^Local\/.*;2$/.test(name)) return 'local;2'
  if (/^PJSIP\/trunk-[0-9a-f]{8}$/.test(name)) return 'trunk'
  if (/^PJSIP\/80\d\d-[0-9a-f]{8}$/.test(name)) return 'operator'
  if (/^PJSIP\/\d+-[0-9a-f]{8}$/.test(name)) return 'caller'
  return `other:${name}`
}

type Row = string[]
function normalise(messages: AmiMessage[], dropMarker = false): Row[] {
  const rows: Row[] = messages
    .filter((m) => m.Event !== undefined && !NOISE.has(str(m, 'Event')!))
    .filter((m) => !(m.Event === 'VarSet' && String(m.Variable).startsWith('RTPAUDIOQOS')))
    .filter((m) => !(dropMarker && isHotlineMarker(m)))
    .map((m) => {
      const variable = m.Event === 'VarSet' && ['MIXMONITOR_FILENAME', 'DIALSTATUS'].includes(str(m, 'Variable')!) ? `${m.Variable}=${m.Variable === 'DIALSTATUS' ? m.Value : 'file'}` : ''
      const origin = m.Event === 'OriginateResponse' ? `${m.Response}/${m.Reason}` : ''
      return [str(m, 'Event')!, kind(str(m, 'Channel')), kind(str(m, 'DestChannel')), str(m, 'Context') ?? '', str(m, 'Exten') ?? '', str(m, 'DialStatus') ?? '', str(m, 'Cause') ?? '', variable, origin]
    })
  // Known races of the real PBX (its AMI events come from several threads), put in one canonical order:
  // - a caller's NewConnectedLine and the callee's Newstate (01 and 02 differ);
  // - OriginateResponse against the operator leg's Newstate Up / DialEnd (03, 04, 05: three placements);
  // - channels hung up by one action come in the PBX's container order (03 and 05 differ).
  for (let i = 1; i < rows.length; i++) {
    const [a, b] = [rows[i - 1]!, rows[i]!]
    if (a[0] === 'Newstate' && b[0] === 'NewConnectedLine' && a[1] !== b[1]) [rows[i - 1], rows[i]] = [b, a]
  }
  for (let i = 0; i < rows.length; i++) {
    if (rows[i]![0] !== 'OriginateResponse') continue
    let j = i
    while (j + 1 < rows.length && ((rows[j + 1]![0] === 'Newstate' && rows[j + 1]![1] === 'operator') || (rows[j + 1]![0] === 'DialEnd' && rows[j + 1]![1] === '-'))) {
      [rows[j], rows[j + 1]] = [rows[j + 1]!, rows[j]!]
      j++
    }
    i = j
  }
  for (let i = 1; i < rows.length; i++) {
    const [a, b] = [rows[i - 1]!, rows[i]!]
    if (a[0] === 'SoftHangupRequest' && b[0] === 'SoftHangupRequest' && a[6] === '32' && b[6] === '32' && a[1]! > b[1]!) [rows[i - 1], rows[i]] = [b, a]
  }
  return rows
}

/** A real TCP AMI session: every message it receives, and a way to send actions. */
async function session(sim: PbxSimulator) {
  const socket = connect(sim.port, '127.0.0.1')
  const messages: AmiMessage[] = []
  socket.on('data', (chunk) => parser.push(chunk))
  const parser = new AmiParser({ message: (m) => messages.push(m) })
  const send = (fields: Record<string, string>) => socket.write(serializeAction(fields))
  send({ Action: 'Login', ActionID: 'login', Username: 'hotline', Secret: 'hotline-secret', Events: 'on' })
  await until(() => messages.some((m) => m.Response === 'Success'))
  return { messages, send, close: () => socket.destroy() }
}

const until = (fn: () => boolean, ms = 5000): Promise<void> => new Promise((resolve, reject) => {
  const t0 = Date.now()
  const tick = () => { if (fn()) return resolve(); if (Date.now() - t0 > ms) return reject(new Error('timed out')); setTimeout(tick, 5) }
  tick()
})
/** every channel that appeared has hung up */
const callOver = (messages: AmiMessage[]) => () => {
  const created = messages.filter((m) => m.Event === 'Newchannel').length
  return created > 0 && messages.filter((m) => m.Event === 'Hangup').length === created
}

async function simulator(o: Partial<SimulatorOptions> = {}) {
  const sim = new PbxSimulator({ recordingsDir: recordings, speed: 5, outboundTalkMs: 60_000, ...o })
  await sim.start()
  sims.push(sim)
  return sim
}

async function drive(o: Partial<SimulatorOptions>, scenario: (sim: PbxSimulator, s: Awaited<ReturnType<typeof session>>) => Promise<void>) {
  const sim = await simulator(o)
  const s = await session(sim)
  await scenario(sim, s)
  await until(callOver(s.messages))
  s.close()
  return s.messages
}

const originate = (s: Awaited<ReturnType<typeof session>>, number: string) =>
  s.send({ Action: 'Originate', ActionID: `call-${number}`, Channel: 'PJSIP/8001', Context: 'outbound', Exten: number, Priority: '1', Async: 'true', CallerID: 'Hotline 100 <100>' })

function assertSame(prefix: string, simulated: AmiMessage[]) {
  const real = normalise(capture(prefix))
  const ours = normalise(simulated, true)
  assert.ok(real.length > 20, `${prefix}: the capture has the call`)
  if (process.env.DUMP) { writeFileSync(`/tmp/${prefix}.real`, real.map((r) => r.join(' | ')).join('\n')); writeFileSync(`/tmp/${prefix}.ours`, ours.map((r) => r.join(' | ')).join('\n')) }
  assert.equal(ours.map((r) => r.join(' | ')), real.map((r) => r.join(' | ')), prefix)
  // and the call model, the client that matters, concludes the same from both
  assert.equal(gist(conclude(simulated).seen), gist(conclude(capture(prefix)).seen), `${prefix}: the same conclusions`)
}

function assertHotlineMarker(messages: AmiMessage[]) {
  const calls = messages.filter((m) => m.Event === 'Newexten' && kind(str(m, 'Channel')) === 'caller')
  const mark = messages.findIndex((m) => m.Event === 'VarSet' && m.Variable === 'HOTLINE_CALL')
  assert.ok(mark > 0, 'HOTLINE_CALL is set')
  assert.is(messages[mark]!.Value, '1')
  assert.is(kind(str(messages[mark]!, 'Channel')), 'caller', 'on the ward\'s channel')
  assert.is(messages[mark - 1]!.AppData, 'HOTLINE_CALL=1', 'by the Set step')
  assert.is(messages[mark - 2], calls[0], 'the step right after the NoOp that opens the extension')
}

test('01: a ward calls 100, the ring group rings the one registered phone, which answers; the ward hangs up', async () => {
  const messages = await drive({}, async (sim) => { sim.simulateIncomingCall({ from: '3512', answerBy: 'PJSIP/8001', answerAfterMs: 300, talkMs: 500, registered: ['PJSIP/8001'] }) })
  assertSame('01', messages)
  assertHotlineMarker(messages)
})

test('02: a ward calls 100, nobody answers, the ward gives up', async () => {
  const messages = await drive({}, async (sim) => { sim.simulateIncomingCall({ from: '3512', ringMs: 300, registered: ['PJSIP/8001'] }) })
  assertSame('02', messages)
  assertHotlineMarker(messages)
})

test('03: click-to-dial, the operator answers, then the callee; both legs are hung up', async () => {
  const messages = await drive({}, async (_sim, s) => {
    originate(s, '13800001111')
    await until(() => s.messages.some((m) => m.Event === 'DialEnd' && m.DialStatus === 'ANSWER' && kind(str(m, 'DestChannel')) === 'trunk'))
    s.send({ Action: 'Hangup', ActionID: 'bye', Channel: '/^PJSIP\\/(8001|trunk)-/' })
  })
  assertSame('03', messages)
})

test('04: click-to-dial to a number the carrier does not know: 404, cause 1', async () => {
  assertSame('04', await drive({}, async (_sim, s) => { originate(s, '13900002222') }))
})

test('05: click-to-dial, the callee rings and never answers, the operator gives up', async () => {
  const messages = await drive({}, async (_sim, s) => {
    originate(s, '13700003333')
    await until(() => s.messages.some((m) => m.Event === 'DialState' && kind(str(m, 'DestChannel')) === 'trunk'))
    s.send({ Action: 'Hangup', ActionID: 'bye', Channel: '/^PJSIP\\/(8001|trunk)-/' })
  })
  assertSame('05', messages)
})

test('06: a ward calls 100 through a queue with Local members; 8003 is unregistered, 8001 answers', async () => {
  const messages = await drive({ mode: 'queue', queueMembers: ['PJSIP/8003', 'PJSIP/8001'], registered: ['PJSIP/8001'] }, async (sim) => {
    sim.simulateIncomingCall({ from: '3512', answerBy: 'PJSIP/8001', answerAfterMs: 300, talkMs: 500 })
  })
  assertSame('06', messages)
  assertHotlineMarker(messages)
})

test('the comparison can tell scenarios apart and notices a missing or reordered event', () => {
  const answered = normalise(capture('01'))
  assert.not.equal(normalise(capture('02')), answered)
  const withoutRecording = capture('01').filter((m) => m.Event !== 'MixMonitorStart')
  assert.not.equal(normalise(withoutRecording), answered)
  const reordered = capture('03')
  const ends = reordered.map((m, i) => (m.Event === 'DialEnd' ? i : -1)).filter((i) => i >= 0)
  const [a, b] = [reordered[ends[0]!]!, reordered[ends[1]!]!]
  reordered[ends[0]!] = b
  reordered[ends[1]!] = a
  assert.not.equal(normalise(reordered), normalise(capture('03')))
})

test('busy callee: DialEnd BUSY, cause 17; an operator phone that does not answer: OriginateResponse Failure Reason 3', async () => {
  const busy = await drive({}, async (_sim, s) => { originate(s, '13600004444') })
  assert.ok(busy.some((m) => m.Event === 'DialEnd' && m.DialStatus === 'BUSY' && kind(str(m, 'DestChannel')) === 'trunk'))
  assert.ok(busy.some((m) => m.Event === 'Hangup' && kind(str(m, 'Channel')) === 'trunk' && m.Cause === '17'))
  const away = await drive({ noAnswer: ['8001'] }, async (_sim, s) => {
    s.send({ Action: 'Originate', ActionID: 'away', Channel: 'PJSIP/8001', Context: 'outbound', Exten: '13800001111', Async: 'true', Timeout: '1000', CallerID: 'Hotline 100 <100>' })
  })
  const response = away.find((m) => m.Event === 'OriginateResponse')!
  assert.equal([response.Response, response.Reason, response.Channel, response.Uniqueid], ['Failure', '3', 'PJSIP/8001', '<unknown>'])
  assert.not.ok(away.some((m) => m.Event === 'DialBegin' && m.Channel), 'the number is never dialled')
})

test('MixMonitor with an unsafe file name answers an AMI Error, writes nothing, and the PBX stays up', async () => {
  const sim = await simulator()
  const s = await session(sim)
  const { channel } = sim.simulateIncomingCall({ from: '3601', answerBy: 'PJSIP/8001', answerAfterMs: 50, talkMs: 1500, registered: ['PJSIP/8001'] })
  const bad = ['..', '.', '/etc/passwd', '../../escape.wav', '/var/spool/asterisk/monitor/../x.wav', 'sub/dir.wav', 'nul\0.wav', '']
  bad.forEach((file, i) => s.send({ Action: 'MixMonitor', ActionID: `bad-${i}`, Channel: channel, File: file }))
  s.send({ Action: 'MixMonitor', ActionID: 'good', Channel: channel, File: 'desk-recording.wav' })
  s.send({ Action: 'Ping', ActionID: 'alive' })
  await until(() => s.messages.some((m) => m.ActionID === 'alive'))
  for (let i = 0; i < bad.length; i++) assert.is(s.messages.find((m) => m.ActionID === `bad-${i}`)?.Response, 'Error', JSON.stringify(bad[i]))
  assert.is(s.messages.find((m) => m.ActionID === 'good')?.Response, 'Success')
  await until(callOver(s.messages))
  assert.ok(readdirSync(recordings).includes('desk-recording.wav'))
  assert.not.ok(existsSync(join(recordings, '..', 'escape.wav')))
  s.close()
})

test.after(async () => { for (const sim of sims) await sim.stop() })

test.run()
