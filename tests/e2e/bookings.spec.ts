// Booked work and rosters in browsers at 1440×900, in the hospital's zone: the operator books a CT
// escort for tomorrow 10:30 from the slot picker and the board shows it with 预约 and its slot; the
// transport lead assigns a shift in the roster grid and it holds after a reload.
import { test, expect } from '@playwright/test'
import { signedIn, shot } from './helpers'

test.describe.configure({ mode: 'serial' })

const HOSPITAL = { timezoneId: 'Asia/Shanghai' }
const pad = (n: number) => String(n).padStart(2, '0')
/** tomorrow as the hospital's calendar has it (the browser runs in the same zone) */
function tomorrowInShanghai() {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date())
  const [y, m, d] = today.split('-').map(Number) as [number, number, number]
  const t = new Date(Date.UTC(y, m - 1, d + 1))
  return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`
}

test('the operator books a transport for tomorrow 10:30 from the slot picker, and the board shows it with 预约', async ({ browser }) => {
  const desk = await signedIn(browser, 'operator', undefined, HOSPITAL)
  const page = desk.page
  await expect(page).toHaveURL(/\/desk$/)
  const item = page.getByRole('combobox', { name: '服务项目' })
  await item.fill('prpj') // pinyin initials of 病人陪检
  await expect(page.getByRole('option', { name: /病人陪检/ })).toBeVisible()
  await item.press('Enter')
  const place = page.getByRole('combobox', { name: '地点' })
  await place.fill('3512')
  await expect(page.getByRole('option', { name: /512室/ })).toBeVisible()
  await place.press('Enter')
  await page.getByLabel('问题描述').fill('12床 CT 增强，需要轮椅')
  await page.getByLabel('姓名').fill('护士 王丽')

  await page.getByTestId('booking-toggle').click()
  const picker = page.getByRole('group', { name: '选择预约时段' })
  await expect(picker).toBeVisible()
  await expect(picker.getByText(/运送中心：每 15 分钟一个时段/)).toBeVisible()
  await picker.getByRole('button', { name: '明天' }).click()
  await expect(picker.getByLabel('日期')).toHaveValue(tomorrowInShanghai())
  await picker.getByLabel('从').fill('10:00')
  const slot = picker.getByRole('button', { name: /^10:30/ })
  await expect(slot).toBeVisible()
  // one porter on 早班 in the demo roster × 2 jobs, one place kept for urgent work
  await expect(slot).toContainText('余 1')
  await expect(slot).toContainText('留 1 个给紧急')
  await slot.click()
  await expect(slot).toHaveAttribute('aria-pressed', 'true')
  await expect(picker.getByRole('status')).toHaveText(`已选：${tomorrowInShanghai()} 10:30`)
  await shot(page, 'booking-desk')
  await page.getByRole('button', { name: /提交工单/ }).click()
  const number = (await page.getByTestId('created-number').textContent())!.trim()
  await expect(page.getByTestId('created-booking')).toHaveText(`预约 ${tomorrowInShanghai()} 10:30`)

  // the slot's only routine place is taken: the picker no longer offers 10:30 to a routine booking
  await page.getByTestId('booking-toggle').click()
  await item.fill('prpj')
  await item.press('Enter')
  await place.fill('3512')
  await place.press('Enter')
  await picker.getByRole('button', { name: '明天' }).click()
  await picker.getByLabel('从').fill('10:00')
  await expect(picker.getByRole('button', { name: /^10:45/ })).toBeVisible()
  await expect(picker.getByRole('button', { name: /^10:30/ })).toHaveCount(0)
  await desk.context.close()

  const board = await signedIn(browser, 'manager', undefined, HOSPITAL)
  await board.page.goto('/board')
  const card = board.page.locator(`article[data-number="${number}"]`)
  await expect(card).toBeVisible()
  await expect(card.getByTestId('booked-badge')).toHaveText(`预约 ${tomorrowInShanghai()} 10:30`)
  await expect(card).toContainText('新建')
  await expect(card).toContainText('病人陪检')
  await shot(board.page, 'booking-board')
  // the order's page says when it goes out
  await card.getByRole('link', { name: number }).click()
  await expect(board.page.getByTestId('booked-slot')).toContainText(`${tomorrowInShanghai()} 10:30`)
  await expect(board.page.getByTestId('booked-slot')).toContainText('待派单')
  // the timeline says when it goes out: 20 minutes before the slot
  await expect(board.page.getByRole('listitem').filter({ hasText: '预约' })).toContainText(`预约 ${tomorrowInShanghai()} 10:30（15 分钟时段），10:10 派单`)
  await shot(board.page, 'booking-order')
  await board.context.close()
})

test('the transport lead assigns a shift in the roster grid, and it holds after a reload', async ({ browser }) => {
  const { context, page } = await signedIn(browser, 'lead.transport', undefined, HOSPITAL)
  await page.goto('/rosters')
  const grid = page.getByRole('table', { name: '排班' })
  await expect(grid).toBeVisible()
  // next week's Wednesday, away from the booked day
  const monday = grid.locator('thead th').nth(1)
  const thisWeek = (await monday.textContent())!
  await page.getByRole('button', { name: '下一周' }).click()
  await expect(monday).not.toHaveText(thisWeek)
  const header = await grid.locator('thead th').nth(3).textContent()
  const day = header!.trim().split(' ').pop()!
  const cell = grid.getByRole('combobox', { name: new RegExp(`^周杰 \\d{4}-${day}$`) })
  const shift = (await cell.inputValue()) === (await cell.locator('option', { hasText: '早班' }).getAttribute('value')) ? '中班' : '早班'
  const value = (await cell.locator('option', { hasText: shift }).getAttribute('value'))!
  await cell.selectOption(value)
  await expect(page.locator('.message')).toHaveText('已保存')
  await shot(page, 'booking-rosters')
  await page.reload()
  await expect(monday).toHaveText(thisWeek)
  await page.getByRole('button', { name: '下一周' }).click()
  await expect(monday).not.toHaveText(thisWeek)
  const again = page.getByRole('table', { name: '排班' }).getByRole('combobox', { name: new RegExp(`^周杰 \\d{4}-${day}$`) })
  await expect(again).toHaveValue(value)
  await context.close()
})
