// 回访设置 at the desk: the administrator changes the hospital-wide retry policy and it holds after a
// reload; a number goes on the do-not-call list (one that is no number is refused at its field) and
// comes off it with a reason, which the audit log keeps. The manager sees the policy but cannot change it.
import { test, expect } from '@playwright/test'
import { signedIn, shot } from './helpers.ts'

test.describe.configure({ mode: 'serial' })

test('the administrator changes the retry policy and keeps the do-not-call list', async ({ browser }) => {
  const { page, context } = await signedIn(browser, 'admin')
  await page.goto('/callbacks/settings')
  await expect(page.getByRole('heading', { name: '回访设置' })).toBeVisible()
  // the browser tests' server calls at any hour (playwright.config.ts): the page shows the server's setting
  await expect(page.getByTestId('calling-hours')).toContainText('00:00–23:59 · 周一、周二、周三、周四、周五、周六、周日')
  const busy = page.getByLabel('全院 对方忙后（分钟）')
  const before = await busy.inputValue()
  await busy.fill('25')
  await page.getByTestId('policy-global').getByRole('button', { name: '保存' }).click()
  await expect(page.getByTestId('said')).toHaveText('已保存：全院的重拨规则')
  await page.reload()
  await expect(page.getByLabel('全院 对方忙后（分钟）')).toHaveValue('25')

  const list = page.getByRole('region', { name: '免打扰名单' })
  await list.getByLabel('号码').fill('不是号码')
  await list.getByLabel('原因', { exact: true }).fill('测试')
  await list.getByRole('button', { name: '加入名单' }).click()
  await expect(list.getByRole('alert')).toContainText('不是电话号码')
  await list.getByLabel('号码').fill('139 0000 7788')
  await list.getByLabel('原因', { exact: true }).fill('家属来电要求不再打扰')
  await list.getByRole('button', { name: '加入名单' }).click()
  await expect(page.getByTestId('said')).toHaveText('已加入免打扰名单')
  const row = list.locator('tr', { hasText: '139****7788' })
  await expect(row).toContainText('家属来电要求不再打扰')
  await expect(list).not.toContainText('13900007788')
  await shot(page, 'callback-settings')
  await row.getByRole('button', { name: '解除' }).click()
  await expect(row.getByRole('button', { name: '解除' })).toBeDisabled()
  await row.getByLabel('解除原因（必填）').fill('号码登记错误')
  await row.getByRole('button', { name: '解除' }).click()
  await expect(page.getByTestId('said')).toHaveText('已解除，并记入审计日志')
  await expect(list.locator('tr', { hasText: '139****7788' })).toHaveCount(0)
  const audit = await page.evaluate(async () => (await (await fetch('/api/audit?action=lift_do_not_call')).json()).items)
  expect(audit.some((a: { detail: { reason: string } }) => a.detail.reason === '号码登记错误')).toBe(true)

  // put the policy back for the specs after this one
  await page.getByLabel('全院 对方忙后（分钟）').fill(before)
  await page.getByTestId('policy-global').getByRole('button', { name: '保存' }).click()
  await expect(page.getByTestId('said')).toHaveText('已保存：全院的重拨规则')
  await context.close()
})

test('the manager reads the policy and cannot change it', async ({ browser }) => {
  const { page, context } = await signedIn(browser, 'manager')
  await page.goto('/callbacks/settings')
  await expect(page.getByLabel('全院 最多拨打次数')).toBeDisabled()
  await expect(page.getByTestId('policy-global').getByRole('button', { name: '保存' })).toHaveCount(0)
  await context.close()
})
