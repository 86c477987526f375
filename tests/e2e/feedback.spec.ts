// The department handler's feedback desk at 1440×900: what a callback agent noted for a patient
// (through the API, as the agent's workspace sends it) is on 护理部's and 总务科's queue with a
// ticking deadline, urgent first; a resolution takes it off the active queue; a broken air
// conditioner becomes a work order in one step (the server's refusal shown at the place field when
// the patient's ward matches no place) and the case shows the order's number. The agent's answer
// form notes feedback in a row of its own (Alt+J).
import { test, expect, request as apiRequest, type APIRequestContext } from '@playwright/test'
import { signedIn, shot } from './helpers.ts'

test.describe.configure({ mode: 'serial' })

const zone = 'Asia/Shanghai'
const day = (offset: number) => new Intl.DateTimeFormat('en-CA', { timeZone: zone }).format(new Date(Date.now() + offset * 86_400_000))
// 心内科 calls seven days after discharge: due today; no number, so the dialer never rings her
const header = 'visitNumber,mrn,name,sex,birthDate,mobile,department,ward,bed,attendingDoctor,dischargedAt,diagnoses'
const patient = `E2E-F1,ME2EF1,孙桂芳,F,1952-05-18,,0201,心内科三病区,08,周医生,${day(-7)} 10:00,"I10 高血压病"`

let taskId = 0
let attitude: { id: number; text: string }
let aircon: { id: number; text: string }

async function as(baseURL: string | undefined, username: string): Promise<APIRequestContext> {
  const api = await apiRequest.newContext({ baseURL })
  expect((await api.post('/api/session', { data: { username, password: 'demo' } })).ok()).toBe(true)
  return api
}

test.beforeAll(async ({ baseURL }) => {
  const agent = await as(baseURL, 'agent')
  const res = await agent.post('/api/discharges/import', { headers: { 'content-type': 'text/csv' }, data: Buffer.from([header, patient].join('\r\n')) })
  expect(res.status(), await res.text()).toBe(200)
  const tasks = (await (await agent.get('/api/callback-tasks?limit=1000')).json()).items as { id: number; patient: { mrn: string } }[]
  taskId = tasks.find((x) => x.patient.mrn === 'ME2EF1')!.id
  expect(taskId).toBeTruthy()
  // what the agent notes during the call (POST /api/feedback with the callback task)
  const a = await agent.post('/api/feedback', { data: { class: 'service', text: '夜班护士说话很冲，呼叫铃半小时没人来', urgent: false, callbackTaskId: taskId } })
  expect(a.status(), await a.text()).toBe(201)
  attitude = await a.json()
  const b = await agent.post('/api/feedback', { data: { class: 'environment', text: '病房空调不制冷，晚上太热睡不着', urgent: true, callbackTaskId: taskId } })
  expect(b.status(), await b.text()).toBe(201)
  aircon = await b.json()
  await agent.dispose()
})

test('the handler\'s queue: both items with their office and a ticking deadline, urgent first; a resolution takes one off the active queue', async ({ browser }) => {
  const { page, context } = await signedIn(browser, 'handler')
  // the handler's home
  await expect(page).toHaveURL(/\/feedback$/)
  await expect(page.getByRole('navigation', { name: 'main' }).getByRole('link', { name: '反馈处理' })).toBeVisible()
  const queue = page.getByRole('region', { name: '反馈队列' })
  const mine = queue.getByRole('listitem').filter({ hasText: '孙桂芳' })
  await expect(mine).toHaveCount(2)
  // urgent first: the 2-hour air conditioner before the 24-hour attitude
  await expect(mine.first()).toContainText('环境设施')
  await expect(mine.first()).toContainText('紧急')
  await expect(mine.first()).toContainText('总务科')
  await expect(mine.first().getByTestId('deadline')).toHaveText(/剩余 1:5\d:\d\d/)
  const row = queue.getByTestId(`feedback-${attitude.id}`)
  await expect(row).toContainText('服务态度')
  await expect(row).toContainText(attitude.text)
  await expect(row).toContainText('心内科三病区 08 床')
  await expect(row).toContainText('护理部')
  // the deadline ticks on the screen's clock
  const deadline = row.getByTestId('deadline')
  await expect(deadline).toHaveText(/^剩余 23:5\d:\d\d$/)
  const before = await deadline.textContent()
  await expect(deadline).not.toHaveText(before!, { timeout: 4000 })
  await shot(page, 'feedback-queue')

  // the case: the words, the patient, the office, the history
  await row.click()
  const card = page.getByTestId('feedback-case')
  await expect(card.getByTestId('case-text')).toHaveText(attitude.text)
  await expect(card.getByTestId('case-patient')).toHaveText('孙桂芳')
  await expect(card.getByTestId('case-responsible')).toHaveText('护理部')
  await expect(card.getByTestId('case-deadline')).toContainText('剩余 23:')
  await expect(card.getByTestId('timeline')).toContainText('提出')
  await expect(card.getByTestId('timeline')).toContainText('→ 护理部')
  await expect(card.getByTestId('timeline')).toContainText('杨雪')

  // 记录处理结果: the resolution is required, at its field
  const actions = page.getByTestId('case-actions')
  await expect(actions.getByRole('tab', { name: '记录处理结果' })).toHaveAttribute('aria-selected', 'true')
  await expect(actions.getByRole('tab', { name: '派工单' })).toHaveCount(0)
  await actions.getByRole('button', { name: '保存处理结果' }).click()
  await expect(actions.getByRole('alert')).toHaveText('请写明处理结果')
  await actions.getByLabel('处理结果（必填）').fill('已与夜班护士谈话，护士长致电患者道歉')
  await actions.getByLabel('联系患者的人').fill('护士长 李')
  await shot(page, 'feedback-case')
  await actions.getByRole('button', { name: '保存处理结果' }).click()
  await expect(page.getByTestId('said')).toContainText('已记录处理结果')
  await expect(card.getByTestId('case-status')).toHaveText('已处理，待回访')
  await expect(card.getByTestId('case-resolution')).toContainText('护士长致电患者道歉')
  await expect(card.getByTestId('case-resolution')).toContainText('按期')
  await expect(card.getByTestId('timeline')).toContainText('记录处理结果')
  await expect(card.getByTestId('timeline')).toContainText('安排回访患者')
  await expect(page.getByTestId('case-actions')).toHaveCount(0)
  // off the active queue, on 已处理
  await expect(queue.getByTestId(`feedback-${attitude.id}`)).toHaveCount(0)
  await queue.getByRole('button', { name: '已处理' }).click()
  await expect(queue.getByTestId(`feedback-${attitude.id}`)).toBeVisible()
  await shot(page, 'feedback-resolved')
  await context.close()
})

test('环境设施: 派工单 refuses without a place the ward matches, then files the order and the case shows its number', async ({ browser }) => {
  const { page, context } = await signedIn(browser, 'handler')
  const queue = page.getByRole('region', { name: '反馈队列' })
  await queue.getByTestId(`feedback-${aircon.id}`).click()
  const card = page.getByTestId('feedback-case')
  await expect(card.getByTestId('case-text')).toHaveText(aircon.text)
  await expect(card.getByTestId('case-responsible')).toHaveText('总务科')
  const actions = page.getByTestId('case-actions')
  await actions.getByRole('tab', { name: '派工单' }).click()
  const item = actions.getByLabel('服务项目')
  await item.fill('空调不制冷')
  await item.press('Enter')
  await expect(item).toHaveValue(/空调不制冷/)
  await expect(actions.getByLabel('紧急程度')).toHaveValue('urgent')
  // no place given and 心内科三病区 is no place of ours: the server's words beside the place
  await actions.getByRole('button', { name: '派出工单' }).click()
  await expect(actions.locator('.combo').filter({ has: page.getByLabel('地点') })).toContainText('找不到患者的病区“心内科三病区”对应的地点')
  await shot(page, 'feedback-workorder-refused')
  const place = actions.getByLabel('地点')
  await place.fill('3512')
  await place.press('Enter')
  await expect(place).toHaveValue(/心内科病区 512室/)
  await actions.getByRole('button', { name: '派出工单' }).click()
  await expect(page.getByTestId('said')).toContainText(/已派工单 \S+/)
  const number = (await page.getByTestId('said').textContent())!.match(/已派工单 (\S+)/)![1]!
  await expect(card.getByTestId('case-work-order')).toContainText(number)
  await expect(card.getByTestId('timeline')).toContainText(`工单 ${number}`)
  // still open until the order is completed; 派工单 is done
  await expect(card.getByTestId('case-status')).toHaveText('待处理')
  await expect(actions.getByRole('tab', { name: '派工单' })).toHaveCount(0)
  await shot(page, 'feedback-workorder')
  // the same case in English
  await page.getByRole('button', { name: 'English' }).click()
  await expect(card.getByTestId('case-work-order')).toContainText('Resolved by itself when the order is completed')
  await expect(page.getByTestId('case-actions').getByRole('tab', { name: 'Record resolution' })).toBeVisible()
  await shot(page, 'feedback-workorder-en')
  await page.getByRole('button', { name: '中文' }).click()
  await context.close()
})

// a 1×1 PNG: the photo of the repair the handler attaches to the case
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64')

test('an attachment on the case: a photo is added and listed with its size; a text file is refused on screen', async ({ browser }) => {
  const { page, context } = await signedIn(browser, 'handler')
  await page.getByRole('region', { name: '反馈队列' }).getByTestId(`feedback-${aircon.id}`).click()
  const box = page.getByTestId('feedback-case').getByTestId('attachments')
  await expect(box).toContainText('还没有附件')
  await box.getByTestId('attach-input').setInputFiles({ name: '修好后的空调.png', mimeType: 'image/png', buffer: PNG })
  await expect(box.getByRole('link', { name: '修好后的空调.png' })).toBeVisible()
  await expect(box).toContainText('1 KB')
  await box.getByTestId('attach-input').setInputFiles({ name: 'note.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') })
  await expect(box.getByRole('alert')).toContainText('JPEG、PNG')
  await shot(page, 'feedback-attachment')
  // still there when the case is opened again
  await page.reload()
  await page.getByRole('region', { name: '反馈队列' }).getByTestId(`feedback-${aircon.id}`).click()
  await expect(page.getByTestId('feedback-case').getByTestId('attachments').getByRole('link', { name: '修好后的空调.png' })).toBeVisible()
  await context.close()
})

test('an SMS a patient wrote: the desk turns it into feedback from the inbox, and the office has it on its queue', async ({ browser, baseURL }) => {
  const operator = await as(baseURL, 'operator')
  const words = '食堂送来的饭菜总是凉的'
  const sent = await operator.post('/api/sms/demo-reply', { data: { from: '13800138111', text: words } })
  expect(sent.status(), await sent.text()).toBe(200)
  const { page, context } = await signedIn(browser, 'operator')
  await page.goto('/sms')
  await page.getByRole('tab', { name: '回复' }).click()
  const row = page.getByRole('row').filter({ hasText: words })
  await row.getByRole('button', { name: '转为反馈' }).click()
  const form = page.getByRole('form', { name: '转为反馈' })
  // no class chosen: told, nothing sent
  await form.getByRole('button', { name: '提交给负责科室' }).click()
  await expect(form.getByRole('alert')).toHaveText('请选择反馈类别')
  await form.getByLabel('反馈类别').selectOption({ label: '环境设施' })
  await form.getByRole('button', { name: '提交给负责科室' }).click()
  await expect(row.getByTestId('turned')).toContainText(/已转为反馈 #\d+（总务科）/)
  await shot(page, 'sms-to-feedback')
  await context.close()
  const handler = await signedIn(browser, 'handler')
  const item = handler.page.getByRole('region', { name: '反馈队列' }).getByRole('button').filter({ hasText: words })
  await expect(item).toBeVisible()
  await item.click()
  await expect(handler.page.getByTestId('feedback-case')).toContainText('短信')
  await handler.context.close()
})

test('changed by someone else meanwhile: the resolution is refused as stale, the case re-fetched and the handler told', async ({ browser, baseURL }) => {
  const agent = await as(baseURL, 'agent')
  const filed = await agent.post('/api/feedback', { data: { class: 'service', text: '门诊护士没有解释清楚换药时间', callbackTaskId: taskId } })
  expect(filed.status(), await filed.text()).toBe(201)
  const item = await filed.json()
  await agent.dispose()
  // no live events reach this page: it keeps the version it opened with
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } })
  await context.routeWebSocket(/\/ws$/, () => {})
  const page = await context.newPage()
  await page.goto('/login')
  await page.getByLabel('用户名').fill('handler')
  await page.getByLabel('密码').fill('demo')
  await page.getByRole('button', { name: '登录' }).click()
  await expect(page).toHaveURL(/\/feedback$/)
  await page.getByRole('region', { name: '反馈队列' }).getByTestId(`feedback-${item.id}`).click()
  const card = page.getByTestId('feedback-case')
  await expect(card.getByTestId('case-responsible')).toHaveText('护理部')
  // the manager hands it to 总务科 (the handler's other office) meanwhile
  const manager = await as(baseURL, 'manager')
  const departments = (await (await manager.get('/api/departments')).json()).items as { id: number; code: string }[]
  const moved = await manager.post(`/api/feedback/${item.id}/transfer`, { data: { version: item.version, departmentId: departments.find((d) => d.code === 'ZWK')!.id, reason: '涉及换药室设施' } })
  expect(moved.status(), await moved.text()).toBe(200)
  await manager.dispose()
  const actions = page.getByTestId('case-actions')
  await actions.getByLabel('处理结果（必填）').fill('已向患者解释换药时间')
  await actions.getByRole('button', { name: '保存处理结果' }).click()
  await expect(actions.getByTestId('action-alert')).toHaveText(/刚被别人改过，已重新载入/)
  await expect(card.getByTestId('case-responsible')).toHaveText('总务科')
  await expect(card.getByTestId('timeline')).toContainText('转交')
  await expect(card.getByTestId('timeline')).toContainText('涉及换药室设施')
  // what was typed stays; sent again with the version now on screen, it goes through
  await expect(actions.getByLabel('处理结果（必填）')).toHaveValue('已向患者解释换药时间')
  await shot(page, 'feedback-stale')
  await actions.getByRole('button', { name: '保存处理结果' }).click()
  await expect(page.getByTestId('said')).toContainText('已记录处理结果')
  await context.close()
})

test('the agent notes feedback in the answer form: Alt+J adds a row of class, words and urgent', async ({ browser }) => {
  const { page, context } = await signedIn(browser, 'agent')
  await expect(page).toHaveURL(/\/callbacks$/)
  // her discharge callback (the resolution above also planned her follow-up, 优先)
  await page.getByRole('region', { name: '今日待回访' }).getByRole('button', { name: /孙桂芳/ }).filter({ hasNotText: '优先' }).click()
  const form = page.getByTestId('answer-form')
  await expect(form).toBeVisible()
  const notes = form.getByTestId('feedback-notes')
  await expect(notes).toContainText('记录反馈')
  await page.keyboard.press('Alt+J')
  await expect(notes.getByLabel('类别 1')).toBeFocused()
  await notes.getByLabel('类别 1').selectOption({ label: '流程问题' })
  await notes.getByLabel('反馈内容 1').fill('出院结算排队两个小时')
  await notes.getByRole('button', { name: /添加一条反馈/ }).click()
  await notes.getByLabel('类别 2').selectOption({ label: '环境设施' })
  await notes.getByLabel('反馈内容 2').fill('卫生间地面湿滑')
  await notes.getByRole('checkbox', { name: '紧急' }).nth(1).check()
  // the questions are still the form's only fieldsets (the keyboard flow counts them)
  await expect(form.locator('fieldset').filter({ has: notes })).toHaveCount(0)
  await shot(page, 'feedback-agent-notes')
  await notes.getByRole('button', { name: '删除 1' }).click()
  await expect(notes.getByLabel('反馈内容 1')).toHaveValue('卫生间地面湿滑')
  await context.close()
})
