// The callback agent's day over the real HTTP and WebSocket API, against the PBX simulator over AMI
// (TCP): progressive mode through ten patients with every disposition, retries landing when the
// policy says (the clock moved by the test), windows and do-not-call enforced, two agents racing
// for one task, and the app restarted mid-call while the PBX keeps the call up.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts'
import { startTelephony } from '../../server/src/calls/telephony.ts'
import { loadConfig } from '../../server/src/config.ts'
import { PbxSimulator, type CalleeBehaviour } from '../../telephony/src/index.ts'

const recordingsDir = mkdtempSync(join(tmpdir(), 'hotline-dialer-'))
// Monday 7 December 2026, 10:00 in Shanghai; the test moves it on
let offset = Date.parse('2026-12-07T02:00:00Z') - Date.now()
const now = () => new Date(Date.now() + offset)
const moveTo = (iso: string) => { offset = Date.parse(iso) - Date.now() }

// the patients' phones, as the simulator plays them (times are divided by the simulator's speed)
const talks = (talkMs: number): CalleeBehaviour => ({ kind: 'answer', answerAfterMs: 500, talkMs })
const PHONES: Record<string, CalleeBehaviour> = {
  '13800000001': talks(3000), '13800000002': { kind: 'no_answer' }, '13800000012': talks(3000), '13800000003': { kind: 'busy' },
  '13800000004': { kind: 'invalid' }, '13800000005': talks(3000), '13800000006': talks(3000), '13800000007': talks(3000),
  '13800000008': talks(3000), '13800000009': talks(3000), '13800000010': talks(3000), '13800000011': talks(3000), '13800000013': talks(40_000),
}
const sim = new PbxSimulator({ recordingsDir, registered: ['PJSIP/8002', 'PJSIP/8004'], speed: 10, callee: (n) => PHONES[n] })

let database: TestDatabase
let t: TestApp
let phone: Awaited<ReturnType<typeof startTelephony>>
let config: ReturnType<typeof loadConfig>
const task: Record<string, number> = {}

const waitUntil = async (what: string, fn: () => Promise<boolean> | boolean, ms = 10_000) => {
  const t0 = Date.now()
  while (!(await fn())) { if (Date.now() - t0 > ms) throw new Error(`timed out waiting: ${what}`); await new Promise((r) => setTimeout(r, 25)) }
}
const me = async () => (await t.call('agent', 'GET', '/api/callbacks/me')).body
/** waits until the agent is in wrap-up after a call with this patient, and returns the attempt */
async function wrapUpOf(key: string) {
  let view: any
  await waitUntil(`wrap-up after ${key}`, async () => { view = await me(); return view.state === 'wrap_up' && view.current?.taskId === task[key] })
  return view.current.attemptId as number
}
const taskRow = (key: string) => t.db.db.selectFrom('callback_task').selectAll().where('id', '=', task[key]!).executeTakeFirstOrThrow()
const dispose = (attemptId: number, body: unknown) => t.call('agent', 'POST', `/api/callbacks/attempts/${attemptId}/disposition`, body)
async function answersFor(key: string) {
  const card = (await t.call('agent', 'GET', `/api/callbacks/tasks/${task[key]}`)).body
  return Object.fromEntries(card.template.questions.map((q: any) => [q.key, q.kind === 'scale' ? '4' : q.kind === 'yes_no' ? '否' : q.kind === 'choice' ? q.options[0] : '还好']))
}

async function bootApp() {
  phone = await startTelephony(config, () => {})
  t = await startTestApp({ recordingsDir, asterisk: config.asterisk, callbacks: { ...config.callbacks, intervalMs: 100 } }, database, { telephony: phone, dialer: { now, timer: true } })
  await waitUntil('PBX up', () => phone.status() === 'up')
}

test.before(async () => {
  const port = await sim.start()
  config = loadConfig({ DATA_DIR: '/nonexistent', ASTERISK_HOST: '127.0.0.1', ASTERISK_PORT: String(port), ASTERISK_USER: 'hotline', ASTERISK_SECRET: 'hotline-secret' }, { recordingsDir })
  database = await createTestDatabase()
  await bootApp()
  // the demo's own plans are set aside: this day is ten patients of ours (T1 … T10) and one for the restart
  await t.db.db.updateTable('callback_task').set({ status: 'cancelled', cancel_reason: 'test' }).where('status', '=', 'planned').execute()
  const agent = (await t.db.db.selectFrom('app_user').select('id').where('username', '=', 'agent').executeTakeFirstOrThrow()).id
  const phonesOf: Record<string, { use: string; number: string }[]> = {
    T1: [{ use: 'mobile', number: '13800000001' }], T2: [{ use: 'mobile', number: '13800000002' }, { use: 'relative', number: '13800000012' }],
    T3: [{ use: 'mobile', number: '13800000003' }], T4: [{ use: 'mobile', number: '13800000004' }], T5: [{ use: 'mobile', number: '13800000005' }],
    T6: [{ use: 'mobile', number: '13800000006' }], T7: [{ use: 'mobile', number: '13800000007' }], T8: [{ use: 'mobile', number: '13800000008' }],
    T9: [{ use: 'mobile', number: '13800000009' }], T10: [{ use: 'mobile', number: '13800000010' }], POOL: [{ use: 'mobile', number: '13800000011' }],
    LONG: [{ use: 'mobile', number: '13800000013' }],
  }
  const keys = Object.keys(phonesOf)
  const records = keys.map((key) => ({
    source: 'EMR', event: 'A03', visitNumber: `DIAL-${key}`, mrn: `M-DIAL-${key}`, name: `患者${key}`, sex: 'F', birthDate: '1958-03-02', phones: phonesOf[key],
    department: '0202', attendingDoctor: '周医生', patientClass: 'I', admittedAt: '2026-11-20T08:00:00+08:00', dischargedAt: '2026-11-30T10:00:00+08:00', disposition: '01',
    diagnoses: [{ code: 'E11.9', text: '2型糖尿病' }],
  }))
  const res = await t.call('agent', 'POST', '/api/discharges', records)
  assert.is(res.status, 200, JSON.stringify(res.body))
  for (const [i, key] of keys.entries()) {
    const row = await t.db.db.selectFrom('callback_task as c').innerJoin('stay as s', 's.id', 'c.stay_id').select('c.id').where('s.visit_number', '=', `DIAL-${key}`).where('c.status', '=', 'planned').executeTakeFirstOrThrow()
    task[key] = row.id
    // due today, morning and afternoon windows; T1 first … T10 last; POOL and LONG wait for their own tests
    await t.db.db.updateTable('callback_task').set({
      due_date: '2026-12-07', due_at: new Date('2026-12-07T01:00:00Z'), priority: key === 'POOL' || key === 'LONG' ? 5 : 1, assigned_user_id: key === 'POOL' ? null : agent,
      windows: JSON.stringify([{ from: '09:00', to: '12:00' }, { from: '14:00', to: '17:00' }]), status: key === 'POOL' || key === 'LONG' ? 'cancelled' : 'planned',
    }).where('id', '=', row.id).execute()
    await t.db.db.updateTable('callback_task').set({ due_at: new Date(Date.parse('2026-12-07T01:00:00Z') + i * 60_000) }).where('id', '=', row.id).execute()
  }
})
test.after(async () => { await t.close(); await phone.close(); await sim.stop() })

test('progressive mode: ready dials T1 by itself; the card opens masked; answers checked against the template; every disposition does what it says', async () => {
  const socket = await t.connect('agent')
  const ready = await t.call('agent', 'POST', '/api/callbacks/me/state', { state: 'ready' })
  assert.is(ready.status, 200, JSON.stringify(ready.body))
  const dialling = await socket.next((m) => m.type === 'callback.agent' && m.data.current?.taskId === task.T1, 3000)
  assert.ok(['dialing'].includes(dialling.data.state))

  // the card: masked phone, opening filled in, the audit has the look
  const card = (await t.call('agent', 'GET', `/api/callbacks/tasks/${task.T1}`)).body
  assert.equal(card.phones.map((p: any) => p.number), ['138****0001'])
  assert.match(card.opening, /患者T1|刘|周医生|内分泌/)
  assert.ok(await t.db.db.selectFrom('audit_log').select('id').where('action', '=', 'view_patient_card').where('subject', '=', `callback_task:${task.T1}`).executeTakeFirst())

  // T1: answered, talked, wrap-up; a disposition before the call is over is refused, a bad answer names the question
  const a1 = await wrapUpOf('T1')
  const view = await me()
  assert.ok(Date.parse(view.wrapUpUntil) - Date.parse(view.since) === 30_000, 'a 30 s wrap-up')
  const answers = await answersFor('T1')
  const scale = card.template.questions.find((q: any) => q.kind === 'scale') ?? card.template.questions.find((q: any) => q.kind === 'yes_no')
  const bad = await dispose(a1, { disposition: 'completed', answers: { ...answers, [scale.key]: '9' } })
  assert.equal([bad.status, bad.body.field], [400, `answers.${scale.key}`])
  const missing = await dispose(a1, { disposition: 'completed', answers: {} })
  assert.equal([missing.status, missing.body.field?.startsWith('answers.')], [400, true])
  const unknown = await dispose(a1, { disposition: 'completed', answers: { ...answers, nosuch: '1' } })
  assert.equal([unknown.status, unknown.body.field], [400, 'answers.nosuch'])
  const ok = await dispose(a1, { disposition: 'completed', answers, notes: '恢复良好' })
  assert.is(ok.status, 200, JSON.stringify(ok.body))
  assert.is(ok.body.task.status, 'done')
  assert.equal((await taskRow('T1')).answers, answers)

  // T2 rings out, T3 is busy, T4 does not exist: each disposed of by its outcome, the next dialled at once
  const a5 = await wrapUpOf('T5')
  const t2 = await taskRow('T2'); const t3 = await taskRow('T3'); const t4 = await taskRow('T4')
  assert.equal([t2.status, t2.attempts, t2.phone_position], ['planned', 1, 2], 'T2: the relative\'s phone next')
  assert.is(Math.round((t2.next_attempt_at!.getTime() - now().getTime()) / 60_000), 120, 'T2: no answer → 2 h')
  assert.equal([t3.status, t3.attempts], ['planned', 1])
  assert.ok(Math.abs((t3.next_attempt_at!.getTime() - now().getTime()) / 60_000 - 15) < 1, 'T3: busy → 15 min')
  assert.equal([t4.status, t4.outcome], ['unreachable', 'unreachable'], 'T4: the only number does not exist')

  // T5 refuses and asks never to be called again: the do-not-call list has the patient, a dial is refused
  assert.is((await dispose(a5, { disposition: 'refused', doNotCall: true, notes: '不要再打了' })).status, 200)
  const dnc = (await t.call('agent', 'GET', '/api/do-not-call')).body.items
  assert.ok(dnc.some((d: any) => d.patient === '患者T5'))
  // T6 is someone else's phone; T7 asks to be called at 15:00; T8 is back in hospital; T9 has died
  assert.is((await dispose(await wrapUpOf('T6'), { disposition: 'wrong_person' })).status, 200)
  const later = await dispose(await wrapUpOf('T7'), { disposition: 'call_back_later', callBackAt: '2026-12-07T15:00:00+08:00' })
  assert.is(later.status, 200, JSON.stringify(later.body))
  assert.is((await dispose(await wrapUpOf('T8'), { disposition: 'readmitted' })).status, 200)
  assert.is((await dispose(await wrapUpOf('T9'), { disposition: 'deceased' })).status, 200)
  const a10 = await wrapUpOf('T10')
  const lunch = await dispose(a10, { disposition: 'call_back_later', callBackAt: '2026-12-07T12:30:00+08:00' })
  assert.equal([lunch.status, lunch.body.field], [400, 'callBackAt'], 'not in the lunch break')
  assert.is((await dispose(a10, { disposition: 'completed', answers: await answersFor('T10') })).status, 200)

  const rows = Object.fromEntries(await Promise.all(['T5', 'T6', 'T7', 'T8', 'T9', 'T10'].map(async (k) => [k, await taskRow(k)])))
  assert.equal([rows.T5.status, rows.T5.outcome], ['done', 'refused'])
  assert.equal([rows.T6.status, rows.T6.outcome], ['unreachable', 'unreachable'], 'T6: no other number to try')
  assert.equal([rows.T7.status, rows.T7.appointment_at?.toISOString()], ['planned', '2026-12-07T07:00:00.000Z'])
  assert.equal([rows.T8.status, rows.T8.outcome], ['cancelled', 'readmitted'])
  assert.equal([rows.T9.status, rows.T9.outcome], ['cancelled', 'deceased'])
  assert.is((await t.db.db.selectFrom('patient').select('deceased').where('mrn', '=', 'M-DIAL-T9').executeTakeFirstOrThrow()).deceased, true)
  assert.is(rows.T10.status, 'done')
  // nothing left in the window: the agent is ready and idle, the counters say so
  await waitUntil('idle', async () => (await me()).state === 'ready')
  socket.socket.terminate()
  const counters = (await me()).counters
  assert.equal(counters, { due: 10, done: 7, left: 3, retries: 3 }, JSON.stringify(counters))
})

test('windows and do-not-call are enforced at dial time on the server: 409s naming the reason, nothing dialled', async () => {
  const calls = async () => Number((await t.db.db.selectFrom('call').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)
  const before = await calls()
  await t.call('agent', 'POST', '/api/callbacks/me/state', { state: 'paused', reason: 'break' })
  await t.db.db.updateTable('callback_task').set({ status: 'planned', outcome: null }).where('id', '=', task.T5!).execute()
  const dnc = await t.call('agent', 'POST', `/api/callbacks/tasks/${task.T5}/dial`)
  assert.equal([dnc.status, dnc.body.error], [409, 'do_not_call'])
  assert.match(dnc.body.message, /免打扰/)
  await t.db.db.updateTable('callback_task').set({ status: 'done', outcome: 'refused' }).where('id', '=', task.T5!).execute()
  moveTo('2026-12-07T04:30:00Z') // 12:30: the hospital's lunch break
  const lunch = await t.call('agent', 'POST', `/api/callbacks/tasks/${task.T2}/dial`)
  assert.equal([lunch.status, lunch.body.error], [409, 'outside_calling_hours'])
  moveTo('2026-12-07T09:30:00Z') // 17:30: inside calling hours, after the task's own windows
  const late = await t.call('agent', 'POST', `/api/callbacks/tasks/${task.T2}/dial`)
  assert.equal([late.status, late.body.error], [409, 'outside_window'])
  moveTo('2026-12-13T02:00:00Z') // a Sunday
  assert.is((await t.call('agent', 'POST', `/api/callbacks/tasks/${task.T2}/dial`)).body.error, 'outside_calling_hours')
  const closed = await t.call('agent', 'POST', `/api/callbacks/tasks/${task.T1}/dial`)
  assert.ok([409].includes(closed.status))
  assert.is(await calls(), before, 'nothing dialled')
})

test('the retries land when the policy says: T2 on the relative\'s phone after 2 h, T7 at its appointment, T3 busy three times → unreachable', async () => {
  moveTo('2026-12-07T06:05:00Z') // 14:05: T2 (2 h passed) and T3 (15 min passed) are due again
  assert.is((await t.call('agent', 'POST', '/api/callbacks/me/state', { state: 'ready' })).status, 200)
  const a2 = await wrapUpOf('T2')
  const attempt = await t.db.db.selectFrom('callback_attempt').innerJoin('call', 'call.id', 'callback_attempt.call_id').select(['call.callee_number', 'callback_attempt.phone_use']).where('callback_attempt.id', '=', a2).executeTakeFirstOrThrow()
  assert.equal([attempt.callee_number, attempt.phone_use], ['13800000012', 'relative'])
  assert.is((await dispose(a2, { disposition: 'completed', answers: await answersFor('T2') })).status, 200)
  await waitUntil('T3 busy again', async () => (await taskRow('T3')).attempts === 2)
  // 15:00: the appointment comes before everything else
  moveTo('2026-12-07T07:00:00Z')
  const a7 = await wrapUpOf('T7')
  assert.is((await dispose(a7, { disposition: 'completed', answers: await answersFor('T7') })).status, 200)
  await waitUntil('T3 given up', async () => (await taskRow('T3')).status === 'unreachable')
  assert.equal([(await taskRow('T3')).attempts, (await taskRow('T3')).outcome], [3, 'unreachable'])
  await t.call('agent', 'POST', '/api/callbacks/me/state', { state: 'paused', reason: 'meeting' })
})

test('two agents racing for one pool task: one dials it, the other is told it is being dialled', async () => {
  const created = await t.call('admin', 'POST', '/api/users', { username: 'agent2', displayName: '回访专员 二', role: 'callback_agent', password: 'agent-two-pass', phoneDevice: 'PJSIP/8004' })
  assert.is(created.status, 201, JSON.stringify(created.body))
  await t.login('agent2' as any, 'agent-two-pass')
  await t.db.db.updateTable('callback_task').set({ status: 'planned' }).where('id', '=', task.POOL!).execute()
  const [a, b] = await Promise.all([t.call('agent', 'POST', `/api/callbacks/tasks/${task.POOL}/dial`), t.call('agent2' as any, 'POST', `/api/callbacks/tasks/${task.POOL}/dial`)])
  assert.equal([a.status, b.status].sort(), [202, 409], JSON.stringify([a.body, b.body]))
  assert.is((a.status === 409 ? a : b).body.error, 'being_dialled')
  const winner = a.status === 202 ? 'agent' : 'agent2'
  // the winner talks, wraps up
  let view: any
  await waitUntil('winner wrap-up', async () => { view = (await t.call(winner as any, 'GET', '/api/callbacks/me')).body; return view.state === 'wrap_up' })
  assert.is((await t.call(winner as any, 'POST', `/api/callbacks/attempts/${view.current.attemptId}/disposition`, { disposition: 'refused' })).status, 200)
  const other = await t.call(winner === 'agent' ? 'agent2' as any : 'agent', 'POST', `/api/callbacks/tasks/${task.POOL}/dial`)
  assert.is(other.status, 403, 'the pool task is now the winner\'s')
  // a supervisor sees both agents and today's totals
  const sup = (await t.call('manager', 'GET', '/api/callbacks/supervisor')).body
  const mine = sup.agents.find((x: any) => x.name === '回访专员 杨雪')
  assert.ok(mine.today.dialled >= 10 && mine.today.reached >= 8 && mine.today.completed >= 4, JSON.stringify(mine.today))
  assert.is(mine.state, 'paused')
  assert.is(mine.reason, 'meeting')
  assert.ok(sup.agents.some((x: any) => x.name === '回访专员 二'))
  // an agent cannot see the supervisor's page, nor another agent's task
  assert.is((await t.call('agent', 'GET', '/api/callbacks/supervisor')).status, 403)
  const other2 = await t.call(winner === 'agent' ? 'agent2' as any : 'agent', 'GET', `/api/callbacks/tasks/${task.POOL}`)
  assert.is(other2.status, 403)
})

test('the app restarts mid-call: the PBX keeps the call up, the new app picks it up and the agent lands in wrap-up when it ends', async () => {
  moveTo('2026-12-07T02:30:00Z')
  await t.db.db.updateTable('callback_task').set({ status: 'planned' }).where('id', '=', task.LONG!).execute()
  const dial = await t.call('agent', 'POST', `/api/callbacks/tasks/${task.LONG}/dial`)
  assert.is(dial.status, 202, JSON.stringify(dial.body))
  await waitUntil('talking', async () => (await me()).state === 'on_call')
  // the app goes away (the PBX does not); a new one starts on the same database
  await t.app.close()
  await phone.close()
  await bootApp()
  const during = await me()
  assert.is(during.state, 'on_call', 'the call is still going on after the restart')
  await waitUntil('wrap-up after the restart', async () => (await me()).state === 'wrap_up', 10_000)
  const view = await me()
  assert.is(view.current.taskId, task.LONG)
  assert.is((await dispose(view.current.attemptId, { disposition: 'completed', answers: await answersFor('LONG') })).status, 200)
})

test.run()
