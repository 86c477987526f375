// A real shift: the wall screen read from the door with 60 open orders, every lifecycle action done
// from the order's page (checked through the API), and the one search box in the header.
import { test, expect, request as apiRequest, type APIRequestContext, type Page } from '@playwright/test'
import { signedIn, shot } from './helpers'

test.describe.configure({ mode: 'serial' })

const LONG = '病房空调持续漏水，已经用桶接住但是仍然溢出到走廊，护士站请求尽快处理。'.repeat(60).slice(0, 2000)
let op: APIRequestContext
let items: { id: number; code: string; name: string }[] = []
let places: { id: number; fullName: string }[] = []

test.beforeAll(async ({ baseURL }) => {
  op = await apiRequest.newContext({ baseURL })
  await op.post('/api/session', { data: { username: 'operator', password: 'demo' } })
  items = (await (await op.get('/api/catalogue')).json()).categories.flatMap((c: any) => c.items)
  places = (await (await op.get('/api/locations')).json()).items.filter((l: any) => ['room', 'ward', 'area'].includes(l.kind))
})
test.afterAll(async () => { await op.dispose() })

async function file(data: Record<string, unknown>) {
  const res = await op.post('/api/work-orders', { data })
  expect(res.status(), await res.text()).toBe(201)
  return res.json()
}
const airCon = () => items.find((i) => i.code === 'repair.ac')!

test('the wall at 1920×1080 with 60 open orders: 7:1 text, nothing off screen, overdue bands, pages, clock, sound', async ({ browser, baseURL }) => {
  // 20 late orders come in as history (created 90 minutes ago), 40 are filed now; some carry 2,000 characters
  const manager = await apiRequest.newContext({ baseURL })
  await manager.post('/api/session', { data: { username: 'manager', password: 'demo' } })
  const ago = (min: number) => new Date(Date.now() - min * 60_000).toISOString()
  const lines = Array.from({ length: 20 }, (_, i) => {
    const status = ['dispatched', 'accepted', 'arrived'][i % 3]!
    return JSON.stringify({
      itemCode: items[i % items.length]!.code, locationId: places[i % places.length]!.id, urgency: i % 5 === 0 ? 'critical' : 'urgent', status,
      requesterName: `护士 ${i}`, description: i % 4 === 0 ? LONG : '呼叫后无人到场',
      createdAt: ago(90 + i), dispatchedAt: ago(90 + i), ...(status !== 'dispatched' ? { acceptedAt: ago(80) } : {}), ...(status === 'arrived' ? { arrivedAt: ago(70) } : {}),
    })
  })
  const imported = await manager.post('/api/work-orders/import', { headers: { 'content-type': 'application/x-ndjson' }, data: lines.join('\n') })
  expect(imported.status(), await imported.text()).toBe(201)
  for (let i = 0; i < 40; i++) {
    await file({ itemId: items[(i * 7) % items.length]!.id, locationId: places[(i * 3) % places.length]!.id, urgency: i % 9 === 0 ? 'critical' : 'routine',
      description: i % 6 === 0 ? LONG : `第 ${i} 单`, requester: { name: `病区护士 ${i}`, extension: '3512' } })
  }
  await manager.dispose()

  const wall = await signedIn(browser, 'manager', { width: 1920, height: 1080 })
  const page = wall.page
  await page.goto('/board?wall=1&pageSeconds=3')
  await expect(page.getByTestId('wall-connection')).toHaveText(/实时连接/)
  expect(Number(await page.getByTestId('count-open').textContent())).toBeGreaterThanOrEqual(60)
  await expect(page.getByTestId('overdue-band').first()).toBeVisible()
  await expect(page.getByTestId('wall-clock')).toHaveText(/^\d\d:\d\d:\d\d$/)
  await page.waitForTimeout(300)
  await shot(page, 'wall-1920')

  // every piece of text on the wall, against the background it is drawn on
  const contrast = await page.evaluate(() => {
    const rgba = (c: string) => { const n = c.match(/[\d.]+/g)!.map(Number); return { r: n[0]!, g: n[1]!, b: n[2]!, a: n[3] ?? 1 } }
    const lum = ({ r, g, b }: { r: number; g: number; b: number }) => {
      const f = (v: number) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4 }
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b)
    }
    const background = (el: Element | null): { r: number; g: number; b: number } => {
      for (; el; el = el.parentElement) { const c = rgba(getComputedStyle(el).backgroundColor); if (c.a >= 1) return c }
      return { r: 255, g: 255, b: 255 }
    }
    let worst = { ratio: 99, text: '' }, checked = 0
    for (const el of document.querySelectorAll('.wall *')) {
      const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent!.trim())
      const style = getComputedStyle(el)
      const box = el.getBoundingClientRect()
      if (!own || style.visibility === 'hidden' || box.width === 0 || box.bottom < 0 || box.top > innerHeight) continue
      const fg = rgba(style.color), bg = background(el)
      const mixed = { r: fg.r * fg.a + bg.r * (1 - fg.a), g: fg.g * fg.a + bg.g * (1 - fg.a), b: fg.b * fg.a + bg.b * (1 - fg.a) }
      const [hi, lo] = [lum(mixed), lum(bg)].sort((a, b) => b - a)
      const ratio = (hi! + 0.05) / (lo! + 0.05)
      checked++
      if (ratio < worst.ratio) worst = { ratio, text: `${el.className} «${el.textContent!.trim().slice(0, 30)}» ${style.color} on ${JSON.stringify(bg)}` }
    }
    return { ...worst, checked }
  })
  console.log(`wall text contrast: lowest ${contrast.ratio.toFixed(2)}:1 over ${contrast.checked} elements (${contrast.text})`)
  expect(contrast.checked).toBeGreaterThan(100)
  expect(contrast.ratio, contrast.text).toBeGreaterThanOrEqual(7)

  // nothing scrolls and nothing shown is cut: each card is wholly inside its column and the screen, or hidden until its page
  const layout = await page.evaluate(() => {
    const problems: string[] = []
    if (document.documentElement.scrollWidth > innerWidth || document.documentElement.scrollHeight > innerHeight) problems.push(`page ${document.documentElement.scrollWidth}×${document.documentElement.scrollHeight}`)
    for (const list of document.querySelectorAll<HTMLElement>('.wall-list')) {
      const frame = list.getBoundingClientRect()
      if (frame.right > innerWidth + 1 || frame.bottom > innerHeight + 1) problems.push(`column ${frame.right}×${frame.bottom}`)
      for (const card of list.querySelectorAll<HTMLElement>('.wall-card')) {
        if (getComputedStyle(card).visibility === 'hidden') continue
        const box = card.getBoundingClientRect()
        if (box.bottom <= frame.top || box.top >= frame.bottom) continue // on another page
        if (box.top < frame.top - 1 || box.bottom > frame.bottom + 1 || box.right > frame.right + 1 || card.scrollWidth > card.clientWidth + 1) problems.push(`card ${card.dataset.number} cut`)
      }
    }
    const columns = [...document.querySelectorAll('.wall-column')].map((c) => c.getBoundingClientRect())
    const used = columns.reduce((s, c) => s + c.width, 0)
    return { problems, columns: columns.length, used }
  })
  expect(layout.problems).toEqual([])
  expect(layout.used / 1920, 'the columns fill the screen').toBeGreaterThan(0.9)

  // a 2,000-character description takes two lines; the item and place are large; overdue says by how much
  const long = page.locator('.wall-card', { hasText: LONG.slice(0, 20) }).first()
  const sizes = await long.evaluate((card) => {
    const px = (sel: string) => parseFloat(getComputedStyle(card.querySelector(sel)!).fontSize)
    const desc = card.querySelector<HTMLElement>('.desc')!
    return { item: px('.item'), place: px('.place'), age: px('.age'), who: px('.who'), descLines: desc.clientHeight / parseFloat(getComputedStyle(desc).lineHeight), height: card.getBoundingClientRect().height }
  })
  expect(sizes.descLines).toBeLessThanOrEqual(2.05)
  expect(sizes.height).toBeLessThan(300)
  expect(sizes.item).toBeGreaterThanOrEqual(28)
  for (const s of [sizes.place, sizes.age, sizes.who]) expect(s).toBeGreaterThanOrEqual(22)
  const band = page.getByTestId('overdue-band').first()
  await expect(band).toHaveText(/超时 \d+ 分钟/)
  expect(await band.locator('b').evaluate((b) => parseFloat(getComputedStyle(b).fontSize))).toBeGreaterThanOrEqual(40)

  // a column longer than the screen turns its pages by itself
  const column = page.locator('.wall-column').filter({ has: page.getByTestId('column-pages') }).first()
  const pager = column.getByTestId('column-pages')
  await expect(pager).toHaveText(/^1\/\d+ 页$/)
  const firstShown = () => column.locator('.wall-list').evaluate((l) => [...l.querySelectorAll<HTMLElement>('.wall-card')].find((c) => c.offsetTop >= l.scrollTop)?.dataset.number)
  const before = await firstShown()
  await expect(pager).toHaveText(/^2\/\d+ 页$/, { timeout: 5000 })
  expect(await firstShown()).not.toBe(before)
  await shot(page, 'wall-1920-page2')

  // sound is on by default on the wall: a new critical order raises an alert; the mute is visible and sticks
  const mute = page.getByTestId('wall-mute')
  await expect(mute).toHaveText(/声音提醒已开/)
  const alertsBefore = Number(await page.locator('.wall').getAttribute('data-alerts'))
  await file({ itemId: airCon().id, locationId: places[0]!.id, urgency: 'critical', requester: { name: '急诊护士' } })
  await expect(page.locator('.wall')).toHaveAttribute('data-alerts', String(alertsBefore + 1))
  await mute.click()
  await expect(mute).toHaveText(/已静音/)
  await page.reload()
  await expect(page.getByTestId('wall-mute')).toHaveText(/已静音/)
  await wall.context.close()
})

async function status(id: number) { return (await (await op.get(`/api/work-orders/${id}`)).json()) }
const orderPage = async (page: Page, id: number) => { await page.goto(`/tech/orders/${id}`); await expect(page.getByTestId('status')).toBeVisible() }

test('the desk cancels, reassigns, holds, acts for the technician with a reason, rates, closes and reopens from the order page', async ({ browser }) => {
  const desk = await signedIn(browser, 'operator')
  const page = desk.page

  // cancel: a duplicate, with its reason
  const dup = await file({ itemId: airCon().id, locationId: places[1]!.id, urgency: 'routine', requester: { name: '护士 重复' } })
  await orderPage(page, dup.id)
  // the technician's big buttons are not the operator's
  await expect(page.getByRole('button', { name: '接单', exact: true })).toHaveCount(0)
  await page.getByRole('button', { name: '取消工单' }).click()
  await expect(page.getByRole('button', { name: '确定: 取消工单' })).toBeDisabled()
  await page.getByLabel(/^原因/).fill('重复报修，已有工单')
  await page.getByRole('button', { name: '确定: 取消工单' }).click()
  await expect(page.getByTestId('status')).toHaveText('已取消')
  expect((await status(dup.id))).toMatchObject({ status: 'cancelled', cancelReason: '重复报修，已有工单' })

  // reassign to another person of the team, chosen from the on-duty list with loads
  const order = await file({ itemId: airCon().id, locationId: places[2]!.id, urgency: 'urgent', description: '空调异响', requester: { name: '护士 周红', phone: '13800001111', extension: '3512' } })
  const team = (await (await op.get(`/api/staff?teamId=${order.team.id}`)).json()).items
  const other = team.find((p: any) => p.id !== order.assignee?.id)
  await orderPage(page, order.id)
  await page.getByRole('button', { name: '改派' }).click()
  await expect(page.getByLabel('班组')).toHaveValue(String(order.team.id))
  await expect(page.locator('label.person').first()).toContainText(/在岗|不在岗/)
  await expect(page.locator('label.person').first()).toContainText(/未完成 \d+/)
  await page.locator('label.person', { hasText: other.name }).getByRole('radio').check()
  await page.getByLabel(/^原因/).fill('李明在手术室抢修')
  await shot(page, 'order-reassign-1440')
  await page.getByRole('button', { name: '确定: 改派' }).click()
  await expect(page.getByTestId('assignee')).toHaveText(other.name)
  expect((await status(order.id)).assignee.id).toBe(other.id)

  // hold and resume
  await page.getByRole('button', { name: '挂起' }).click()
  await page.getByLabel(/^原因/).fill('等配件')
  await page.getByRole('button', { name: '确定: 挂起' }).click()
  await expect(page.getByTestId('status')).toHaveText('挂起')
  await page.getByRole('button', { name: '恢复' }).click()
  await expect(page.getByTestId('status')).toHaveText('已派单')

  // the technician's steps, done for them only with a reason, and the timeline says so
  for (const step of ['接单', '到场', '完成']) {
    await page.getByRole('button', { name: '代技术员操作' }).click()
    await page.getByLabel(/^代 .* 操作$/).selectOption({ label: step })
    await page.getByLabel(/^原因/).fill(`${other.name}电话报告`)
    await page.getByRole('button', { name: `确定: 代 ${other.name} ${step}` }).click()
    await expect(page.getByRole('status').filter({ hasText: step })).toBeVisible()
  }
  await expect(page.getByTestId('status')).toHaveText('已完成')
  await expect(page.locator('.timeline .badge.behalf')).toHaveCount(3)
  const full = await status(order.id)
  expect(full.timeline.filter((e: any) => e.onBehalfOf === other.name).map((e: any) => e.kind)).toEqual(['accept', 'arrive', 'complete'])

  // the requester's rating, entered at the desk, then close
  await page.getByRole('radio', { name: '4 分' }).check()
  await page.getByLabel('评价内容').fill('修得快，但噪音还有一点')
  await page.getByRole('button', { name: '保存评价' }).click()
  await expect(page.getByTestId('rating')).toContainText('4分')
  await page.getByRole('button', { name: '关闭工单' }).click()
  await expect(page.getByTestId('status')).toHaveText('已关闭')
  expect(await status(order.id)).toMatchObject({ status: 'closed', rating: { score: 4, comment: '修得快，但噪音还有一点' } })
  await shot(page, 'order-closed-1440')

  // reopen with a reason: back to the team as rework
  await page.getByRole('button', { name: '返工（重新派单）' }).click()
  await page.getByLabel(/^原因/).fill('噪音又出现了')
  await page.getByRole('button', { name: '确定: 返工（重新派单）' }).click()
  await expect(page.getByTestId('status')).toHaveText('已派单')
  expect(await status(order.id)).toMatchObject({ status: 'dispatched', reworkCount: 1 })
  await desk.context.close()

  // on a phone, the technician has their big buttons and nothing of the desk's
  const mine = await file({ itemId: airCon().id, locationId: places[3]!.id, urgency: 'routine', requester: { name: '护士 郑' } })
  const techId = (await (await op.get(`/api/staff?teamId=${mine.team.id}`)).json()).items.find((p: any) => p.name === '李明').id
  if (mine.assignee?.id !== techId) await op.post(`/api/work-orders/${mine.id}/transitions`, { data: { action: 'reassign', version: mine.version, assigneeId: techId, reason: '给李明' } })
  const phone = await signedIn(browser, 'tech', { width: 390, height: 844 })
  await orderPage(phone.page, mine.id)
  await expect(phone.page.getByRole('button', { name: '接单', exact: true })).toBeVisible()
  await expect(phone.page.getByRole('button', { name: '取消工单' })).toHaveCount(0)
  await shot(phone.page, 'order-tech-390')
  await phone.context.close()

  // a lead on a phone reaches the same actions for the team's orders
  const lead = await signedIn(browser, 'lead', { width: 390, height: 844 })
  await orderPage(lead.page, mine.id)
  await lead.page.getByRole('button', { name: '改派' }).click()
  await expect(lead.page.locator('label.person').first()).toBeVisible()
  await shot(lead.page, 'order-lead-390')
  await lead.context.close()
})

test('search from the header with /: by number, by phone, by ward; the desk’s recent orders are links', async ({ browser }) => {
  const order = await file({ itemId: airCon().id, locationId: places[4]!.id, urgency: 'routine', description: '风口滴水', requester: { name: '护士 欧阳', phone: '137 0000 4242', extension: '3512' } })
  const desk = await signedIn(browser, 'operator')
  const page = desk.page
  const box = page.getByRole('searchbox', { name: '搜索工单' })

  // `/` from anywhere that is not a field (in a field it is just a character)
  await page.getByRole('heading', { name: '受理台' }).click()
  await page.keyboard.press('/')
  await expect(box).toBeFocused()
  await box.fill(order.number)
  const hit = page.locator('#search-results').getByRole('link', { name: new RegExp(order.number) })
  await expect(hit).toBeVisible()
  await shot(page, 'search-number-1440')
  await hit.click()
  await expect(page).toHaveURL(new RegExp(`/tech/orders/${order.id}$`))
  await expect(page.getByTestId('status')).toBeVisible()

  await page.getByTestId('status').click()
  await page.keyboard.press('/')
  await expect(box).toBeFocused()
  await box.fill('13700004242')
  await expect(page.locator('#search-results').getByRole('link', { name: new RegExp(order.number) })).toBeVisible()

  await box.fill(order.location.fullName.split(' / ').pop()!)
  await expect(page.locator('#search-results').getByRole('link', { name: new RegExp(order.number) })).toBeVisible()
  await box.press('Escape')

  await page.goto('/desk')
  const recent = page.locator('section.recent').getByRole('link', { name: order.number })
  await expect(recent).toBeVisible()
  await recent.click()
  await expect(page).toHaveURL(new RegExp(`/tech/orders/${order.id}$`))
  await desk.context.close()

  // a technician searching the phone number learns nothing
  const phone = await signedIn(browser, 'tech', { width: 390, height: 844 })
  await phone.page.getByRole('searchbox', { name: '搜索工单' }).fill('13700004242')
  await expect(phone.page.getByText('没有找到匹配的工单')).toBeVisible()
  await shot(phone.page, 'search-tech-390')
  await phone.context.close()
})
