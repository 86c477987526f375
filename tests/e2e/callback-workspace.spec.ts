// The callback agent's day on the 1440×900 desk, from the keyboard: 就绪 (Alt+R), the progressive
// dialer rings the agent's phone and the patient's on the PBX simulator, the card of that call opens
// by itself, every question is answered with its keys (Tab to the next), 完成回访 goes with
// Ctrl+Enter and today's counters move. A supervisor's panel lists the agent's state, live.
import { test, expect, request as apiRequest, type APIRequestContext } from '@playwright/test'
import { signedIn, shot } from './helpers.ts'

test.describe.configure({ mode: 'serial' })

const zone = 'Asia/Shanghai'
const day = (offset: number) => new Intl.DateTimeFormat('en-CA', { timeZone: zone }).format(new Date(Date.now() + offset * 86_400_000))
// 骨科 calls three days after discharge: a patient sent home three days ago is due today; on the
// demo's simulator a number ending in 0 picks up after 2 s and talks for 15 s
const header = 'visitNumber,mrn,name,sex,birthDate,mobile,department,attendingDoctor,dischargedAt,procedures,diagnoses'
// her diagnosis code is the test's own: a rule of 骨科 for it alone calls her first, at any hour
const patient = `E2E-W1,ME2EW1,郑秋菊,F,1950-03-12,13912345670,0301,李建华,${day(-3)} 09:00,"81.54 全膝关节置换术","Z99.E2EW 回访工作台测试"`
// 心内科 calls after seven days, in the demo's windows; this patient left no number: 拨打 is refused
const noNumber = `E2E-W2,ME2EW2,钱玉兰,F,1948-07-02,,0201,周医生,${day(-7)} 10:00,,"I10 高血压病"`

let ours: { id: number; version: number } | undefined

async function as(baseURL: string | undefined, username: string): Promise<APIRequestContext> {
  const api = await apiRequest.newContext({ baseURL })
  expect((await api.post('/api/session', { data: { username, password: 'demo' } })).ok()).toBe(true)
  return api
}

/** Leave the agent offline for the specs after this one: a call the dialer started meanwhile is put off to tomorrow. */
async function offline(api: APIRequestContext) {
  for (let i = 0; i < 60; i++) {
    const me = await (await api.get('/api/callbacks/me')).json()
    if (me.state === 'offline' && !me.current) return
    if (me.state === 'wrap_up' && me.current?.attemptId) {
      await api.post(`/api/callbacks/attempts/${me.current.attemptId}/disposition`, { data: { disposition: 'call_back_later', callBackAt: new Date(Date.now() + 86_400_000).toISOString() } })
    }
    // accepted while the phone still rings: the call goes on to its end, then no other
    await api.post('/api/callbacks/me/state', { data: { state: 'offline' } })
    await new Promise((r) => setTimeout(r, 1000))
  }
  throw new Error('the agent did not go offline')
}

test.beforeAll(async ({ baseURL }) => {
  // the test's patient may be called at any hour and before anyone else: a rule of 骨科 for her
  // diagnosis code alone, ahead of the department's default (demo patients keep theirs, whatever the hour)
  const admin = await as(baseURL, 'admin')
  const rules = (await (await admin.get('/api/callback-rules')).json()).items as { departmentId: number; isDefault: boolean; templateId: number }[]
  const departments = (await (await admin.get('/api/departments')).json()).items as { id: number; code: string }[]
  const gk = departments.find((d) => d.code === 'GK')!.id
  const template = rules.find((r) => r.departmentId === gk && r.isDefault)!.templateId
  const made = await admin.post('/api/callback-rules', { data: { departmentId: gk, position: 1, name: '工作台测试', scenario: '术后', matchCodes: ['Z99.E2EW'], dayOffset: 3, windows: [{ from: '00:00', to: '23:59' }], priority: 1, templateId: template } })
  expect(made.status(), await made.text()).toBe(201)
  ours = await made.json()
  await admin.dispose()

  const agent = await as(baseURL, 'agent')
  const res = await agent.post('/api/discharges/import', { headers: { 'content-type': 'text/csv' }, data: Buffer.from([header, patient, noNumber].join('\r\n')) })
  expect(res.status(), await res.text()).toBe(200)
  await agent.dispose()
})

test.afterAll(async ({ baseURL }) => {
  const agent = await as(baseURL, 'agent')
  await offline(agent)
  await agent.dispose()
  if (!ours) return
  const admin = await as(baseURL, 'admin')
  await admin.put(`/api/callback-rules/${ours.id}`, { data: { version: ours.version, active: false } })
  await admin.dispose()
})

test('the agent goes ready, the dialer calls the first task, its card opens, the answers go in by keys and the counters move', async ({ browser }) => {
  test.setTimeout(120_000)
  const { page, context } = await signedIn(browser, 'agent')
  await expect(page).toHaveURL(/\/callbacks$/)
  await expect(page.getByTestId('agent-state')).toContainText('离线')
  // the test's patient is urgent (priority 1) and in its window: first in the queue, the first dialled
  const queue = page.getByRole('region', { name: '今日待回访' })
  await expect(queue.getByRole('listitem').first()).toContainText('郑秋菊')
  await expect(queue.getByRole('listitem').first()).toContainText('紧急')
  await expect(queue).toContainText('139****5670')
  const done = Number(await page.getByTestId('counter-done').locator('dd').textContent())
  const left = Number(await page.getByTestId('counter-left').locator('dd').textContent())
  await shot(page, 'callback-workspace-1-offline')

  // from here on the keyboard only
  await page.keyboard.press('Alt+R')
  const card = page.getByTestId('patient-card')
  await expect(card).toContainText('郑秋菊', { timeout: 20_000 })
  await expect(card).toContainText('全膝关节置换术')
  await expect(card).toContainText('李建华')
  await expect(card.getByTestId('card-phone')).toContainText('139****5670')
  await expect(card.getByTestId('opening')).toContainText('您出院 3 天了')
  await expect(page.getByTestId('agent-state')).toContainText(/拨号中|通话中|话后整理/)
  await shot(page, 'callback-workspace-2-call')

  // every question with its keys but the last (满意度, left out on purpose): the first answer flags
  // the wound (是 → red), the rest are calm
  const questions = page.getByTestId('answer-form').locator('fieldset')
  const count = await questions.count()
  expect(count).toBeGreaterThan(2)
  const lastQuestion = questions.nth(count - 1)
  expect(await lastQuestion.getAttribute('data-kind')).toBe('scale')
  await expect(questions.first().locator('input').first()).toBeFocused()
  for (let i = 0; i < count; i++) {
    const q = questions.nth(i)
    const kind = await q.getAttribute('data-kind')
    if (i === count - 1) { await page.keyboard.press('Tab'); continue }
    if (kind === 'yes_no') await page.keyboard.press(i === 0 ? 'y' : 'n')
    else if (kind === 'scale') await page.keyboard.press('4')
    else if (kind === 'choice') await page.keyboard.press('1')
    else await page.keyboard.type('无')
    if (kind !== 'text') await expect(q.locator('input:checked')).toHaveCount(1)
    await page.keyboard.press('Tab')
  }
  if ((await questions.first().getAttribute('data-kind')) === 'yes_no') {
    await expect(questions.first()).toHaveClass(/urgent/)
    await expect(questions.first()).toContainText('需关注')
  }
  await page.keyboard.type('伤口有少量渗液，已建议复诊')
  await expect(page.getByLabel('备注')).toHaveValue('伤口有少量渗液，已建议复诊')
  await page.keyboard.press('Tab')
  await expect(page.getByLabel('回访结果')).toBeFocused()
  await expect(page.getByLabel('回访结果')).toHaveValue('completed')
  // the outcome is saved once the call is over: the simulated patient hangs up, the wrap-up clock runs
  await expect(page.getByTestId('agent-state')).toContainText('话后整理', { timeout: 30_000 })
  await expect(page.getByTestId('wrap-up')).toBeVisible()
  await shot(page, 'callback-workspace-3-answers')

  // the server names the missing answer: its message stands at that question, which has the focus
  await page.keyboard.press('Control+Enter')
  await expect(lastQuestion.getByRole('alert')).toBeVisible()
  await expect(lastQuestion.getByRole('alert')).toContainText(/[\u4e00-\u9fff]/)
  await expect(lastQuestion.locator('input').first()).toBeFocused()
  await shot(page, 'callback-workspace-3b-missing-answer')
  await page.keyboard.press('5')
  await expect(lastQuestion.locator('input:checked')).toHaveValue('5')
  await page.keyboard.press('Control+Enter')
  await expect(page.getByTestId('saved')).toContainText('郑秋菊')
  await expect(page.getByTestId('counter-done').locator('dd')).toHaveText(String(done + 1))
  await expect(page.getByTestId('counter-left').locator('dd')).toHaveText(String(left - 1))
  await expect(queue).not.toContainText('郑秋菊')
  await shot(page, 'callback-workspace-4-saved')
  // no number is ever shown whole, and there is nowhere to type one
  await expect(page.locator('body')).not.toContainText('13912345670')
  await expect(page.locator('input[type=tel]')).toHaveCount(0)
  await context.close()
})

test('the supervisor sees the agent paused for training, then offline without reloading', async ({ browser, baseURL }) => {
  const agent = await as(baseURL, 'agent')
  await offline(agent)
  expect((await agent.post('/api/callbacks/me/state', { data: { state: 'paused', reason: 'training' } })).status()).toBe(200)
  const { page, context } = await signedIn(browser, 'manager')
  await page.goto('/callbacks')
  await expect(page).toHaveURL(/\/callbacks\/supervisor$/)
  await expect(page.getByRole('heading', { name: '回访班组监控' })).toBeVisible()
  const row = page.getByRole('table', { name: '坐席状态' }).getByRole('row').filter({ hasText: '杨雪' })
  await expect(row.getByRole('cell').nth(1)).toHaveText('暂停 · 培训')
  // today's figures: the call of the first test was reached and completed
  await expect(row.getByRole('cell').nth(6)).toHaveText('1')
  await expect(page.getByRole('table', { name: '科室队列' })).toContainText('骨科')
  await shot(page, 'callback-supervisor')
  expect((await agent.post('/api/callbacks/me/state', { data: { state: 'offline' } })).status()).toBe(200)
  await expect(row.getByRole('cell').nth(1)).toHaveText('离线')
  await agent.dispose()
  await context.close()
})

test('拨打 on a task the server will not dial shows its refusal, in Chinese', async ({ browser, baseURL }) => {
  const agent = await as(baseURL, 'agent')
  await offline(agent)
  await agent.dispose()
  const { page, context } = await signedIn(browser, 'agent')
  await page.getByRole('region', { name: '今日待回访' }).getByRole('button', { name: /钱玉兰/ }).click()
  const card = page.getByTestId('patient-card')
  await expect(card).toContainText('心内科')
  await card.getByRole('button', { name: /拨打/ }).click()
  // no number (or outside its window, by the hour of the run): a 409 whose message is the server's
  await expect(card.getByRole('alert')).toContainText(/[\u4e00-\u9fff]{4}/)
  await shot(page, 'callback-workspace-5-dial-refused')
  await context.close()
})
