// The callback supervisor uploads the HIS's discharge list: a file with one bad row is refused with
// the row and the reason and nothing lands in the plan; the corrected file plans the calls.
import { test, expect } from '@playwright/test'
import { signedIn, shot } from './helpers.ts'

const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date())
const header = 'visitNumber,mrn,name,sex,birthDate,mobile,department,attendingDoctor,dischargedAt,procedures,diagnoses'
const good = `E2E-1,ME2E1,周桂兰,F,1952-04-01,13912345678,0301,李建华,${today} 09:00,"81.51 全髋关节置换术",`
const bad = `E2E-2,ME2E2,吴建国,M,1960-02-30,13912340000,0201,周医生,${today} 09:00,,"I10 高血压病"`

test('the callback agent uploads a list with a bad row, reads the report, then uploads it fixed', async ({ browser }) => {
  test.setTimeout(120_000)
  const { page, context } = await signedIn(browser, 'agent')
  await expect(page).toHaveURL(/\/callbacks$/)
  // the agent's home is the workspace; the lists and the plan are its second tab
  await page.getByRole('link', { name: '名单与计划' }).click()
  await expect(page).toHaveURL(/\/callbacks\/plan$/)
  // the demo's week is planned already
  await expect(page.getByRole('table', { name: '回访计划' })).toContainText('骨科术后回访', { timeout: 30_000 })
  await page.getByLabel('出院患者名单（CSV，UTF-8 或 GBK）').setInputFiles({ name: 'discharges.csv', mimeType: 'text/csv', buffer: Buffer.from([header, good, bad].join('\r\n')) })
  await page.getByRole('button', { name: '上传名单' }).click()
  const report = page.getByRole('table', { name: '逐行校验结果' })
  await expect(report).toContainText('出生日期', { timeout: 30_000 })
  await expect(report.getByRole('row')).toHaveCount(2)
  await expect(report).toContainText('1960-02-30')
  await expect(page.getByRole('status')).toContainText('整份未导入')
  await expect(report).toContainText('出生日期是不存在的日期：1960-02-30')
  await expect(page.getByRole('table', { name: '回访计划' })).not.toContainText('周桂兰')
  await shot(page, 'callbacks-upload-report')

  await page.getByLabel('出院患者名单（CSV，UTF-8 或 GBK）').setInputFiles({ name: 'discharges.csv', mimeType: 'text/csv', buffer: Buffer.from([header, good, bad.replace('1960-02-30', '1960-02-28')].join('\r\n')) })
  await page.getByRole('button', { name: '上传名单' }).click()
  await expect(page.getByTestId('import-summary')).toHaveText('新增 2 · 更新 0 · 未变 0', { timeout: 30_000 })
  const row = page.getByRole('table', { name: '回访计划' }).getByRole('row').filter({ hasText: '周桂兰' })
  await expect(row).toContainText('骨科术后回访')
  await expect(row).toContainText('139****5678')
  await shot(page, 'callbacks-plan')
  await context.close()
})
