// The callback survey by SMS (回访 问卷短信). A patient who would rather answer by text than on the
// phone gets a link to a page with the template's questions that needs no sign-in. The link carries
// the task and its expiry, signed with the hospital's own secret (app_secret, shared by every
// instance), so it cannot be made up or stretched; answering it completes the task like a completed
// call does — the answers stored with the template's wording, urgent answers filed as feedback.
// While a link holds, the dialer leaves the patient alone. `now` comes from the caller (the tests'
// clock).
import { createHmac, timingSafeEqual } from 'node:crypto'
import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from '../db/types.ts'
import type { TemplateQuestion } from '../db/types.callbacks.ts'
import type { Messaging } from '../messaging/messaging.service.ts'
import { normaliseMobile } from '../messaging/text.ts'
import { localClock } from '../clock/local-time.ts'
import { refuse } from '../http/errors.ts'
import { fromCallback, patientAnswered } from '../feedback/feedback.service.ts'
import { honorific } from './opening.ts'
import { checkAnswers, closeTask } from './dialer.ts'

type Db = Kysely<DB> | Transaction<DB>

async function secretOf(db: Db): Promise<Buffer> {
  const row = await db.selectFrom('app_secret').select('value').where('name', '=', 'survey_link').executeTakeFirstOrThrow()
  return Buffer.from(row.value, 'utf8')
}

const signature = (key: Buffer, body: string) => createHmac('sha256', key).update(body).digest('base64url').slice(0, 22)

/** `<task id>.<expiry, unix seconds>.<signature>`, both numbers in base 36: short enough for an SMS. */
export async function signLink(db: Db, taskId: number, expiresAt: Date): Promise<string> {
  const body = `${taskId.toString(36)}.${Math.floor(expiresAt.getTime() / 1000).toString(36)}`
  return `${body}.${signature(await secretOf(db), body)}`
}

/** The task and expiry a token names, or null when it is not one of ours (altered, cut short, made up). */
export async function readLink(db: Db, token: string): Promise<{ taskId: number; expiresAt: Date } | null> {
  const m = /^([0-9a-z]{1,10})\.([0-9a-z]{1,10})\.([A-Za-z0-9_-]{22})$/.exec(token)
  if (!m) return null
  const expected = Buffer.from(signature(await secretOf(db), `${m[1]}.${m[2]}`))
  const given = Buffer.from(m[3]!)
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null
  return { taskId: parseInt(m[1]!, 36), expiresAt: new Date(parseInt(m[2]!, 36) * 1000) }
}

/** The number a survey link goes to: the patient's own mobile first, then any other valid mobile. */
async function mobileOf(db: Db, patientId: number): Promise<string | null> {
  const phones = await db.selectFrom('patient_phone').select(['use', 'number']).where('patient_id', '=', patientId).where('valid', '=', true).orderBy('position').execute()
  const order = [...phones.filter((p) => p.use === 'mobile'), ...phones.filter((p) => p.use !== 'mobile')]
  for (const p of order) { const n = normaliseMobile(p.number); if (n) return n }
  return null
}

export interface SurveySend { messaging: Messaging; publicUrl: string; hours: number; timeZone: string; now: Date; by?: number | null; remember?: boolean }

/**
 * Sends the task's survey link by SMS (queued: quiet hours and opt-outs are messaging's rules).
 * A task already answered, closed or being dialled is refused; a second send makes a new link.
 */
export async function sendSurveyLink(db: Kysely<DB>, taskId: number, s: SurveySend) {
  const task = await db.selectFrom('callback_task as t').innerJoin('patient as p', 'p.id', 't.patient_id')
    .select(['t.id', 't.status', 't.patient_id', 'p.name', 'p.sex', sql<string | null>`p.birth_date::text`.as('birth_date')]).where('t.id', '=', taskId).executeTakeFirst()
  if (!task) throw refuse(404, 'not_found', `没有回访任务 ${taskId}`, `no callback task ${taskId}`)
  if (task.status === 'in_progress') throw refuse(409, 'being_dialled', '这位患者正在被拨打', 'someone is dialling this patient right now')
  if (task.status !== 'planned') throw refuse(409, 'task_closed', '这个回访已经结束', 'this callback is closed')
  const to = await mobileOf(db, task.patient_id)
  if (!to) throw refuse(409, 'no_mobile', '这位患者没有可以收短信的手机号', 'this patient has no mobile number to text')
  const expiresAt = new Date(s.now.getTime() + s.hours * 3_600_000)
  const token = await signLink(db, task.id, expiresAt)
  const until = localClock(expiresAt, s.timeZone)
  const message = await s.messaging.send({
    to, template: 'callback.survey', values: { 患者姓名: honorific(task.name, task.sex, task.birth_date, s.now), 链接: `${s.publicUrl.replace(/\/$/, '')}/s/${token}`, 时间: `${Number(until.day.slice(5, 7))}月${Number(until.day.slice(8, 10))}日 ${until.hhmm}` },
    subject: { kind: 'callback_task', id: String(task.id) }, dedupeKey: `callback_task:${task.id}:survey:${Math.floor(expiresAt.getTime() / 1000)}`, createdBy: s.by ?? null,
  })
  if (message.status === 'refused') throw refuse(409, 'sms_refused', `短信不能发送：${message.last_error ?? ''}`, `the SMS may not go: ${message.last_error ?? ''}`)
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('callback_task').set({ survey_sent_at: s.now, survey_expires_at: expiresAt, updated_at: s.now }).where('id', '=', task.id).execute()
    if (s.remember) await trx.updateTable('patient').set({ prefers_sms: true, updated_at: s.now }).where('id', '=', task.patient_id).execute()
  })
  return { taskId: task.id, messageId: Number(message.id), status: message.status, heldUntil: message.held_until?.toISOString() ?? null, expiresAt: expiresAt.toISOString() }
}

/** Checks a token against the task it names; answers what the page may show, or the reason it may not. */
async function openLink(db: Db, token: string, now: Date, lock: boolean) {
  const link = await readLink(db, token)
  if (!link) throw refuse(404, 'link_invalid', '这个链接不对：请核对短信里的链接', 'this link is not valid: check the link in the text message')
  // answering: the task's row is held until the answers are in, so two submits at once make one
  if (lock) await db.selectFrom('callback_task').select('id').where('id', '=', link.taskId).forUpdate().execute()
  const task = await db.selectFrom('callback_task as t').innerJoin('patient as p', 'p.id', 't.patient_id').innerJoin('callback_template as tpl', 'tpl.id', 't.template_id')
    .leftJoin('department as d', 'd.id', 't.department_id')
    .select(['t.id', 't.status', 't.kind', 't.feedback_id', 't.survey_answered_at', 'p.name', 'p.sex', sql<string | null>`p.birth_date::text`.as('birth_date'),
      'd.name as department', 'd.name_en as department_en', 'tpl.questions', 'tpl.version as template_version'])
    .where('t.id', '=', link.taskId).executeTakeFirst()
  if (!task) throw refuse(404, 'link_invalid', '这个链接不对：请核对短信里的链接', 'this link is not valid: check the link in the text message')
  if (task.survey_answered_at || task.status === 'done') throw refuse(409, 'already_answered', '这次回访您已经回答过了，谢谢！', 'you have already answered this survey, thank you!')
  if (now >= link.expiresAt) throw refuse(410, 'link_expired', '这个链接已经过期：我们会再打电话问候您', 'this link has expired: we will call you instead')
  if (task.status !== 'planned') throw refuse(410, 'link_closed', '这次回访已经结束，不需要再填写了', 'this callback is over: nothing more to fill in')
  return { link, task, questions: task.questions as unknown as TemplateQuestion[] }
}

/** What the patient's page shows: how they are addressed, the department, the questions. No phone, no diagnosis. */
export async function surveyPage(db: Kysely<DB>, token: string, now: Date, hospital: string) {
  const { link, task, questions } = await openLink(db, token, now, false)
  return {
    hospital, greeting: honorific(task.name, task.sex, task.birth_date, now), department: task.department, departmentEn: task.department_en, expiresAt: link.expiresAt.toISOString(),
    questions: questions.map((q) => ({ key: q.key, text: q.text, kind: q.kind, options: q.options ?? null, required: Boolean(q.required) })),
  }
}

/** The patient's answers complete the task once; a second submit, a closed task or an old link change nothing. */
export async function answerSurvey(db: Kysely<DB>, token: string, answers: Record<string, string>, now: Date) {
  return db.transaction().execute(async (trx) => {
    const { task, questions } = await openLink(trx, token, now, true)
    const checked = checkAnswers(questions, answers, true)
    await closeTask(trx, task.id, { status: 'done', outcome: 'completed', at: now, answers: checked })
    await trx.updateTable('callback_task').set({ survey_answered_at: now }).where('id', '=', task.id).execute()
    if (task.kind === 'follow_up' && task.feedback_id) {
      await patientAnswered(trx, task.feedback_id, checked.satisfied === '是', checked.words || null, now)
      return { taskId: task.id, feedback: [] as number[] }
    }
    const feedback = await fromCallback(trx, { taskId: task.id, attemptId: null, callId: null, agentId: null, questions, answers: checked, extra: [], at: now })
    return { taskId: task.id, feedback }
  })
}
