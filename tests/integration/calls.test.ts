// The phone system and the desk, end to end over real sockets: the PBX simulator speaks AMI over
// TCP to the server's telephony module; screens listen on /ws.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestApp, demoRefs, type TestApp } from '../helpers/app.ts'
import { startTelephony } from '../../server/src/calls/telephony.ts'
import { loadConfig } from '../../server/src/config.ts'

let t: TestApp
let phone: Awaited<ReturnType<typeof startTelephony>>
const recordingsDir = mkdtempSync(join(tmpdir(), 'hotline-calls-'))
const waitUntil = async (fn: () => Promise<boolean> | boolean, ms = 5000) => {
  const t0 = Date.now()
  while (!(await fn())) { if (Date.now() - t0 > ms) throw new Error('timed out'); await new Promise((r) => setTimeout(r, 20)) }
}

test.before(async () => {
  const config = loadConfig({ DATA_DIR: '/nonexistent' }, { recordingsDir })
  phone = await startTelephony(config, () => {})
  t = await startTestApp({ recordingsDir }, undefined, { telephony: phone })
  await waitUntil(() => phone.status() === 'up')
})
test.after(async () => { await t.close(); await phone.close() })

test('a ringing hotline call pops on the desk within 200 ms with the caller\'s ward and open orders; an order filed on the call is linked; the recording plays with ranges', async () => {
  const refs = await demoRefs(t)
  // the caller already has an open order
  const earlier = await t.call('operator', 'POST', '/api/work-orders', { itemId: refs.item('repair.light'), locationId: refs.locationOf('3512'), urgency: 'routine', requester: { name: '护士 王丽', extension: '3512' } })
  const desk = await t.connect('operator')
  const sim = phone.raw.simulator!
  const rangAt = performance.now()
  sim.simulateIncomingCall({ from: '3512', answerBy: 'PJSIP/8001', answerAfterMs: 300, talkMs: 1500 })
  const pop = await desk.next((m) => m.type === 'call.ringing', 2000)
  const popMs = pop.receivedAt - rangAt
  console.log(`  screen pop ${popMs.toFixed(1)} ms after the call rang`)
  assert.ok(popMs < 200, `screen pop took ${popMs.toFixed(0)} ms`)
  assert.is(pop.data.callerNumber, '3512')
  assert.match(pop.data.location.fullName, '心内科病区 512室')
  assert.ok(pop.data.openOrders.some((o: any) => o.id === earlier.body.id))
  const operator = (await t.call('operator', 'GET', '/api/session')).body.user
  assert.is(pop.data.operatorUserId, operator.id, 'the operator whose phone rings is named')

  // filed and chased during the call: both linked to it
  const callId = String(pop.data.callId)
  const order = await t.call('operator', 'POST', '/api/work-orders', { itemId: refs.item('repair.ac'), locationId: refs.locationOf('3512'), urgency: 'urgent', requester: { name: '护士 王丽', extension: '3512' }, callId })
  assert.is(order.status, 201)
  await t.call('operator', 'POST', `/api/work-orders/${earlier.body.id}/chases`, { callId })
  await desk.next((m) => m.type === 'call.answered', 3000)
  const ended = await desk.next((m) => m.type === 'call.ended', 5000)
  assert.is(ended.data.missed, false)

  await waitUntil(async () => (await t.call('operator', 'GET', `/api/calls/${callId}`)).body.hasRecording)
  const call = (await t.call('operator', 'GET', `/api/calls/${callId}`)).body
  assert.is(call.state, 'ended')
  assert.is(call.hangupCause, 16)
  assert.ok(call.durationSec >= 1)
  assert.equal(call.orders.map((o: any) => o.number), [order.body.number])
  assert.equal(call.chases.map((c: any) => c.number), [earlier.body.number])

  const full = await t.call('operator', 'GET', `/api/calls/${callId}/recording`)
  assert.is(full.status, 200)
  assert.is(full.headers['accept-ranges'], 'bytes')
  const part = await t.call('operator', 'GET', `/api/calls/${callId}/recording`, undefined, { range: 'bytes=0-43' })
  assert.is(part.status, 206)
  assert.match(part.headers['content-range'], /^bytes 0-43\/\d+$/)
  assert.is((part.body as unknown as Buffer).subarray(0, 4).toString(), 'RIFF')
  assert.is((await t.call('tech', 'GET', `/api/calls/${callId}/recording`)).status, 403)
  const audit = await t.call('admin', 'GET', `/api/audit?subject=call:${callId}`)
  assert.ok(audit.body.items.some((a: any) => a.action === 'play_recording' && a.username === 'operator'))
})

test('a call nobody answers is listed as missed with a call-back number', async () => {
  const desk = await t.connect('operator')
  phone.raw.simulator!.simulateIncomingCall({ from: '2120', ringMs: 300 })
  const ended = await desk.next((m) => m.type === 'call.ended' && m.data.missed, 3000)
  const missed = await t.call('operator', 'GET', '/api/calls?missed=true')
  assert.ok(missed.body.items.some((c: any) => c.id === ended.data.callId && c.callerNumber === '2120'))
})

test('click-to-dial rings my phone first, then reports answered and no answer', async () => {
  const desk = await t.connect('operator')
  const answered = await t.call('operator', 'POST', '/api/calls/originate', { number: '3601' })
  assert.is(answered.status, 202)
  const noAnswer = await t.call('operator', 'POST', '/api/calls/originate', { number: '300' })
  const outcomes = new Map<number, string>()
  while (outcomes.size < 2) {
    const m = await desk.next((x) => x.type === 'call.outcome', 8000)
    outcomes.set(m.data.callId, m.data.outcome)
  }
  assert.is(outcomes.get(answered.body.callId), 'answered')
  assert.is(outcomes.get(noAnswer.body.callId), 'no_answer')
  assert.is((await t.call('operator', 'GET', `/api/calls/${noAnswer.body.callId}`)).body.outcome, 'no_answer')
})

test('the PBX goes away and comes back: the board sees the outage and the recovery within 5 s; calls can be logged by hand meanwhile', async () => {
  const board = await t.connect('manager')
  const sim = phone.raw.simulator!
  const port = sim.port
  await sim.stop()
  await board.next((m) => m.type === 'pbx.status' && m.data.status === 'down', 3000)
  assert.is((await t.call(null, 'GET', '/api/health')).body.pbx !== 'up', true)
  const manual = await t.call('operator', 'POST', '/api/calls', { direction: 'in', number: '3701', note: '电话系统故障期间手工登记' })
  assert.is(manual.status, 201)
  assert.is(manual.body.manual, true)
  assert.is((await t.call('operator', 'POST', '/api/calls/originate', { number: '3601' })).body.error, 'pbx_down')
  const back = Date.now()
  const before = Number((await t.db.db.selectFrom('call').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)
  await sim.start(port)
  await board.next((m) => m.type === 'pbx.status' && m.data.status === 'up', 5000)
  assert.ok(Date.now() - back < 5000)
  assert.is((await t.call(null, 'GET', '/api/health')).body.pbx, 'up')
  // after the outage: a new call is recorded once, and nothing from before is duplicated
  const desk = await t.connect('operator')
  sim.simulateIncomingCall({ from: '3801', answerBy: 'PJSIP/8001', answerAfterMs: 100, talkMs: 300 })
  await desk.next((m) => m.type === 'call.ended', 5000)
  const after = await t.db.db.selectFrom('call').select(['id', 'linkedid']).execute()
  assert.is(after.length, before + 1)
  assert.is(new Set(after.map((c) => c.linkedid).filter(Boolean)).size, after.filter((c) => c.linkedid).length, 'no call recorded twice')
})

test('a call that was up when the PBX went away is closed after it comes back, not left ringing', async () => {
  const sim = phone.raw.simulator!
  const port = sim.port
  const desk = await t.connect('operator')
  sim.simulateIncomingCall({ from: '3901', answerBy: 'PJSIP/8001', answerAfterMs: 100, talkMs: 60_000 })
  const ringing = await desk.next((m) => m.type === 'call.ringing' && m.data.callerNumber === '3901', 3000)
  await desk.next((m) => m.type === 'call.answered', 3000)
  await sim.stop()
  await sim.start(port)
  await waitUntil(async () => (await t.db.db.selectFrom('call').select('state').where('id', '=', ringing.data.callId).executeTakeFirstOrThrow()).state === 'ended', 8000)
  const call = (await t.call('operator', 'GET', `/api/calls/${ringing.data.callId}`)).body
  assert.match(call.hangupCauseText, 'PBX link was down')
})

test.run()
