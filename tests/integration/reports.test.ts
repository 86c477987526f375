// The meeting reports read back by readers that are not ours: XLSX by openpyxl (Debian's
// python3-openpyxl), PDF by pdftotext (poppler). The figures must be those of GET /api/kpi.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { seedHistory } from '../../server/src/demo/history.ts'
import { fromHotline } from '../../server/src/feedback/feedback.service.ts'

let t: TestApp
const dir = mkdtempSync(join(tmpdir(), 'hotline-reports-'))
const at = (local: string) => `${local}:00+08:00`
const FORMULA_NAME = '=HYPERLINK("http://evil.example","click")'
const PERIOD = 'from=2026-03-02&to=2026-03-08'
const rows = [
  { itemCode: 'repair.ac', extension: '3512', requesterName: 'A', status: 'closed', assigneeName: '王建国', createdAt: at('2026-03-02T09:00'), arrivedAt: at('2026-03-02T09:20'), completedAt: at('2026-03-02T12:00'), closedAt: at('2026-03-02T12:30'), ratingScore: 5, ratedAt: at('2026-03-02T12:30') },
  { itemCode: 'repair.light', extension: '3601', requesterName: 'B', status: 'completed', assigneeName: '李明', chaseCount: 2, createdAt: at('2026-03-03T10:00'), arrivedAt: at('2026-03-03T10:45'), completedAt: at('2026-03-03T12:30'), ratingScore: 3, ratedAt: at('2026-03-03T13:00') },
  { itemCode: 'transport.specimen', extension: '2201', requesterName: 'C', status: 'closed', assigneeName: '张伟', createdAt: at('2026-03-04T08:00'), arrivedAt: at('2026-03-04T08:10'), completedAt: at('2026-03-04T08:40'), closedAt: at('2026-03-04T09:00'), ratingScore: 4, ratedAt: at('2026-03-04T09:00') },
  { itemCode: 'complaint.food', extension: '3501', requesterName: 'D', status: 'dispatched', chaseCount: 1, createdAt: at('2026-03-05T14:00') },
  { itemCode: 'complaint.food', extension: '3512', requesterName: 'D2', status: 'dispatched', createdAt: at('2026-03-05T15:00') },
  { itemCode: 'cleaning.spill', extension: '2101', requesterName: 'E', status: 'cancelled', chaseCount: 1, createdAt: at('2026-03-06T11:00'), cancelledAt: at('2026-03-06T11:05') },
  { itemCode: 'repair.water', extension: '3701', requesterName: 'I', status: 'completed', assigneeName: FORMULA_NAME, chaseCount: 1, createdAt: at('2026-03-07T09:00'), arrivedAt: at('2026-03-07T09:15'), completedAt: at('2026-03-07T10:00'), ratingScore: 2, ratedAt: at('2026-03-07T10:30') },
]

interface XCell { v: any; t: 'number' | 'text' | 'date' | 'empty'; f: string }
interface XSheet { name: string; freeze: string | null; widths: Record<string, number>; rows: XCell[][] }

function readXlsx(body: Buffer, name: string): XSheet[] {
  const file = join(dir, name)
  writeFileSync(file, body)
  // Debian's python with Debian's openpyxl, whatever python is first on PATH
  return JSON.parse(execFileSync('/usr/bin/python3', [join(import.meta.dirname, '../helpers/read-xlsx.py'), file], { maxBuffer: 1 << 28 }).toString())
}
const pdfText = (body: Buffer) => execFileSync('pdftotext', ['-layout', '-', '-'], { input: body }).toString()
/** the row of a sheet whose first cell is `label` */
const rowOf = (sheet: XSheet, label: string) => sheet.rows.find((r) => r[0]?.v === label)

async function download(path: string) {
  const res = await t.call('manager', 'GET', path)
  assert.is(res.status, 200, `${path}: ${res.status} ${String(res.body).slice(0, 300)}`)
  return res
}

test.before(async () => {
  t = await startTestApp({ hospitalName: '测试医院 后勤服务中心' })
  // one of 李明's team mates gets a name that a spreadsheet would run as a formula
  const li = await t.db.db.selectFrom('staff').select('team_id').where('name', '=', '李明').executeTakeFirstOrThrow()
  const mate = await t.db.db.selectFrom('staff').select('id').where('team_id', '=', li.team_id).where('name', 'not in', ['王建国', '李明']).orderBy('id').executeTakeFirstOrThrow()
  assert.is((await t.call('admin', 'PATCH', `/api/staff/${mate.id}`, { name: FORMULA_NAME })).status, 200)
  const res = await t.call('manager', 'POST', '/api/work-orders/import', rows.map((r) => JSON.stringify(r)).join('\n'), { 'content-type': 'application/x-ndjson' })
  assert.is(res.status, 201, JSON.stringify(res.body))
})
test.after(async () => { await t.close() })

test('KPI XLSX: numbers are numbers, rates are percent cells equal to /api/kpi, with the header block and frozen rows', async () => {
  const k = (await t.call('manager', 'GET', `/api/kpi?${PERIOD}`)).body
  const res = await download(`/api/reports/kpi.xlsx?${PERIOD}`)
  assert.match(res.headers['content-type']!, /spreadsheetml/)
  assert.match(res.headers['content-disposition']!, /hotline100-kpi-2026-03-02-2026-03-08\.xlsx/)
  const [summary, trend] = readXlsx(res.body, 'kpi.xlsx')
  assert.is(summary!.name, '汇总')
  assert.is(trend!.name, '月度趋势')
  // header block: title, hospital, period, team, generated at and by
  assert.is(summary!.rows[0]![0]!.v, '关键指标汇总')
  assert.is(rowOf(summary!, '单位')![1]!.v, '测试医院 后勤服务中心')
  assert.is(rowOf(summary!, '统计期间')![1]!.v, '2026-03-02 — 2026-03-08')
  assert.is(rowOf(summary!, '班组')![1]!.v, '全部班组')
  assert.match(rowOf(summary!, '生成时间')![1]!.v, /^\d{4}-\d\d-\d\d \d\d:\d\d \(Asia\/Shanghai\)  生成人 \S+/)
  assert.is(summary!.freeze, 'A8')
  // openpyxl folds neighbouring columns of one width into one entry
  assert.ok(summary!.widths.A === 22 && summary!.widths.B === 12, JSON.stringify(summary!.widths))

  const rate = (label: string, expected: number | null, num: number, den: number) => {
    const r = rowOf(summary!, label)!
    assert.is(r[1]!.t, 'number', `${label} is a number cell`)
    assert.ok(Math.abs(r[1]!.v - expected!) < 1e-12, `${label}: ${r[1]!.v} ≠ ${expected}`)
    assert.match(r[1]!.f, /%/, `${label} has a percent format`)
    assert.equal([r[2]!.v, r[3]!.v], [num, den])
  }
  rate('及时率', k.timelinessRate, k.counts.completedOnTime, k.counts.completed)
  rate('响应及时率', k.responseOnTimeRate, k.counts.arrivedOnTime, k.counts.arrived)
  rate('完成率', k.completionRate, k.counts.createdCompleted, k.counts.created)
  rate('催单率', k.chaseRate, k.counts.createdChased, k.counts.created)
  assert.is(k.counts.created, 6)
  assert.is(rowOf(summary!, '满意度（平均分）')![1]!.v, k.satisfaction.mean)
  assert.is(rowOf(summary!, '投诉数')![1]!.v, 2)
  assert.is(rowOf(summary!, '投诉数')![1]!.t, 'number')
  const march = rowOf(trend!, '2026-03')!
  assert.is(march[1]!.v, k.counts.created)
  assert.match(march[3]!.f, /%/)
})

test('every report downloads as XLSX and PDF, in Chinese, and in English with lang=en', async () => {
  for (const report of ['kpi', 'weekly-volume', 'chases', 'complaints', 'staff']) {
    const x = readXlsx((await download(`/api/reports/${report}.xlsx?${PERIOD}`)).body, `${report}.xlsx`)
    assert.ok(x.length >= 1 && x.every((s) => s.freeze && s.rows.length > 7), report)
    const pdf = (await download(`/api/reports/${report}.pdf?${PERIOD}`)).body
    assert.is(pdf.subarray(0, 5).toString(), '%PDF-')
    const text = pdfText(pdf)
    assert.ok(text.includes('测试医院 后勤服务中心') && text.includes('2026-03-02 — 2026-03-08'), `${report} PDF header:\n${text.slice(0, 400)}`)
    assert.match(text, /第\s*1\s*页\s*\/\s*共\s*\d+\s*页/)
    const en = pdfText((await download(`/api/reports/${report}.pdf?${PERIOD}&lang=en`)).body)
    assert.match(en, /Page 1 of \d+/)
    assert.ok(en.includes('All teams'), en.slice(0, 300))
  }
})

test('the KPI PDF shows the figures of /api/kpi, and its charts are vector graphics', async () => {
  const k = (await t.call('manager', 'GET', `/api/kpi?${PERIOD}`)).body
  const pdf = (await download(`/api/reports/kpi.pdf?${PERIOD}`)).body
  const text = pdfText(pdf)
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`
  for (const [label, v] of [['及时率', k.timelinessRate], ['完成率', k.completionRate], ['催单率', k.chaseRate], ['响应及时率', k.responseOnTimeRate]] as const) {
    assert.match(text, new RegExp(`${label}\\s+${pct(v).replace('.', '\\.')}`), `${label} ${pct(v)} in\n${text}`)
  }
  assert.ok(text.includes('每日完成及时率') && text.includes('月度趋势'), text)
  // an image would be an /Image XObject; the charts are paths and text
  assert.not.ok(pdf.toString('latin1').includes('/Subtype /Image'))
})

test('chases, complaints and staff reports: the figures by team, item, place and person', async () => {
  const [, byTeam, byItem] = readXlsx((await download(`/api/reports/chases.xlsx?${PERIOD}`)).body, 'chases.xlsx')
  const maintenance = rowOf(byTeam!, '维修班')!
  assert.equal(maintenance.slice(1, 3).map((c) => c.v), [3, 2])
  assert.ok(Math.abs(maintenance[3]!.v - 2 / 3) < 1e-12 && /%/.test(maintenance[3]!.f))
  // the most-chased items first; a tie on chased orders goes to the item with more orders
  assert.equal(byItem!.rows[7]!.slice(1, 4).map((c) => c.v), ['饭菜质量投诉', 2, 1])
  assert.equal(byItem!.rows.find((r) => r[1]?.v === '灯具不亮')!.slice(2, 5).map((c) => c.v), [1, 1, 1])

  const [byClass, byPlace] = readXlsx((await download(`/api/reports/complaints.xlsx?${PERIOD}`)).body, 'complaints.xlsx')
  assert.is(rowOf(byClass!, '合计')![1]!.v, 2)
  assert.is(byPlace!.rows.slice(7).reduce((s, r) => s + r[2]!.v, 0), 2)

  const [staff] = readXlsx((await download(`/api/reports/staff.xlsx?${PERIOD}`)).body, 'staff.xlsx')
  const li = rowOf(staff!, '李明')!
  assert.equal(li.slice(2, 4).map((c) => c.v), [1, 0])
  assert.is(li[7]!.v, 2) // chases received
  assert.is(li[9]!.v, 3) // mean rating
  // the formula-looking name is text that starts with ', in every cell of every sheet
  const odd = rowOf(staff!, `'${FORMULA_NAME}`)
  assert.ok(odd, 'the formula-looking name is neutralised')
  assert.is(odd![0]!.t, 'text')
  const all = [staff!, ...readXlsx((await download(`/api/reports/orders.xlsx?${PERIOD}`)).body, 'orders.xlsx')]
  assert.not.ok(all.some((s) => s.rows.some((r) => r.some((c) => c.t === 'text' && /^[=+\-@\t\r]/.test(c.v)))))
})

test('the order export: one row per order created in the period, real dates and numbers', async () => {
  const [sheet] = readXlsx((await download(`/api/reports/orders.xlsx?${PERIOD}&lang=en`)).body, 'orders-en.xlsx')
  assert.is(sheet!.rows[6]![0]!.v, 'Number')
  const data = sheet!.rows.slice(7)
  assert.is(data.length, 7) // the cancelled order too: it is an order of the period
  assert.is(data[0]![1]!.t, 'date')
  assert.is(data[0]![1]!.v, '2026-03-02T09:00:00')
  assert.is(data[1]![9]!.v, 2)
  assert.is(data[1]![9]!.t, 'number')
})

test('demo history: days a dashboard rolled up while empty count their generated orders, and the reports agree', async () => {
  const days = [5, 4, 3, 2, 1].map((n) => new Date(Date.now() - n * 86_400_000 + 8 * 3_600_000).toISOString().slice(0, 10))
  const period = `from=${days[0]}&to=${days[4]}`
  assert.is((await t.call('manager', 'GET', `/api/kpi?${period}`)).body.counts.created, 0)
  const written = await seedHistory(t.db.db, days, 'Asia/Shanghai', 200)
  assert.ok(written > 400 && written < 1500, `${written} orders for five days at 200 a weekday`)
  const k = (await t.call('manager', 'GET', `/api/kpi?${period}`)).body
  assert.is(k.counts.created + (await t.db.db.selectFrom('work_order').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'cancelled').where('routing_reason', '=', '演示历史数据').executeTakeFirstOrThrow()).n * 1, written)
  assert.ok(k.timelinessRate > 0.75 && k.timelinessRate < 0.97, `timeliness ${k.timelinessRate}`)
  assert.ok(k.chaseRate > 0.01 && k.chaseRate < 0.2, `chase rate ${k.chaseRate}`)
  assert.ok(k.satisfaction.rated > 0)
  const [summary] = readXlsx((await download(`/api/reports/kpi.xlsx?${period}`)).body, 'history.xlsx')
  assert.is(rowOf(summary!, '及时率')![1]!.v, k.timelinessRate)
  assert.is(rowOf(summary!, '及时率')![3]!.v, k.counts.completed)
  // the order numbers of a day follow the order they came in
  const numbers = await t.db.db.selectFrom('work_order').select('number').where('routing_reason', '=', '演示历史数据').orderBy('created_at').execute()
  const first = numbers.filter((r) => r.number.startsWith(`WO-${days[0]!.replace(/-/g, '')}`)).map((r) => r.number)
  assert.equal(first, [...first].sort())
  // its complaints were handled back then: closed cases, none filed anew by the feedback sweep
  const complaints = await t.db.db.selectFrom('work_order as w').innerJoin('item as i', 'i.id', 'w.item_id').select('w.id').where('w.routing_reason', '=', '演示历史数据').where('i.feedback_class', 'is not', null).execute()
  assert.ok(complaints.length > 0, 'the history has complaint orders')
  assert.equal(await fromHotline(t.db.db, new Date()), [])
  const cases = await t.db.db.selectFrom('feedback').select(['status', 'hotline_order_id']).where('hotline_order_id', 'in', complaints.map((c) => c.id)).execute()
  assert.equal([cases.length, new Set(cases.map((c) => c.status))], [complaints.length, new Set(['closed'])])
})

test('bad input is a 400 naming the field; roles as the permission table says', async () => {
  const cases: [string, string][] = [
    [`/api/reports/kpi.xlsx?from=2026-03-08&to=2026-03-02`, 'to'],
    [`/api/reports/kpi.xlsx?from=2025-01-01&to=2026-03-02`, 'to'],
    [`/api/reports/kpi.pdf?from=2026-02-30&to=2026-03-02`, 'from'],
    [`/api/reports/kpi.xlsx?${PERIOD}&teamId=9999`, 'teamId'],
    [`/api/reports/orders.pdf?${PERIOD}`, 'file'],
  ]
  for (const [url, field] of cases) {
    const res = await t.call('manager', 'GET', url)
    assert.is(res.status, 400, `${url}: ${res.status}`)
    assert.is(res.body.field, field, `${url}: ${JSON.stringify(res.body)}`)
    assert.not.ok(res.headers['content-disposition'], 'a refusal is not a file')
    if (field !== 'from') assert.ok(/[\u4e00-\u9fff]/.test(res.body.message) && res.body.messageEn, JSON.stringify(res.body))
  }
  const unknown = await t.call('manager', 'GET', `/api/reports/payroll.xlsx?${PERIOD}`)
  assert.is(unknown.status, 400)
  assert.match(JSON.stringify(unknown.body), /file/)
  assert.is((await t.call('tech', 'GET', `/api/reports/kpi.xlsx?${PERIOD}`)).status, 403)
  assert.is((await t.call(null, 'GET', `/api/reports/kpi.xlsx?${PERIOD}`)).status, 401)
  // a team lead gets their own team's figures whatever teamId they send
  const [summary] = readXlsx((await t.call('lead', 'GET', `/api/reports/kpi.xlsx?${PERIOD}`)).body, 'lead.xlsx')
  assert.not.equal(rowOf(summary!, '班组')![1]!.v, '全部班组')
})

test('a report being rendered does not stall other requests', async () => {
  const render = t.call('manager', 'GET', `/api/reports/staff.pdf?${PERIOD}`)
  let answered = 0
  const started = performance.now()
  let worst = 0
  while (answered < 20) {
    const t0 = performance.now()
    assert.is((await t.call(null, 'GET', '/api/health')).status, 200)
    worst = Math.max(worst, performance.now() - t0)
    answered++
  }
  assert.is((await render).status, 200)
  assert.ok(worst < 250, `a health check waited ${worst.toFixed(0)} ms (${(performance.now() - started).toFixed(0)} ms in all)`)
})

test.run()
