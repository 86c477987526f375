// What a correct client concludes from a real Asterisk 22: each capture of tests/fixtures/ami
// (copied from shared/ami; real-phones/ ran this repository's own dialplan with real SIP phones)
// fed through the parser and the call model, and the domain events compared with what happened
// (the README beside the captures). The same conclusions are then asked of the simulator.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { AmiParser, type AmiMessage } from '../../telephony/src/ami-parser.ts'
import { CallModel, normaliseNumber, type CallEvent } from '../../telephony/src/calls.ts'
import { conclude } from './conclude.ts'

const REAL = join(import.meta.dirname, '../fixtures/ami/real-phones')
const OLD = join(import.meta.dirname, '../fixtures/ami')

type Of<T extends CallEvent['type']> = Extract<CallEvent, { type: T }>

function parse(path: string, chunk = 1 << 30): AmiMessage[] {
  const bytes = readFileSync(path)
  const messages: AmiMessage[] = []
  const parser = new AmiParser({ message: (m) => messages.push(m) })
  for (let i = 0; i < bytes.length; i += chunk) parser.push(bytes.subarray(i, i + chunk))
  return messages
}

const real = (name: string) => parse(join(REAL, readdirSync(REAL).find((f) => f.startsWith(name) && f.endsWith('.rx-raw.txt'))!))

test('01 a ward phone dials 100 from context internal: popped at the operator whose phone rang, answered, ended after 7 s, recorded', () => {
  const r = conclude(real('01-'))
  assert.equal(r.types, ['ringing', 'recording', 'answered', 'ended'])
  const [ringing] = r.of('ringing')
  assert.is(ringing!.callerNumber, '3512')
  assert.is(ringing!.operatorDevice, 'PJSIP/8001')
  assert.is(ringing!.exten, '100')
  assert.is(r.of('answered')[0]!.operatorDevice, 'PJSIP/8001')
  assert.match(r.of('recording')[0]!.file, /\/1796107252\.18\.wav$/)
  const [ended] = r.of('ended')
  assert.equal([ended!.direction, ended!.missed, ended!.cause, ended!.durationSec], ['in', false, 16, 7])
  assert.equal(r.active, [], 'nothing left open')
})

test('01 the same call is found whatever HOTLINE_CONTEXT says the hotline context is called', () => {
  for (const ctx of ['hotline', 'internal', 'renamed']) assert.is(conclude(real('01-'), { hotlineContext: ctx }).of('ringing').length, 1, ctx)
})

test('02 nobody answers: a missed call from 3512 that rang 8001, never answered', () => {
  const r = conclude(real('02-'))
  assert.equal(r.types, ['ringing', 'recording', 'ended'])
  assert.is(r.of('ringing')[0]!.operatorDevice, 'PJSIP/8001')
  const [ended] = r.of('ended')
  assert.equal([ended!.missed, ended!.durationSec], [true, 0])
})

test('03 click-to-dial answered: the operator\'s own answer is not the patient\'s; answered at the second DialEnd, ended with 5 s and a recording', () => {
  const messages = real('03-')
  const r = conclude(messages)
  assert.equal(r.types, ['dialing', 'recording', 'originate', 'ended'])
  const [outcome] = r.of('originate')
  assert.is(outcome!.reference, 'call-5')
  assert.is(outcome!.outcome, 'answered')
  // the outcome came at the callee's DialEnd: replaying up to the operator's own DialEnd concludes nothing yet
  const operatorLeg = messages.findIndex((m) => m.Event === 'DialEnd' && m.Channel === undefined)
  const early = conclude(messages.slice(0, operatorLeg + 1).concat(messages.filter((m) => m.Event === 'OriginateResponse')))
  assert.equal(early.of('originate'), [], 'no outcome from the operator picking up')
  assert.match(r.of('recording')[0]!.file, /1796107299\.22\.wav$/)
  const [ended] = r.of('ended')
  assert.equal([ended!.direction, ended!.durationSec, ended!.cause], ['out', 5, 16])
  assert.is(r.of('ringing').length, 0, 'an outbound call pops nobody')
})

test('04 a number that does not exist (SIP 404, cause 1): invalid_number, not no_answer; the call ends', () => {
  const r = conclude(real('04-'))
  const [outcome] = r.of('originate')
  assert.equal([outcome!.reference, outcome!.outcome, outcome!.cause], ['call-6', 'invalid_number', 1])
  const [ended] = r.of('ended')
  assert.equal([ended!.cause, ended!.durationSec], [1, 0])
})

test('05 the callee rings and never answers, the operator gives up: no_answer, and the call ends', () => {
  const r = conclude(real('05-'))
  assert.equal(r.of('originate').map((e) => e.outcome), ['no_answer'])
  assert.is(r.of('ended').length, 1)
  assert.equal(r.active, [])
})

test('06 through a queue with Local members: rings PJSIP/8001 only (8003 is unregistered), answered there, ended', () => {
  const r = conclude(real('06-'))
  assert.equal(r.types, ['ringing', 'recording', 'answered', 'ended'])
  assert.equal(r.of('ringing').map((e) => e.operatorDevice), ['PJSIP/8001'])
  assert.is(r.of('ringing')[0]!.callerNumber, '3512')
  assert.is(r.of('answered')[0]!.operatorDevice, 'PJSIP/8001')
  assert.equal([r.of('ended')[0]!.missed, r.of('ended')[0]!.durationSec], [false, 8])
})

test('every capture parses the same whole or cut into pieces, and replays to the same conclusions', () => {
  const files = [...readdirSync(REAL).map((f) => join(REAL, f)), ...readdirSync(OLD).map((f) => join(OLD, f))].filter((f) => f.endsWith('.rx-raw.txt'))
  assert.ok(files.length >= 15)
  for (const f of files) {
    const whole = parse(f)
    const cut = parse(f, 1 + Math.floor(Math.random() * 23))
    assert.equal(cut, whole, f)
    assert.equal(conclude(cut).seen, conclude(whole).seen, f)
  }
})

test('older captures (Local channels into context hotline): click-to-dial outcomes from the callee leg', () => {
  // 03: Local/100@hotline originated, the dialplan dials 200 which answers
  const a = conclude(parse(join(OLD, '03-originate-local100-to-200-mixmonitor.rx-raw.txt')))
  assert.ok(a.of('originate').length <= 1)
  assert.equal(a.active, [])
  // 04: Local/300 never answers: the first leg never picked up
  const b = conclude(parse(join(OLD, '04-originate-local300-noanswer.rx-raw.txt')))
  assert.equal(b.of('originate').map((e) => e.outcome), ['operator_no_answer'])
  // 05: an extension that does not exist, and a channel technology that does not exist, cannot even be rung
  const c = conclude(parse(join(OLD, '05-originate-nonexistent-extension.rx-raw.txt')))
  assert.equal(c.of('originate').map((e) => [e.reference, e.outcome]), [['orig-999', 'operator_no_answer'], ['orig-badtech', 'operator_no_answer']])
})

test('a caller ID that arrives after Newchannel (NewCallerid) is the caller number', () => {
  const call = (n: number) => ({ Channel: 'Local/100@hotline-00000001;1', Uniqueid: '9.1', Linkedid: '9.1', Context: 'hotline', Exten: '100', ...(n ? {} : {}) })
  const r = conclude([
    { Event: 'Newchannel', ...call(0), CallerIDNum: '<unknown>' },
    { Event: 'NewCallerid', ...call(1), CallerIDNum: '+86 138-0000-1111' },
    { Event: 'DialBegin', ...call(2), CallerIDNum: '+8613800001111', DestChannel: 'PJSIP/8002-00000002', DestUniqueid: '9.2' },
    { Event: 'Hangup', ...call(3), Cause: '16' },
  ])
  assert.is(r.of('ringing')[0]!.callerNumber, '13800001111')
  assert.is(r.of('ringing')[0]!.operatorDevice, 'PJSIP/8002')
})

test('the dialplan marker HOTLINE_CALL makes any extension a hotline call (a DID routed to the desk)', () => {
  const ch = { Channel: 'PJSIP/trunk-0000000a', Uniqueid: '7.1', Linkedid: '7.1', Context: 'from-trunk', Exten: '88881234', CallerIDNum: '008613900002222' }
  const r = conclude([
    { Event: 'Newchannel', ...ch },
    { Event: 'VarSet', ...ch, Variable: 'HOTLINE_CALL', Value: '1' },
    { Event: 'DialBegin', ...ch, DestChannel: 'PJSIP/8003-0000000b', DestUniqueid: '7.2' },
    { Event: 'Hangup', ...ch, Cause: '16' },
  ])
  assert.equal(r.of('ringing').map((e) => [e.callerNumber, e.operatorDevice]), [['13900002222', 'PJSIP/8003']])
  assert.is(r.of('ended')[0]!.missed, true)
  // without the marker, an outside call to some other number is none of the hotline's business
  const none = conclude([{ Event: 'Newchannel', ...ch }, { Event: 'DialBegin', ...ch, DestChannel: 'PJSIP/3512-0000000b' }, { Event: 'Hangup', ...ch }])
  assert.equal(none.seen, [])
})

test('a ring group rings several operators: each is told once; the first to answer has it', () => {
  const ch = { Channel: 'PJSIP/3512-00000001', Uniqueid: '5.1', Linkedid: '5.1', Context: 'internal', Exten: '100', CallerIDNum: '3512' }
  const r = conclude([
    { Event: 'Newchannel', ...ch },
    ...['8001', '8002', '8002'].map((d, i) => ({ Event: 'DialBegin', ...ch, DestChannel: `PJSIP/${d}-0000000${i}`, DestUniqueid: `5.${i + 2}` })),
    { Event: 'DialEnd', ...ch, DestChannel: 'PJSIP/8002-00000001', DialStatus: 'ANSWER' },
    { Event: 'DialEnd', ...ch, DestChannel: 'PJSIP/8001-00000000', DialStatus: 'CANCEL' },
    { Event: 'Hangup', ...ch, Cause: '16' },
  ])
  assert.equal(r.of('ringing').map((e) => e.operatorDevice), ['PJSIP/8001', 'PJSIP/8002'])
  assert.equal(r.of('answered').map((e) => e.operatorDevice), ['PJSIP/8002'])
})

test('outcomes a dialer can trust: busy (17), unreachable (34), cancelled before it rang', () => {
  const run = (calleeEvents: AmiMessage[]) => {
    const op = { Channel: 'PJSIP/8001-00000001', Uniqueid: '3.1', Linkedid: '3.1', Context: 'outbound', Exten: '13800001111' }
    const callee = { Channel: 'PJSIP/trunk-00000002', Uniqueid: '3.2', Linkedid: '3.1', Context: 'internal' }
    return conclude([
      { Event: 'Newchannel', ...op, Exten: 's' },
      { Event: 'OriginateResponse', ActionID: 'call-9', Response: 'Success', Reason: '4', Uniqueid: '3.1' },
      { Event: 'Newchannel', ...callee },
      { Event: 'DialBegin', ...op, DestChannel: callee.Channel, DestUniqueid: '3.2' },
      ...calleeEvents.map((e) => ({ ...op, ...e })),
      { Event: 'Hangup', ...callee, Cause: '16' },
      { Event: 'Hangup', ...op, Cause: '16' },
    ]).of('originate').map((e) => e.outcome)
  }
  assert.equal(run([{ Event: 'HangupRequest', Uniqueid: '3.2', Cause: '17' }, { Event: 'DialEnd', DestUniqueid: '3.2', DialStatus: 'BUSY' }]), ['busy'])
  assert.equal(run([{ Event: 'HangupRequest', Uniqueid: '3.2', Cause: '34' }, { Event: 'DialEnd', DestUniqueid: '3.2', DialStatus: 'CONGESTION' }]), ['unreachable'])
  assert.equal(run([{ Event: 'SoftHangupRequest', Uniqueid: '3.1', Cause: '32' }, { Event: 'DialEnd', DestUniqueid: '3.2', DialStatus: 'CANCEL' }]), ['cancelled'])
  assert.equal(run([{ Event: 'DialState', DestUniqueid: '3.2', DialStatus: 'RINGING' }, { Event: 'DialEnd', DestUniqueid: '3.2', DialStatus: 'NOANSWER' }]), ['no_answer'])
})

test('a call that never reports its end is closed after a bounded time, with the reason', () => {
  let now = 1_000_000
  const model = new CallModel({ hotlineExten: '100', hotlineContext: 'hotline', now: () => now })
  const seen: CallEvent[] = []
  model.onCall((e) => seen.push(e))
  const ch = { Channel: 'PJSIP/3512-00000001', Uniqueid: '1.1', Linkedid: '1.1', Context: 'internal', Exten: '100', CallerIDNum: '3512' }
  model.handle({ Event: 'Newchannel', ...ch })
  model.handle({ Event: 'DialBegin', ...ch, DestChannel: 'PJSIP/8001-00000002' })
  assert.equal(model.expire(60_000), [], 'still young')
  now += 61_000
  assert.equal(model.expire(60_000), ['1.1'])
  const ended = seen.find((e) => e.type === 'ended') as Of<'ended'>
  assert.equal([ended.reason, ended.missed], ['no_end_reported', true])
  assert.equal(model.active, [])
})

test('caller numbers normalised: country codes and a trunk 0 before a mobile go; extensions stay', () => {
  assert.is(normaliseNumber('+8613800001111'), '13800001111')
  assert.is(normaliseNumber('008613800001111'), '13800001111')
  assert.is(normaliseNumber('8613800001111'), '13800001111')
  assert.is(normaliseNumber('013800001111'), '13800001111')
  assert.is(normaliseNumber('3512'), '3512')
  assert.is(normaliseNumber('02161234567'), '02161234567')
  assert.is(normaliseNumber('<unknown>'), '')
  assert.is(normaliseNumber('anonymous'), '')
})

test('hostile AMI: random bytes and random events never throw in the parser or the call model', () => {
  const model = new CallModel({ hotlineExten: '100', hotlineContext: 'hotline' })
  const parser = new AmiParser({ message: (m) => model.handle(m) }, { expectBanner: false })
  const names = ['Newchannel', 'DialBegin', 'DialEnd', 'Hangup', 'VarSet', 'OriginateResponse', 'Newexten', 'HangupRequest', 'DialState']
  const keys = ['Uniqueid', 'Linkedid', 'Channel', 'DestChannel', 'DestUniqueid', 'Exten', 'Context', 'Cause', 'DialStatus', 'Variable', 'Value', 'ActionID']
  for (let i = 0; i < 20_000; i++) {
    if (i % 3 === 0) { parser.push(Buffer.from(Array.from({ length: 40 }, () => Math.floor(Math.random() * 256)))); continue }
    const lines = [`Event: ${names[i % names.length]}`, ...keys.filter(() => Math.random() < 0.6).map((k) => `${k}: ${Math.random() < 0.5 ? '1.1' : '100'}`)]
    parser.push(`${lines.join('\r\n')}\r\n\r\n`)
  }
  assert.ok(model.active.length < 20_000)
})

test.run()
