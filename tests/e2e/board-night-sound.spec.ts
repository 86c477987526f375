// The desk's board sounds for new and overdue orders at night (22:00–07:00 on the desk's clock)
// unless someone turned it off; in the day it stays quiet unless turned on; the choice is kept.
import { test, expect } from '@playwright/test'
import { signedIn, shot } from './helpers.ts'

for (const [when, at, on] of [['at 23:30', '2026-12-07T23:30:00+08:00', true], ['at 10:00', '2026-12-07T10:00:00+08:00', false]] as const) {
  test(`the desk board's sound is ${on ? 'on' : 'off'} by default ${when}, and a choice holds`, async ({ browser }) => {
    const { page, context } = await signedIn(browser, 'operator', { width: 1440, height: 900 }, { timezoneId: 'Asia/Shanghai' })
    await page.clock.setFixedTime(new Date(at))
    await page.goto('/board')
    const toggle = page.getByRole('button', { name: /声音提醒/ })
    await expect(toggle).toHaveText(`🔔 声音提醒: ${on ? '是' : '否'}`)
    await expect(toggle).toHaveAttribute('aria-pressed', String(on))
    if (on) await shot(page, 'board-night-sound')
    await toggle.click()
    await page.reload()
    await expect(page.getByRole('button', { name: /声音提醒/ })).toHaveText(`🔔 声音提醒: ${on ? '否' : '是'}`)
    await context.close()
  })
}
