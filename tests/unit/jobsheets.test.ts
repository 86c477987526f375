// Job sheets read back as a porter and a machine would: text extractable, one page a sheet,
// the font embedded as a subset, English on request, long descriptions kept on the page.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { execFileSync } from 'node:child_process'
import { renderJobSheets, type JobSheet } from '../../server/src/jobsheets/render.ts'

const sheet = (over: Partial<JobSheet> = {}): JobSheet => ({
  number: 'WO-20261123-0042', hospitalName: '示范医院 后勤服务中心', orderUrl: 'http://localhost:3000/tech/orders/42',
  category: '运送', item: '病人陪检（CT/超声/放射）', location: '南院区 / 住院楼 / 7F / 骨科病区 715室',
  requesterName: '护士 张敏', requesterPhone: '139****5678', requesterExtension: '3715', description: '715床病人去CT室，需要轮椅和氧气袋',
  requestedAt: new Date('2026-11-23T02:00:00Z'), booked: true, urgency: 'critical', tools: ['轮椅', '氧气袋'],
  team: '运送中心', servicePoint: '南区运送服务中心', assignee: '张伟', dispatchedAt: new Date('2026-11-23T01:50:00Z'),
  responseDueAt: new Date('2026-11-23T02:05:00Z'), dueAt: new Date('2026-11-23T02:30:00Z'), createdAt: new Date('2026-11-23T01:50:00Z'), chaseCount: 1,
  ...over,
})
const text = (pdf: Buffer) => execFileSync('pdftotext', ['-layout', '-', '-'], { input: pdf }).toString()
const pages = (pdf: Buffer) => Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', ['-'], { input: pdf }).toString())![1])

test('a sheet carries the order number, place, task, deadlines in local time and the signature boxes, as extractable Chinese text', async () => {
  const pdf = await renderJobSheets([sheet()])
  assert.is(pdf.subarray(0, 5).toString(), '%PDF-')
  const t = text(pdf)
  for (const expected of ['后勤服务工作单', 'WO-20261123-0042', '病人陪检（CT/超声/放射）', '骨科病区 715室', '715床病人去CT室，需要轮椅和氧气袋', '轮椅、氧气袋', '特急', '预约',
    '2026-11-23 10:00', '到场 2026-11-23 10:05', '完成 2026-11-23 10:30', '维修人员签字', '报修人确认签字', '校对', '打印时间', '催单次数']) {
    assert.ok(t.includes(expected), `missing on the sheet: ${expected}`)
  }
  assert.is(pages(pdf), 1)
})

test('a batch prints one page per order in one PDF, with the font subset (well under the 10 MB font)', async () => {
  const pdf = await renderJobSheets([sheet(), sheet({ number: 'WO-20261123-0043' }), sheet({ number: 'WO-20261123-0044' })])
  assert.is(pages(pdf), 3)
  assert.ok(text(pdf).includes('WO-20261123-0044'))
  assert.ok(pdf.length < 200_000, `${pdf.length} bytes`)
})

test('English labels when asked, on A4', async () => {
  const pdf = await renderJobSheets([sheet()], { locale: 'en', paper: 'A4' })
  const t = text(pdf)
  assert.ok(t.includes('Logistics job sheet') && t.includes('Technician signature') && t.includes('CRITICAL'))
  const size = /Page size:\s+([\d.]+) x ([\d.]+)/.exec(execFileSync('pdfinfo', ['-'], { input: pdf }).toString())!
  assert.is(Math.round(Number(size[1])), 595) // A4 is 595 × 842 pt; A5 is 420 × 595
})

test('a very long description wraps and the sheet stays on one page', async () => {
  const pdf = await renderJobSheets([sheet({ description: '病房呼叫器故障，'.repeat(60) })])
  assert.is(pages(pdf), 1)
})

test.run()
