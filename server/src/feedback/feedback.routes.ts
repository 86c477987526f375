// Feedback over HTTP: the department handler's queue (their departments only), the case with its
// timeline and recording, resolve / transfer / cannot resolve (each with the version seen), a
// facility problem filed as a work order in one step, and the agent's own entry during a call.
import { Type } from 'typebox'
import { sql } from 'kysely'
import type { App } from '../http/types.ts'
import { StringEnum } from '../http/types.ts'
import { HttpError } from '../http/errors.ts'
import type { Services } from '../services.ts'
import { audit } from '../audit/audit.ts'
import { actorOf, createWorkOrder } from '../workorders/workorders.service.ts'
import { feedbackReport } from './feedback.report.ts'
import { sendRecording } from '../calls/calls.routes.ts'
import { withSms } from '../messaging/messaging.types.ts'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { CLASS_TEXT, cannotResolve, fileFeedback, mayHandle, resolve, transfer } from './feedback.service.ts'

const Id = Type.Integer({ minimum: 1, maximum: 2147483647 })
const Class = StringEnum(['service', 'medical', 'environment', 'process'] as const)
const STATUSES = ['open', 'resolved', 'closed', 'reopened', 'cannot_resolve'] as const
const EVERYTHING = new Set(['manager', 'admin'])

export async function feedbackRoutes(app: App, { db, config, now }: Services) {
  const list = () => db.selectFrom('feedback as f').innerJoin('department as r', 'r.id', 'f.responsible_department_id').leftJoin('department as s', 's.id', 'f.subject_department_id')
    .leftJoin('patient as p', 'p.id', 'f.patient_id').leftJoin('stay as st', 'st.id', 'f.stay_id').leftJoin('work_order as w', 'w.id', 'f.work_order_id')
    .leftJoin('work_order as hw', 'hw.id', 'f.hotline_order_id')
    .select(['f.kind', 'f.hotline_order_id', 'hw.number as hotline_number', 'f.id', 'f.source', 'f.class', 'f.text', 'f.urgent', 'f.status', 'f.deadline_at', 'f.escalation_level', 'f.created_at', 'f.resolved_at', 'f.resolved_in_time', 'f.resolution',
      'f.patient_satisfied', 'f.patient_words', 'f.version', 'f.call_id', 'f.work_order_id', 'f.follow_up_task_id', 'f.responsible_department_id', 'f.subject_department_id', 'f.patient_id',
      'r.name as responsible', 'r.name_en as responsible_en', 's.name as subject', 's.name_en as subject_en', 'p.name as patient', 'st.ward', 'st.bed', 'w.number as order_number', 'w.status as order_status'])
  type Row = Awaited<ReturnType<ReturnType<typeof list>['execute']>>[number]
  const toItem = (r: Row) => ({
    id: r.id, source: r.source, kind: r.kind, class: r.class, classText: CLASS_TEXT[r.class], text: r.text, urgent: r.urgent, status: r.status, deadlineAt: r.deadline_at.toISOString(),
    overdue: ['open', 'reopened'].includes(r.status) && r.deadline_at < now(), escalationLevel: r.escalation_level, createdAt: r.created_at.toISOString(),
    resolvedAt: r.resolved_at?.toISOString() ?? null, resolvedInTime: r.resolved_in_time, resolution: r.resolution, patientSatisfied: r.patient_satisfied, patientWords: r.patient_words,
    version: r.version, callId: r.call_id, workOrder: r.work_order_id ? { id: r.work_order_id, number: r.order_number, status: r.order_status } : null, followUpTaskId: r.follow_up_task_id,
    responsible: { id: r.responsible_department_id, name: r.responsible, nameEn: r.responsible_en }, subject: r.subject_department_id ? { id: r.subject_department_id, name: r.subject, nameEn: r.subject_en } : null,
    patient: r.patient ? { id: r.patient_id, name: r.patient, ward: r.ward, bed: r.bed } : null,
    hotlineOrder: r.hotline_order_id ? { id: r.hotline_order_id, number: r.hotline_number } : null,
  })

  app.get('/api/feedback', {
    schema: { querystring: Type.Object({ status: Type.Optional(StringEnum([...STATUSES, 'active'] as const)), patientId: Type.Optional(Id), departmentId: Type.Optional(Id) }, { additionalProperties: false }) },
  }, async (request) => {
    const user = request.user!
    const q = request.query
    let query = list()
    if (user.role === 'dept_handler') query = query.where('f.responsible_department_id', 'in', db.selectFrom('department_member').select('department_id').where('user_id', '=', user.id))
    else if (user.role === 'callback_agent') {
      // the agent follows the feedback of their own patients (to tell a caller it was dealt with)
      if (!q.patientId) throw new HttpError(400, 'bad_request', '请给出患者', 'patientId', { messageEn: 'patientId is required for a callback agent' })
    } else if (!EVERYTHING.has(user.role)) throw new HttpError(403, 'forbidden', '您的角色不能查看反馈', undefined, { messageEn: 'your role may not read feedback' })
    if (q.status === 'active') query = query.where('f.status', 'in', ['open', 'reopened', 'cannot_resolve'])
    else if (q.status) query = query.where('f.status', '=', q.status)
    if (q.patientId) query = query.where('f.patient_id', '=', q.patientId)
    if (q.departmentId) query = query.where('f.responsible_department_id', '=', q.departmentId)
    const rows = await query.orderBy(sql`f.status IN ('open', 'reopened') DESC`).orderBy('f.urgent', 'desc').orderBy('f.deadline_at').limit(500).execute()
    return { items: rows.map(toItem) }
  })

  // the quality office's figures for a period of local days (README "Callback and feedback reports")
  app.get('/api/feedback/report', {
    schema: { querystring: Type.Object({ from: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }), to: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }) }, { additionalProperties: false }) },
  }, async (request) => {
    const { from, to } = request.query
    if (Number.isNaN(Date.parse(from))) throw new HttpError(400, 'bad_request', `日期 ${from} 不存在`, 'from', { messageEn: `${from} is not a date` })
    if (Number.isNaN(Date.parse(to))) throw new HttpError(400, 'bad_request', `日期 ${to} 不存在`, 'to', { messageEn: `${to} is not a date` })
    if (from > to) throw new HttpError(400, 'bad_request', '开始日期晚于结束日期', 'from', { messageEn: 'from is after to' })
    return feedbackReport(db, from, to, config.timeZone)
  })

  app.get('/api/feedback/:id', { schema: { params: Type.Object({ id: Id }) } }, async (request) => {
    const row = await list().where('f.id', '=', request.params.id).executeTakeFirst()
    if (!row) throw new HttpError(404, 'not_found', `没有反馈 ${request.params.id}`, undefined, { messageEn: `no feedback ${request.params.id}` })
    if (request.user!.role === 'dept_handler') await mayHandle(db, request.user!, row.responsible_department_id)
    const events = await db.selectFrom('feedback_event as e').leftJoin('app_user as u', 'u.id', 'e.user_id').leftJoin('department as d', 'd.id', 'e.to_department_id')
      .select(['e.kind', 'e.at', 'e.note', 'u.display_name as by', 'd.name as to']).where('e.feedback_id', '=', row.id).orderBy('e.id').execute()
    const attachments = await db.selectFrom('feedback_attachment as a').leftJoin('app_user as u', 'u.id', 'a.uploaded_by')
      .select(['a.id', 'a.name', 'a.mime', 'a.size', 'a.at', 'u.display_name as by']).where('a.feedback_id', '=', row.id).orderBy('a.id').execute()
    await audit(db, request, 'view_feedback', `feedback:${row.id}`)
    return {
      ...toItem(row), events: events.map((e) => ({ kind: e.kind, at: e.at.toISOString(), note: e.note, by: e.by, to: e.to })),
      attachments: attachments.map((a) => ({ id: a.id, name: a.name, mime: a.mime, size: a.size, at: a.at.toISOString(), by: a.by })),
    }
  })

  // the case's call, for its handler: only the recording of a case of their own department (audited)
  app.get('/api/feedback/:id/recording', { schema: { params: Type.Object({ id: Id }) } }, async (request, reply) => {
    const f = await db.selectFrom('feedback').select(['id', 'call_id', 'responsible_department_id']).where('id', '=', request.params.id).executeTakeFirst()
    if (!f) throw new HttpError(404, 'not_found', `没有反馈 ${request.params.id}`, undefined, { messageEn: `no feedback ${request.params.id}` })
    await mayHandle(db, request.user!, f.responsible_department_id)
    if (!f.call_id) throw new HttpError(404, 'not_found', '这条反馈没有通话录音', undefined, { messageEn: 'this feedback has no call recording' })
    return sendRecording(db, config.recordingsDir, request, reply, f.call_id)
  })

  // the agent's own entry during a call, or the desk's from a complaint
  app.post('/api/feedback', {
    schema: {
      body: Type.Object({
        class: Class, text: Type.String({ minLength: 1, maxLength: 2000 }), urgent: Type.Optional(Type.Boolean()), subjectDepartmentId: Type.Optional(Id),
        callbackTaskId: Type.Optional(Id), callId: Type.Optional(Id),
        // an SMS a patient wrote (GET /api/sms/inbox), turned into feedback once
        smsInboundId: Type.Optional(Id),
      }, { additionalProperties: false }),
    },
  }, async (request, reply) => {
    const b = request.body
    const task = b.callbackTaskId ? await db.selectFrom('callback_task').select(['id', 'patient_id', 'stay_id', 'department_id']).where('id', '=', b.callbackTaskId).executeTakeFirst() : undefined
    if (b.callbackTaskId && !task) throw new HttpError(400, 'bad_request', `没有回访任务 ${b.callbackTaskId}`, 'callbackTaskId', { messageEn: `no callback task ${b.callbackTaskId}` })
    const sms = b.smsInboundId ? await smsSender(b.smsInboundId) : undefined
    const id = await db.transaction().execute((trx) => fileFeedback(trx, {
      source: sms ? 'sms' : request.user!.role === 'callback_agent' ? 'agent' : 'hotline', class: b.class, text: b.text.trim(), urgent: b.urgent ?? false,
      subjectDepartmentId: b.subjectDepartmentId ?? task?.department_id ?? sms?.department_id ?? null, patientId: task?.patient_id ?? sms?.patient_id, stayId: task?.stay_id ?? sms?.stay_id,
      callbackTaskId: task?.id, callId: b.callId, createdBy: request.user!.id, origin: sms ? `sms:${b.smsInboundId}` : undefined,
    }, now()))
    if (!id) throw new HttpError(409, 'already_filed', '这条短信已经转为反馈', 'smsInboundId', { messageEn: 'this SMS was already turned into feedback' })
    return reply.status(201).send(toItem((await list().where('f.id', '=', id).executeTakeFirstOrThrow())))
  })

  /** the SMS and the patient whose number sent it (their latest stay), if we know them */
  async function smsSender(inboundId: number) {
    const sms = await withSms(db).selectFrom('sms_inbound').select(['id', 'sender']).where('id', '=', inboundId).executeTakeFirst()
    if (!sms) throw new HttpError(400, 'bad_request', `没有短信 ${inboundId}`, 'smsInboundId', { messageEn: `no inbound SMS ${inboundId}` })
    const patient = await db.selectFrom('patient_phone as ph').innerJoin('stay as st', 'st.patient_id', 'ph.patient_id')
      .select(['ph.patient_id', 'st.id as stay_id', 'st.department_id']).where('ph.number', '=', sms.sender).orderBy('st.discharged_at', 'desc').executeTakeFirst()
    return { patient_id: patient?.patient_id ?? null, stay_id: patient?.stay_id ?? null, department_id: patient?.department_id ?? null }
  }

  // attachments on a case (a photo of the repair, a letter): the handler of its office, as the file's own type
  const ATTACHMENT_TYPES = ['image/jpeg', 'image/png', 'application/pdf'] as const
  const ATTACHMENT_LIMIT = 8 * 1024 * 1024
  await app.register(async (scope) => {
    for (const type of ATTACHMENT_TYPES) scope.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: ATTACHMENT_LIMIT }, (_req, body, done) => done(null, body))
    scope.withTypeProvider<TypeBoxTypeProvider>().post('/api/feedback/:id/attachments', {
      bodyLimit: ATTACHMENT_LIMIT,
      schema: { params: Type.Object({ id: Id }), querystring: Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }) },
    }, async (request, reply) => {
      const mime = (request.headers['content-type'] ?? '').split(';')[0]!.trim() as typeof ATTACHMENT_TYPES[number]
      if (!Buffer.isBuffer(request.body) || !ATTACHMENT_TYPES.includes(mime)) throw new HttpError(415, 'unsupported_media_type', '附件只能是 JPEG、PNG 图片或 PDF 文件', 'body', { messageEn: 'an attachment is a JPEG or PNG picture or a PDF, sent as its own type' })
      if (request.body.length === 0) throw new HttpError(400, 'bad_request', '附件是空文件', 'body', { messageEn: 'the attachment is empty' })
      const f = await db.selectFrom('feedback').select(['id', 'responsible_department_id']).where('id', '=', request.params.id).executeTakeFirst()
      if (!f) throw new HttpError(404, 'not_found', `没有反馈 ${request.params.id}`, undefined, { messageEn: `no feedback ${request.params.id}` })
      await mayHandle(db, request.user!, f.responsible_department_id)
      const row = await db.insertInto('feedback_attachment').values({ feedback_id: f.id, name: request.query.name.trim(), mime, size: request.body.length, data: request.body, uploaded_by: request.user!.id, at: now() })
        .returning(['id', 'name', 'mime', 'size', 'at']).executeTakeFirstOrThrow()
      return reply.status(201).send({ id: row.id, name: row.name, mime: row.mime, size: row.size, at: row.at.toISOString() })
    })
  })

  app.get('/api/feedback/:id/attachments/:attachmentId', { schema: { params: Type.Object({ id: Id, attachmentId: Id }) } }, async (request, reply) => {
    const a = await db.selectFrom('feedback_attachment as a').innerJoin('feedback as f', 'f.id', 'a.feedback_id').select(['a.name', 'a.mime', 'a.data', 'f.responsible_department_id'])
      .where('a.id', '=', request.params.attachmentId).where('a.feedback_id', '=', request.params.id).executeTakeFirst()
    if (!a) throw new HttpError(404, 'not_found', `没有附件 ${request.params.attachmentId}`, undefined, { messageEn: `no attachment ${request.params.attachmentId}` })
    await mayHandle(db, request.user!, a.responsible_department_id)
    return reply.header('content-type', a.mime).header('content-disposition', `inline; filename*=UTF-8''${encodeURIComponent(a.name)}`).header('cache-control', 'private, no-store').send(Buffer.from(a.data))
  })

  const Versioned = { version: Type.Integer({ minimum: 1 }) }
  app.post('/api/feedback/:id/resolve', {
    schema: { params: Type.Object({ id: Id }), body: Type.Object({ ...Versioned, resolution: Type.String({ maxLength: 2000 }), contactedBy: Type.Optional(Type.String({ maxLength: 100 })) }, { additionalProperties: false }) },
  }, async (request) => resolve(db, request.params.id, request.body, request.user!, now(), config.timeZone))

  app.post('/api/feedback/:id/transfer', {
    schema: { params: Type.Object({ id: Id }), body: Type.Object({ ...Versioned, departmentId: Id, reason: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false }) },
  }, async (request) => transfer(db, request.params.id, request.body, request.user!, now()))

  app.post('/api/feedback/:id/cannot-resolve', {
    schema: { params: Type.Object({ id: Id }), body: Type.Object({ ...Versioned, reason: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false }) },
  }, async (request) => cannotResolve(db, request.params.id, request.body, request.user!, now()))

  // 环境设施: a logistics work order in one step — the patient's ward the place, the feedback the description
  app.post('/api/feedback/:id/work-order', {
    schema: {
      params: Type.Object({ id: Id }),
      body: Type.Object({ itemId: Id, locationId: Type.Optional(Id), urgency: Type.Optional(StringEnum(['routine', 'urgent', 'critical'] as const)) }, { additionalProperties: false }),
    },
  }, async (request, reply) => {
    const f = await db.selectFrom('feedback as f').leftJoin('stay as s', 's.id', 'f.stay_id').leftJoin('patient as p', 'p.id', 'f.patient_id')
      .select(['f.id', 'f.class', 'f.text', 'f.status', 'f.work_order_id', 'f.urgent', 's.ward', 's.bed', 'p.name as patient']).where('f.id', '=', request.params.id).executeTakeFirst()
    if (!f) throw new HttpError(404, 'not_found', `没有反馈 ${request.params.id}`, undefined, { messageEn: `no feedback ${request.params.id}` })
    if (f.work_order_id) throw new HttpError(409, 'already_filed', '这条反馈已经派过工单', undefined, { messageEn: 'a work order was already filed for this feedback', workOrderId: f.work_order_id })
    if (!['open', 'reopened'].includes(f.status)) throw new HttpError(409, 'not_open', '这条反馈已经处理过了', undefined, { messageEn: 'this feedback is not open' })
    let locationId = request.body.locationId
    if (!locationId && f.ward) {
      // the ward as the HIS names it, matched to our places
      const place = await db.selectFrom('location').select('id').where('active', '=', true)
        .where((eb) => eb.or([eb('name', '=', f.ward!), eb('full_name', 'like', `%${f.ward!.replace(/[%_\\]/g, '')}%`)])).orderBy(sql`length(full_name)`).executeTakeFirst()
      locationId = place?.id
    }
    if (!locationId) throw new HttpError(400, 'bad_request', `找不到患者的病区“${f.ward ?? '—'}”对应的地点：请选择地点`, 'locationId', { messageEn: `no place matches the patient's ward "${f.ward ?? '—'}": choose one` })
    const { order } = await createWorkOrder(db, {
      itemId: request.body.itemId, locationId, urgency: request.body.urgency ?? (f.urgent ? 'urgent' : 'routine'), source: 'phone',
      description: `回访反馈 #${f.id}${f.bed ? `（${f.bed} 床）` : ''}：${f.text}`.slice(0, 2000), requester: { name: `回访：${f.patient ?? '患者'}` },
    }, actorOf(request.user!), { timeZone: config.timeZone })
    await db.transaction().execute(async (trx) => {
      await trx.updateTable('feedback').set((eb) => ({ work_order_id: order.id, updated_at: now(), version: eb('version', '+', 1) })).where('id', '=', f.id).execute()
      await trx.insertInto('feedback_event').values({ feedback_id: f.id, kind: 'work_order', user_id: request.user!.id, note: `工单 ${order.number}`, at: now() }).execute()
    })
    return reply.status(201).send({ feedbackId: f.id, workOrder: { id: order.id, number: order.number, status: order.status } })
  })
}
