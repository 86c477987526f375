// The callback survey by SMS: the agent sends a patient who would rather text a link; the patient
// opens it with no sign-in and sees only their questions; their answers complete the task once,
// an urgent answer becomes feedback; an altered link, an expired one and a second submit change
// nothing; while the link holds the dialer rings someone else; a patient who prefers texts gets
// their next callback as a link by themselves; the administrator's switch stops it all.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { withSms } from '../../server/src/messaging/messaging.types.ts'
import type { OriginateRequest, TelephonyPort } from '../../server/src/calls/port.ts'

// Monday 7 December 2026, 10:00 in Shanghai: inside the calling hours and the SMS window
let clock = new Date('2026-12-07T02:00:00Z')
const dialled: OriginateRequest[] = []
// the PBX as the dialer sees it: up, and every originate written down (the dialer's choice is what is tested)
const pbx: TelephonyPort = {
  status: () => 'up', onStatus: () => {}, onCall: () => {}, activeLinkedids: async () => [], close: async () => {},
  originate: async (r) => { dialled.push(r) },
}
let t: TestApp
const task: Record<string, number> = {}
const GK = '0301' // the demo HIS's code for 骨科: 伤口 and 发热 are urgent answers

const linkOf = (text: string) => /\/s\/([0-9a-z]+\.[0-9a-z]+\.[A-Za-z0-9_-]{22})/.exec(text)?.[1] ?? null
const surveyTexts = (id: number) => withSms(t.db.db).selectFrom('sms_message').select(['recipient', 'text', 'status', 'encoding', 'parts', 'held_until']).where('dedupe_key', 'like', `callback_task:${id}:survey:%`).orderBy('id').execute()
const taskRow = (key: string) => t.db.db.selectFrom('callback_task').selectAll().where('id', '=', task[key]!).executeTakeFirstOrThrow()
const answersAllWell = (questions: any[]) => Object.fromEntries(questions.map((q: any) => [q.key, q.kind === 'scale' ? '2' : q.kind === 'yes_no' ? '否' : q.kind === 'choice' ? q.options[0] : '都好']))

test.before(async () => {
  t = await startTestApp({}, undefined, { telephony: pbx, now: () => clock, dialer: { now: () => clock, timer: false }, sms: { worker: false, now: () => clock } })
  // the demo's own plans set aside: these are ours, due today, the agent's
  await t.db.db.updateTable('callback_task').set({ status: 'cancelled', cancel_reason: 'test' }).where('status', '=', 'planned').execute()
  const agent = (await t.db.db.selectFrom('app_user').select('id').where('username', '=', 'agent').executeTakeFirstOrThrow()).id
  const phones: Record<string, { use: string; number: string }[]> = {
    WANG: [{ use: 'home', number: '0571-87654321' }, { use: 'mobile', number: '13800000021' }],
    LI: [{ use: 'mobile', number: '13800000022' }],
    ZHAO: [{ use: 'home', number: '0571-87650000' }],
  }
  const names: Record<string, string> = { WANG: '王秀英', LI: '李建华', ZHAO: '赵刚' }
  const res = await t.call('agent', 'POST', '/api/discharges', Object.keys(phones).map((key) => ({
    source: 'EMR', event: 'A03', visitNumber: `SV-${key}`, mrn: `M-SV-${key}`, name: names[key], sex: key === 'WANG' ? 'F' : 'M', birthDate: '1960-05-01', phones: phones[key],
    department: GK, attendingDoctor: '陈医生', patientClass: 'I', admittedAt: '2026-11-25T08:00:00+08:00', dischargedAt: '2026-11-30T10:00:00+08:00', disposition: '01',
    procedures: [{ code: '81.54', text: '全膝关节置换术' }],
  })))
  assert.is(res.status, 200, JSON.stringify(res.body))
  for (const [i, key] of Object.keys(phones).entries()) {
    const row = await t.db.db.selectFrom('callback_task as c').innerJoin('stay as s', 's.id', 'c.stay_id').select('c.id').where('s.visit_number', '=', `SV-${key}`).where('c.status', '=', 'planned').executeTakeFirstOrThrow()
    task[key] = row.id
    await t.db.db.updateTable('callback_task').set({
      due_date: '2026-12-07', due_at: new Date(Date.parse('2026-12-07T01:00:00Z') + i * 60_000), priority: 1, assigned_user_id: agent,
      windows: JSON.stringify([{ from: '09:00', to: '12:00' }, { from: '14:00', to: '20:00' }]),
    }).where('id', '=', row.id).execute()
  }
})
test.after(async () => { await t.close() })

let token = ''

test('the agent texts 王秀英 the survey: to her mobile, in Chinese, with a signed link; she is remembered as preferring texts; audited', async () => {
  const sent = await t.call('agent', 'POST', `/api/callbacks/tasks/${task.WANG}/survey-sms`, { remember: true })
  assert.is(sent.status, 200, JSON.stringify(sent.body))
  assert.is(sent.body.status, 'queued')
  assert.is(sent.body.expiresAt, '2026-12-10T02:00:00.000Z', '72 hours by default')
  const [sms] = await surveyTexts(task.WANG!)
  assert.is(sms!.recipient, '13800000021', 'her mobile, not the home phone listed first')
  assert.match(sms!.text, '王阿姨您好')
  assert.match(sms!.text, 'http://localhost:')
  assert.match(sms!.text, '12月10日 10:00前有效')
  assert.is(sms!.encoding, 'ucs2')
  assert.ok(sms!.parts >= 2, `a link and Chinese text take more than one part (${sms!.parts})`)
  token = linkOf(sms!.text)!
  assert.ok(token, sms!.text)
  assert.is((await t.db.db.selectFrom('patient').select('prefers_sms').where('mrn', '=', 'M-SV-WANG').executeTakeFirstOrThrow()).prefers_sms, true)
  assert.ok(await t.db.db.selectFrom('audit_log').select('id').where('action', '=', 'send_survey_link').where('subject', '=', `callback_task:${task.WANG}`).executeTakeFirst())
  // the queue says so, and the card
  const item = (await t.call('agent', 'GET', '/api/callbacks/queue')).body.items.find((i: any) => i.id === task.WANG)
  assert.equal([item.surveyUntil, item.inWindow], ['2026-12-10T02:00:00.000Z', false])
  const card = (await t.call('agent', 'GET', `/api/callbacks/tasks/${task.WANG}`)).body
  assert.equal([card.survey.expiresAt, card.survey.answeredAt, card.patient.prefersSms], ['2026-12-10T02:00:00.000Z', null, true])
  // 赵刚 has no mobile: said, nothing sent
  const none = await t.call('agent', 'POST', `/api/callbacks/tasks/${task.ZHAO}/survey-sms`, {})
  assert.equal([none.status, none.body.error], [409, 'no_mobile'])
  assert.is((await surveyTexts(task.ZHAO!)).length, 0)
})

test('while her link holds, the dialer rings the next patient, not her', async () => {
  const ready = await t.call('agent', 'POST', '/api/callbacks/me/state', { state: 'ready' })
  assert.is(ready.status, 200, JSON.stringify(ready.body))
  await t.app.services.dialer!.tick()
  assert.is(dialled.length, 1)
  assert.is(dialled[0]!.number, '13800000022', '李建华, the next in line')
  const wang = await taskRow('WANG')
  assert.is(wang.status, 'planned')
  // the agent steps away; 李建华's attempt is set aside so it does not hold the agent
  await t.db.db.deleteFrom('callback_attempt').where('task_id', '=', task.LI!).execute()
  await t.db.db.updateTable('callback_task').set({ status: 'planned' }).where('id', '=', task.LI!).execute()
  await t.call('agent', 'POST', '/api/callbacks/me/state', { state: 'offline' })
})

test('the page opens with no sign-in and shows her questions, the department and no number; a made-up or altered link is refused', async () => {
  const page = await t.call(null, 'GET', `/api/survey/${token}`)
  assert.is(page.status, 200, JSON.stringify(page.body))
  assert.equal([page.body.greeting, page.body.department], ['王阿姨', '骨科'])
  assert.ok(page.body.questions.length >= 3)
  assert.ok(page.body.questions.some((q: any) => q.key === 'wound' && q.kind === 'yes_no'))
  const raw = JSON.stringify(page.body)
  for (const secret of ['13800000021', '87654321', '王秀英', 'M-SV-WANG', '全膝关节']) assert.not.match(raw, secret)
  const [id, exp, sig] = token.split('.') as [string, string, string]
  const altered = [`${(parseInt(id, 36) + 1).toString(36)}.${exp}.${sig}`, `${id}.${(parseInt(exp, 36) + 86400).toString(36)}.${sig}`, `${id}.${exp}.${'A'.repeat(22)}`, 'nonsense', `${token}x`]
  for (const bad of altered) {
    const res = await t.call(null, 'GET', `/api/survey/${encodeURIComponent(bad)}`)
    assert.equal([res.status, res.body.error], [404, 'link_invalid'], bad)
    assert.match(res.body.message, '链接不对')
  }
})

test('her answers complete the task once: stored with the template, an urgent answer filed as medical feedback; a second submit changes nothing', async () => {
  const page = (await t.call(null, 'GET', `/api/survey/${token}`)).body
  // a missing required answer and an answer out of range are refused by question, nothing stored
  const partial = await t.call(null, 'POST', `/api/survey/${token}`, { answers: {} })
  assert.is(partial.status, 400)
  assert.match(partial.body.field, /^answers\./)
  const outOfRange = await t.call(null, 'POST', `/api/survey/${token}`, { answers: { ...answersAllWell(page.questions), pain: '9' } })
  assert.equal([outOfRange.status, outOfRange.body.field], [400, 'answers.pain'])
  assert.is((await taskRow('WANG')).status, 'planned')

  const answers = { ...answersAllWell(page.questions), wound: '是' }
  const ok = await t.call(null, 'POST', `/api/survey/${token}`, { answers })
  assert.is(ok.status, 200, JSON.stringify(ok.body))
  const wang = await taskRow('WANG')
  assert.equal([wang.status, wang.outcome, wang.completed_by], ['done', 'completed', null])
  assert.equal(wang.answers, answers)
  assert.ok(wang.survey_answered_at)
  const feedback = await t.db.db.selectFrom('feedback').select(['class', 'urgent', 'text', 'source']).where('callback_task_id', '=', task.WANG!).execute()
  assert.is(feedback.length, 1)
  assert.equal([feedback[0]!.class, feedback[0]!.urgent, feedback[0]!.source], ['medical', true, 'callback'])
  assert.match(feedback[0]!.text, '伤口')

  const again = await t.call(null, 'POST', `/api/survey/${token}`, { answers: { ...answers, wound: '否' } })
  assert.equal([again.status, again.body.error], [409, 'already_answered'])
  assert.equal((await taskRow('WANG')).answers, answers)
  assert.is((await t.db.db.selectFrom('feedback').select('id').where('callback_task_id', '=', task.WANG!).execute()).length, 1)
  assert.is((await t.call(null, 'GET', `/api/survey/${token}`)).status, 409)
})

test('an expired link is refused and the patient is called again; a link to a task since closed says it is over', async () => {
  const sent = await t.call('agent', 'POST', `/api/callbacks/tasks/${task.LI}/survey-sms`, {})
  assert.is(sent.status, 200, JSON.stringify(sent.body))
  const li = linkOf((await surveyTexts(task.LI!))[0]!.text)!
  const saved = clock
  clock = new Date(Date.parse(sent.body.expiresAt) + 1000)
  try {
    const late = await t.call(null, 'GET', `/api/survey/${li}`)
    assert.equal([late.status, late.body.error], [410, 'link_expired'])
    assert.is((await t.call(null, 'POST', `/api/survey/${li}`, { answers: { wound: '否' } })).status, 410)
    // 10:00 three days on: the link is past, so the dialer may ring 李建华 again
    const queue = (await t.call('agent', 'GET', '/api/callbacks/queue')).body.items.find((i: any) => i.id === task.LI)
    assert.is(queue.surveyUntil, null)
  } finally { clock = saved }
  // a fresh link, then the task is cancelled (readmitted, say): the link now says the callback is over
  const again = await t.call('agent', 'POST', `/api/callbacks/tasks/${task.LI}/survey-sms`, {})
  const fresh = linkOf((await surveyTexts(task.LI!)).at(-1)!.text)!
  assert.is(again.status, 200)
  await t.db.db.updateTable('callback_task').set({ status: 'cancelled', cancel_reason: '患者已再次入院' }).where('id', '=', task.LI!).execute()
  const over = await t.call(null, 'GET', `/api/survey/${fresh}`)
  assert.equal([over.status, over.body.error], [410, 'link_closed'])
})

test('a patient who prefers texts gets the next callback as a link by themselves, once; switched off, nothing and the agent is told', async () => {
  // 王秀英 is discharged again; her new callback is due today
  const res = await t.call('agent', 'POST', '/api/discharges', [{
    source: 'EMR', event: 'A03', visitNumber: 'SV-WANG-2', mrn: 'M-SV-WANG', name: '王秀英', sex: 'F', birthDate: '1960-05-01',
    phones: [{ use: 'home', number: '0571-87654321' }, { use: 'mobile', number: '13800000021' }],
    department: GK, patientClass: 'I', admittedAt: '2026-11-28T08:00:00+08:00', dischargedAt: '2026-11-30T15:00:00+08:00', disposition: '01',
  }])
  assert.is(res.status, 200, JSON.stringify(res.body))
  const second = await t.db.db.selectFrom('callback_task as c').innerJoin('stay as s', 's.id', 'c.stay_id').select('c.id').where('s.visit_number', '=', 'SV-WANG-2').executeTakeFirstOrThrow()
  await t.db.db.updateTable('callback_task').set({ due_date: '2026-12-07' }).where('id', '=', second.id).execute()
  await t.app.services.sms!.sweep()
  await t.app.services.sms!.sweep()
  const texts = await surveyTexts(second.id)
  assert.is(texts.length, 1, 'once, however many sweeps')
  assert.is(texts[0]!.recipient, '13800000021')
  assert.ok((await t.db.db.selectFrom('callback_task').select('survey_expires_at').where('id', '=', second.id).executeTakeFirstOrThrow()).survey_expires_at)

  // the administrator switches the use off: the agent's button is refused with the reason, the sweep sends nothing
  const off = await t.call('admin', 'PUT', '/api/sms/uses/callback.survey', { enabled: false })
  assert.is(off.status, 200, JSON.stringify(off.body))
  const refused = await t.call('agent', 'POST', `/api/callbacks/tasks/${task.ZHAO}/survey-sms`, {})
  assert.equal([refused.status, refused.body.error], [409, 'sms_use_off'])
  // 李建华 says he too would rather text; his next callback, due today, stays with the phone
  await t.db.db.updateTable('patient').set({ prefers_sms: true }).where('mrn', '=', 'M-SV-LI').execute()
  await t.call('agent', 'POST', '/api/discharges', [{
    source: 'EMR', event: 'A03', visitNumber: 'SV-LI-2', mrn: 'M-SV-LI', name: '李建华', sex: 'M', birthDate: '1960-05-01', phones: [{ use: 'mobile', number: '13800000022' }],
    department: GK, patientClass: 'I', admittedAt: '2026-11-28T08:00:00+08:00', dischargedAt: '2026-11-30T15:00:00+08:00', disposition: '01',
  }])
  const third = await t.db.db.selectFrom('callback_task as c').innerJoin('stay as s', 's.id', 'c.stay_id').select('c.id').where('s.visit_number', '=', 'SV-LI-2').executeTakeFirstOrThrow()
  await t.db.db.updateTable('callback_task').set({ due_date: '2026-12-07' }).where('id', '=', third.id).execute()
  await t.app.services.sms!.sweep()
  assert.is((await surveyTexts(third.id)).length, 0)
  assert.is((await t.db.db.selectFrom('callback_task').select('survey_expires_at').where('id', '=', third.id).executeTakeFirstOrThrow()).survey_expires_at, null)
})

test.run()
