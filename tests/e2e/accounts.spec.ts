// Accounts tied to people: the admin links a login to a new staff member (team, phone device), and
// that person's phone shows the orders given to them; the desk hears before filing that nobody of
// the routed team is on duty, and the board flags such an order until someone takes it.
import { test, expect, request as apiRequest, type APIRequestContext, type Browser } from '@playwright/test'
import { signedIn, shot, SCREENS } from './helpers'

test.describe.configure({ mode: 'serial' })
// a loaded machine serves the app's first pages slowly; the steps themselves keep the default waits
test.setTimeout(180_000)

async function as(baseURL: string | undefined, username: string, password = 'demo'): Promise<APIRequestContext> {
  const ctx = await apiRequest.newContext({ baseURL })
  const res = await ctx.post('/api/session', { data: { username, password } })
  if (!res.ok()) throw new Error(`sign in ${username}: ${res.status()}`)
  return ctx
}

/** A browser signed in as a login made here (its own password), so the shared demo logins stay under the sign-in throttle. */
async function browserAs(browser: Browser, username: string, password: string, viewport = { width: 1440, height: 900 }) {
  const context = await browser.newContext({ viewport })
  const page = await context.newPage()
  await page.goto('/login')
  await page.getByLabel('用户名').fill(username)
  await page.getByLabel('密码').fill(password)
  await page.getByRole('button', { name: '登录' }).click()
  await page.waitForURL((url) => !url.pathname.startsWith('/login'), { timeout: 30_000 })
  return { context, page }
}

// one admin and one desk of our own for the whole file: the demo's logins are signed in by every
// spec, and ten sign-ins a minute per name is the limit
let admin: APIRequestContext
let desk: APIRequestContext
test.beforeAll(async ({ baseURL }) => {
  admin = await as(baseURL, 'admin')
  await admin.post('/api/users', { data: { username: 'desk2', displayName: '受理员 二号台', role: 'operator', password: 'desk2-pass-1' } })
  desk = await as(baseURL, 'desk2', 'desk2-pass-1')
})
test.afterAll(async () => { await desk.dispose(); await admin.dispose() })

test('the admin links a login to a staff member and that person sees their orders on a phone', async ({ browser, baseURL }) => {
  const maintenance = (await (await admin.get('/api/teams')).json()).items.find((t: any) => t.code === 'maintenance')
  const person = await (await admin.post('/api/staff', { data: { teamId: maintenance.id, name: '钱工' } })).json()
  expect(person.onDuty).toBe(false) // a new person starts off duty
  await admin.patch(`/api/staff/${person.id}`, { data: { onDuty: true } })
  const login = await (await admin.post('/api/users', { data: { username: 'qian', displayName: '维修工 钱工', role: 'technician', password: 'qian-pass-1' } })).json()

  // five wrong passwords lock the new login; the admin sees the lock and lifts it
  const stranger = await apiRequest.newContext({ baseURL })
  for (let i = 0; i < 5; i++) await stranger.post('/api/session', { data: { username: 'qian', password: 'wrong-pass' } })
  await stranger.dispose()

  const { context, page } = await signedIn(browser, 'admin')
  await page.getByRole('tab', { name: '用户与角色' }).click()
  const row = page.locator('tr', { hasText: 'qian' })
  await expect(row).toContainText('已锁定')
  await shot(page, 'admin-users-locked')
  await row.getByRole('button', { name: '解锁' }).click()
  await expect(page.getByRole('status').filter({ hasText: 'qian: 已解锁' })).toBeVisible()
  await expect(row).not.toContainText('已锁定')
  // on duty without a login: the admin is warned
  const warning = page.getByRole('region', { name: /在岗但没有登录账号/ })
  await expect(warning).toContainText('钱工')
  await page.getByLabel('qian 对应人员').selectOption({ label: '钱工 · 维修班' })
  await expect(page.getByLabel('qian 班组')).toHaveValue(String(maintenance.id))
  await page.getByLabel('qian 话机').fill('PJSIP/8311')
  await row.getByRole('button', { name: '保存关联' }).click()
  await expect(page.getByRole('status').filter({ hasText: 'qian: 已关联' })).toBeVisible()
  await expect(warning).not.toContainText('钱工')
  // the operator's phone is taken: refused in Chinese, naming why
  await page.getByLabel('qian 话机').fill('PJSIP/8001')
  await row.getByRole('button', { name: '保存关联' }).click()
  await expect(page.getByRole('alert').filter({ hasText: '该话机已属于另一个启用的账号' })).toBeVisible()
  await expect(page.getByLabel('qian 话机')).toHaveValue('PJSIP/8311') // the row shows what is stored
  await shot(page, 'admin-users-linked')
  await context.close()
  const linked = (await (await admin.get('/api/users')).json()).items.find((u: any) => u.id === login.id)
  expect([linked.staffId, linked.teamId, linked.phoneDevice]).toEqual([person.id, maintenance.id, 'PJSIP/8311'])

  // an order given to 钱工 shows on the phone of the login linked to him
  const op = desk
  const item = (await (await op.get('/api/catalogue')).json()).categories.flatMap((c: any) => c.items).find((i: any) => i.code === 'repair.light')
  const loc = (await (await op.get('/api/locations?extension=3512')).json()).items[0]
  const order = await (await op.post('/api/work-orders', { data: { itemId: item.id, locationId: loc.id, urgency: 'routine', description: '走廊灯不亮', requester: { name: '护士' } } })).json()
  const given = await admin.post(`/api/work-orders/${order.id}/transitions`, { data: { action: 'reassign', version: order.version, assigneeId: person.id, reason: '钱工负责本楼' } })
  expect(given.status()).toBe(200)
  // off duty again at once, so the demo's other orders go to the people the other specs expect
  await admin.patch(`/api/staff/${person.id}`, { data: { onDuty: false } })

  const { context: phone, page: p } = await browserAs(browser, 'qian', 'qian-pass-1', { width: 390, height: 844 })
  await expect(p).toHaveURL(/\/tech$/)
  await expect(p.locator(`article[data-number="${order.number}"]`)).toContainText('灯具不亮')
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  expect(overflow).toBeLessThanOrEqual(0)
  await shot(p, 'tech-linked-390')
  await phone.close()

  // tidy up for the other specs: the order off the board
  const now = await (await admin.get(`/api/work-orders/${order.id}`)).json()
  await admin.post(`/api/work-orders/${order.id}/transitions`, { data: { action: 'cancel', version: now.version, reason: '测试结束' } })
})

test('the desk says 无人在岗 before filing, and the board flags the order until someone takes it', async ({ browser }) => {
  const catering = (await (await admin.get('/api/teams')).json()).items.find((t: any) => t.code === 'catering')
  const people = (await (await admin.get(`/api/staff?teamId=${catering.id}`)).json()).items.filter((s: any) => s.onDuty)
  for (const s of people) await admin.patch(`/api/staff/${s.id}`, { data: { onDuty: false } })

  const screen = await browserAs(browser, 'desk2', 'desk2-pass-1')
  const item = screen.page.getByRole('combobox', { name: '服务项目' })
  await item.fill('开水')
  await expect(screen.page.getByRole('option', { name: /开水供应/ })).toBeVisible()
  await item.press('Enter')
  const place = screen.page.getByRole('combobox', { name: '地点' })
  await place.fill('3512')
  await expect(screen.page.getByRole('option', { name: /512室/ })).toBeVisible()
  await place.press('Enter')
  await expect(screen.page.getByTestId('duty-line')).toHaveText(/营养餐饮：无人在岗 — 将进入班组待领/)
  await screen.page.getByLabel('姓名').fill('护士 王丽')
  await shot(screen.page, 'desk-no-duty')
  await screen.page.getByLabel('姓名').press('Enter')
  const number = (await screen.page.getByTestId('created-number').textContent())!.trim()

  // the same desk's board
  const board = screen
  await board.page.goto('/board')
  const card = board.page.locator(`article[data-number="${number}"]`)
  await expect(card.getByTestId('no-duty')).toHaveText(/无人在岗/)
  await card.scrollIntoViewIfNeeded()
  await card.screenshot({ path: `${SCREENS}/board-no-duty-card.png` })
  await board.page.screenshot({ path: `${SCREENS}/board-no-duty.png` })
  // someone comes on duty and takes it: the flag goes
  await admin.patch(`/api/staff/${people[0].id}`, { data: { onDuty: true } })
  const order = (await (await admin.get(`/api/work-orders?status=open&teamId=${catering.id}&limit=500`)).json()).items.find((o: any) => o.number === number)
  await admin.post(`/api/work-orders/${order.id}/transitions`, { data: { action: 'reassign', version: order.version, assigneeId: people[0].id, reason: '已到岗' } })
  await expect(card).toContainText(people[0].name)
  await expect(card.getByTestId('no-duty')).toHaveCount(0)
  await board.context.close()
  for (const s of people) await admin.patch(`/api/staff/${s.id}`, { data: { onDuty: true } })
})
