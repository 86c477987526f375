// The transport lead fills a month at 1440×900: a rotation pattern (四班三倒) for June 2027, the Excel
// roster as CSV (a wrong shift name shown with its row and column, nothing saved; then the right
// file), and a swap between two porters; the week grid shows each result.
import { test, expect, request as apiRequest } from '@playwright/test'
import { signedIn, shot } from './helpers.ts'

test.describe.configure({ mode: 'serial' })
const HOSPITAL = { timezoneId: 'Asia/Shanghai' }

test('rotation, CSV import and a swap from the roster screen', async ({ browser, baseURL }) => {
  const api = await apiRequest.newContext({ baseURL })
  expect((await api.post('/api/session', { data: { username: 'lead.transport', password: 'demo' } })).ok()).toBe(true)
  const me = await (await api.get('/api/session')).json()
  const teamId = me.user?.teamId ?? me.teamId
  const grid0 = await (await api.get(`/api/rosters?teamId=${teamId}&week=2027-06-07`)).json()
  const porters = (grid0.staff as { id: number; name: string; active: boolean }[]).filter((p) => p.active).slice(0, 4)
  expect(porters.length).toBe(4)

  const { context, page } = await signedIn(browser, 'lead.transport', undefined, HOSPITAL)
  await page.goto('/rosters')
  const tools = page.getByRole('region', { name: '批量排班' })
  await expect(tools).toBeVisible()
  // the default cycle is 早 早 中 中 夜 夜 休 休; four porters two days apart
  await expect(tools.getByText('循环： 早班 · 早班 · 中班 · 中班 · 夜班 · 夜班 · 休 · 休')).toBeVisible()
  await tools.getByLabel('从', { exact: true }).fill('2027-06-01')
  await tools.getByLabel('到', { exact: true }).fill('2027-06-30')
  for (const [i, p] of porters.entries()) await tools.getByLabel(`${p.name} 从循环的第几天开始`).selectOption(String(i * 2))
  await tools.getByRole('button', { name: '按规律排班' }).click()
  await expect(tools.getByTestId('tools-said')).toHaveText('已为 4 人排 30 天，共 90 个班次')
  // the grid shows the week of 1 June: the first porter on 早班 on the 1st and the 2nd, 中班 on the 3rd
  const grid = page.getByRole('table', { name: '排班' })
  const cell = (name: string, day: string) => grid.getByRole('combobox', { name: `${name} ${day}` })
  const shiftIn = async (name: string, day: string) => cell(name, day).locator('option:checked').textContent()
  expect(await shiftIn(porters[0]!.name, '2027-06-01')).toBe('早班')
  expect(await shiftIn(porters[0]!.name, '2027-06-03')).toBe('中班')
  expect(await shiftIn(porters[1]!.name, '2027-06-01')).toBe('中班')
  await shot(page, 'rosters-rotation')

  // a CSV with a shift that does not exist: the problem at its row and column, nothing saved
  const csv = (rows: string[]) => ({ name: '排班表.csv', mimeType: 'text/csv', buffer: Buffer.from(rows.join('\r\n')) })
  await tools.getByTestId('roster-csv').setInputFiles(csv(['姓名,2027-06-01,2027-06-02', `${porters[0]!.name},大夜班,休`]))
  await expect(tools.getByRole('alert')).toContainText('没有导入任何排班')
  await expect(tools.getByTestId('import-problems')).toContainText('2027-06-01')
  await expect(tools.getByTestId('import-problems')).toContainText('大夜班')
  expect(await shiftIn(porters[0]!.name, '2027-06-01')).toBe('早班')
  await shot(page, 'rosters-import-refused')
  await tools.getByTestId('roster-csv').setInputFiles(csv(['姓名,2027-06-01,2027-06-02', `${porters[0]!.name},夜班,休`]))
  await expect(tools.getByTestId('tools-said')).toHaveText('已导入 1 人 2 天，共 1 个班次')
  await expect(cell(porters[0]!.name, '2027-06-01').locator('option:checked')).toHaveText('夜班')
  expect(await shiftIn(porters[0]!.name, '2027-06-02')).toBe('休')

  // a swap: porter 2 (中班 on the 1st) gives it to porter 4, who gives their 3rd
  const swap = tools.getByRole('form', { name: '换班' })
  await swap.getByLabel('甲', { exact: true }).selectOption({ label: porters[1]!.name })
  await swap.getByLabel('甲 那天').fill('2027-06-01')
  await swap.getByLabel('乙', { exact: true }).selectOption({ label: porters[3]!.name })
  await swap.getByLabel('乙 那天').fill('2027-06-03')
  await swap.getByLabel('原因').fill('家里有事')
  await swap.getByRole('button', { name: '换班' }).click()
  await expect(tools.getByTestId('tools-said')).toHaveText('已换班并记录')
  await expect(cell(porters[3]!.name, '2027-06-01').locator('option:checked')).toContainText('中班')
  expect(await shiftIn(porters[1]!.name, '2027-06-01')).toBe('休')
  // porter 2 now works the 3rd's 早班 beside their own 夜班 (00:00–08:00, then 08:00–16:00)
  const june3 = (await (await api.get(`/api/rosters?teamId=${teamId}&week=2027-06-03`)).json()).entries.filter((e: any) => e.staffId === porters[1]!.id && e.day === '2027-06-03')
  expect(june3.length).toBe(2)
  await shot(page, 'rosters-swap')
  await context.close()
  await api.dispose()
})
