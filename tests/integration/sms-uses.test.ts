// Where SMS is used, each switched by the administrator: the job to an assignee who has no session
// in the app (and not to one who has), the reminders of a booked job 24 h and 1 h before its slot
// (once each, on a clock the test moves), "your feedback was resolved" to the patient only with
// their consent, and the done survey stopped by its switch. Sent through the log gateway.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startTestApp, demoRefs, type TestApp } from '../helpers/app.ts'
import { withSms } from '../../server/src/messaging/messaging.types.ts'

// Monday 7 December 2026, 10:00 in Shanghai; the SMS channel's clock
let clock = new Date('2026-12-07T02:00:00Z')
let t: TestApp
let refs: Awaited<ReturnType<typeof demoRefs>>
const messages = (key: string) => withSms(t.db.db).selectFrom('sms_message').select(['recipient', 'text', 'status', 'dedupe_key']).where('dedupe_key', 'like', key).orderBy('id').execute()
const sweep = () => t.app.services.sms!.sweep()

test.before(async () => {
  t = await startTestApp({}, undefined, { now: () => clock, sms: { worker: false, now: () => clock } })
  refs = await demoRefs(t)
})
test.after(async () => { await t.close() })

test('the administrator sees and switches each use; the manager reads; a code that is none is refused; the change is audited', async () => {
  const uses = (await t.call('manager', 'GET', '/api/sms/uses')).body.items
  assert.equal(uses.map((u: any) => `${u.code}:${u.enabled}`), ['order.assigned:false', 'order.done:true', 'booking.reminder:true', 'feedback.resolved:false', 'callback.survey:true'])
  assert.is((await t.call('manager', 'PUT', '/api/sms/uses/order.assigned', { enabled: true })).status, 403)
  const bad = await t.call('admin', 'PUT', '/api/sms/uses/order.everything', { enabled: true })
  assert.is(bad.status, 400)
  assert.is(bad.body.field, 'code')
  const on = await t.call('admin', 'PUT', '/api/sms/uses/order.assigned', { enabled: true })
  assert.is(on.status, 200, JSON.stringify(on.body))
  assert.is(on.body.enabled, true)
  const log = await t.db.db.selectFrom('audit_log').select(['action', 'subject']).where('action', '=', 'sms_use').execute()
  assert.equal(log, [{ action: 'sms_use', subject: 'sms_use:order.assigned' }])
})

const repair = () => ({ itemId: refs.item('repair.light'), locationId: refs.locationOf('3512'), urgency: 'routine', requester: { name: '护士 王丽', phone: '13912345678' } })

test('a job goes by SMS to an assignee with no session in the app, once; not to one who is signed in', async () => {
  const first = await t.call('operator', 'POST', '/api/work-orders', repair())
  assert.is(first.body.assignee.name, '王建国')
  await sweep()
  await sweep()
  const sent = await messages(`work_order:${first.body.id}:assigned:%`)
  assert.is(sent.length, 1)
  assert.is(sent[0]!.recipient, '13800010001')
  assert.match(sent[0]!.text, first.body.number)
  assert.match(sent[0]!.text, '心内科病区 512室')
  // 李明 (the demo's technician) signs in: his next job stays in the app
  await t.login('tech')
  const second = await t.call('operator', 'POST', '/api/work-orders', repair())
  assert.is(second.body.assignee.name, '李明')
  await sweep()
  assert.is((await messages(`work_order:${second.body.id}:assigned:%`)).length, 0)
  // switched off: nothing more for anyone
  await t.call('admin', 'PUT', '/api/sms/uses/order.assigned', { enabled: false })
  const third = await t.call('operator', 'POST', '/api/work-orders', repair())
  await t.db.db.deleteFrom('user_session').where('user_id', 'in', t.db.db.selectFrom('app_user').select('id').where('staff_id', '=', third.body.assignee.id)).execute()
  await sweep()
  assert.is((await messages(`work_order:${third.body.id}:assigned:%`)).length, 0)
})

test('a booked job reminds its requester 24 h and 1 h before the slot, once each', async () => {
  const order = await t.call('operator', 'POST', '/api/work-orders', repair())
  const slot = new Date(clock.getTime() + 2 * 86_400_000)
  await t.db.db.updateTable('work_order').set({ booked_for: slot, booked_at: clock }).where('id', '=', order.body.id).execute()
  await sweep()
  assert.is((await messages(`work_order:${order.body.id}:booking:%`)).length, 0)
  clock = new Date(slot.getTime() - 23.5 * 3_600_000)
  await sweep()
  await sweep()
  let sent = await messages(`work_order:${order.body.id}:booking:%`)
  assert.equal(sent.map((m) => m.dedupe_key), [`work_order:${order.body.id}:booking:24h`])
  assert.is(sent[0]!.recipient, '13912345678')
  assert.match(sent[0]!.text, '护士 王丽您好')
  assert.match(sent[0]!.text, '12-09 10:00')
  clock = new Date(slot.getTime() - 40 * 60_000)
  await sweep()
  sent = await messages(`work_order:${order.body.id}:booking:%`)
  assert.equal(sent.map((m) => m.dedupe_key), [`work_order:${order.body.id}:booking:24h`, `work_order:${order.body.id}:booking:1h`])
  // booked less than a day ahead: only the 1 h reminder
  const late = await t.call('operator', 'POST', '/api/work-orders', repair())
  const soon = new Date(clock.getTime() + 5 * 3_600_000)
  await t.db.db.updateTable('work_order').set({ booked_for: soon, booked_at: clock }).where('id', '=', late.body.id).execute()
  clock = new Date(soon.getTime() - 30 * 60_000)
  await sweep()
  assert.equal((await messages(`work_order:${late.body.id}:booking:%`)).map((m) => m.dedupe_key), [`work_order:${late.body.id}:booking:1h`])
})

test("'your feedback was resolved' reaches the patient only with their consent to notices", async () => {
  await t.call('admin', 'PUT', '/api/sms/uses/feedback.resolved', { enabled: true })
  const resolvedFor = async (visit: string, phone: string) => {
    const d = await t.call('agent', 'POST', '/api/discharges', {
      source: 'EMR', event: 'A03', visitNumber: visit, mrn: `M-${visit}`, name: `患者${visit}`, sex: 'F', birthDate: '1958-03-02', phones: [{ use: 'mobile', number: phone }],
      department: '0201', ward: '心内科病区', bed: '12', attendingDoctor: '周医生', patientClass: 'I', admittedAt: '2026-11-20T08:00:00+08:00', dischargedAt: '2026-11-30T10:00:00+08:00', disposition: '01',
      diagnoses: [{ code: 'I10', text: '高血压病' }],
    })
    assert.is(d.status, 200, JSON.stringify(d.body))
    const task = await t.db.db.selectFrom('callback_task as c').innerJoin('stay as s', 's.id', 'c.stay_id').select('c.id').where('s.visit_number', '=', visit).executeTakeFirstOrThrow()
    const f = await t.call('agent', 'POST', '/api/feedback', { class: 'service', text: '护士态度不好', callbackTaskId: task.id })
    assert.is(f.status, 201, JSON.stringify(f.body))
    const done = await t.call('handler', 'POST', `/api/feedback/${f.body.id}/resolve`, { version: f.body.version, resolution: '已约谈护士并致歉' })
    assert.is(done.status, 200, JSON.stringify(done.body))
    await sweep()
    await sweep()
    return messages(`feedback:${f.body.id}:resolved:%`)
  }
  const without = await resolvedFor('V-SMS-U1', '13966660001')
  assert.equal(without.map((m) => m.status), ['refused'])
  assert.is((await t.call('operator', 'PUT', '/api/sms/consent', { phone: '13966660002', category: 'notice', state: 'granted', source: 'desk' })).status, 200)
  const withConsent = await resolvedFor('V-SMS-U2', '13966660002')
  assert.equal(withConsent.map((m) => m.status), ['queued'])
  assert.match(withConsent[0]!.text, '患者V-SMS-U2您好')
})

test('the done survey stops when its switch is off', async () => {
  await t.call('admin', 'PUT', '/api/sms/uses/order.done', { enabled: false })
  const created = await t.call('operator', 'POST', '/api/work-orders', repair())
  let v = created.body.version
  for (const action of ['accept', 'arrive', 'complete']) v = (await t.call('operator', 'POST', `/api/work-orders/${created.body.id}/transitions`, { action, version: v, reason: '电话报告' })).body.version
  await sweep()
  assert.is((await messages(`work_order:${created.body.id}:rating:%`)).length, 0)
  await t.call('admin', 'PUT', '/api/sms/uses/order.done', { enabled: true })
  await sweep()
  assert.is((await messages(`work_order:${created.body.id}:rating:%`)).length, 1)
})

test.run()
