// The callback desk's dialer (docs/CALLBACKS.md). An agent who is ready gets the next due task in its
// window dialled for them: their own phone first, the patient's once they pick up — one call per ready
// agent, never a patient picking up to silence. The attempt row is the truth of what is going on, so
// a restart of the app loses nothing; unique indexes make two instances (or two agents) racing for one
// task a conflict, not a double call. `now` is injected so the tests can move the clock.
import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from '../db/types.ts'
import type { Config } from '../config.ts'
import type { LiveHub } from '../live/live.routes.ts'
import type { TelephonyPort } from '../calls/port.ts'
import type { OutboundEvent } from '../calls/calls.service.ts'
import { dialable, noPhoneDevice, pbxDown } from '../calls/dial.ts'
import { HttpError, refuse } from '../http/errors.ts'
import type { CallWindow, Disposition2, FeedbackClass, PauseReason, TemplateQuestion } from '../db/types.callbacks.ts'
import { fromCallback, patientAnswered } from '../feedback/feedback.service.ts'
import { localClock } from '../clock/local-time.ts'
import { nextWindowStart, withinCallingHours } from './hours.ts'
import { agentView, type AgentView } from './dialer.queries.ts'

type Db = Kysely<DB> | Transaction<DB>
const SUPERVISORS = new Set(['manager', 'admin'])

export interface DialerDeps {
  db: Kysely<DB>
  live: LiveHub
  telephony: TelephonyPort | null
  config: Config
  now?: () => Date
  log: (err: unknown) => void
}

export interface Disposal {
  disposition: Exclude<Disposition2, 'agent_missed'>
  answers?: Record<string, string>
  notes?: string
  callBackAt?: string
  doNotCall?: boolean
  /** what the agent noted down during the call as feedback (服务态度, 环境设施 …) */
  feedback?: { class: FeedbackClass; text: string; urgent?: boolean }[]
}


/** The policy that applies to a department: its own row, else the global one. */
export async function policyFor(db: Db, departmentId: number | null) {
  const rows = await db.selectFrom('callback_policy').selectAll().where((eb) => eb.or([eb('department_id', 'is', null), ...(departmentId ? [eb('department_id', '=', departmentId)] : [])])).execute()
  return rows.find((r) => r.department_id !== null) ?? rows[0]!
}

/** The patient's phones in the order they are tried: their own first, then a relative's; numbers refused or found wrong left out. */
export async function phonesToTry(db: Db, task: { patient_id: number; skip_phones: number[] }) {
  const phones = await db.selectFrom('patient_phone').select(['position', 'use', 'number']).where('patient_id', '=', task.patient_id).where('valid', '=', true).orderBy('position').execute()
  const blocked = new Set((await db.selectFrom('do_not_call').select('number').where('lifted_at', 'is', null).where('number', 'in', phones.length ? phones.map((p) => dialableOrEmpty(p.number)) : ['']).execute()).map((r) => r.number))
  return phones.filter((p) => !task.skip_phones.includes(p.position) && !blocked.has(dialableOrEmpty(p.number)))
    .sort((a, b) => Number(a.use === 'relative') - Number(b.use === 'relative') || a.position - b.position)
}
export const dialableOrEmpty = (n: string) => { try { return dialable(n) } catch { return '' } }

/** A patient refused calls (for every number) or this number is on the list; the HIS's own flag counts too. */
async function doNotCall(db: Db, patientId: number) {
  const patient = await db.selectFrom('patient').select(['do_not_call', 'deceased']).where('id', '=', patientId).executeTakeFirstOrThrow()
  if (patient.do_not_call || patient.deceased) return true
  return Boolean(await db.selectFrom('do_not_call').select('id').where('patient_id', '=', patientId).where('number', 'is', null).where('lifted_at', 'is', null).executeTakeFirst())
}

/** A task's end: done (answers kept), cancelled or unreachable, with the reason; nothing more to dial. */
export async function closeTask(trx: Db, taskId: number, c: { status: 'done' | 'cancelled' | 'unreachable'; outcome: 'completed' | 'refused' | 'readmitted' | 'deceased' | 'unreachable' | 'do_not_call'; cancel_reason?: string; at: Date; by?: number; answers?: Record<string, string> }) {
  await trx.updateTable('callback_task').set({
    status: c.status, outcome: c.outcome, cancel_reason: c.cancel_reason ?? null, completed_at: c.at, completed_by: c.by ?? null,
    answers: c.answers ? JSON.stringify(c.answers) : null, next_attempt_at: null, updated_at: c.at,
  }).where('id', '=', taskId).execute()
}

export function startDialer(deps: DialerDeps) {
  const { db, live, telephony, config } = deps
  const now = deps.now ?? (() => new Date())
  const tz = config.timeZone
  const startedAt = now()
  let timer: NodeJS.Timeout | null = null
  let ticking = false

  async function tell(userId: number) {
    const view = await agentView(db, userId, now(), tz)
    live.broadcast({ type: 'callback.agent', data: { userId, ...view }, at: now().toISOString() }, (u) => u.id === userId || SUPERVISORS.has(u.role))
    return view
  }
  const taskChanged = (taskId: number, status: string) =>
    live.broadcast({ type: 'callback.task', data: { taskId, status }, at: now().toISOString() }, (u) => u.role === 'callback_agent' || SUPERVISORS.has(u.role))

  async function agent(userId: number) {
    return db.selectFrom('app_user').select(['id', 'phone_device', 'active', 'role']).where('id', '=', userId).executeTakeFirstOrThrow()
  }

  /**
   * Claims a task for the agent and rings their phone. `taskId` null: the dialer picks the next due
   * task in its window (progressive); a task the agent chose is checked and refused with the reason.
   */
  async function dial(userId: number, taskId: number | null): Promise<{ attemptId: number; callId: number; taskId: number } | null> {
    const at = now()
    const user = await agent(userId)
    const progressive = taskId === null
    if (!telephony || telephony.status() !== 'up') { if (progressive) return null; throw pbxDown() }
    if (!user.phone_device) { if (progressive) return null; throw noPhoneDevice() }
    if (!withinCallingHours(at, config.callbacks.hours, tz)) {
      if (progressive) return null
      const h = config.callbacks.hours.windows.map((w) => `${w.from}–${w.to}`).join('、')
      throw refuse(409, 'outside_calling_hours', `现在不是医院的回访时间（${h}）：不能拨打`, `outside the hospital's calling hours (${h}): nothing dialled`)
    }
    const open = await db.selectFrom('callback_attempt').select(['id', 'ended_at']).where('agent_user_id', '=', userId).where('disposed_at', 'is', null).executeTakeFirst()
    if (open) {
      if (progressive) return null
      throw open.ended_at ? refuse(409, 'disposition_required', '请先填写上一通回访的结果，再拨下一通', 'record the outcome of the last call before the next one')
        : refuse(409, 'agent_busy', '您正在通话中', 'you are on a call')
    }
    const clock = localClock(at, tz)
    let claimed: { attemptId: number; callId: number; taskId: number; number: string } | null = null
    try {
      claimed = await db.transaction().execute(async (trx) => {
        if (progressive) {
          // another instance is dialling for this agent right now: leave it to that one
          const me = await trx.selectFrom('callback_agent').select('user_id').where('user_id', '=', userId).where('state', '=', 'ready').forUpdate().skipLocked().executeTakeFirst()
          if (!me) return null
        }
        for (let tries = 0; tries < 5; tries++) {
          let q = trx.selectFrom('callback_task as t').selectAll('t')
          if (progressive) {
            q = q.where('t.status', '=', 'planned').where('t.due_date', '<=', sql<string>`${clock.day}::date`).where('t.no_number', '=', false)
              .where((eb) => eb.or([eb('t.assigned_user_id', '=', userId), eb('t.assigned_user_id', 'is', null)]))
              .where((eb) => eb.or([eb('t.next_attempt_at', 'is', null), eb('t.next_attempt_at', '<=', at)]))
              // a survey link sent by SMS and still open: the patient answers it, not the phone
              .where((eb) => eb.or([eb('t.survey_expires_at', 'is', null), eb('t.survey_expires_at', '<=', at)]))
              // an appointment replaces the windows; otherwise the time of day must be inside one
              .where(sql<boolean>`(t.appointment_at IS NOT NULL OR EXISTS (SELECT 1 FROM jsonb_array_elements(t.windows) w WHERE w->>'from' <= ${clock.hhmm} AND ${clock.hhmm} < w->>'to'))`)
              .orderBy(sql`t.appointment_at IS NULL`).orderBy('t.priority').orderBy(sql`t.kind <> 'follow_up'`).orderBy('t.due_at').orderBy('t.id')
          } else q = q.where('t.id', '=', taskId!)
          const task = await q.limit(1).forUpdate().skipLocked().executeTakeFirst()
          if (!task) {
            if (progressive) return null
            const exists = await trx.selectFrom('callback_task').select(['status', 'assigned_user_id']).where('id', '=', taskId!).executeTakeFirst()
            if (!exists) throw new HttpError(404, 'not_found', `没有回访任务 ${taskId}`, undefined, { messageEn: `no callback task ${taskId}` })
            throw refuse(409, 'being_dialled', '这位患者正在被拨打', 'someone is dialling this patient right now')
          }
          if (!progressive) {
            if (task.status === 'in_progress') throw refuse(409, 'being_dialled', '这位患者正在被拨打', 'someone is dialling this patient right now')
            if (task.assigned_user_id !== null && task.assigned_user_id !== userId) throw refuse(403, 'not_yours', '这不是您的回访任务', 'this callback is not yours')
            if (task.status !== 'planned') throw refuse(409, 'task_closed', '这个回访已经结束', 'this callback is closed')
            const windows = task.windows as unknown as CallWindow[]
            if (!task.appointment_at && !windows.some((w) => w.from <= clock.hhmm && clock.hhmm < w.to)) {
              const w = windows.map((x) => `${x.from}–${x.to}`).join('、')
              throw refuse(409, 'outside_window', `不在这位患者的回访时段（${w}）`, `outside this patient's call windows (${w})`)
            }
          }
          if (await doNotCall(trx, task.patient_id)) {
            if (!progressive) throw refuse(409, 'do_not_call', '患者要求不再来电（免打扰名单）：不能拨打', 'the patient is on the do-not-call list: nothing dialled')
            await closeTask(trx, task.id, { status: 'cancelled', outcome: 'do_not_call', cancel_reason: '免打扰名单', at })
            continue
          }
          const phones = await phonesToTry(trx, task)
          const phone = phones.find((p) => p.position === task.phone_position) ?? phones[0]
          if (!phone) {
            if (!progressive) throw refuse(409, 'no_number', '这位患者没有可拨打的号码', 'this patient has no number that may be dialled')
            await closeTask(trx, task.id, { status: 'unreachable', outcome: 'unreachable', cancel_reason: '没有可拨打的号码', at })
            continue
          }
          const number = dialable(phone.number)
          const call = await trx.insertInto('call').values({
            direction: 'out', caller_number: user.phone_device, callee_number: number, operator_user_id: userId, operator_device: user.phone_device,
            state: 'dialing', created_by: userId, started_at: at,
          }).returning('id').executeTakeFirstOrThrow()
          const attempt = await trx.insertInto('callback_attempt').values({
            task_id: task.id, agent_user_id: userId, call_id: call.id, phone_position: phone.position, phone_use: phone.use, progressive, started_at: at,
          }).returning('id').executeTakeFirstOrThrow()
          await trx.updateTable('callback_task').set({ status: 'in_progress', assigned_user_id: userId, phone_position: phone.position, updated_at: at }).where('id', '=', task.id).execute()
          return { attemptId: attempt.id, callId: call.id, taskId: task.id, number }
        }
        return null
      })
    } catch (err) {
      // a second attempt open for the task or the agent: someone else got there first
      if ((err as { code?: string }).code === '23505') throw refuse(409, 'being_dialled', '这位患者正在被拨打', 'someone is dialling this patient right now')
      throw err
    }
    if (!claimed) return null
    try {
      await telephony.originate({ reference: `call-${claimed.callId}`, device: user.phone_device, number: claimed.number, context: config.outboundContext, callerId: `Hotline 100 <${config.hotlineExten}>` })
    } catch {
      // the PBX refused or went away: nothing dialled, the task waits as it was
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('callback_attempt').where('id', '=', claimed!.attemptId).execute()
        await trx.deleteFrom('call').where('id', '=', claimed!.callId).execute()
        await trx.updateTable('callback_task').set({ status: 'planned' }).where('id', '=', claimed!.taskId).execute()
      })
      if (progressive) return null
      throw pbxDown()
    }
    taskChanged(claimed.taskId, 'in_progress')
    await tell(userId)
    return claimed
  }

  /** What an attempt's disposition does to its task: done, closed, or the next try planned by the policy. */
  async function settle(trx: Db, attemptId: number, disposition: Disposition2, at: Date, extra: Disposal = { disposition: 'completed' }) {
    const attempt = await trx.selectFrom('callback_attempt').selectAll().where('id', '=', attemptId).executeTakeFirstOrThrow()
    const task = await trx.selectFrom('callback_task').selectAll().where('id', '=', attempt.task_id).forUpdate().executeTakeFirstOrThrow()
    const by = attempt.agent_user_id
    const counted = disposition !== 'agent_missed'
    const attempts = task.attempts + (counted ? 1 : 0)
    await trx.updateTable('callback_task').set({ attempts, appointment_at: null, updated_at: at }).where('id', '=', task.id).execute()
    if (extra.doNotCall) {
      await trx.insertInto('do_not_call').values({ patient_id: task.patient_id, number: null, reason: '患者在回访中要求不再来电', added_by: by })
        .onConflict((oc) => oc.expression(sql`patient_id`).where('lifted_at', 'is', null).where('number', 'is', null).doNothing()).execute()
    }
    const stop = (status: 'done' | 'cancelled' | 'unreachable', outcome: Parameters<typeof closeTask>[2]['outcome'], reason?: string) =>
      closeTask(trx, task.id, { status, outcome, cancel_reason: reason, at, by, answers: disposition === 'completed' ? extra.answers : undefined })
    if (disposition === 'completed' && task.kind === 'follow_up' && task.feedback_id) {
      // the patient's word on how their feedback was handled closes the loop or reopens it
      await patientAnswered(trx, task.feedback_id, extra.answers?.satisfied === '是', extra.answers?.words || extra.notes || null, at)
    } else if (disposition === 'completed' || extra.feedback?.length) {
      const template = await trx.selectFrom('callback_template').select('questions').where('id', '=', task.template_id).executeTakeFirstOrThrow()
      await fromCallback(trx, {
        taskId: task.id, attemptId: attempt.id, callId: attempt.call_id, agentId: by, questions: template.questions as unknown as TemplateQuestion[],
        answers: disposition === 'completed' ? extra.answers ?? {} : {}, extra: extra.feedback ?? [], at,
      })
    }
    switch (disposition) {
      case 'completed': return stop('done', 'completed')
      case 'refused': return stop('done', 'refused', extra.doNotCall ? '患者拒绝回访，要求不再来电' : '患者拒绝回访')
      case 'readmitted': return stop('cancelled', 'readmitted', '患者已再次入院')
      case 'deceased': {
        await trx.updateTable('patient').set({ deceased: true, updated_at: at }).where('id', '=', task.patient_id).execute()
        await trx.updateTable('callback_task').set({ status: 'cancelled', outcome: 'deceased', cancel_reason: '患者已故', completed_at: at, updated_at: at })
          .where('patient_id', '=', task.patient_id).where('status', '=', 'planned').where('id', '<>', task.id).execute()
        return stop('cancelled', 'deceased', '患者已故')
      }
      default: break
    }
    if (extra.doNotCall) return stop('cancelled', 'do_not_call', '患者要求不再来电')
    if (disposition === 'call_back_later') {
      const when = new Date(extra.callBackAt!)
      await trx.updateTable('callback_task').set({ status: 'planned', appointment_at: when, next_attempt_at: when, assigned_user_id: by }).where('id', '=', task.id).execute()
      return
    }
    if (disposition === 'agent_missed') {
      await trx.updateTable('callback_task').set({ status: 'planned' }).where('id', '=', task.id).execute()
      return
    }
    // not reached: the next try, on this phone (busy) or the next one, unless the policy says enough
    const policy = await policyFor(trx, task.department_id)
    const skip = disposition === 'invalid_number' || disposition === 'wrong_person' ? [...task.skip_phones, attempt.phone_position] : task.skip_phones
    const phones = await phonesToTry(trx, { patient_id: task.patient_id, skip_phones: skip })
    if (attempts >= policy.max_attempts) return stop('unreachable', 'unreachable', `${attempts} 次未接通`)
    if (!phones.length) return stop('unreachable', 'unreachable', '没有其他可拨打的号码')
    const at_ = phones.findIndex((p) => p.position === attempt.phone_position)
    const next = disposition === 'busy' && at_ >= 0 ? phones[at_]! : phones[(at_ + 1) % phones.length]!
    const windows = task.windows as unknown as CallWindow[]
    const minutes = disposition === 'busy' ? policy.busy_minutes : disposition === 'no_answer' ? policy.no_answer_minutes : disposition === 'unreachable' ? policy.unreachable_minutes : 0
    const nextAt = disposition === 'unreachable' && minutes === 0 ? nextWindowStart(at, windows, config.callbacks.hours, tz) : new Date(at.getTime() + minutes * 60_000)
    await trx.updateTable('callback_task').set({ status: 'planned', phone_position: next.position, skip_phones: skip, next_attempt_at: nextAt }).where('id', '=', task.id).execute()
  }

  /** The PBX says how the call went: the attempt follows. Idempotent — a second instance's word changes nothing. */
  async function onOutbound(e: OutboundEvent) {
    const at = now()
    const attempt = await db.selectFrom('callback_attempt').select(['id', 'agent_user_id', 'task_id']).where('call_id', '=', e.callId).where('disposed_at', 'is', null).executeTakeFirst()
    if (!attempt) return
    if (e.kind === 'answered') {
      await db.updateTable('callback_attempt').set({ answered_at: at }).where('id', '=', attempt.id).where('answered_at', 'is', null).execute()
      await tell(attempt.agent_user_id)
      return
    }
    await conclude(attempt.id, at)
  }

  async function conclude(attemptId: number, at: Date) {
    const result = await db.transaction().execute(async (trx) => {
      const a = await trx.selectFrom('callback_attempt as a').innerJoin('call as c', 'c.id', 'a.call_id').innerJoin('callback_task as t', 't.id', 'a.task_id')
        .select(['a.id', 'a.agent_user_id', 'a.task_id', 'a.answered_at', 'c.outcome', 'c.duration_sec', 't.department_id'])
        .where('a.id', '=', attemptId).where('a.ended_at', 'is', null).forUpdate().skipLocked().executeTakeFirst()
      if (!a) return null
      const reached = a.outcome === 'answered' || a.answered_at !== null
      const policy = await policyFor(trx, a.department_id)
      await trx.updateTable('callback_attempt').set({
        ended_at: at, outcome: a.outcome ?? 'failed', talk_sec: reached ? a.duration_sec ?? Math.round((at.getTime() - (a.answered_at ?? at).getTime()) / 1000) : 0,
        wrap_up_until: reached ? new Date(at.getTime() + policy.wrap_up_seconds * 1000) : null,
      }).where('id', '=', a.id).execute()
      if (reached) return { ...a, disposition: null }
      // not reached: the outcome is the disposition; the agent's own phone not answering pauses them
      const disposition: Disposition2 = a.outcome === 'operator_no_answer' ? 'agent_missed'
        : a.outcome === 'busy' ? 'busy' : a.outcome === 'invalid_number' ? 'invalid_number' : a.outcome === 'no_answer' || a.outcome === 'cancelled' ? 'no_answer' : 'unreachable'
      await trx.updateTable('callback_attempt').set({ disposition, disposed_at: at, wrap_sec: 0 }).where('id', '=', a.id).execute()
      await settle(trx, a.id, disposition, at)
      if (disposition === 'agent_missed') {
        await trx.insertInto('callback_agent').values({ user_id: a.agent_user_id, state: 'paused', reason: 'phone', since: at })
          .onConflict((oc) => oc.column('user_id').doUpdateSet({ state: 'paused', reason: 'phone', since: at })).execute()
      }
      return { ...a, disposition }
    })
    if (!result) return
    const task = await db.selectFrom('callback_task').select('status').where('id', '=', result.task_id).executeTakeFirstOrThrow()
    taskChanged(result.task_id, task.status)
    await tell(result.agent_user_id)
    if (result.disposition) await next(result.agent_user_id)
  }

  /** Progressive mode: a ready agent with nothing open gets the next call at once. */
  async function next(userId: number) {
    const g = await db.selectFrom('callback_agent').select('state').where('user_id', '=', userId).executeTakeFirst()
    if (g?.state === 'ready') await dial(userId, null).catch(deps.log)
  }

  async function setState(userId: number, state: 'ready' | 'paused' | 'offline', reason: PauseReason | null): Promise<AgentView> {
    const at = now()
    const open = await db.selectFrom('callback_attempt').select(['id', 'ended_at']).where('agent_user_id', '=', userId).where('disposed_at', 'is', null).executeTakeFirst()
    if (open && state === 'ready') {
      throw open.ended_at ? refuse(409, 'disposition_required', '请先填写这通回访的结果', 'record the outcome of this call first')
        : refuse(409, 'on_call', '您正在通话中', 'you are on a call')
    }
    await db.insertInto('callback_agent').values({ user_id: userId, state, reason: state === 'paused' ? reason ?? 'other' : null, since: at })
      .onConflict((oc) => oc.column('user_id').doUpdateSet({ state, reason: state === 'paused' ? reason ?? 'other' : null, since: at })).execute()
    if (state === 'ready') await dial(userId, null).catch(deps.log)
    return tell(userId)
  }

  async function dispose(userId: number, attemptId: number, d: Disposal) {
    const at = now()
    const a = await db.selectFrom('callback_attempt as a').innerJoin('callback_task as t', 't.id', 'a.task_id').innerJoin('callback_template as tpl', 'tpl.id', 't.template_id')
      .select(['a.id', 'a.agent_user_id', 'a.ended_at', 'a.disposed_at', 'a.task_id', 'tpl.questions']).where('a.id', '=', attemptId).executeTakeFirst()
    if (!a) throw new HttpError(404, 'not_found', `没有这次拨打 ${attemptId}`, undefined, { messageEn: `no attempt ${attemptId}` })
    if (a.agent_user_id !== userId) throw refuse(403, 'not_yours', '这不是您的通话', 'this call is not yours')
    if (a.disposed_at) throw refuse(409, 'already_disposed', '这通回访的结果已经保存过了', 'the outcome of this call was already recorded')
    if (!a.ended_at) throw refuse(409, 'call_in_progress', '通话还没有结束：挂断后再保存结果', 'the call is still going on: record the outcome after hanging up')
    const answers = checkAnswers(a.questions as unknown as TemplateQuestion[], d.answers ?? {}, d.disposition === 'completed')
    if (d.disposition === 'call_back_later') {
      const when = d.callBackAt ? new Date(d.callBackAt) : null
      if (!when || Number.isNaN(when.getTime())) throw refuse(400, 'bad_request', '请填写约定的回电时间', 'callBackAt is required for call_back_later', 'callBackAt')
      if (when <= at) throw refuse(400, 'bad_request', '约定的回电时间已经过去', 'callBackAt is in the past', 'callBackAt')
      if (!withinCallingHours(when, config.callbacks.hours, tz)) throw refuse(400, 'bad_request', '约定的时间不在医院的回访时间内', 'callBackAt is outside the calling hours', 'callBackAt')
    }
    const done = await db.transaction().execute(async (trx) => {
      const updated = await trx.updateTable('callback_attempt').set({
        disposition: d.disposition, disposed_at: at, notes: d.notes ?? null, answers: JSON.stringify(answers),
        wrap_sec: Math.max(0, Math.round((at.getTime() - a.ended_at!.getTime()) / 1000)),
      }).where('id', '=', a.id).where('disposed_at', 'is', null).returning('id').executeTakeFirst()
      if (!updated) return false
      await settle(trx, a.id, d.disposition, at, { ...d, answers })
      return true
    })
    if (!done) throw refuse(409, 'already_disposed', '这通回访的结果已经保存过了', 'the outcome of this call was already recorded')
    const task = await db.selectFrom('callback_task').select(['id', 'status', 'next_attempt_at']).where('id', '=', a.task_id).executeTakeFirstOrThrow()
    taskChanged(task.id, task.status)
    await next(userId)
    return { task: { id: task.id, status: task.status, nextAttemptAt: task.next_attempt_at?.toISOString() ?? null }, me: await tell(userId) }
  }

  /** Tasks this many days past due are given up: unreachable, which the reports count. */
  async function giveUp(at: Date) {
    const today = localClock(at, tz).day
    const gone = await sql<{ id: number }>`
      UPDATE callback_task t SET status = 'unreachable', outcome = 'unreachable', cancel_reason = '超过期限仍未联系上', completed_at = ${at}, updated_at = ${at}
      WHERE t.status = 'planned' AND t.due_date < ${today}::date - (
        SELECT p.give_up_days FROM callback_policy p WHERE p.department_id = t.department_id OR p.department_id IS NULL ORDER BY p.department_id NULLS LAST LIMIT 1)
      RETURNING t.id`.execute(db)
    for (const r of gone.rows) taskChanged(r.id, 'unreachable')
  }

  /**
   * Calls whose end we did not hear (a restart mid-call: the call goes on in the PBX): ended calls
   * conclude their attempt; calls begun before this process are asked of the PBX until they end.
   */
  async function catchUp(at: Date) {
    const open = await db.selectFrom('callback_attempt as a').innerJoin('call as c', 'c.id', 'a.call_id')
      .select(['a.id', 'c.id as call_id', 'c.state', 'c.linkedid', 'a.started_at']).where('a.ended_at', 'is', null).execute()
    let live: Set<string> | null = null
    for (const a of open) {
      if (['ended', 'missed', 'failed'].includes(a.state)) { await conclude(a.id, at); continue }
      if (a.started_at >= startedAt || !telephony || telephony.status() !== 'up') continue
      live ??= new Set(await telephony.activeLinkedids())
      if (!a.linkedid || !live.has(a.linkedid)) {
        await db.updateTable('call').set({ state: 'ended', ended_at: at, hangup_cause_text: '应用重启期间结束 (ended while the app was restarting)' })
          .where('id', '=', a.call_id).where('state', 'not in', ['ended', 'missed', 'failed']).execute()
        await conclude(a.id, at)
      }
    }
  }

  async function tick() {
    if (ticking) return
    ticking = true
    try {
      const at = now()
      await giveUp(at)
      await catchUp(at)
      const ready = await db.selectFrom('callback_agent as g').innerJoin('app_user as u', 'u.id', 'g.user_id').select('g.user_id')
        .where('g.state', '=', 'ready').where('u.active', '=', true)
        .where(({ not, exists, selectFrom }) => not(exists(selectFrom('callback_attempt as a').select('a.id').whereRef('a.agent_user_id', '=', 'g.user_id').where('a.disposed_at', 'is', null))))
        .execute()
      for (const r of ready) await dial(r.user_id, null).catch(deps.log)
    } finally { ticking = false }
  }

  return {
    dial, dispose, setState, onOutbound, tick,
    view: (userId: number) => agentView(db, userId, now(), tz),
    now,
    start() { if (!timer) { timer = setInterval(() => { tick().catch(deps.log) }, config.callbacks.intervalMs); timer.unref() } },
    stop() { if (timer) clearInterval(timer); timer = null },
  }
}
export type Dialer = ReturnType<typeof startDialer>

/** Answers as the template asks them: a known question, a value that fits, every required one for a completed callback. */
export function checkAnswers(questions: TemplateQuestion[], answers: Record<string, string>, complete: boolean): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, raw] of Object.entries(answers)) {
    const q = questions.find((x) => x.key === key)
    if (!q) throw new HttpError(400, 'bad_request', `模板里没有问题 “${key}”`, `answers.${key}`, { messageEn: `the template has no question "${key}"` })
    const value = String(raw).trim()
    if (value === '') continue
    const fits = q.kind === 'scale' ? /^[1-5]$/.test(value) : q.kind === 'yes_no' ? value === '是' || value === '否'
      : q.kind === 'choice' ? (q.options ?? []).includes(value) : value.length <= 2000
    if (!fits) {
      const expected = q.kind === 'scale' ? '1–5' : q.kind === 'yes_no' ? '是 / 否' : q.kind === 'choice' ? (q.options ?? []).join(' / ') : '≤ 2000 字'
      throw new HttpError(400, 'bad_request', `“${q.text}” 的回答 “${value.slice(0, 20)}” 不符合（应为 ${expected}）`, `answers.${key}`, { messageEn: `the answer to "${key}" does not fit (expected ${expected})` })
    }
    out[key] = value
  }
  if (complete) {
    const missing = questions.find((q) => q.required && !(q.key in out))
    if (missing) throw new HttpError(400, 'bad_request', `还没有回答：“${missing.text}”`, `answers.${missing.key}`, { messageEn: `the required question "${missing.key}" has no answer` })
  }
  return out
}
