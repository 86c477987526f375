// The feedback loop (回访 3/3): what a patient says becomes an item with a class, the department it
// is about and the office responsible, a deadline, escalation once per level, a resolution, and the
// patient asked again — satisfied closes it, not satisfied reopens it with their words. A facility
// problem becomes a logistics work order and resolves itself when the order is completed.
import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from '../db/types.ts'
import type { FeedbackClass, TemplateQuestion } from '../db/types.callbacks.ts'
import { refuse } from '../http/errors.ts'
import { publish } from '../live/events.ts'
import { localClock } from '../clock/local-time.ts'
import { addEvents } from '../workorders/workorders.queries.ts'

type Db = Kysely<DB> | Transaction<DB>

export const CLASS_TEXT: Record<FeedbackClass, { zh: string; en: string }> = {
  service: { zh: '服务态度', en: 'service attitude' },
  medical: { zh: '医疗质量', en: 'medical quality' },
  environment: { zh: '环境设施', en: 'environment and facilities' },
  process: { zh: '流程问题', en: 'process' },
}
/** the follow-up template's name (sql/0110 seeds it): the patient asked whether they are satisfied */
export const FOLLOW_UP_TEMPLATE = '反馈处理结果回访'
/** the office that takes what nobody else can resolve and the second escalation level */
export const QUALITY_OFFICE = 'ZKK'


export interface NewFeedback {
  source: 'callback' | 'agent' | 'hotline' | 'sms'
  class: FeedbackClass
  subjectDepartmentId: number | null
  text: string
  urgent: boolean
  patientId?: number | null
  stayId?: number | null
  callbackTaskId?: number | null
  attemptId?: number | null
  callId?: number | null
  createdBy?: number | null
  /** praise is passed on to the office and closed: nothing to resolve */
  kind?: 'complaint' | 'praise'
  /** where it came from, once (order:<id>, sms-score:<event id>, sms:<inbound id>): a second filing files nothing */
  origin?: string
  /** the hotline order it came from: the desk's complaint, the order an SMS score was about */
  hotlineOrderId?: number | null
}

/** class × the department it is about → the responsible office and its hours (first route by position) */
export async function routeOf(db: Db, cls: FeedbackClass, subjectDepartmentId: number | null) {
  const route = await db.selectFrom('feedback_route').selectAll().where('class', '=', cls)
    .where((eb) => eb.or([eb('subject_department_id', 'is', null), ...(subjectDepartmentId ? [eb('subject_department_id', '=', subjectDepartmentId)] : [])]))
    .orderBy(sql`subject_department_id IS NULL`).orderBy('position').executeTakeFirst()
  if (route) return { departmentId: route.responsible_department_id, hours: route.hours, urgentHours: route.urgent_hours }
  // no route for the class: the department it is about handles it itself
  return subjectDepartmentId ? { departmentId: subjectDepartmentId, hours: 24, urgentHours: 2 } : null
}

async function tellDepartment(trx: Db, departmentId: number, message: string, headsOnly = false) {
  let q = trx.selectFrom('department_member as m').innerJoin('app_user as u', 'u.id', 'm.user_id').select('u.id').where('m.department_id', '=', departmentId).where('u.active', '=', true)
  if (headsOnly) q = q.where('m.is_head', '=', true)
  const users = await q.execute()
  if (!users.length) return
  const rows = await trx.insertInto('notification').values(users.map((u) => ({ user_id: u.id, kind: 'feedback', message }))).returning(['id', 'user_id']).execute()
  for (const r of rows) await publish(trx, 'notification', { id: r.id, userId: r.user_id, kind: 'feedback', message, workOrderId: null })
}

const changed = (trx: Db, id: number, status: string, departmentId: number) => publish(trx, 'feedback.changed', { id, status, departmentId })

async function event(trx: Db, feedbackId: number, kind: string, e: { userId?: number | null; from?: number | null; to?: number | null; note?: string | null; at: Date }) {
  await trx.insertInto('feedback_event').values({ feedback_id: feedbackId, kind, user_id: e.userId ?? null, from_department_id: e.from ?? null, to_department_id: e.to ?? null, note: e.note ?? null, at: e.at }).execute()
}

export async function fileFeedback(trx: Db, f: NewFeedback, at: Date): Promise<number | null> {
  let route = await routeOf(trx, f.class, f.subjectDepartmentId)
  // what came by itself (the hotline, an SMS) and has no office goes to the quality office, not nowhere
  if (!route && f.origin) route = await trx.selectFrom('department').select('id').where('code', '=', QUALITY_OFFICE).executeTakeFirst().then((q) => q ? { departmentId: q.id, hours: 24, urgentHours: 2 } : null)
  if (!route) throw refuse(400, 'bad_request', '无法确定负责科室：请选择反馈涉及的科室', 'no responsible office: give the department the feedback is about', 'subjectDepartmentId')
  const praise = f.kind === 'praise'
  const deadline = praise ? at : new Date(at.getTime() + (f.urgent ? route.urgentHours : route.hours) * 3_600_000)
  const row = await trx.insertInto('feedback').values({
    source: f.source, class: f.class, subject_department_id: f.subjectDepartmentId, responsible_department_id: route.departmentId, text: f.text, urgent: f.urgent && !praise,
    patient_id: f.patientId ?? null, stay_id: f.stayId ?? null, callback_task_id: f.callbackTaskId ?? null, attempt_id: f.attemptId ?? null, call_id: f.callId ?? null,
    kind: f.kind ?? 'complaint', origin: f.origin ?? null, hotline_order_id: f.hotlineOrderId ?? null, status: praise ? 'closed' : 'open',
    deadline_at: deadline, created_by: f.createdBy ?? null, created_at: at, updated_at: at,
  }).onConflict((oc) => oc.doNothing()).returning('id').executeTakeFirst()
  if (!row) return null
  await event(trx, row.id, 'created', { userId: f.createdBy, to: route.departmentId, note: f.text, at })
  if (praise) await event(trx, row.id, 'praise', { note: '表扬已转达科室', at })
  await tellDepartment(trx, route.departmentId, praise ? `收到表扬：${f.text.slice(0, 40)}` : `${f.urgent ? '【紧急】' : ''}新的${CLASS_TEXT[f.class].zh}反馈：${f.text.slice(0, 40)}`)
  await changed(trx, row.id, praise ? 'closed' : 'open', route.departmentId)
  return row.id
}

/** the clinical department a hotline place belongs to, by its name in the place's (心内科病区 512室 → 心内科) */
async function departmentAt(db: Db, place: string) {
  const d = await db.selectFrom('department').select('id').where('kind', '=', 'clinical').where('active', '=', true)
    .where(sql<boolean>`strpos(${place}, name) > 0`).orderBy(sql`length(name)`, 'desc').executeTakeFirst()
  return d?.id ?? null
}

/** how far back the sweep looks for hotline orders and SMS scores that are not yet feedback */
const HOTLINE_LOOKBACK_MS = 7 * 24 * 3_600_000

/**
 * The hotline's own feedback, found by the sweep (rows, not events: nothing is lost while an instance
 * is down) and filed once across instances by its origin: an order of a 投诉与反馈 item (its class
 * from the catalogue; praise passed on and closed), and an order its requester rated 1–2 by SMS.
 */
export async function fromHotline(db: Kysely<DB>, at: Date): Promise<number[]> {
  const since = new Date(at.getTime() - HOTLINE_LOOKBACK_MS)
  // praise: an item of the 投诉与反馈 category that is not counted as a complaint (sql/0006)
  const base = db.selectFrom('work_order as w').innerJoin('item as i', 'i.id', 'w.item_id').innerJoin('category as c', 'c.id', 'i.category_id').innerJoin('location as l', 'l.id', 'w.location_id')
    .select(['w.id', 'w.number', 'w.description', 'w.urgency', 'w.call_id', 'w.created_by', 'i.feedback_class', 'i.name as item', 'l.full_name as place',
      sql<boolean>`c.code = 'complaint' AND NOT i.complaint`.as('praise')])
  const orders = await base.where('i.feedback_class', 'is not', null).where('w.created_at', '>=', since).where('w.status', '<>', 'cancelled')
    .where(sql<boolean>`NOT EXISTS (SELECT 1 FROM feedback f WHERE f.origin = 'order:' || w.id)`).orderBy('w.id').limit(100).execute()
  const scores = await base.innerJoin('work_order_event as e', 'e.work_order_id', 'w.id').select(['e.id as event_id', sql<string>`e.data->>'score'`.as('score')])
    .where('e.kind', '=', 'complaint').where(sql<boolean>`e.data->>'source' = 'sms'`).where('e.at', '>=', since)
    .where(sql<boolean>`NOT EXISTS (SELECT 1 FROM feedback f WHERE f.origin = 'sms-score:' || e.id)`).orderBy('e.id').limit(100).execute()
  const filed: number[] = []
  const file = async (f: NewFeedback) => { const id = await db.transaction().execute((trx) => fileFeedback(trx, f, at)); if (id) filed.push(id) }
  for (const o of orders) {
    const call = o.call_id && /^\d{1,18}$/.test(o.call_id) ? await db.selectFrom('call').select('id').where('id', '=', Number(o.call_id)).executeTakeFirst() : undefined
    await file({
      source: 'hotline', kind: o.praise ? 'praise' : 'complaint', class: o.feedback_class!, subjectDepartmentId: await departmentAt(db, o.place),
      text: `${o.item}：${o.description || '（未填写）'}（工单 ${o.number}，${o.place}）`.slice(0, 2000), urgent: o.urgency !== 'routine',
      callId: call?.id ?? null, createdBy: o.created_by, origin: `order:${o.id}`, hotlineOrderId: o.id,
    })
  }
  for (const o of scores) {
    await file({
      source: 'sms', class: o.feedback_class ?? 'environment', subjectDepartmentId: await departmentAt(db, o.place),
      text: `短信评分 ${o.score} 分：${o.item}（工单 ${o.number}，${o.place}）`, urgent: false, origin: `sms-score:${o.event_id}`, hotlineOrderId: o.id,
    })
  }
  return filed
}

/**
 * A completed callback's answers: every answer a question flags (its urgentWhen) in a question that
 * carries a class becomes an item, and so does each one the agent wrote down during the call.
 */
export async function fromCallback(trx: Db, c: {
  taskId: number; attemptId: number | null; callId: number | null; agentId: number | null; questions: TemplateQuestion[]; answers: Record<string, string>
  extra: { class: FeedbackClass; text: string; urgent?: boolean }[]; at: Date
}) {
  const task = await trx.selectFrom('callback_task').select(['patient_id', 'stay_id', 'department_id']).where('id', '=', c.taskId).executeTakeFirstOrThrow()
  const base = { patientId: task.patient_id, stayId: task.stay_id, callbackTaskId: c.taskId, attemptId: c.attemptId, callId: c.callId, createdBy: c.agentId, subjectDepartmentId: task.department_id }
  const ids: number[] = []
  for (const q of c.questions) {
    const answer = c.answers[q.key]
    if (!q.feedbackClass || answer === undefined || !(q.urgentWhen ?? []).includes(answer)) continue
    const id = await fileFeedback(trx, { ...base, source: 'callback', class: q.feedbackClass, text: `${q.text} ${answer}`, urgent: true }, c.at)
    if (id) ids.push(id)
  }
  for (const x of c.extra) {
    const id = await fileFeedback(trx, { ...base, source: 'agent', class: x.class, text: x.text, urgent: x.urgent ?? false }, c.at)
    if (id) ids.push(id)
  }
  return ids
}

async function lockItem(trx: Db, id: number, version: number | undefined) {
  const item = await trx.selectFrom('feedback').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
  if (!item) throw refuse(404, 'not_found', `没有反馈 ${id}`, `no feedback ${id}`)
  if (version !== undefined && item.version !== version) throw refuse(409, 'stale', `这条反馈刚被别人处理过（版本 ${item.version}）：请刷新`, `the feedback was changed meanwhile (version ${item.version})`, 'version', { version: item.version })
  return item
}

export interface Actor { id: number; role: string }

/** A handler acts for the departments they belong to; the manager and the administrator for any. */
export async function mayHandle(db: Db, actor: Actor, departmentId: number) {
  if (actor.role === 'manager' || actor.role === 'admin') return
  const member = await db.selectFrom('department_member').select('user_id').where('department_id', '=', departmentId).where('user_id', '=', actor.id).executeTakeFirst()
  if (!member) throw refuse(403, 'not_your_department', '这条反馈不归您的科室处理', 'this feedback belongs to another department')
}

/** states a case can be acted on in: 无法解决 sits with 质控科, who resolve it or send it on */
const OPEN = ['open', 'reopened', 'cannot_resolve'] as const

export async function resolve(db: Kysely<DB>, id: number, r: { version: number; resolution: string; contactedBy?: string | null }, actor: Actor, at: Date, tz: string) {
  if (!r.resolution.trim()) throw refuse(400, 'bad_request', '请写明处理结果', 'the resolution needs a text', 'resolution')
  return db.transaction().execute(async (trx) => {
    const item = await lockItem(trx, id, r.version)
    await mayHandle(trx, actor, item.responsible_department_id)
    if (!OPEN.includes(item.status as typeof OPEN[number])) throw refuse(409, 'not_open', '这条反馈已经处理过了', 'this feedback is not open', 'status', { status: item.status })
    return settleResolved(trx, item, r.resolution.trim(), r.contactedBy ?? null, actor.id, at, tz)
  })
}

async function settleResolved(trx: Db, item: { id: number; deadline_at: Date; patient_id: number | null; stay_id: number | null; callback_task_id: number | null; responsible_department_id: number; version: number; hotline_order_id: number | null }, resolution: string, contactedBy: string | null, by: number | null, at: Date, tz: string) {
  const followUp = item.patient_id && item.stay_id ? await askPatient(trx, item, at, tz) : null
  if (item.hotline_order_id) {
    // the desk sees on the complaint's own order what the office did
    const office = await trx.selectFrom('department').select('name').where('id', '=', item.responsible_department_id).executeTakeFirst()
    await addEvents(trx, [{ workOrderId: item.hotline_order_id, kind: 'feedback', actorUserId: by, actorName: office?.name ?? null, note: `反馈 #${item.id} 已处理：${resolution}`.slice(0, 2000), data: { feedbackId: item.id } }])
  }
  const updated = await trx.updateTable('feedback').set({
    status: 'resolved', resolution, contacted_by: contactedBy, resolved_by: by, resolved_at: at, resolved_in_time: at <= item.deadline_at,
    follow_up_task_id: followUp, updated_at: at, version: item.version + 1,
  }).where('id', '=', item.id).returning(['id', 'status', 'version', 'follow_up_task_id']).executeTakeFirstOrThrow()
  await event(trx, item.id, 'resolved', { userId: by, note: resolution, at })
  if (followUp) await event(trx, item.id, 'patient_asked', { note: `回访任务 ${followUp}`, at })
  await changed(trx, item.id, 'resolved', item.responsible_department_id)
  return { id: updated.id, status: updated.status, version: updated.version, followUpTaskId: updated.follow_up_task_id }
}

/** The short callback that asks the patient whether they are satisfied with how it was handled. */
async function askPatient(trx: Db, item: { id: number; patient_id: number | null; stay_id: number | null; callback_task_id: number | null }, at: Date, tz: string) {
  const template = await trx.selectFrom('callback_template').select('id').where('name', '=', FOLLOW_UP_TEMPLATE).orderBy('version', 'desc').executeTakeFirst()
  if (!template) return null
  const original = item.callback_task_id ? await trx.selectFrom('callback_task').select(['assigned_user_id', 'department_id', 'phone', 'windows']).where('id', '=', item.callback_task_id).executeTakeFirst() : undefined
  const stay = await trx.selectFrom('stay').select('department_id').where('id', '=', item.stay_id!).executeTakeFirstOrThrow()
  const phone = await trx.selectFrom('patient_phone').select('number').where('patient_id', '=', item.patient_id!).where('valid', '=', true).orderBy('position').executeTakeFirst()
  const day = localClock(at, tz).day
  // before the day's plans of the same priority (the dialer and the queue order follow-ups first): a short call, and the patient has been waiting
  const task = await trx.insertInto('callback_task').values({
    kind: 'follow_up', feedback_id: item.id, stay_id: item.stay_id!, patient_id: item.patient_id!, department_id: original?.department_id ?? stay.department_id, rule_id: null, template_id: template.id,
    due_date: day, due_at: at, windows: JSON.stringify(original?.windows ?? [{ from: '09:00', to: '20:00' }]), priority: 2, phone: phone?.number ?? null, no_number: !phone,
    assigned_user_id: original?.assigned_user_id ?? null, plan_reason: `反馈 ${item.id} 已处理：询问患者是否满意`, created_at: at, updated_at: at,
  }).returning('id').executeTakeFirstOrThrow()
  return task.id
}

/** The patient's answer on the follow-up: satisfied closes the loop, not satisfied reopens it with their words. */
export async function patientAnswered(trx: Db, feedbackId: number, satisfied: boolean, words: string | null, at: Date) {
  const item = await lockItem(trx, feedbackId, undefined)
  if (item.status !== 'resolved') return
  const route = await routeOf(trx, item.class, item.subject_department_id)
  const hours = item.urgent ? route?.urgentHours ?? 2 : route?.hours ?? 24
  await trx.updateTable('feedback').set({
    status: satisfied ? 'closed' : 'reopened', patient_satisfied: satisfied, patient_words: words, updated_at: at, version: item.version + 1,
    ...(satisfied ? {} : { deadline_at: new Date(at.getTime() + hours * 3_600_000), escalation_level: 0, resolved_at: null, resolved_in_time: null }),
  }).where('id', '=', item.id).execute()
  await event(trx, item.id, satisfied ? 'closed' : 'reopened', { note: words ?? (satisfied ? '患者满意' : '患者不满意'), at })
  if (!satisfied) await tellDepartment(trx, item.responsible_department_id, `反馈 ${item.id} 重新打开：患者不满意${words ? `（${words.slice(0, 40)}）` : ''}`)
  await changed(trx, item.id, satisfied ? 'closed' : 'reopened', item.responsible_department_id)
}

export async function transfer(db: Kysely<DB>, id: number, t: { version: number; departmentId: number; reason: string }, actor: Actor, at: Date) {
  return db.transaction().execute(async (trx) => {
    const item = await lockItem(trx, id, t.version)
    await mayHandle(trx, actor, item.responsible_department_id)
    if (!OPEN.includes(item.status as typeof OPEN[number])) throw refuse(409, 'not_open', '这条反馈已经处理过了', 'this feedback is not open', 'status')
    if (t.departmentId === item.responsible_department_id) throw refuse(400, 'bad_request', '不能转给本科室', 'the feedback is already with that department', 'departmentId')
    if (!(await trx.selectFrom('department').select('id').where('id', '=', t.departmentId).where('active', '=', true).executeTakeFirst())) throw refuse(400, 'bad_request', `没有科室 ${t.departmentId}`, `no department ${t.departmentId}`, 'departmentId')
    const row = await trx.updateTable('feedback').set({ responsible_department_id: t.departmentId, ...(item.status === 'cannot_resolve' ? { status: 'open' as const } : {}), updated_at: at, version: item.version + 1 })
      .where('id', '=', id).returning(['id', 'status', 'version']).executeTakeFirstOrThrow()
    await event(trx, id, 'transferred', { userId: actor.id, from: item.responsible_department_id, to: t.departmentId, note: t.reason, at })
    await tellDepartment(trx, t.departmentId, `转来的反馈 ${id}：${t.reason.slice(0, 40)}`)
    await changed(trx, id, row.status, t.departmentId)
    return row
  })
}

export async function cannotResolve(db: Kysely<DB>, id: number, c: { version: number; reason: string }, actor: Actor, at: Date) {
  return db.transaction().execute(async (trx) => {
    const item = await lockItem(trx, id, c.version)
    await mayHandle(trx, actor, item.responsible_department_id)
    if (item.status !== 'open' && item.status !== 'reopened') throw refuse(409, 'not_open', item.status === 'cannot_resolve' ? '这条反馈已经交给质控科' : '这条反馈已经处理过了', 'this feedback is not open', 'status')
    const quality = await trx.selectFrom('department').select('id').where('code', '=', QUALITY_OFFICE).executeTakeFirst()
    const row = await trx.updateTable('feedback').set({ status: 'cannot_resolve', responsible_department_id: quality?.id ?? item.responsible_department_id, updated_at: at, version: item.version + 1 })
      .where('id', '=', id).returning(['id', 'status', 'version']).executeTakeFirstOrThrow()
    await event(trx, id, 'cannot_resolve', { userId: actor.id, from: item.responsible_department_id, to: quality?.id ?? null, note: c.reason, at })
    if (quality) await tellDepartment(trx, quality.id, `反馈 ${id} 无法解决：${c.reason.slice(0, 40)}`)
    await changed(trx, id, row.status, quality?.id ?? item.responsible_department_id)
    return row
  })
}

/**
 * The sweep (each instance, claimed with SKIP LOCKED so a level fires once): a late item is told to
 * its department's head (level 1), then, as late again as its deadline allowed, to the quality office
 * (level 2); an item whose work order was completed resolves itself with the completion note. It
 * first files the hotline's own feedback (fromHotline).
 */
export async function sweep(db: Kysely<DB>, at: Date, tz: string) {
  await fromHotline(db, at)
  await db.transaction().execute(async (trx) => {
    const late = await trx.selectFrom('feedback').selectAll().where('status', 'in', ['open', 'reopened']).where('escalation_level', '<', 2)
      .where(sql<boolean>`deadline_at + (deadline_at - created_at) * escalation_level <= ${at}`).forUpdate().skipLocked().limit(200).execute()
    const quality = await trx.selectFrom('department').select('id').where('code', '=', QUALITY_OFFICE).executeTakeFirst()
    for (const f of late) {
      const level = f.escalation_level + 1
      await trx.updateTable('feedback').set({ escalation_level: level, updated_at: at }).where('id', '=', f.id).where('escalation_level', '=', f.escalation_level).execute()
      await event(trx, f.id, 'escalated', { note: level === 1 ? '超过处理期限：已通知科室负责人' : '仍未处理：已通知质控科', to: level === 1 ? f.responsible_department_id : quality?.id ?? null, at })
      if (level === 1) await tellDepartment(trx, f.responsible_department_id, `反馈 ${f.id} 已超过处理期限`, true)
      else if (quality) await tellDepartment(trx, quality.id, `反馈 ${f.id} 超期未处理（${CLASS_TEXT[f.class].zh}）`)
      await changed(trx, f.id, f.status, f.responsible_department_id)
    }
  })
  const done = await db.selectFrom('feedback as f').innerJoin('work_order as w', 'w.id', 'f.work_order_id').select(['f.id', 'w.completion_note', 'w.number', 'w.completed_at'])
    .where('f.status', 'in', ['open', 'reopened']).where('w.status', 'in', ['completed', 'closed']).limit(200).execute()
  for (const d of done) {
    await db.transaction().execute(async (trx) => {
      const item = await trx.selectFrom('feedback').selectAll().where('id', '=', d.id).where('status', 'in', ['open', 'reopened']).forUpdate().skipLocked().executeTakeFirst()
      if (!item) return
      await settleResolved(trx, item, `工单 ${d.number} 已完成：${d.completion_note ?? '已处理'}`, '后勤', null, d.completed_at ?? at, tz)
    })
  }
}
