// The quality office's figures checked against a data set built by hand for November 2026 (Shanghai
// time): satisfaction, top problems, processing rate and timeliness, coverage and completeness.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestApp, type TestApp } from '../helpers/app.ts'

let t: TestApp
test.before(async () => { t = await startTestApp() })
test.after(async () => { await t.close() })

test('the report matches the hand-built November: each figure and what it is of', async () => {
  const db = t.db.db
  const [rpt] = await db.insertInto('department').values([{ code: 'RPT', name: '测试科', name_en: 'Test ward' }]).returning('id').execute()
  const office = async (code: string) => (await db.selectFrom('department').select('id').where('code', '=', code).executeTakeFirstOrThrow()).id
  const template = await db.insertInto('callback_template').values({
    name: '报表测试模板', opening: '您好', questions: JSON.stringify([
      { key: 'satisfaction', text: '满意吗', kind: 'scale', required: true }, { key: 'wound', text: '伤口', kind: 'yes_no', required: true }, { key: 'other', text: '其他', kind: 'text', required: false },
    ]),
  }).returning('id').executeTakeFirstOrThrow()
  const rule = await db.insertInto('callback_rule').values({ department_id: rpt!.id, position: 99, name: '报表', scenario: '术后', day_offset: 3, windows: JSON.stringify([{ from: '09:00', to: '17:00' }]), template_id: template.id }).returning('id').executeTakeFirstOrThrow()
  const agentA = (await db.insertInto('app_user').values({ username: 'agent-a', display_name: '回访专员 甲', role: 'callback_agent', password_hash: 'x' }).returning('id').executeTakeFirstOrThrow()).id
  const agentB = (await db.insertInto('app_user').values({ username: 'agent-b', display_name: '回访专员 乙', role: 'callback_agent', password_hash: 'x' }).returning('id').executeTakeFirstOrThrow()).id
  let n = 0
  async function task(t: { due: string; status: 'planned' | 'done' | 'cancelled' | 'unreachable'; outcome?: 'completed' | 'readmitted' | 'unreachable'; answers?: Record<string, string>; completedAt?: string; agent: number }) {
    n++
    const p = await db.insertInto('patient').values({ mrn: `RPT-${n}`, name: `报表患者${n}`, sex: 'F' }).returning('id').executeTakeFirstOrThrow()
    const s = await db.insertInto('stay').values({ patient_id: p.id, source: 'RPT', visit_number: `RPT-${n}`, department_id: rpt!.id, department_code: 'RPT', status: 'discharged', last_event: 'A03', origin: 'test', content_hash: 'x' }).returning('id').executeTakeFirstOrThrow()
    await db.insertInto('callback_task').values({
      stay_id: s.id, patient_id: p.id, department_id: rpt!.id, rule_id: rule.id, template_id: template.id, due_date: t.due, due_at: new Date(`${t.due}T01:00:00Z`),
      windows: '[]', priority: 3, status: t.status, outcome: t.outcome ?? null, answers: t.answers ? JSON.stringify(t.answers) : null,
      completed_at: t.completedAt ? new Date(t.completedAt) : null, assigned_user_id: t.agent, plan_reason: 'test',
    }).execute()
    return { patient: p.id, stay: s.id }
  }
  await task({ due: '2026-11-10', status: 'done', outcome: 'completed', answers: { satisfaction: '5', wound: '否' }, completedAt: '2026-11-10T03:00:00Z', agent: agentA })
  await task({ due: '2026-11-20', status: 'done', outcome: 'completed', answers: { satisfaction: '3', wound: '否' }, completedAt: '2026-11-20T03:00:00Z', agent: agentA })
  // completed at 01:00 on 1 November in Shanghai (still 31 October in UTC); the wound question unanswered
  await task({ due: '2026-11-01', status: 'done', outcome: 'completed', answers: { satisfaction: '4' }, completedAt: '2026-10-31T17:00:00Z', agent: agentB })
  await task({ due: '2026-11-15', status: 'planned', agent: agentB })
  await task({ due: '2026-11-16', status: 'cancelled', outcome: 'readmitted', agent: agentB })
  await task({ due: '2026-11-17', status: 'unreachable', outcome: 'unreachable', agent: agentB })
  await task({ due: '2026-12-02', status: 'done', outcome: 'completed', answers: { satisfaction: '1', wound: '是' }, completedAt: '2026-12-02T03:00:00Z', agent: agentA })

  const nursing = await office('HLB')
  const general = await office('ZWK')
  const fb = (f: { class: 'service' | 'environment'; text: string; office: number; status: 'open' | 'resolved' | 'closed'; inTime?: boolean; at: string }) => db.insertInto('feedback').values({
    source: 'callback', class: f.class, subject_department_id: rpt!.id, responsible_department_id: f.office, text: f.text, status: f.status,
    resolved_in_time: f.inTime ?? null, resolved_at: f.status === 'open' ? null : new Date(f.at), deadline_at: new Date(f.at), created_at: new Date(f.at),
  }).execute()
  await fb({ class: 'service', text: '护士态度不好', office: nursing, status: 'closed', inTime: true, at: '2026-11-05T02:00:00Z' })
  await fb({ class: 'service', text: '护士态度不好', office: nursing, status: 'resolved', inTime: false, at: '2026-11-06T02:00:00Z' })
  await fb({ class: 'environment', text: '空调坏了', office: general, status: 'open', at: '2026-11-07T02:00:00Z' })
  await fb({ class: 'service', text: '12 月的不算', office: nursing, status: 'open', at: '2026-12-01T02:00:00Z' })

  const res = await t.call('manager', 'GET', '/api/feedback/report?from=2026-11-01&to=2026-11-30')
  assert.is(res.status, 200, JSON.stringify(res.body))
  const r = res.body
  assert.equal(r.satisfaction, [
    { month: '2026-11', department: null, hospital: true, answered: 3, satisfied: 2, rate: 66.7 },
    { month: '2026-11', department: '测试科', hospital: false, answered: 3, satisfied: 2, rate: 66.7 },
  ])
  assert.equal(r.topProblems, [{ department: '测试科', items: [{ class: 'service', text: '护士态度不好', count: 2 }, { class: 'environment', text: '空调坏了', count: 1 }] }])
  assert.equal(r.handling, [
    { department: '总务科', received: 1, resolved: 0, processingRate: 0, timely: 0, timeliness: null },
    { department: '护理部', received: 2, resolved: 2, processingRate: 100, timely: 1, timeliness: 50 },
  ].sort((a, b) => a.department.localeCompare(b.department, 'en')))
  const mine = r.coverage.departments.find((d: any) => d.department === '测试科')
  assert.equal(mine, { department: '测试科', planned: 5, completed: 3, rate: 60 })
  assert.equal(r.coverage.agents.filter((a: any) => ['回访专员 甲', '回访专员 乙'].includes(a.agent)).sort((a: any, b: any) => a.agent.localeCompare(b.agent)), [
    { agent: '回访专员 乙', planned: 3, completed: 1, rate: 33.3 }, { agent: '回访专员 甲', planned: 2, completed: 2, rate: 100 },
  ].sort((a, b) => a.agent.localeCompare(b.agent)))
  assert.equal(r.completeness, { completed: 3, whole: 2, rate: 66.7 })

  // the same figures in the meeting file, read back by openpyxl and pdftotext (not our code)
  const xlsx = await t.call('manager', 'GET', '/api/reports/feedback.xlsx?from=2026-11-01&to=2026-11-30')
  assert.is(xlsx.status, 200)
  const file = join(mkdtempSync(join(tmpdir(), 'hotline-fb-report-')), 'feedback.xlsx')
  writeFileSync(file, xlsx.body as unknown as Buffer)
  const sheets = JSON.parse(execFileSync('/usr/bin/python3', [join(import.meta.dirname, '../helpers/read-xlsx.py'), file]).toString()) as { name: string; rows: { v: any }[][] }[]
  assert.equal(sheets.map((x) => x.name), ['满意度（回访）', '各科室前五位问题', '反馈处理（负责科室）', '回访覆盖率（科室）', '回访覆盖率（回访专员）', '记录完整率'])
  const row = (sheet: number, first: string, second?: string) => sheets[sheet]!.rows.find((r) => r[0]?.v === first && (second === undefined || r[1]?.v === second))?.map((c) => c.v)
  assert.equal(row(0, '2026-11', '测试科')?.slice(0, 5), ['2026-11', '测试科', 3, 2, 2 / 3])
  assert.equal(row(2, '护理部')?.slice(0, 6), ['护理部', 2, 2, 1, 1, 0.5])
  assert.equal(row(3, '测试科')?.slice(0, 4), ['测试科', 5, 3, 0.6])
  const pdf = await t.call('manager', 'GET', '/api/reports/feedback.pdf?from=2026-11-01&to=2026-11-30')
  assert.is(pdf.status, 200)
  const text = execFileSync('pdftotext', ['-layout', '-', '-'], { input: pdf.body as unknown as Buffer }).toString()
  assert.match(text, '回访与患者反馈')
  assert.match(text, /护理部\s+2\s+2\s+100/)

  const bad = await t.call('manager', 'GET', '/api/feedback/report?from=2026-11-31&to=2026-11-30')
  assert.equal([bad.status, bad.body.field], [400, 'from'])
  assert.is((await t.call('handler', 'GET', '/api/feedback/report?from=2026-11-01&to=2026-11-30')).status, 403)
})

test.run()
