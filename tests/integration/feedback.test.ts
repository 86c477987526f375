// The feedback loop over HTTP and WebSocket, with real callbacks dialled through the PBX simulator:
// a broken air conditioner heard on a callback → 总务科 → a work order → completed → the feedback
// resolves itself → the patient is asked again → satisfied → closed; a nurse's attitude → 护理部 →
// late → escalated once → resolved → the patient is not satisfied → reopened with their words.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestApp, demoRefs, type TestApp } from '../helpers/app.ts'
import { startTelephony } from '../../server/src/calls/telephony.ts'
import { loadConfig } from '../../server/src/config.ts'
import { sweep } from '../../server/src/feedback/feedback.service.ts'
import { PbxSimulator } from '../../telephony/src/index.ts'

const recordingsDir = mkdtempSync(join(tmpdir(), 'hotline-feedback-'))
// the dialer's clock: Monday 7 December 2026, 10:00 in Shanghai
let offset = Date.parse('2026-12-07T02:00:00Z') - Date.now()
const now = () => new Date(Date.now() + offset)
const moveBy = (hours: number) => { offset += hours * 3_600_000 }
const sim = new PbxSimulator({ recordingsDir, registered: ['PJSIP/8002'], speed: 10, callee: () => ({ kind: 'answer', answerAfterMs: 500, talkMs: 2000 }) })
let t: TestApp
let phone: Awaited<ReturnType<typeof startTelephony>>

const waitUntil = async (what: string, fn: () => Promise<boolean> | boolean, ms = 10_000) => {
  const t0 = Date.now()
  while (!(await fn())) { if (Date.now() - t0 > ms) throw new Error(`timed out waiting: ${what}`); await new Promise((r) => setTimeout(r, 25)) }
}
const me = async () => (await t.call('agent', 'GET', '/api/callbacks/me')).body

/** Plans a callback for a new patient and has the agent take it; returns the attempt in wrap-up. */
async function callPatient(visit: string) {
  const res = await t.call('agent', 'POST', '/api/discharges', {
    source: 'EMR', event: 'A03', visitNumber: visit, mrn: `M-${visit}`, name: `患者${visit}`, sex: 'F', birthDate: '1958-03-02', phones: [{ use: 'mobile', number: `1390000${visit.slice(-4)}` }],
    department: '0201', ward: '心内科病区', bed: '12', attendingDoctor: '周医生', patientClass: 'I', admittedAt: '2026-11-20T08:00:00+08:00', dischargedAt: '2026-11-30T10:00:00+08:00', disposition: '01',
    diagnoses: [{ code: 'I10', text: '高血压病' }],
  })
  assert.is(res.status, 200, JSON.stringify(res.body))
  const task = await t.db.db.selectFrom('callback_task as c').innerJoin('stay as s', 's.id', 'c.stay_id').select('c.id').where('s.visit_number', '=', visit).executeTakeFirstOrThrow()
  await t.db.db.updateTable('callback_task').set({ due_date: '2026-12-07', windows: JSON.stringify([{ from: '09:00', to: '17:00' }]) }).where('id', '=', task.id).execute()
  return { taskId: task.id, attemptId: await takeCall(task.id) }
}
async function takeCall(taskId: number) {
  const dial = await t.call('agent', 'POST', `/api/callbacks/tasks/${taskId}/dial`)
  assert.is(dial.status, 202, JSON.stringify(dial.body))
  let view: any
  await waitUntil(`wrap-up of task ${taskId}`, async () => { view = await me(); return view.state === 'wrap_up' && view.current?.taskId === taskId })
  return view.current.attemptId as number
}
async function answersFor(taskId: number, overrides: Record<string, string> = {}) {
  const card = (await t.call('agent', 'GET', `/api/callbacks/tasks/${taskId}`)).body
  return { ...Object.fromEntries(card.template.questions.filter((q: any) => q.required).map((q: any) => [q.key, q.kind === 'scale' ? '4' : q.kind === 'yes_no' ? '否' : q.kind === 'choice' ? q.options[0] : '还好'])), ...overrides }
}
const item = async (id: number) => (await t.call('manager', 'GET', `/api/feedback/${id}`)).body
const followUpOf = async (feedbackId: number) => (await t.db.db.selectFrom('callback_task').select('id').where('feedback_id', '=', feedbackId).where('status', '=', 'planned').executeTakeFirstOrThrow()).id

test.before(async () => {
  const port = await sim.start()
  const config = loadConfig({ DATA_DIR: '/nonexistent', ASTERISK_HOST: '127.0.0.1', ASTERISK_PORT: String(port), ASTERISK_USER: 'hotline', ASTERISK_SECRET: 'hotline-secret' }, { recordingsDir })
  phone = await startTelephony(config, () => {})
  t = await startTestApp({ recordingsDir, asterisk: config.asterisk }, undefined, { telephony: phone, dialer: { now, timer: false } })
  await waitUntil('PBX up', () => phone.status() === 'up')
  await t.db.db.updateTable('callback_task').set({ status: 'cancelled', cancel_reason: 'test' }).where('status', '=', 'planned').execute()
})
test.after(async () => { await t.close(); await phone.close(); await sim.stop() })

test('环境设施 heard on a callback → 总务科 → a work order on the ward → completed → resolved by itself → the patient asked again → satisfied → closed', async () => {
  const handler = await t.connect('handler')
  const { taskId, attemptId } = await callPatient('FB-0001')
  const done = await t.call('agent', 'POST', `/api/callbacks/attempts/${attemptId}/disposition`, {
    disposition: 'completed', answers: await answersFor(taskId), feedback: [{ class: 'environment', text: '病房空调坏了 3 天没人修', urgent: false }],
  })
  assert.is(done.status, 200, JSON.stringify(done.body))
  const [fb] = (await t.call('agent', 'GET', `/api/feedback?patientId=${(await t.db.db.selectFrom('patient').select('id').where('mrn', '=', 'M-FB-0001').executeTakeFirstOrThrow()).id}`)).body.items
  assert.equal([fb.class, fb.responsible.name, fb.status, fb.subject.name], ['environment', '总务科', 'open', '心内科'])
  assert.ok(Math.abs(Date.parse(fb.deadlineAt) - now().getTime() - 24 * 3_600_000) < 60_000, 'a 24 h deadline')
  await handler.next((m) => m.type === 'notification' && m.data.kind === 'feedback')
  assert.ok((await t.call('handler', 'GET', '/api/feedback?status=active')).body.items.some((x: any) => x.id === fb.id), 'on the handler\'s queue')

  // one step to a logistics order: the patient's place, the feedback's words
  const refs = await demoRefs(t)
  const filed = await t.call('agent', 'POST', `/api/feedback/${fb.id}/work-order`, { itemId: refs.item('repair.ac'), locationId: refs.locationOf('3512') })
  assert.is(filed.status, 201, JSON.stringify(filed.body))
  assert.is((await t.call('agent', 'POST', `/api/feedback/${fb.id}/work-order`, { itemId: refs.item('repair.ac'), locationId: refs.locationOf('3512') })).status, 409, 'filed once')
  const order = (await t.call('operator', 'GET', `/api/work-orders/${filed.body.workOrder.id}`)).body
  assert.match(order.description, '病房空调坏了')
  assert.ok(order.team?.name, 'routed to a team')
  let version = order.version
  for (const action of ['accept', 'arrive', 'complete'] as const) {
    const res = await t.call('operator', 'POST', `/api/work-orders/${order.id}/transitions`, { action, version, reason: '电话确认', ...(action === 'complete' ? { note: '更换压缩机电容，已恢复制冷' } : {}) })
    assert.is(res.status, 200, `${action}: ${JSON.stringify(res.body)}`)
    version = res.body.version
  }
  await sweep(t.db.db, now(), t.config.timeZone)
  const resolved = await item(fb.id)
  assert.is(resolved.status, 'resolved')
  assert.match(resolved.resolution, '更换压缩机电容')
  assert.is(resolved.resolvedInTime, true)

  // the patient is asked: satisfied closes the loop
  const followUp = await followUpOf(fb.id)
  const card = (await t.call('agent', 'GET', `/api/callbacks/tasks/${followUp}`)).body
  assert.is(card.template.name, '反馈处理结果回访')
  const again = await takeCall(followUp)
  assert.is((await t.call('agent', 'POST', `/api/callbacks/attempts/${again}/disposition`, { disposition: 'completed', answers: { satisfied: '是', solved: '是' } })).status, 200)
  const closed = await item(fb.id)
  assert.equal([closed.status, closed.patientSatisfied], ['closed', true])
  assert.equal(closed.events.map((e: any) => e.kind), ['created', 'work_order', 'resolved', 'patient_asked', 'closed'])
})

test('a nurse\'s attitude → 护理部 → late → escalated once → resolved → the patient is not satisfied → reopened with their words; bad moves refused', async () => {
  const { taskId, attemptId } = await callPatient('FB-0002')
  await t.call('agent', 'POST', `/api/callbacks/attempts/${attemptId}/disposition`, { disposition: 'completed', answers: await answersFor(taskId), feedback: [{ class: 'service', text: '夜班护士态度不好' }, { class: 'medical', text: '出院带药说明不清楚' }] })
  const items = (await t.call('manager', 'GET', '/api/feedback?status=open')).body.items
  const nurse = items.find((x: any) => x.text === '夜班护士态度不好')
  const medical = items.find((x: any) => x.text === '出院带药说明不清楚')
  assert.equal([nurse.responsible.name, medical.responsible.name], ['护理部', '医务科'])

  // late: the head of 护理部 is told once; later the quality office, once
  const head = await t.connect('handler')
  moveBy(25) // Tuesday 11:00
  await sweep(t.db.db, now(), t.config.timeZone)
  await sweep(t.db.db, now(), t.config.timeZone)
  assert.is((await item(nurse.id)).escalationLevel, 1)
  await head.next((m) => m.type === 'notification' && /超过处理期限/.test(m.data.message))
  moveBy(27) // Wednesday 14:00
  await sweep(t.db.db, now(), t.config.timeZone)
  await sweep(t.db.db, now(), t.config.timeZone)
  const twice = await item(nurse.id)
  assert.is(twice.escalationLevel, 2)
  assert.is(twice.events.filter((e: any) => e.kind === 'escalated').length, 2, 'exactly once per level')

  // bad moves
  assert.equal((await t.call('handler', 'POST', `/api/feedback/${medical.id}/resolve`, { version: medical.version, resolution: '已说明' })).status, 403, 'another department\'s case')
  assert.equal((await t.call('handler', 'POST', `/api/feedback/${nurse.id}/resolve`, { version: twice.version, resolution: '  ' })).body.field, 'resolution')
  const same = await t.call('handler', 'POST', `/api/feedback/${nurse.id}/transfer`, { version: twice.version, departmentId: nurse.responsible.id, reason: 'x' })
  assert.equal([same.status, same.body.field], [400, 'departmentId'])
  // two handlers at once: one wins, the other is told the case changed
  const [a, b] = await Promise.all([
    t.call('handler', 'POST', `/api/feedback/${nurse.id}/resolve`, { version: twice.version, resolution: '已与当班护士谈话并致电患者道歉', contactedBy: '护士长 李' }),
    t.call('manager', 'POST', `/api/feedback/${nurse.id}/resolve`, { version: twice.version, resolution: '已处理' }),
  ])
  assert.equal([a.status, b.status].sort(), [200, 409], JSON.stringify([a.body, b.body]))
  const resolved = await item(nurse.id)
  assert.equal([resolved.status, resolved.resolvedInTime], ['resolved', false], 'resolved after its deadline')
  assert.is((await t.call('handler', 'POST', `/api/feedback/${nurse.id}/resolve`, { version: resolved.version, resolution: '再次' })).status, 409, 'not twice')

  // the patient is not satisfied: reopened to 护理部 with their words, a new deadline
  const followUp = await followUpOf(nurse.id)
  const again = await takeCall(followUp)
  assert.is((await t.call('agent', 'POST', `/api/callbacks/attempts/${again}/disposition`, { disposition: 'completed', answers: { satisfied: '否', solved: '否', words: '没人跟我道歉' } })).status, 200)
  const reopened = await item(nurse.id)
  assert.equal([reopened.status, reopened.patientSatisfied, reopened.patientWords, reopened.responsible.name, reopened.escalationLevel], ['reopened', false, '没人跟我道歉', '护理部', 0])
  assert.ok(Date.parse(reopened.deadlineAt) > now().getTime())
  // the handler hears the call the case came from (their department's only), and the playback is audited
  await waitUntil('the recording', async () => Boolean((await t.db.db.selectFrom('call').select('recording_file').where('id', '=', nurse.callId).executeTakeFirst())?.recording_file))
  const played = await t.call('handler', 'GET', `/api/feedback/${nurse.id}/recording`, undefined, { range: 'bytes=0-' })
  assert.is(played.status, 206)
  assert.ok(await t.db.db.selectFrom('audit_log').select('id').where('action', '=', 'play_recording').where('username', '=', 'handler').executeTakeFirst())
  assert.is((await t.call('handler', 'GET', `/api/feedback/${medical.id}/recording`)).status, 403, 'not another office\'s call')
  // a case that cannot be resolved goes to the quality office with the reason
  const gave = await t.call('handler', 'POST', `/api/feedback/${nurse.id}/cannot-resolve`, { version: reopened.version, reason: '涉及人事处理，需院领导决定' })
  assert.is(gave.status, 200, JSON.stringify(gave.body))
  assert.equal([(await item(nurse.id)).status, (await item(nurse.id)).responsible.name], ['cannot_resolve', '质控科'])
  // 质控科 (the manager heads it) decides: resolved with what was done
  const quality = await item(nurse.id)
  const decided = await t.call('manager', 'POST', `/api/feedback/${nurse.id}/resolve`, { version: quality.version, resolution: '院办约谈当事护士，已向患者书面致歉' })
  assert.is(decided.status, 200, JSON.stringify(decided.body))

})

test.run()
