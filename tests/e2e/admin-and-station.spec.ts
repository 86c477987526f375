// The administrator re-routes work, and the service point prints job sheets.
import { test, expect, request as apiRequest } from '@playwright/test'
import { signedIn, shot } from './helpers'

test('an admin points the cleaning rule at another team and the next cleaning order follows it', async ({ browser, baseURL }) => {
  const admin = await signedIn(browser, 'admin')
  await expect(admin.page).toHaveURL(/\/admin$/)
  const row = admin.page.locator('tr[data-rule="保洁"]')
  await expect(row).toBeVisible()
  await row.getByLabel('班组 保洁').selectOption({ label: '总务科' })
  await row.getByRole('button', { name: '保存' }).click()
  await expect(admin.page.getByText('已保存: 保洁')).toBeVisible()
  await admin.page.getByLabel('服务项目', { exact: true }).selectOption({ label: '地面污染/呕吐物' })
  await admin.page.getByLabel('地点', { exact: true }).selectOption({ label: '南院区 / 门诊医技楼 / 1F / 急诊科' })
  await admin.page.getByRole('button', { name: '试一试：这单派给谁？' }).click()
  await expect(admin.page.getByTestId('route-result')).toContainText('总务科')
  await shot(admin.page, 'admin-rules')

  const op = await apiRequest.newContext({ baseURL })
  await op.post('/api/session', { data: { username: 'operator', password: 'demo' } })
  const catalogue = await (await op.get('/api/catalogue')).json()
  const spill = catalogue.categories.flatMap((c: any) => c.items).find((i: any) => i.code === 'cleaning.spill')
  const loc = (await (await op.get('/api/locations?extension=2120')).json()).items[0]
  const order = await (await op.post('/api/work-orders', { data: { itemId: spill.id, locationId: loc.id, urgency: 'routine', requester: { name: '护士' } } })).json()
  expect(order.team.name).toBe('总务科')
  expect(order.routing.reason).toContain('保洁')
  await op.dispose()
  await admin.context.close()
})

test('an admin adds a ward with its extension, and a team with its service point and a person, off duty until put on duty, who later leaves', async ({ browser }) => {
  const admin = await signedIn(browser, 'admin')
  await admin.page.getByRole('tab', { name: '地点与分机' }).click()
  await admin.page.getByLabel('上级地点').selectOption({ label: '北院区 / 综合楼 / 3F' })
  await admin.page.getByLabel('类型').selectOption({ label: '病区' })
  await admin.page.getByLabel('名称', { exact: true }).fill('日间化疗病区')
  await admin.page.getByRole('button', { name: '新增' }).first().click()
  await expect(admin.page.getByText('已保存: 北院区 / 综合楼 / 3F / 日间化疗病区')).toBeVisible()
  // the new ward can take an extension at once
  await admin.page.getByLabel('分机').fill('5399')
  await admin.page.locator('#extLoc').selectOption({ label: '北院区 / 综合楼 / 3F / 日间化疗病区' })
  await admin.page.getByRole('button', { name: '新增' }).nth(1).click()
  await expect(admin.page.getByRole('cell', { name: '北院区 / 综合楼 / 3F / 日间化疗病区', exact: true })).toBeVisible()
  await expect(admin.page.getByText('5399')).toBeVisible()
  // a typo put right: the ward takes its new name, and so does its row
  admin.page.once('dialog', (d) => d.accept('日间化疗中心'))
  await admin.page.getByRole('button', { name: '改名 北院区 / 综合楼 / 3F / 日间化疗病区' }).click()
  await expect(admin.page.getByRole('cell', { name: '北院区 / 综合楼 / 3F / 日间化疗中心', exact: true })).toBeVisible()

  await admin.page.getByRole('tab', { name: '班组与人员' }).click()
  await admin.page.getByLabel('代码').fill('medical-gas')
  await admin.page.getByLabel('名称', { exact: true }).fill('医用气体班')
  await admin.page.getByLabel('英文名').fill('Medical Gas')
  await admin.page.getByLabel('服务网点').fill('气体站')
  await admin.page.getByRole('button', { name: '新增' }).first().click()
  const gas = admin.page.locator('section', { has: admin.page.getByRole('heading', { name: /医用气体班/ }) })
  await expect(gas.getByRole('heading')).toContainText('气体站')
  await gas.getByLabel('新增人员').fill('周工')
  await gas.getByRole('button', { name: '新增' }).click()
  await expect(gas.getByRole('cell', { name: '周工', exact: true })).toBeVisible()
  // a new person starts off duty: orders reach them only once someone puts them on duty
  await expect(gas.getByLabel('周工 在岗')).not.toBeChecked()
  await gas.getByLabel('周工 在岗').check()
  await expect(gas.getByLabel('周工 在岗')).toBeChecked()
  // on duty with no login: the admin is told on every tab
  await expect(admin.page.getByRole('alert').filter({ hasText: '名在岗人员没有登录账号' })).toBeVisible()
  await shot(admin.page, 'admin-teams')
  // and when he leaves, he is gone from the team (after a confirmation)
  admin.page.once('dialog', (d) => d.accept())
  await gas.getByRole('row', { name: /周工/ }).getByRole('button', { name: '离职' }).click()
  await expect(gas.getByRole('cell', { name: '周工', exact: true })).toHaveCount(0)
  await admin.context.close()
})

test('the service point prints waiting job sheets as one PDF, then confirms them printed', async ({ browser }) => {
  const lead = await signedIn(browser, 'lead')
  await expect(lead.page).toHaveURL(/\/station$/)
  await expect(lead.page.getByRole('heading', { name: /待打印工作单/ })).toBeVisible()
  const boxes = lead.page.locator('.line input[type=checkbox]')
  const waiting = await boxes.count()
  await shot(lead.page, 'station')
  if (waiting > 0) {
    await lead.page.getByLabel('全选').check()
    const [pdf] = await Promise.all([lead.page.waitForEvent('popup'), lead.page.getByRole('button', { name: /打印所选/ }).click()])
    expect(pdf.url()).toContain('/api/job-sheets.pdf?ids=')
    await expect(lead.page.getByText(/已发送 \d+ 张到打印机/)).toBeVisible()
    // sent is not printed: the sheets leave the queue when the station confirms they came out
    await lead.page.getByLabel('全选').check()
    await lead.page.getByRole('button', { name: /确认所选已打印/ }).click()
    await expect(lead.page.getByText(/已确认打印/)).toBeVisible()
    await expect(boxes).toHaveCount(0)
  }
  await lead.context.close()
})

test('each role lands on its own screen and is sent back there from a screen it may not use', async ({ browser }) => {
  const homes: Record<string, RegExp> = { operator: /\/desk$/, tech: /\/tech$/, lead: /\/station$/, manager: /\/manage$/, admin: /\/admin$/, agent: /\/callbacks$/, handler: /\/feedback$/ }
  for (const [user, home] of Object.entries(homes)) {
    const s = await signedIn(browser, user)
    await expect(s.page).toHaveURL(home)
    if (user !== 'admin') {
      await s.page.goto('/admin')
      await expect(s.page).toHaveURL(home)
    }
    await s.context.close()
  }
})
