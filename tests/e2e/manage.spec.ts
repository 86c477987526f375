// The manager's KPI page: presets query at once, the export says what was queried, an error clears the
// old figures, an empty period says so.
import { test, expect } from '@playwright/test'
import { signedIn, shot } from './helpers'

test('presets set the period and query; the export is of what is shown; errors and empty periods read as such', async ({ browser }) => {
  const { context, page } = await signedIn(browser, 'manager')
  await expect(page).toHaveURL(/\/manage$/)
  await expect(page.getByTestId('kpi-shown')).toBeVisible()
  // the browser's own calendar: first of this month, today, first and last of last month, this Monday
  const [first, today, lastFirst, lastEnd, monday] = await page.evaluate(() => {
    const day = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`
    const n = new Date()
    return [new Date(n.getFullYear(), n.getMonth(), 1), n, new Date(n.getFullYear(), n.getMonth() - 1, 1), new Date(n.getFullYear(), n.getMonth(), 0), new Date(n.getFullYear(), n.getMonth(), n.getDate() - ((n.getDay() + 6) % 7))].map(day)
  })

  await page.getByRole('button', { name: '本月' }).click()
  await expect(page.getByLabel('从')).toHaveValue(first)
  await expect(page.getByLabel('到')).toHaveValue(today)
  await expect(page.getByTestId('kpi-shown')).toContainText(`${first} 至 ${today} · 全部班组`)
  await page.getByRole('button', { name: '本周' }).click()
  await expect(page.getByTestId('kpi-shown')).toContainText(`${monday} 至 ${today}`)
  await page.getByRole('button', { name: '今天' }).click()
  await expect(page.getByTestId('kpi-shown')).toContainText(`${today} 至 ${today}`)
  await page.getByRole('button', { name: '上月' }).click()
  await expect(page.getByLabel('从')).toHaveValue(lastFirst)
  await expect(page.getByLabel('到')).toHaveValue(lastEnd)
  await expect(page.getByTestId('kpi-shown')).toContainText(`${lastFirst} 至 ${lastEnd}`)

  // changing the form without querying leaves the export on what is on screen
  await page.getByLabel('班组').selectOption({ index: 1 })
  const chosen = (await page.getByLabel('班组').locator('option:checked').textContent())!.trim()
  await expect(page.getByTestId('kpi-export')).toContainText(`${lastFirst} 至 ${lastEnd} · 全部班组`)
  const download = page.waitForEvent('download')
  await page.getByTestId('kpi-export').click()
  expect((await download).url()).not.toContain('teamId=')
  await page.getByRole('button', { name: '查询' }).click()
  await expect(page.getByTestId('kpi-export')).toContainText(`· ${chosen}`)
  await page.getByLabel('班组').selectOption({ index: 0 })

  // a period long ago: no orders, words instead of bare axes
  await page.getByLabel('从').fill('2001-01-01')
  await page.getByLabel('到').fill('2001-01-31')
  await page.getByRole('button', { name: '查询' }).click()
  await expect(page.getByTestId('kpi-empty')).toHaveText('本期间没有数据')
  await expect(page.getByText('本期间没有数据')).toHaveCount(5) // the banner, three charts, the staff table
  await expect(page.getByRole('img')).toHaveCount(0)
  await shot(page, 'manage-empty')

  // a refused period: the figures go, the reason is in Chinese
  await page.getByLabel('从').fill('2001-02-01')
  await page.getByRole('button', { name: '查询' }).click()
  await expect(page.getByRole('alert')).toHaveText('结束日期早于开始日期，请重新选择')
  await expect(page.getByTestId('kpi-shown')).toHaveCount(0)
  await expect(page.getByTestId('kpi-及时率')).toHaveCount(0)
  await expect(page.getByTestId('kpi-export')).toBeDisabled()
  await expect(page.getByRole('link', { name: /报表导出/ })).toBeVisible()
  await shot(page, 'manage-error')
  await context.close()
})
