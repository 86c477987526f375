// Two desks, each with its own phone, on the built-in PBX simulator: a call pops only on the desk
// whose phone rings, the other sees a hint; an order filed from the pop is linked to that call and
// the next call's order to the next call; click-to-dial outcomes show on the desk in Chinese.
import { test, expect, request as apiRequest, type Page } from '@playwright/test'
import { signedIn, shot } from './helpers'

test.describe.configure({ mode: 'serial' })

test.beforeAll(async ({ baseURL }) => {
  // the team lead takes desk calls on PJSIP/8003 (8001 is the operator's, 8002 the callback agent's)
  const admin = await apiRequest.newContext({ baseURL })
  await admin.post('/api/session', { data: { username: 'admin', password: 'demo' } })
  const lead = (await (await admin.get('/api/users')).json()).items.find((u: any) => u.username === 'lead')
  expect((await admin.patch(`/api/users/${lead.id}`, { data: { phoneDevice: 'PJSIP/8003' } })).status()).toBe(200)
  await admin.dispose()
})

async function fileOrder(page: Page) {
  const item = page.getByRole('combobox', { name: '服务项目' })
  await item.fill('kt')
  await page.getByRole('option', { name: /空调不制冷/ }).first().waitFor()
  await item.press('Enter')
  await page.getByLabel('姓名').fill('护士 王丽')
  const created = page.getByTestId('created-number')
  const before = (await created.count()) ? await created.textContent() : null
  await page.getByLabel('姓名').press('Enter')
  // the box shows the last order filed until the new one comes back
  await expect(created).not.toHaveText(before ?? '', { timeout: 5000 })
  return (await created.textContent())!.trim()
}

test('a call rings the operator: only that desk pops; each filed order is linked to its own call', async ({ browser }) => {
  const operator = await signedIn(browser, 'operator')
  const lead = await signedIn(browser, 'lead')
  await lead.page.goto('/desk')
  await expect(lead.page.getByRole('heading', { name: '受理台' })).toBeVisible()
  await operator.page.waitForLoadState('networkidle')
  await lead.page.waitForLoadState('networkidle')

  const numbers: string[] = []
  const callIds: string[] = []
  for (const extension of ['3512', '3512']) {
    // the demo button rings the presser's own phone; through the API to keep the call short
    expect((await operator.page.request.post('/api/pbx/simulate-call', { data: { extension, talkSeconds: 6 } })).status()).toBe(202)
    await expect(operator.page.getByRole('heading', { name: /来电响铃/ })).toBeVisible()
    await expect(operator.page.getByLabel('来电分机')).toHaveValue(extension)
    await expect(operator.page.getByText('心内科病区 512室').first()).toBeVisible()
    // the other desk: a hint where it rings, its own caller panel untouched
    await expect(lead.page.getByTestId('elsewhere')).toContainText('8001')
    await expect(lead.page.getByRole('heading', { name: /来电响铃/ })).toHaveCount(0)
    await expect(lead.page.getByLabel('来电分机')).toHaveValue('')

    await operator.page.getByRole('button', { name: '用来电信息填写' }).click()
    const badge = operator.page.getByTestId('linked-call')
    await expect(badge).toBeVisible()
    callIds.push((await badge.textContent())!.match(/#(\d+)/)![1]!)
    await expect(operator.page.getByLabel('分机', { exact: true })).toHaveValue(extension)
    if (numbers.length === 0) await shot(operator.page, 'desk-pop')
    if (numbers.length === 0) await shot(lead.page, 'desk-other-desk-hint')
    numbers.push(await fileOrder(operator.page))
    // filed: the form lets the call go, so the next order is not linked to it
    await expect(badge).toHaveCount(0)
    await expect(operator.page.getByText('通话已结束')).toBeVisible({ timeout: 12_000 })
  }
  expect(callIds[0]).not.toBe(callIds[1])
  for (const [i, id] of callIds.entries()) {
    const call = await (await operator.page.request.get(`/api/calls/${id}`)).json()
    expect(call.orders.map((o: any) => o.number)).toEqual([numbers[i]])
    expect(call.state).toBe('ended')
  }
  await operator.context.close()
  await lead.context.close()
})

test('click-to-dial from the desk: answered, busy and a number that does not exist read differently', async ({ browser }) => {
  const operator = await signedIn(browser, 'operator')
  await operator.page.waitForLoadState('networkidle')
  const message = operator.page.getByTestId('call-message')
  for (const [number, text] of [['13800001111', '已接通'], ['13600004444', '对方忙'], ['13900002222', '空号']] as const) {
    const res = await operator.page.request.post('/api/calls/originate', { data: { number } })
    expect(res.status()).toBe(202)
    await expect(message).toContainText(text, { timeout: 8000 })
    const call = await (await operator.page.request.get(`/api/calls/${(await res.json()).callId}`)).json()
    expect(call.calleeNumber).toBe(number)
  }
  await shot(operator.page, 'desk-dial-outcome')
  await operator.context.close()
})

test('the desk through a shift: near matches for what people say, a draft that survives an expired session and is filed once, a clean form after filing', async ({ browser }) => {
  const { context, page } = await signedIn(browser, 'operator')
  await page.waitForLoadState('networkidle')
  const item = page.getByRole('combobox', { name: '服务项目' })
  await expect(item).toBeFocused()
  // "空调坏了" matches no item by name: the items for 空调 are offered, and said so
  await item.fill('空调坏了')
  await expect(page.getByText('没有完全匹配的项目，以下是“空调”的结果')).toBeVisible()
  await expect(page.getByRole('option', { name: /空调不制冷/ })).toBeVisible()
  await item.press('Enter')
  const place = page.getByRole('combobox', { name: '地点' })
  await place.fill('3512')
  await page.getByRole('option', { name: /512室/ }).waitFor()
  await place.press('Enter')
  const text = `草稿保留测试 ${Date.now()}`
  await page.getByLabel('问题描述').fill(text)
  await page.getByLabel('姓名').fill('护士 张敏')
  await page.getByLabel('分机', { exact: true }).fill('3512')
  // the session runs out while the operator types; Enter sends them to sign in again
  await context.clearCookies()
  await page.getByLabel('姓名').press('Enter')
  await page.waitForURL(/\/login\?next=/)
  await page.getByLabel('用户名').fill('operator')
  await page.getByLabel('密码').fill('demo')
  await page.getByRole('button', { name: '登录' }).click()
  await page.waitForURL(/\/desk$/)
  // back at the desk the order is filed by itself, once
  const number = (await page.getByTestId('created-number').textContent({ timeout: 10_000 }))!.trim()
  await page.reload()
  await page.waitForLoadState('networkidle')
  const found = (await (await page.request.get(`/api/work-orders?q=${encodeURIComponent(text)}`)).json()).items
  expect(found.map((o: any) => o.number)).toEqual([number])
  // and the form is clean for the next caller: no item, no requester, no place
  await expect(item).toHaveValue('')
  await expect(page.getByLabel('姓名')).toHaveValue('')
  await expect(page.getByLabel('分机', { exact: true })).toHaveValue('')
  await expect(place).toHaveValue('')
  await shot(page, 'desk-after-draft')
  await context.close()
})

test('the header says the app server first: cut off from it, the phone system is "unknown", not "online"', async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } })
  // the live socket goes through us, so the test can take the app server away from this screen
  let down = false
  let current: { close(): Promise<void> } | null = null
  await context.routeWebSocket(/\/ws$/, (ws) => {
    if (down) return void ws.close()
    ws.connectToServer()
    current = ws
  })
  const page = await context.newPage()
  await page.goto('/login')
  await page.getByLabel('用户名').fill('operator')
  await page.getByLabel('密码').fill('demo')
  await page.getByRole('button', { name: '登录' }).click()
  await page.waitForURL(/\/desk$/)
  await expect(page.getByTestId('pbx-badge')).toContainText('在线')
  down = true
  await current!.close()
  await expect(page.getByTestId('link-badge')).toContainText('连接中断')
  await expect(page.getByTestId('pbx-badge')).toContainText('状态未知')
  await shot(page, 'header-offline')
  down = false
  await expect(page.getByTestId('pbx-badge')).toContainText('在线', { timeout: 15_000 })
  await expect(page.getByTestId('link-badge')).toContainText('实时')
  await context.close()
})
