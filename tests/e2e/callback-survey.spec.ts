// The callback survey by SMS, as its two people do it: the agent at the 1440×900 desk texts a
// patient who would rather not take a call (✉ 发短信问卷), the queue says the link is out; the
// patient opens the link from the SMS on a 390×844 phone with no sign-in, answers with big buttons
// (a required question left out is pointed at), sends, and is thanked; the same link then says it
// was answered; the agent's queue no longer holds her.
import { test, expect, request as apiRequest } from '@playwright/test'
import { signedIn, shot } from './helpers.ts'

const day = (offset: number) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date(Date.now() + offset * 86_400_000))

test('the agent texts the survey; the patient answers it on her phone without signing in', async ({ browser, baseURL }) => {
  test.setTimeout(120_000)
  // 骨科 calls three days after discharge: sent home three days ago, she is due today
  const api = await apiRequest.newContext({ baseURL })
  expect((await api.post('/api/session', { data: { username: 'agent', password: 'demo' } })).ok()).toBe(true)
  const filed = await api.post('/api/discharges', { data: [{
    source: 'EMR', event: 'A03', visitNumber: 'E2E-SV1', mrn: 'ME2ESV1', name: '孙淑珍', sex: 'F', birthDate: '1953-06-18', phones: [{ use: 'mobile', number: '13912345681' }],
    department: '0301', attendingDoctor: '李建华', patientClass: 'I', dischargedAt: `${day(-3)}T09:00:00+08:00`, disposition: '01', procedures: [{ code: '81.54', text: '全膝关节置换术' }],
  }] })
  expect(filed.ok(), await filed.text()).toBe(true)

  const { page, context } = await signedIn(browser, 'agent')
  const queue = page.getByRole('region', { name: '今日待回访' })
  await queue.getByRole('button', { name: /孙淑珍/ }).click()
  const card = page.getByTestId('patient-card')
  await expect(card).toContainText('孙淑珍')
  await card.getByLabel('以后都用短信回访这位患者').check()
  await card.getByTestId('survey-sms').click()
  // in the daytime it goes now; at night it waits for 08:30, and says so
  await expect(card.getByRole('status')).toContainText(/问卷短信已(发出|排队).*有效/)
  await expect(queue.getByRole('button', { name: /孙淑珍/ })).toContainText('短信问卷待答')
  await expect(card).toContainText('患者希望用短信回访')
  await shot(page, 'callback-survey-agent')

  // the SMS as it went out: in Chinese, with the link to this server
  const queued = (await (await api.get('/api/callbacks/queue')).json()).items.find((i: any) => i.patient.name === '孙淑珍')
  const sms = (await (await api.get(`/api/sms/messages?subject=callback_task:${queued.id}`)).json()).items[0]
  expect(sms.text).toContain('孙阿姨您好')
  const link = /https?:\/\/\S+\/s\/[0-9a-z]+\.[0-9a-z]+\.[A-Za-z0-9_-]{22}/.exec(sms.text)?.[0]
  expect(link, sms.text).toBeTruthy()

  // the patient's phone: a fresh browser, nobody signed in
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })
  const mine = await phone.newPage()
  await mine.goto(new URL(link!).pathname)
  await expect(mine.getByRole('heading', { level: 1 })).toHaveText('孙阿姨您好')
  await expect(mine.getByText('骨科出院回访')).toBeVisible()
  await expect(mine).not.toHaveURL(/login/)
  await expect(mine.locator('body')).not.toContainText('13912345681')
  const questions = mine.locator('fieldset')
  const count = await questions.count()
  expect(count).toBeGreaterThanOrEqual(3)
  await shot(mine, 'callback-survey-phone')
  // every question but the first answered: sending points at what is missing
  for (let i = 1; i < count; i++) {
    const q = questions.nth(i)
    const buttons = q.getByRole('button')
    if (await buttons.count()) await buttons.last().click()
    else await q.locator('textarea').fill('恢复得挺好')
  }
  await mine.getByRole('button', { name: '提交' }).click()
  await expect(mine.getByRole('alert')).toContainText('必答题没有回答')
  await expect(questions.first()).toHaveClass(/unanswered/)
  await shot(mine, 'callback-survey-phone-missing')
  const first = questions.first().getByRole('button')
  if (await first.count()) await first.last().click()
  else await questions.first().locator('textarea').fill('好')
  await mine.getByRole('button', { name: '提交' }).click()
  await expect(mine.getByTestId('survey-done')).toContainText('谢谢您')
  await shot(mine, 'callback-survey-phone-done')
  // the same link again: already answered
  await mine.reload()
  await expect(mine.getByTestId('survey-problem')).toContainText('已经回答过了')

  // the agent's queue lets her go
  await page.reload()
  await expect(page.getByRole('region', { name: '今日待回访' })).not.toContainText('孙淑珍')
  await phone.close()
  await context.close()
  await api.dispose()
})
