// Feedback from the hotline and from SMS, beside the callback desk's: a complaint filed at the desk
// becomes a case for the office its class routes to (once, however many sweeps run), praise is
// passed on and never counted as a problem, an order rated 1 by SMS opens a case, an SMS a patient
// wrote is turned into one, and the office's resolution shows on the complaint's own order. A
// resolution carries attachments of their own type, for the office only.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startTestApp, demoRefs, type TestApp } from '../helpers/app.ts'
import { sweep } from '../../server/src/feedback/feedback.service.ts'

// 10:00 in Shanghai, running: the SMS survey is not held by the quiet hours whenever the suite runs
const started = Date.now()
const now = () => new Date(Date.parse('2026-12-07T02:00:00Z') + Date.now() - started)
let t: TestApp
let refs: Awaited<ReturnType<typeof demoRefs>>
const dept = async (code: string) => (await t.db.db.selectFrom('department').select('id').where('code', '=', code).executeTakeFirstOrThrow()).id
const itemsFrom = (origin: string) => t.db.db.selectFrom('feedback').selectAll().where('origin', '=', origin).execute()

test.before(async () => {
  t = await startTestApp({}, undefined, { now, sms: { worker: false, now } })
  refs = await demoRefs(t)
})
test.after(async () => { await t.close() })

const complaint = async (item: string, description: string, extra: Record<string, unknown> = {}) => {
  const res = await t.call('operator', 'POST', '/api/work-orders', { itemId: refs.item(item), locationId: refs.locationOf('3512'), urgency: 'routine', description, requester: { name: '患者家属 李', phone: '13911112222' }, ...extra })
  assert.is(res.status, 201, JSON.stringify(res.body))
  return res.body
}

test('a complaint about a nurse filed at the desk becomes one case for 护理部 about 心内科, however many sweeps run at once', async () => {
  const order = await complaint('complaint.service', '夜班护士说话很冲，家属很不满意')
  await Promise.all([sweep(t.db.db, now(), 'Asia/Shanghai'), sweep(t.db.db, now(), 'Asia/Shanghai'), sweep(t.db.db, now(), 'Asia/Shanghai')])
  const rows = await itemsFrom(`order:${order.id}`)
  assert.is(rows.length, 1)
  const f = (await t.call('handler', 'GET', `/api/feedback/${rows[0]!.id}`)).body
  assert.is(f.source, 'hotline')
  assert.is(f.kind, 'complaint')
  assert.is(f.class, 'service')
  assert.is(f.responsible.name, '护理部')
  assert.is(f.subject.name, '心内科')
  assert.is(f.status, 'open')
  assert.equal(f.hotlineOrder, { id: order.id, number: order.number })
  assert.ok(f.text.includes('夜班护士说话很冲') && f.text.includes(order.number), f.text)
  // the handler's queue has it, with its deadline 24 h on
  const queue = (await t.call('handler', 'GET', '/api/feedback?status=active')).body.items
  assert.ok(queue.some((q: any) => q.id === f.id))
  assert.is(Date.parse(f.deadlineAt) - Date.parse(f.createdAt), 24 * 3_600_000)

  // resolved by the office: the desk reads it on the complaint's own order
  const done = await t.call('handler', 'POST', `/api/feedback/${f.id}/resolve`, { version: f.version, resolution: '已与当班护士谈话，向家属致歉', contactedBy: '护士长' })
  assert.is(done.status, 200, JSON.stringify(done.body))
  const timeline = (await t.call('operator', 'GET', `/api/work-orders/${order.id}`)).body.timeline
  const note = timeline.find((e: any) => e.kind === 'feedback')
  assert.ok(note, JSON.stringify(timeline.map((e: any) => e.kind)))
  assert.ok(note.note.includes('已与当班护士谈话'), note.note)
  assert.is(note.actor, '护理部')
})

test('praise is passed on to the office and closed, and is neither a problem nor a case to process in the report', async () => {
  const before = (await t.call('manager', 'GET', '/api/feedback/report?from=2026-12-01&to=2026-12-31')).body
  const order = await complaint('complaint.praise', '512 室的王护士特别耐心')
  await sweep(t.db.db, now(), 'Asia/Shanghai')
  const [row] = await itemsFrom(`order:${order.id}`)
  assert.ok(row)
  assert.is(row.kind, 'praise')
  assert.is(row.status, 'closed')
  const after = (await t.call('manager', 'GET', '/api/feedback/report?from=2026-12-01&to=2026-12-31')).body
  assert.equal(after.handling, before.handling)
  assert.equal(after.topProblems, before.topProblems)
  // the office was told
  const told = await t.db.db.selectFrom('notification').select('message').where('kind', '=', 'feedback').where('message', 'like', '收到表扬%').execute()
  assert.ok(told.length >= 1)
})

test('an order its requester rates 1 by SMS becomes a case for 总务科 with the score', async () => {
  const created = await t.call('operator', 'POST', '/api/work-orders', { itemId: refs.item('repair.ac'), locationId: refs.locationOf('3512'), urgency: 'routine', requester: { name: '护士 张', phone: '13912345678' } })
  let v = created.body.version
  for (const action of ['accept', 'arrive', 'complete']) v = (await t.call('operator', 'POST', `/api/work-orders/${created.body.id}/transitions`, { action, version: v, reason: '电话报告' })).body.version
  const sms = t.app.services.sms!
  assert.is(await sms.sweep(), 1)
  assert.is(await sms.worker.tick(), 1)
  const reply = await t.call('operator', 'POST', '/api/sms/demo-reply', { from: '13912345678', text: '1' })
  assert.is(reply.body.handledAs, 'rating')
  await sweep(t.db.db, now(), 'Asia/Shanghai')
  await sweep(t.db.db, now(), 'Asia/Shanghai')
  const rows = await t.db.db.selectFrom('feedback').selectAll().where('hotline_order_id', '=', created.body.id).execute()
  assert.is(rows.length, 1)
  assert.is(rows[0]!.source, 'sms')
  assert.is(rows[0]!.class, 'environment')
  assert.is(rows[0]!.responsible_department_id, await dept('ZWK'))
  assert.ok(rows[0]!.text.startsWith('短信评分 1 分'), rows[0]!.text)
  // the order itself is completed, but the case is not resolved by that: it is about the order, not a repair for it
  assert.is(rows[0]!.status, 'open')
})

test("an SMS a patient wrote is turned into feedback once, about the patient's department", async () => {
  const discharge = await t.call('agent', 'POST', '/api/discharges', {
    source: 'EMR', event: 'A03', visitNumber: 'V-SMS-1', mrn: 'M-SMS-1', name: '赵患者', sex: 'M', birthDate: '1950-01-02', phones: [{ use: 'mobile', number: '13955556666' }],
    department: '0201', ward: '心内科病区', bed: '3', attendingDoctor: '周医生', patientClass: 'I', admittedAt: '2026-11-20T08:00:00+08:00', dischargedAt: '2026-12-01T10:00:00+08:00', disposition: '01',
    diagnoses: [{ code: 'I10', text: '高血压病' }],
  })
  assert.is(discharge.status, 200, JSON.stringify(discharge.body))
  const inbound = await t.call('operator', 'POST', '/api/sms/demo-reply', { from: '13955556666', text: '出院结算排队两个小时，太慢了' })
  assert.is(inbound.status, 200, JSON.stringify(inbound.body))
  const body = { class: 'process', text: '出院结算排队两个小时，太慢了', smsInboundId: inbound.body.id }
  const made = await t.call('operator', 'POST', '/api/feedback', body)
  assert.is(made.status, 201, JSON.stringify(made.body))
  assert.is(made.body.source, 'sms')
  assert.is(made.body.patient.name, '赵患者')
  assert.is(made.body.subject.name, '心内科')
  const again = await t.call('operator', 'POST', '/api/feedback', body)
  assert.is(again.status, 409)
  assert.is(again.body.field, 'smsInboundId')
  const none = await t.call('operator', 'POST', '/api/feedback', { ...body, smsInboundId: 999999 })
  assert.is(none.status, 400)
  assert.is(none.body.field, 'smsInboundId')
  assert.is((await t.db.db.selectFrom('feedback').select('id').where('origin', '=', `sms:${inbound.body.id}`).execute()).length, 1)
})

test('the admin makes another item feedback: its next order becomes a complaint case of that class, the item edit keeps working without the field', async () => {
  const cat = (await t.call('admin', 'GET', '/api/catalogue')).body.categories.flatMap((c: any) => c.items)
  const item = cat.find((i: any) => i.code === 'complaint.food')
  assert.is(item.feedbackClass, 'environment')
  const cleaning = cat.find((i: any) => i.id === refs.item('cleaning.spill'))
  const edit = { name: cleaning.name, nameEn: cleaning.nameEn, responseMinutes: cleaning.responseMinutes, completionMinutes: cleaning.completionMinutes, tools: cleaning.tools, script: cleaning.script, defaultTeamId: cleaning.defaultTeamId, active: true }
  assert.is((await t.call('admin', 'PUT', `/api/items/${cleaning.id}`, { ...edit, feedbackClass: 'bogus' })).status, 400)
  assert.is((await t.call('admin', 'PUT', `/api/items/${cleaning.id}`, { ...edit, feedbackClass: 'environment' })).status, 200)
  const order = await complaint('cleaning.spill', '病房门口呕吐物一直没人清理')
  await sweep(t.db.db, now(), 'Asia/Shanghai')
  const [row] = await itemsFrom(`order:${order.id}`)
  assert.is(row?.kind, 'complaint')
  assert.is(row?.class, 'environment')
  // an edit without the field leaves it as it was; null makes it no feedback again
  assert.is((await t.call('admin', 'PUT', `/api/items/${cleaning.id}`, edit)).status, 200)
  assert.is((await t.db.db.selectFrom('item').select('feedback_class').where('id', '=', cleaning.id).executeTakeFirstOrThrow()).feedback_class, 'environment')
  assert.is((await t.call('admin', 'PUT', `/api/items/${cleaning.id}`, { ...edit, feedbackClass: null })).status, 200)
  const next = await complaint('cleaning.spill', '又洒了')
  await sweep(t.db.db, now(), 'Asia/Shanghai')
  assert.is((await itemsFrom(`order:${next.id}`)).length, 0)
})

// a 1×1 PNG
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64')

test("a resolution's attachment: its own type in, the same bytes out, for the office only; other types refused", async () => {
  const order = await complaint('complaint.environment', '走廊地面有积水')
  await sweep(t.db.db, now(), 'Asia/Shanghai')
  const [row] = await itemsFrom(`order:${order.id}`)
  assert.is(row!.responsible_department_id, await dept('ZWK'))
  const up = await t.call('handler', 'POST', `/api/feedback/${row!.id}/attachments?name=${encodeURIComponent('处理后照片.png')}`, PNG, { 'content-type': 'image/png' })
  assert.is(up.status, 201, JSON.stringify(up.body))
  assert.is(up.body.size, PNG.length)
  const f = (await t.call('handler', 'GET', `/api/feedback/${row!.id}`)).body
  assert.equal(f.attachments.map((a: any) => [a.name, a.mime, a.size]), [['处理后照片.png', 'image/png', PNG.length]])
  const down = await t.call('handler', 'GET', `/api/feedback/${row!.id}/attachments/${up.body.id}`)
  assert.is(down.status, 200)
  assert.is(down.headers['content-type'], 'image/png')
  assert.ok(Buffer.from(down.body as unknown as Buffer).equals(PNG))
  // a text file, JSON, an empty file: refused, nothing stored
  const text = await t.call('handler', 'POST', `/api/feedback/${row!.id}/attachments?name=a.txt`, 'hello', { 'content-type': 'text/plain' })
  assert.is(text.status, 415)
  const json = await t.call('handler', 'POST', `/api/feedback/${row!.id}/attachments?name=a.json`, { a: 1 })
  assert.is(json.status, 415)
  assert.is(json.body.field, 'body')
  const empty = await t.call('handler', 'POST', `/api/feedback/${row!.id}/attachments?name=a.png`, Buffer.alloc(0), { 'content-type': 'image/png' })
  assert.is(empty.status, 400)
  assert.is((await t.db.db.selectFrom('feedback_attachment').select('id').where('feedback_id', '=', row!.id).execute()).length, 1)
  // another office's case: the handler is in 护理部 and 总务科, not 医务科
  await t.db.db.updateTable('feedback').set({ responsible_department_id: await dept('YWK') }).where('id', '=', row!.id).execute()
  assert.is((await t.call('handler', 'GET', `/api/feedback/${row!.id}/attachments/${up.body.id}`)).status, 403)
  assert.is((await t.call('handler', 'POST', `/api/feedback/${row!.id}/attachments?name=b.png`, PNG, { 'content-type': 'image/png' })).status, 403)
  assert.is((await t.call('operator', 'GET', `/api/feedback/${row!.id}/attachments/${up.body.id}`)).status, 403)
})

test.run()
