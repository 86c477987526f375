// The callback agent's workspace and the supervisor's view over HTTP (docs/CALLBACKS.md). Agents see
// their own tasks and the pool's; manager and admin see everything. Every patient card viewed is
// audited; phones are masked here for everyone: the agent dials through the system.
import { Type } from 'typebox'
import type { FastifyRequest } from 'fastify'
import type { App } from '../http/types.ts'
import { StringEnum } from '../http/types.ts'
import { HttpError, refuse } from '../http/errors.ts'
import type { Services } from '../services.ts'
import { audit } from '../audit/audit.ts'
import type { Dialer } from './dialer.ts'
import { dialableOrEmpty } from './dialer.ts'
import { card, counters, queue, supervisorView } from './dialer.queries.ts'
import { maskPhone } from '../accounts/privacy.ts'
import { withinCallingHours } from './hours.ts'
import { sendSurveyLink } from './survey-link.ts'
import { smsUseEnabled } from '../messaging/messaging.queries.ts'

const Id = Type.Integer({ minimum: 1, maximum: 2147483647 })
const DISPOSITIONS = ['completed', 'no_answer', 'busy', 'invalid_number', 'unreachable', 'refused', 'wrong_person', 'call_back_later', 'readmitted', 'deceased'] as const
const Reason = StringEnum(['break', 'training', 'meeting', 'other'] as const)
const SUPERVISOR = new Set(['manager', 'admin'])

export async function workspaceRoutes(app: App, { db, config, sms }: Services, dialer: Dialer) {
  const tz = config.timeZone
  const mayOpen = async (request: FastifyRequest, taskId: number) => {
    const task = await db.selectFrom('callback_task').select(['id', 'assigned_user_id', 'status']).where('id', '=', taskId).executeTakeFirst()
    if (!task) throw new HttpError(404, 'not_found', `没有回访任务 ${taskId}`, undefined, { messageEn: `no callback task ${taskId}` })
    const user = request.user!
    if (!SUPERVISOR.has(user.role) && task.assigned_user_id !== null && task.assigned_user_id !== user.id) {
      // a pool task another agent has just taken: say so, not "not yours"
      if (task.status === 'in_progress') throw new HttpError(409, 'being_dialled', '这位患者正在被拨打', undefined, { messageEn: 'someone is dialling this patient right now' })
      throw new HttpError(403, 'not_yours', '这不是您的回访任务', undefined, { messageEn: 'this callback is not yours' })
    }
    return task
  }

  // with the calling hours, so the screen can say why nothing dials at 21:00 or on a Sunday
  app.get('/api/callbacks/me', {}, async (request) => {
    const hours = config.callbacks.hours
    return { ...(await dialer.view(request.user!.id)), callingHours: { open: withinCallingHours(dialer.now(), hours, tz), windows: hours.windows, days: hours.days } }
  })

  app.post('/api/callbacks/me/state', {
    schema: { body: Type.Object({ state: StringEnum(['ready', 'paused', 'offline'] as const), reason: Type.Optional(Reason) }, { additionalProperties: false }) },
  }, async (request) => dialer.setState(request.user!.id, request.body.state, request.body.reason ?? null))

  app.get('/api/callbacks/queue', {}, async (request) => {
    const me = request.user!
    const list = await queue(db, SUPERVISOR.has(me.role) ? null : me.id, dialer.now(), tz)
    return { ...list, counters: await counters(db, me.id, dialer.now(), tz) }
  })

  app.get('/api/callbacks/tasks/:id', { schema: { params: Type.Object({ id: Id }) } }, async (request) => {
    await mayOpen(request, request.params.id)
    const view = await card(db, request.params.id, dialer.now(), tz)
    await audit(db, request, 'view_patient_card', `callback_task:${request.params.id}`)
    return view
  })

  app.post('/api/callbacks/tasks/:id/dial', { schema: { params: Type.Object({ id: Id }) } }, async (request, reply) => {
    await mayOpen(request, request.params.id)
    const placed = await dialer.dial(request.user!.id, request.params.id)
    return reply.status(202).send({ attemptId: placed!.attemptId, callId: placed!.callId })
  })

  app.post('/api/callbacks/attempts/:id/disposition', {
    schema: {
      params: Type.Object({ id: Id }),
      body: Type.Object({
        disposition: StringEnum(DISPOSITIONS),
        answers: Type.Optional(Type.Record(Type.String({ maxLength: 40 }), Type.String({ maxLength: 2000 }), { maxProperties: 20 })),
        notes: Type.Optional(Type.String({ maxLength: 2000 })),
        callBackAt: Type.Optional(Type.String({ maxLength: 40 })),
        doNotCall: Type.Optional(Type.Boolean()),
        feedback: Type.Optional(Type.Array(Type.Object({
          class: StringEnum(['service', 'medical', 'environment', 'process'] as const), text: Type.String({ minLength: 1, maxLength: 2000 }), urgent: Type.Optional(Type.Boolean()),
        }, { additionalProperties: false }), { maxItems: 10 })),
      }, { additionalProperties: false }),
    },
  }, async (request) => dialer.dispose(request.user!.id, request.params.id, request.body))

  // the patient would rather answer by text: the survey link by SMS now, and (remember) for their later callbacks too
  app.post('/api/callbacks/tasks/:id/survey-sms', {
    schema: { params: Type.Object({ id: Id }), body: Type.Optional(Type.Object({ remember: Type.Optional(Type.Boolean()) }, { additionalProperties: false })) },
  }, async (request) => {
    await mayOpen(request, request.params.id)
    if (!sms) throw refuse(503, 'sms_unavailable', '短信通道没有启用', 'the SMS channel is not running')
    if (!(await smsUseEnabled(db, 'callback.survey'))) throw refuse(409, 'sms_use_off', '回访问卷短信已被管理员关闭（短信 → 用途）', 'callback survey texts are switched off (SMS → uses)')
    const sent = await sendSurveyLink(db, request.params.id, {
      messaging: sms.messaging, publicUrl: config.publicUrl, hours: config.callbacks.surveyLinkHours, timeZone: tz, now: dialer.now(), by: request.user!.id, remember: request.body?.remember === true,
    })
    await audit(db, request, 'send_survey_link', `callback_task:${sent.taskId}`, { remember: request.body?.remember === true, messageId: sent.messageId })
    return sent
  })

  app.get('/api/callbacks/supervisor', {}, async () => supervisorView(db, dialer.now(), tz))

  app.post('/api/callbacks/tasks/:id/assign', {
    schema: { params: Type.Object({ id: Id }), body: Type.Object({ agentId: Id }, { additionalProperties: false }) },
  }, async (request) => {
    const agent = await db.selectFrom('app_user').select(['id', 'display_name']).where('id', '=', request.body.agentId).where('role', '=', 'callback_agent').where('active', '=', true).executeTakeFirst()
    if (!agent) throw new HttpError(400, 'bad_request', `用户 ${request.body.agentId} 不是在职的回访专员`, 'agentId', { messageEn: `user ${request.body.agentId} is not an active callback agent` })
    const moved = await db.updateTable('callback_task').set({ assigned_user_id: agent.id, updated_at: new Date() })
      .where('id', '=', request.params.id).where('status', '=', 'planned').returning('id').executeTakeFirst()
    if (!moved) {
      const t = await db.selectFrom('callback_task').select('status').where('id', '=', request.params.id).executeTakeFirst()
      if (!t) throw new HttpError(404, 'not_found', `没有回访任务 ${request.params.id}`, undefined, { messageEn: `no callback task ${request.params.id}` })
      throw new HttpError(409, 'not_planned', '这个回访正在拨打或已经结束，不能改派', undefined, { messageEn: 'this callback is being dialled or closed: it cannot be reassigned' })
    }
    await audit(db, request, 'assign_callback', `callback_task:${moved.id}`, { agentId: agent.id })
    return { id: moved.id, agent: { id: agent.id, name: agent.display_name } }
  })

  // do-not-call: anyone at the callback desk adds; only the administrator lifts, with a reason
  app.get('/api/do-not-call', {}, async () => {
    const rows = await db.selectFrom('do_not_call as n').leftJoin('patient as p', 'p.id', 'n.patient_id').leftJoin('app_user as u', 'u.id', 'n.added_by')
      .select(['n.id', 'n.number', 'n.reason', 'n.added_at', 'p.name as patient', 'p.mrn', 'u.display_name as added_by'])
      .where('n.lifted_at', 'is', null).orderBy('n.id', 'desc').limit(500).execute()
    return { items: rows.map((r) => ({ id: r.id, number: maskPhone(r.number), patient: r.patient, mrn: r.mrn, reason: r.reason, addedBy: r.added_by, addedAt: r.added_at.toISOString() })) }
  })

  app.post('/api/do-not-call', {
    schema: { body: Type.Object({ patientId: Type.Optional(Id), number: Type.Optional(Type.String({ minLength: 3, maxLength: 30 })), reason: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }) },
  }, async (request, reply) => {
    const b = request.body
    if (!b.patientId === !b.number) throw new HttpError(400, 'bad_request', '请给出患者或号码（二选一）', 'patientId', { messageEn: 'give patientId or number (one of them)' })
    const number = b.number ? dialableOrEmpty(b.number) : null
    if (b.number && !number) throw new HttpError(400, 'undialable_number', `号码 ${b.number} 不是电话号码`, 'number', { messageEn: `${b.number} is not a phone number` })
    if (b.patientId && !(await db.selectFrom('patient').select('id').where('id', '=', b.patientId).executeTakeFirst())) throw new HttpError(400, 'bad_request', `没有患者 ${b.patientId}`, 'patientId', { messageEn: `no patient ${b.patientId}` })
    const row = await db.insertInto('do_not_call').values({ patient_id: b.patientId ?? null, number, reason: b.reason, added_by: request.user!.id })
      .onConflict((oc) => (number ? oc.column('number').where('lifted_at', 'is', null).where('number', 'is not', null) : oc.column('patient_id').where('lifted_at', 'is', null).where('number', 'is', null)).doNothing())
      .returning('id').executeTakeFirst()
    await audit(db, request, 'add_do_not_call', `do_not_call:${row?.id ?? 'existing'}`, { patientId: b.patientId ?? null, reason: b.reason })
    return reply.status(row ? 201 : 200).send({ id: row?.id ?? null, already: !row })
  })

  app.post('/api/do-not-call/:id/lift', {
    schema: { params: Type.Object({ id: Id }), body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }) },
  }, async (request) => {
    const lifted = await db.updateTable('do_not_call').set({ lifted_at: new Date(), lifted_by: request.user!.id, lift_reason: request.body.reason })
      .where('id', '=', request.params.id).where('lifted_at', 'is', null).returning('id').executeTakeFirst()
    if (!lifted) throw new HttpError(404, 'not_found', `免打扰记录 ${request.params.id} 不存在或已解除`, undefined, { messageEn: `do-not-call entry ${request.params.id} does not exist or was lifted` })
    await audit(db, request, 'lift_do_not_call', `do_not_call:${lifted.id}`, { reason: request.body.reason })
    return { id: lifted.id, lifted: true }
  })

  const Policy = {
    maxAttempts: Type.Integer({ minimum: 1, maximum: 10 }), noAnswerMinutes: Type.Integer({ minimum: 1, maximum: 10080 }), busyMinutes: Type.Integer({ minimum: 1, maximum: 10080 }),
    unreachableMinutes: Type.Integer({ minimum: 0, maximum: 10080 }), giveUpDays: Type.Integer({ minimum: 0, maximum: 60 }), wrapUpSeconds: Type.Integer({ minimum: 0, maximum: 600 }),
  }
  app.get('/api/callback-policy', {}, async () => {
    const rows = await db.selectFrom('callback_policy as p').leftJoin('department as d', 'd.id', 'p.department_id').selectAll('p').select('d.name as department').orderBy('p.department_id', 'asc').execute()
    return {
      items: rows.map((r) => ({
        departmentId: r.department_id, department: r.department, maxAttempts: r.max_attempts, noAnswerMinutes: r.no_answer_minutes, busyMinutes: r.busy_minutes,
        unreachableMinutes: r.unreachable_minutes, giveUpDays: r.give_up_days, wrapUpSeconds: r.wrap_up_seconds, version: r.version,
      })),
      callingHours: config.callbacks.hours,
    }
  })

  app.put('/api/callback-policy', {
    schema: { body: Type.Object({ departmentId: Type.Union([Id, Type.Null()]), ...Policy }, { additionalProperties: false }) },
  }, async (request) => {
    const b = request.body
    if (b.departmentId && !(await db.selectFrom('department').select('id').where('id', '=', b.departmentId).executeTakeFirst())) throw new HttpError(400, 'bad_request', `没有科室 ${b.departmentId}`, 'departmentId', { messageEn: `no department ${b.departmentId}` })
    const values = { max_attempts: b.maxAttempts, no_answer_minutes: b.noAnswerMinutes, busy_minutes: b.busyMinutes, unreachable_minutes: b.unreachableMinutes, give_up_days: b.giveUpDays, wrap_up_seconds: b.wrapUpSeconds }
    const existing = await db.selectFrom('callback_policy').select('id').where((eb) => (b.departmentId ? eb('department_id', '=', b.departmentId) : eb('department_id', 'is', null))).executeTakeFirst()
    if (existing) await db.updateTable('callback_policy').set((eb) => ({ ...values, version: eb('version', '+', 1) })).where('id', '=', existing.id).execute()
    else await db.insertInto('callback_policy').values({ department_id: b.departmentId, ...values }).execute()
    await audit(db, request, 'change_callback_policy', `callback_policy:${b.departmentId ?? 'global'}`, b)
    return { ...b }
  })
}
