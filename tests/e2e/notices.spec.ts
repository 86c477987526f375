// The bell and the service point's printer: a chase from the desk rings the bell of the order's
// assignee and team lead with the unread count, and opening the list marks it read; the station
// prints (sent, not confirmed), confirms, and reprints from its history.
import { test, expect, request as apiRequest, type APIRequestContext } from '@playwright/test'
import { signedIn, shot } from './helpers'

test.describe.configure({ mode: 'serial' })

let op: APIRequestContext
let airCon: { id: number }
test.beforeAll(async ({ baseURL }) => {
  op = await apiRequest.newContext({ baseURL })
  await op.post('/api/session', { data: { username: 'operator', password: 'demo' } })
  airCon = (await (await op.get('/api/catalogue')).json()).categories.flatMap((c: any) => c.items).find((i: any) => i.code === 'repair.ac')
})
test.afterAll(async () => { await op.dispose() })

async function fileAt(extension: string, urgency = 'urgent') {
  const loc = (await (await op.get(`/api/locations?extension=${extension}`)).json()).items[0]
  const res = await op.post('/api/work-orders', { data: { itemId: airCon.id, locationId: loc.id, urgency, description: '空调不制冷', requester: { name: '护士 王丽', extension } } })
  expect(res.status(), await res.text()).toBe(201)
  return res.json()
}

test('a chase from the desk rings the assignee\'s and the lead\'s bell; opening the list marks it read', async ({ browser }) => {
  // the maintenance team's two people take turns: file until the technician (李明) has one
  let order = await fileAt('3512')
  if (order.assignee?.name !== '李明') order = await fileAt('3512')
  expect(order.assignee.name).toBe('李明')

  const tech = await signedIn(browser, 'tech', { width: 390, height: 844 })
  const lead = await signedIn(browser, 'lead')
  for (const p of [tech.page, lead.page]) {
    const bell = p.getByRole('button', { name: /^通知/ })
    await expect(bell).toBeVisible()
    await bell.click()
    await p.getByRole('dialog', { name: '通知' }).waitFor()
    await bell.click()
    await expect(p.getByTestId('bell-count')).toHaveCount(0)
  }

  for (const p of [tech.page, lead.page]) await expect(p.getByTestId('link-badge')).toHaveText(/实时/)
  const desk = await signedIn(browser, 'operator')
  await desk.page.getByLabel('来电分机').fill('3512')
  await desk.page.getByLabel('来电分机').press('Enter')
  const callerOrder = desk.page.locator(`section.caller article[data-number="${order.number}"]`)
  await expect(callerOrder).toBeVisible()
  await callerOrder.getByRole('button', { name: '催单' }).click()

  for (const p of [tech.page, lead.page]) {
    await expect(p.getByTestId('bell-count')).toHaveText('1')
    await expect(p.getByRole('button', { name: /通知 · 1 条未读/ })).toBeVisible()
    // a chase of an urgent order is not critical: its toast fades by itself
    await expect(p.getByRole('status').filter({ hasText: `催单 #1: ${order.number}` })).toBeVisible()
  }
  await shot(lead.page, 'bell-unread')
  await lead.page.getByRole('button', { name: /^通知/ }).click()
  const list = lead.page.getByRole('dialog', { name: '通知' })
  await expect(list.getByText(`催单 #1: ${order.number}`)).toBeVisible()
  await expect(lead.page.getByTestId('bell-count')).toHaveCount(0)
  await shot(lead.page, 'bell-open')
  await tech.page.getByRole('button', { name: /^通知/ }).click()
  await expect(tech.page.getByTestId('bell-count')).toHaveCount(0)
  await shot(tech.page, 'bell-phone')
  // read in the database: a reload shows no count
  await lead.page.reload()
  await expect(lead.page.getByRole('button', { name: /^通知/ })).toBeVisible()
  await expect(lead.page.getByTestId('bell-count')).toHaveCount(0)

  // a second chase escalates to the managers: that toast stays until dismissed
  const manager = await signedIn(browser, 'manager')
  await expect(manager.page.getByTestId('link-badge')).toHaveText(/实时/)
  // within a minute of the first: the desk asks before counting a second chase
  desk.page.once('dialog', (d) => d.accept())
  await callerOrder.getByRole('button', { name: '催单' }).click()
  const sticky = manager.page.getByRole('alert').filter({ hasText: `升级: ${order.number}` })
  await expect(sticky).toBeVisible()
  await manager.page.waitForTimeout(9000)
  await expect(sticky).toBeVisible()
  await shot(manager.page, 'bell-critical-toast')
  await sticky.getByRole('button', { name: '关闭' }).click()
  await expect(sticky).toHaveCount(0)
  for (const c of [tech, lead, desk, manager]) await c.context.close()
})

test('the station prints (sent, not confirmed), confirms, and reprints from its history', async ({ browser }) => {
  const order = await fileAt('3512', 'routine')
  const lead = await signedIn(browser, 'lead')
  await expect(lead.page).toHaveURL(/\/station$/)
  await expect(lead.page.getByLabel('服务网点')).toBeVisible()
  const line = lead.page.locator('.line').filter({ has: lead.page.locator(`article[data-number="${order.number}"]`) })
  await expect(line).toBeVisible()
  const [pdf] = await Promise.all([lead.page.waitForEvent('popup'), line.getByRole('button', { name: /打印/ }).click()])
  expect(pdf.url()).toContain(`/api/job-sheets.pdf?ids=${order.id}`)
  await pdf.close()
  // the printer jammed: the order stays, marked sent and not confirmed, after a reload too
  await expect(line.getByText('已发送打印机，未确认')).toBeVisible()
  await lead.page.reload()
  await expect(line.getByText('已发送打印机，未确认')).toBeVisible()
  await expect(line.getByText(/由 维修班长 王建国 发送/)).toBeVisible()
  await shot(lead.page, 'station-sent')

  await line.getByRole('button', { name: /确认已打印/ }).click()
  await expect(line).toHaveCount(0)
  const printed = lead.page.locator(`.hline[data-number="${order.number}"]`)
  await expect(printed.first()).toContainText('由 维修班长 王建国 确认打印')

  const [again] = await Promise.all([lead.page.waitForEvent('popup'), printed.first().getByRole('button', { name: /补打/ }).click()])
  await again.close()
  await expect(printed.first()).toContainText('补打已发送，未确认')
  await shot(lead.page, 'station-history')
  await printed.first().getByRole('button', { name: /确认已打印/ }).click()
  await expect(printed).toHaveCount(2)
  await expect(printed.first()).toContainText('确认打印')
  await expect(lead.page.locator('.line').filter({ has: lead.page.locator(`article[data-number="${order.number}"]`) })).toHaveCount(0)
  await lead.context.close()
})
