// The core loop in browsers, as the people at the desk, on the board and on the ward would use it.
import { test, expect, request as apiRequest } from '@playwright/test'
import { signedIn, shot } from './helpers'

test.describe.configure({ mode: 'serial' })

let number = ''

test.beforeAll(async ({ baseURL }) => {
  // only 李明 (user "tech") on duty in maintenance, so the next repair is his
  const admin = await apiRequest.newContext({ baseURL })
  await admin.post('/api/session', { data: { username: 'admin', password: 'demo' } })
  const staff = (await (await admin.get('/api/staff')).json()).items
  for (const s of staff.filter((x: any) => ['王建国', '赵强', '陈志远'].includes(x.name))) await admin.patch(`/api/staff/${s.id}`, { data: { onDuty: false } })
  await admin.dispose()
})

test('an operator files an order from the keyboard and a board in another browser shows it within a second', async ({ browser }) => {
  const board = await signedIn(browser, 'manager')
  await board.page.goto('/board')
  await expect(board.page.getByRole('heading', { name: '实时看板' })).toBeVisible()
  await board.page.waitForLoadState('networkidle')
  const openBefore = Number(await board.page.getByTestId('count-open').textContent())

  const phone = await signedIn(browser, 'tech', { width: 360, height: 740 })
  const desk = await signedIn(browser, 'operator')
  await expect(desk.page).toHaveURL(/\/desk$/)
  const item = desk.page.getByRole('combobox', { name: '服务项目' })
  await item.fill('kt') // pinyin initials of 空调
  await expect(desk.page.getByRole('option', { name: /空调不制冷/ })).toBeVisible()
  await item.press('Enter')
  await expect(item).toHaveValue('空调不制冷/不制热')
  await expect(desk.page.getByText('出风口有风吗')).toBeVisible() // the intake script
  await expect(desk.page.getByLabel(/辅助工具/)).toHaveValue('梯子，万用表')
  const place = desk.page.getByRole('combobox', { name: '地点' })
  await place.fill('3512')
  await expect(desk.page.getByRole('option', { name: /512室/ })).toBeVisible()
  await place.press('Enter')
  await desk.page.getByLabel('紧急程度').selectOption('urgent')
  await desk.page.getByLabel('问题描述').fill('512室空调不制冷，病人发热')
  await desk.page.getByLabel('姓名').fill('护士 王丽')
  await desk.page.getByLabel('分机', { exact: true }).fill('3512')
  await shot(desk.page, 'desk')
  const filedAt = Date.now()
  await desk.page.getByLabel('姓名').press('Enter')
  number = (await desk.page.getByTestId('created-number').textContent())!.trim()
  expect(number).toMatch(/^WO-\d{8}-\d{4}$/)
  // the technician it went to hears of it on their phone at once
  await expect(phone.page.getByText(`新工单: ${number}`)).toBeVisible()
  await phone.context.close()

  const card = board.page.locator(`article[data-number="${number}"]`)
  await expect(card).toBeVisible({ timeout: 1000 + (Date.now() - filedAt) })
  await expect(card).toContainText('空调不制冷')
  await expect(board.page.getByTestId('count-open')).toHaveText(String(openBefore + 1))
  await shot(board.page, 'board')
  await board.context.close()
  await desk.context.close()
})

test('a technician on a phone accepts, arrives and completes the order, and the board follows', async ({ browser }) => {
  const board = await signedIn(browser, 'manager')
  await board.page.goto('/board')
  const card = board.page.locator(`article[data-number="${number}"]`)
  await expect(card).toBeVisible()

  const phone = await signedIn(browser, 'tech', { width: 360, height: 740 })
  await expect(phone.page).toHaveURL(/\/tech$/)
  await phone.page.getByRole('link', { name: number }).click()
  await expect(phone.page.getByRole('heading', { name: '空调不制冷/不制热' })).toBeVisible()
  await shot(phone.page, 'tech-order')
  await phone.page.getByRole('button', { name: '接单' }).click()
  await expect(phone.page.getByTestId('status')).toHaveText('已接单')
  await expect(card).toContainText('已接单')
  await phone.page.getByRole('button', { name: '到场' }).click()
  await expect(phone.page.getByTestId('status')).toHaveText('已到场')
  await expect(card).toContainText('已到场')
  await phone.page.getByRole('button', { name: '完成' }).click()
  await phone.page.getByLabel('完成说明').fill('更换启动电容')
  await phone.page.getByRole('button', { name: '确定: 完成' }).click()
  await expect(phone.page.getByTestId('status')).toHaveText('已完成')
  await expect(card).toHaveCount(0) // done: off the open board
  await shot(phone.page, 'tech-done')
  await phone.page.goto('/tech')
  await shot(phone.page, 'tech-list')
  await board.context.close()
  await phone.context.close()
})

test('a chase from the desk\'s caller panel shows on the board as a chase badge', async ({ browser, baseURL }) => {
  const op = await apiRequest.newContext({ baseURL })
  await op.post('/api/session', { data: { username: 'operator', password: 'demo' } })
  const catalogue = await (await op.get('/api/catalogue')).json()
  const spill = catalogue.categories.flatMap((c: any) => c.items).find((i: any) => i.code === 'cleaning.spill')
  const loc = (await (await op.get('/api/locations?extension=2120')).json()).items[0]
  const order = await (await op.post('/api/work-orders', { data: { itemId: spill.id, locationId: loc.id, urgency: 'urgent', requester: { name: '急诊护士', extension: '2120' } } })).json()
  await op.dispose()

  const board = await signedIn(browser, 'manager')
  await board.page.goto('/board')
  const card = board.page.locator(`article[data-number="${order.number}"]`)
  await expect(card).toBeVisible()
  await expect(card.getByText(/催 ×/)).toHaveCount(0)

  const desk = await signedIn(browser, 'operator')
  await desk.page.getByLabel('来电分机').fill('2120')
  await desk.page.getByLabel('来电分机').press('Enter')
  const callerOrder = desk.page.locator(`section.caller article[data-number="${order.number}"]`)
  await expect(callerOrder).toBeVisible()
  await callerOrder.getByRole('button', { name: '催单' }).click()
  await expect(card.getByText('催 ×1')).toBeVisible()
  await shot(desk.page, 'desk-caller')
  await board.context.close()
  await desk.context.close()
})

test('the manager\'s page counts the completed order', async ({ browser }) => {
  const manager = await signedIn(browser, 'manager')
  await expect(manager.page).toHaveURL(/\/manage$/)
  await expect(manager.page.getByTestId('kpi-及时率')).not.toHaveText('—')
  await expect(manager.page.getByRole('cell', { name: '李明' })).toBeVisible()
  const row = manager.page.getByRole('row', { name: /李明/ })
  await expect(row.getByRole('cell').nth(1)).toHaveText('1')
  await manager.page.waitForTimeout(500) // charts draw
  await shot(manager.page, 'manage')
  await manager.context.close()
})

test('a description with HTML is shown as text, never run', async ({ browser, baseURL }) => {
  const op = await apiRequest.newContext({ baseURL })
  await op.post('/api/session', { data: { username: 'operator', password: 'demo' } })
  const catalogue = await (await op.get('/api/catalogue')).json()
  const item = catalogue.categories[0].items[1]
  const loc = (await (await op.get('/api/locations?extension=3601')).json()).items[0]
  const order = await (await op.post('/api/work-orders', { data: { itemId: item.id, locationId: loc.id, urgency: 'routine', description: '<img src=x onerror=alert(1)>', requester: { name: 'x' } } })).json()
  await op.dispose()
  const board = await signedIn(browser, 'manager')
  let alerted = false
  board.page.on('dialog', (d) => { alerted = true; void d.dismiss() })
  await board.page.goto('/board')
  const card = board.page.locator(`article[data-number="${order.number}"]`)
  await expect(card).toContainText('<img src=x onerror=alert(1)>')
  await expect(card.locator('img')).toHaveCount(0)
  expect(alerted).toBe(false)
  await board.context.close()
})
