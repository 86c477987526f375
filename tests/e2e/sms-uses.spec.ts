// 短信 → 用途 at 1440×900: the administrator switches the booking reminder off and it stays off after
// a reload; the manager reads the switches and cannot change them.
import { test, expect } from '@playwright/test'
import { signedIn, shot } from './helpers.ts'

test.describe.configure({ mode: 'serial' })

test('the administrator switches a use of SMS; the manager only reads', async ({ browser }) => {
  const { context, page } = await signedIn(browser, 'admin')
  await page.goto('/sms')
  await page.getByRole('tab', { name: '用途' }).click()
  const table = page.getByRole('table', { name: '用途' })
  const reminder = table.getByRole('checkbox', { name: '预约提醒' })
  await expect(reminder).toBeChecked()
  await expect(table.getByRole('checkbox', { name: '新工单通知处理人' })).not.toBeChecked()
  await reminder.uncheck()
  await expect(page.getByText('已保存')).toBeVisible()
  await shot(page, 'sms-uses')
  await page.reload()
  await page.getByRole('tab', { name: '用途' }).click()
  await expect(page.getByRole('table', { name: '用途' }).getByRole('checkbox', { name: '预约提醒' })).not.toBeChecked()
  await page.getByRole('table', { name: '用途' }).getByRole('checkbox', { name: '预约提醒' }).check()
  await expect(page.getByText('已保存')).toBeVisible()
  await context.close()

  const manager = await signedIn(browser, 'manager')
  await manager.page.goto('/sms')
  await manager.page.getByRole('tab', { name: '用途' }).click()
  const box = manager.page.getByRole('table', { name: '用途' }).getByRole('checkbox', { name: '预约提醒' })
  await expect(box).toBeChecked()
  await expect(box).toBeDisabled()
  await manager.context.close()
})
