// The administrator's callback plan (回访规则 screen): a new version of a question template moves the
// rules that used it and re-plans the calls not yet due onto it while a call already made keeps its
// wording; a template that breaks the rules is refused at its field and writes nothing; a new rule
// plans the next discharge it matches; the HIS code table decides which department a discharge lands in.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { sql } from 'kysely'
import { startTestApp, type TestApp } from '../helpers/app.ts'

const TZ = 'Asia/Shanghai'
const DISCHARGED = new Date(Date.now() - 3_600_000).toISOString()
// due day = the local discharge day + the rule's offset
const dueDay = (offsetDays: number) => new Intl.DateTimeFormat('en-CA', { timeZone: TZ }).format(new Date(Date.parse(DISCHARGED) + offsetDays * 86_400_000))
let t: TestApp
test.before(async () => { t = await startTestApp() })
test.after(async () => { await t.close() })

const record = (visit: string, extra: Record<string, unknown> = {}) => ({
  source: 'EMR', event: 'A03', visitNumber: visit, mrn: `M-${visit}`, name: '王秀英', sex: 'F', birthDate: '1956-03-12',
  phones: [{ use: 'mobile', number: '13800005678' }], department: '0301', attendingDoctor: '李建华', patientClass: 'I',
  admittedAt: '2026-11-20T08:00:00+08:00', dischargedAt: DISCHARGED, disposition: '01',
  procedures: [{ code: '81.51', text: '全髋关节置换术' }], diagnoses: [], ...extra,
})
async function discharge(...records: Record<string, unknown>[]) {
  const res = await t.call('admin', 'POST', '/api/discharges', records)
  assert.is(res.status, 200, JSON.stringify(res.body))
  assert.equal(res.body.results.map((r: any) => r.outcome), records.map(() => 'created'), JSON.stringify(res.body.results))
  return res.body.results
}
const taskOf = (visit: string) => t.db.db.selectFrom('callback_task').innerJoin('stay', 'stay.id', 'callback_task.stay_id').innerJoin('callback_rule as r', 'r.id', 'callback_task.rule_id')
  .select(['callback_task.id', 'callback_task.status', 'callback_task.template_id', 'callback_task.department_id', sql<string>`callback_task.due_date::text`.as('due_date'), 'r.name as rule']).where('stay.visit_number', '=', visit).where('callback_task.status', '<>', 'cancelled').executeTakeFirst()
const dept = async (code: string) => (await t.db.db.selectFrom('department').select('id').where('code', '=', code).executeTakeFirstOrThrow()).id
const templates = async (all = false) => (await t.call('admin', 'GET', `/api/callback-templates${all ? '?all=1' : ''}`)).body.items as any[]
const written = async () => {
  const [tpl, rules, audit] = await Promise.all(['callback_template', 'callback_rule', 'audit_log'].map((table) =>
    t.db.db.selectFrom(table as 'callback_template').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()))
  return [Number(tpl!.n), Number(rules!.n), Number(audit!.n)]
}

test('a new version of the 骨科 template moves its rule and re-plans the pending call onto it; the call already made keeps v1', async () => {
  await discharge(record('A1'), record('A2'))
  const v1 = (await templates()).find((x) => x.name === '骨科术后回访')
  assert.is(v1.version, 1)
  assert.is(v1.rules, 1)
  assert.is(v1.department.name, '骨科')
  const done = await taskOf('A1')
  await t.db.db.updateTable('callback_task').set({ status: 'done', outcome: 'completed', answers: JSON.stringify({ wound: '否', pain: '2' }) }).where('id', '=', done!.id).execute()

  const questions = [...v1.questions, { key: 'walk', text: '现在能下地走路了吗？', kind: 'yes_no', required: true, urgentWhen: ['否'] }]
  const res = await t.call('admin', 'POST', '/api/callback-templates', { basedOn: v1.id, opening: v1.opening, questions })
  assert.is(res.status, 201, JSON.stringify(res.body))
  assert.is(res.body.version, 2)
  assert.is(res.body.rulesMoved, 1)
  assert.ok(res.body.replanned >= 1, JSON.stringify(res.body))
  assert.match(res.body.message, /^已保存「骨科术后回访」v2；1 条规则改用新版本，\d+ 个尚未到期的回访已重新安排$/)

  const rule = (await t.call('admin', 'GET', '/api/callback-rules')).body.items.find((r: any) => r.name === '骨科术后 3 天')
  assert.is(rule.template, '骨科术后回访 v2')
  assert.is(rule.templateId, res.body.id)
  assert.is((await taskOf('A2'))!.template_id, res.body.id)
  assert.is((await taskOf('A1'))!.template_id, v1.id)
  const doneSeen = (await t.call('admin', 'GET', '/api/callback-tasks?status=done')).body.items.find((x: any) => x.id === done!.id)
  assert.equal([doneSeen.template.version, doneSeen.template.questions.length], [1, v1.questions.length])

  const latest = (await templates()).filter((x) => x.name === '骨科术后回访')
  assert.equal(latest.map((x) => [x.version, x.rules, x.questions.at(-1).key]), [[2, 1, 'walk']])
  assert.equal((await templates(true)).filter((x) => x.name === '骨科术后回访').map((x) => [x.version, x.latest, x.rules]), [[2, true, 1], [1, false, 0]])
  const audit = (await t.call('admin', 'GET', '/api/audit?action=change_callback_template')).body.items
  assert.equal([audit[0].username, audit[0].detail.version, audit[0].detail.rulesMoved], ['admin', 2, 1])

  // saved again on the old version: someone else already made v2
  const stale = await t.call('admin', 'POST', '/api/callback-templates', { basedOn: v1.id, opening: v1.opening, questions })
  assert.equal([stale.status, stale.body.field, stale.body.latestId], [409, 'basedOn', res.body.id])
  assert.is((await t.call('manager', 'POST', '/api/callback-templates', { basedOn: res.body.id, opening: v1.opening, questions })).status, 403)
  assert.is((await t.call('manager', 'GET', '/api/callback-templates')).status, 200)
})

test('a template that breaks the rules is refused at its field, in Chinese with the English beside it, and nothing is written', async () => {
  const q = (key: string, kind = 'yes_no', extra: Record<string, unknown> = {}) => ({ key, text: `问题 ${key}`, kind, required: true, ...extra })
  const good = { name: '测试模板', opening: '{称呼}您好，我是{科室}的回访客服', questions: [q('a'), q('b'), q('c')] }
  const before = await written()
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ ...good, questions: [q('a'), q('b')] }, 'questions', /3–7 个问题/],
    [{ ...good, questions: [q('a'), q('b'), q('c'), q('d'), q('e'), q('f'), q('g'), q('h')] }, 'questions', /3–7 个问题/],
    [{ ...good, questions: [q('a'), q('a'), q('c')] }, 'questions.1.key', /重复/],
    [{ ...good, opening: '{称呼}您好，{护士}让我问问您' }, 'opening', /\{护士\}/],
    [{ ...good, questions: [q('a', 'choice', { options: ['好'] }), q('b'), q('c')] }, 'questions.0.options', /至少要有 2 个选项/],
    [{ ...good, questions: [q('a', 'yes_no', { urgentWhen: ['也许'] }), q('b'), q('c')] }, 'questions.0.urgentWhen', /也许/],
    [{ ...good, questions: [q('a', 'text', { urgentWhen: ['x'] }), q('b'), q('c')] }, 'questions.0.urgentWhen', /文字回答/],
    [{ ...good, name: '骨科术后回访' }, 'name', /已有名为/],
    [{ ...good, departmentId: 999999 }, 'departmentId', /999999/],
  ]
  for (const [body, field, message] of cases) {
    const res = await t.call('admin', 'POST', '/api/callback-templates', body)
    assert.is(res.status, 400, `${field}: ${JSON.stringify(res.body)}`)
    assert.is(res.body.field, field, JSON.stringify(res.body))
    assert.match(res.body.message, message)
    assert.type(res.body.messageEn, 'string')
  }
  assert.equal(await written(), before)
  // the same template, put right, is v1 of a new one
  const ok = await t.call('admin', 'POST', '/api/callback-templates', { ...good, questions: [q('a', 'choice', { options: ['好', '不好'], urgentWhen: ['不好'], feedbackClass: 'service' }), q('b'), q('c', 'text', { options: ['stray'] })] })
  assert.is(ok.status, 201, JSON.stringify(ok.body))
  const saved = (await templates()).find((x) => x.id === ok.body.id)
  assert.equal([saved.version, saved.rules, saved.department, saved.questions[0].urgentWhen, saved.questions[2].options], [1, 0, null, ['不好'], undefined])
})

test('a new 骨科 rule for arthroscopy (关节镜) at 7 days plans the next such discharge by it, and the others by the default', async () => {
  const gk = await dept('GK')
  const template = (await templates()).find((x) => x.name === '骨科术后回访')
  const bad = await t.call('admin', 'POST', '/api/callback-rules', { departmentId: gk, name: '关节镜 7 天', scenario: '术后', dayOffset: 7, windows: [{ from: '09:00', to: '11:30' }], templateId: template.id, ageMin: 60, ageMax: 20 })
  assert.equal([bad.status, bad.body.field], [400, 'ageMin'])
  const res = await t.call('admin', 'POST', '/api/callback-rules', {
    departmentId: gk, position: 5, name: '关节镜 7 天', scenario: '术后', matchKeywords: ['关节镜'], dayOffset: 7, windows: [{ from: '14:30', to: '17:00' }], priority: 2, templateId: template.id,
  })
  assert.is(res.status, 201, JSON.stringify(res.body))
  assert.match(res.body.message, /^规则已保存；\d+ 个尚未到期的回访已重新安排$/)
  // the pending hip replacement does not match it: nothing of theirs moved
  assert.is(res.body.replanned, 0)
  await discharge(record('K1', { procedures: [{ code: '80.26', text: '膝关节镜下半月板修整术' }] }), record('K2'))
  const [k1, k2] = [await taskOf('K1'), await taskOf('K2')]
  assert.equal([k1!.rule, k1!.due_date], ['关节镜 7 天', dueDay(7)])
  assert.equal([k2!.rule, k2!.due_date], ['骨科术后 3 天', dueDay(3)])
  const rules = (await t.call('admin', 'GET', '/api/callback-rules')).body.items.filter((r: any) => r.departmentId === gk)
  assert.equal(rules.map((r: any) => [r.name, r.position]), [['关节镜 7 天', 5], ['骨科术后 3 天', 10]])
  assert.equal(rules[0].excludeDispositions, ['died', 'transferred'])
  const audit = (await t.call('admin', 'GET', '/api/audit?action=create_callback_rule')).body.items
  assert.is(audit[0].subject, `callback_rule:${res.body.id}`)
  assert.is((await t.call('manager', 'POST', '/api/callback-rules', { departmentId: gk, name: 'x', scenario: 'x', dayOffset: 1, windows: [{ from: '09:00', to: '10:00' }], templateId: template.id })).status, 403)
})

test('the HIS code table decides the department: 9901 unmapped plans nothing, mapped to 骨科 lands there, remapped to 普外科 the next one lands there', async () => {
  const [gk, pwk] = [await dept('GK'), await dept('PWK')]
  const [none] = await discharge(record('H1', { department: '9901' }))
  assert.is(none.plan.taskId, null)
  assert.match(none.plan.note, /9901/)
  const put = await t.call('admin', 'PUT', '/api/his-codes', { kind: 'department', code: '9901', departmentId: gk, note: '新院区骨科' })
  assert.is(put.status, 200, JSON.stringify(put.body))
  await discharge(record('H2', { department: '9901' }))
  assert.is((await taskOf('H2'))!.department_id, gk)
  await t.call('admin', 'PUT', '/api/his-codes', { kind: 'department', code: '9901', departmentId: pwk, note: '新院区普外科' })
  await discharge(record('H3', { department: '9901' }))
  const h3 = await taskOf('H3')
  assert.equal([h3!.department_id, h3!.rule], [pwk, '普外科术后 3 天'])
  const codes = (await t.call('manager', 'GET', '/api/his-codes')).body.items
  assert.equal(codes.find((c: any) => c.code === '9901'), { kind: 'department', code: '9901', departmentId: pwk, department: '普外科', disposition: null, note: '新院区普外科' })
  assert.is((await t.call('manager', 'PUT', '/api/his-codes', { kind: 'department', code: '9901', departmentId: gk })).status, 403)
})

test.run()
