import type { Browser, BrowserContext, Page, APIRequestContext } from '@playwright/test'
import { mkdirSync } from 'node:fs'

export const SCREENS = 'test-results/screens'
mkdirSync(SCREENS, { recursive: true })

/** A signed-in browser context for a demo user, optionally phone-sized (or in the hospital's zone). */
export async function signedIn(browser: Browser, username: string, viewport = { width: 1440, height: 900 }, options: { timezoneId?: string } = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport, ...options })
  const page = await context.newPage()
  await page.goto('/login')
  await page.getByLabel('用户名').fill(username)
  await page.getByLabel('密码').fill('demo')
  await page.getByRole('button', { name: '登录' }).click()
  await page.waitForURL((url) => !url.pathname.startsWith('/login'))
  return { context, page }
}

/** The API as a signed-in user, for setting data up. */
export async function apiAs(request: APIRequestContext, username: string) {
  const res = await request.post('/api/session', { data: { username, password: 'demo' } })
  if (!res.ok()) throw new Error(`sign in ${username}: ${res.status()}`)
  return request
}

export const shot = (page: Page, name: string) => page.screenshot({ path: `${SCREENS}/${name}.png`, fullPage: true })
