// What the callback workspace and the supervisor read: the agent's state (their choice, or what the
// open attempt says), today's counters, the queue, the patient card. Phones leave masked.
import { sql, type Kysely } from 'kysely'
import type { DB } from '../db/types.ts'
import type { CallWindow, TemplateQuestion } from '../db/types.callbacks.ts'
import { maskPhone } from '../accounts/privacy.ts'
import { localClock, instantOfDay, addDays } from '../clock/local-time.ts'
import { fillOpening } from './opening.ts'

export type AgentState = 'offline' | 'ready' | 'dialing' | 'on_call' | 'wrap_up' | 'paused'
export interface AgentView {
  state: AgentState
  reason: string | null
  since: string
  wrapUpUntil: string | null
  wrapUpSeconds: number
  current: { taskId: number; attemptId: number; callId: number | null; stage: 'agent_ringing' | 'patient_ringing' | 'talking' | 'ended'; outcome: string | null } | null
  counters: { due: number; done: number; left: number; retries: number }
}

const dayStart = (at: Date, tz: string) => instantOfDay(localClock(at, tz).day, '00:00', tz)

export async function counters(db: Kysely<DB>, userId: number, at: Date, tz: string) {
  const today = localClock(at, tz).day
  const from = dayStart(at, tz)
  const left = await db.selectFrom('callback_task').select([
    (eb) => eb.fn.countAll<number>().as('n'),
    sql<number>`count(*) FILTER (WHERE attempts > 0 AND next_attempt_at > ${at})`.as('retries'),
  ]).where('assigned_user_id', '=', userId).where('status', 'in', ['planned', 'in_progress']).where('due_date', '<=', sql<string>`${today}::date`).executeTakeFirstOrThrow()
  const done = await db.selectFrom('callback_task').select((eb) => eb.fn.countAll<number>().as('n'))
    .where('completed_by', '=', userId).where('completed_at', '>=', from).executeTakeFirstOrThrow()
  return { due: Number(left.n) + Number(done.n), done: Number(done.n), left: Number(left.n), retries: Number(left.retries) }
}

export async function agentView(db: Kysely<DB>, userId: number, at: Date, tz: string): Promise<AgentView> {
  const chosen = await db.selectFrom('callback_agent').selectAll().where('user_id', '=', userId).executeTakeFirst()
  const open = await db.selectFrom('callback_attempt as a').leftJoin('call as c', 'c.id', 'a.call_id').innerJoin('callback_task as t', 't.id', 'a.task_id')
    .select(['a.id', 'a.task_id', 'a.call_id', 'a.started_at', 'a.answered_at', 'a.ended_at', 'a.wrap_up_until', 'a.outcome', 'c.linkedid', 't.department_id'])
    .where('a.agent_user_id', '=', userId).where('a.disposed_at', 'is', null).executeTakeFirst()
  const policy = await db.selectFrom('callback_policy').select(['wrap_up_seconds', 'department_id'])
    .where((eb) => eb.or([eb('department_id', 'is', null), ...(open?.department_id ? [eb('department_id', '=', open.department_id)] : [])])).execute()
  const wrapUpSeconds = (policy.find((p) => p.department_id !== null) ?? policy[0])?.wrap_up_seconds ?? 30
  const state: AgentState = open ? (open.ended_at ? 'wrap_up' : open.answered_at ? 'on_call' : 'dialing') : chosen?.state ?? 'offline'
  const since = open ? open.ended_at ?? open.answered_at ?? open.started_at : chosen?.since ?? at
  return {
    state, reason: open ? null : chosen?.reason ?? null, since: since.toISOString(), wrapUpUntil: open?.wrap_up_until?.toISOString() ?? null, wrapUpSeconds,
    current: open ? {
      taskId: open.task_id, attemptId: open.id, callId: open.call_id, outcome: open.outcome,
      stage: open.ended_at ? 'ended' : open.answered_at ? 'talking' : open.linkedid ? 'patient_ringing' : 'agent_ringing',
    } : null,
    counters: await counters(db, userId, at, tz),
  }
}

const ageOf = (birth: string | null, today: string) => {
  if (!birth) return null
  const [by, bm, bd] = birth.split('-').map(Number) as [number, number, number]
  const [ty, tm, td] = today.split('-').map(Number) as [number, number, number]
  return ty - by - (tm < bm || (tm === bm && td < bd) ? 1 : 0)
}

/** The agent's list for today: due, not closed, mine (or the pool's); appointments and urgent first. */
export async function queue(db: Kysely<DB>, userId: number | null, at: Date, tz: string) {
  const c = localClock(at, tz)
  let q = db.selectFrom('callback_task as t').innerJoin('patient as p', 'p.id', 't.patient_id').innerJoin('stay as s', 's.id', 't.stay_id')
    .leftJoin('department as d', 'd.id', 't.department_id')
    .select(['t.id', 't.status', 't.priority', 't.due_at', 't.windows', 't.next_attempt_at', 't.attempts', 't.appointment_at', 't.phone', 't.assigned_user_id', 't.stay_id', 't.survey_expires_at',
      'p.name', 'p.sex', sql<string | null>`p.birth_date::text`.as('birth_date'), 'd.name as department', 'd.name_en as department_en'])
    .where('t.status', 'in', ['planned', 'in_progress']).where('t.due_date', '<=', sql<string>`${c.day}::date`)
  if (userId !== null) q = q.where((eb) => eb.or([eb('t.assigned_user_id', '=', userId), eb('t.assigned_user_id', 'is', null)]))
  const rows = await q.orderBy(sql`t.appointment_at IS NULL`).orderBy('t.priority').orderBy(sql`t.kind <> 'follow_up'`).orderBy('t.due_at').orderBy('t.id').limit(500).execute()
  const procedures = rows.length ? await db.selectFrom('stay_procedure').select(['stay_id', 'text', 'code']).where('stay_id', 'in', rows.map((r) => r.stay_id)).where('position', '=', 1).execute() : []
  return {
    today: c.day,
    items: rows.map((r) => {
      const windows = r.windows as unknown as CallWindow[]
      // a survey link out by SMS and still open: the patient answers it, nobody dials meanwhile
      const surveyUntil = r.survey_expires_at && r.survey_expires_at > at ? r.survey_expires_at.toISOString() : null
      const waiting = (r.next_attempt_at && r.next_attempt_at > at) || surveyUntil !== null
      const procedure = procedures.find((p) => p.stay_id === r.stay_id)
      return {
        id: r.id, status: r.status, priority: r.priority, dueAt: r.due_at.toISOString(), windows, attempts: r.attempts,
        inWindow: !waiting && (r.appointment_at !== null || windows.some((w) => w.from <= c.hhmm && c.hhmm < w.to)),
        nextAttemptAt: r.next_attempt_at?.toISOString() ?? null, appointmentAt: r.appointment_at?.toISOString() ?? null,
        pool: r.assigned_user_id === null,
        patient: { name: r.name, sex: r.sex, age: ageOf(r.birth_date, c.day) }, department: r.department, departmentEn: r.department_en,
        procedure: procedure?.text || procedure?.code || null, phone: maskPhone(r.phone), surveyUntil,
      }
    }),
  }
}

/** The patient card: who, what was done, what to ask, and what happened on earlier tries and stays. */
export async function card(db: Kysely<DB>, taskId: number, at: Date, tz: string) {
  const c = localClock(at, tz)
  const t = await db.selectFrom('callback_task as t').innerJoin('patient as p', 'p.id', 't.patient_id').innerJoin('stay as s', 's.id', 't.stay_id')
    .innerJoin('callback_template as tpl', 'tpl.id', 't.template_id').leftJoin('callback_rule as r', 'r.id', 't.rule_id').leftJoin('department as d', 'd.id', 't.department_id')
    .select(['t.id', 't.status', 't.outcome', 't.priority', sql<string>`t.due_date::text`.as('due_date'), 't.windows', 't.attempts', 't.next_attempt_at', 't.appointment_at', 't.assigned_user_id', 't.patient_id', 't.stay_id', 't.answers', 't.cancel_reason',
      't.survey_sent_at', 't.survey_expires_at', 't.survey_answered_at', 'p.prefers_sms',
      'p.name', 'p.sex', 'p.mrn', sql<string | null>`p.birth_date::text`.as('birth_date'), 'p.deceased',
      's.ward', 's.bed', 's.attending_doctor', 's.responsible_nurse', 's.discharged_at', 's.visit_number',
      'd.name as department', 'd.name_en as department_en', 'tpl.id as template_id', 'tpl.name as template_name', 'tpl.version as template_version', 'tpl.opening', 'tpl.questions', 'r.day_offset', 'r.scenario'])
    .where('t.id', '=', taskId).executeTakeFirst()
  if (!t) return null
  const procedure = await db.selectFrom('stay_procedure').select(['text', 'code']).where('stay_id', '=', t.stay_id).orderBy('position').executeTakeFirst()
  const diagnosis = await db.selectFrom('stay_diagnosis').select(['text', 'code']).where('stay_id', '=', t.stay_id).orderBy('position').executeTakeFirst()
  const phones = await db.selectFrom('patient_phone').select(['position', 'use', 'number', 'valid']).where('patient_id', '=', t.patient_id).orderBy('position').execute()
  const attempts = await db.selectFrom('callback_attempt as a').leftJoin('app_user as u', 'u.id', 'a.agent_user_id').leftJoin('call as c', 'c.id', 'a.call_id')
    .select(['a.id', 'a.started_at', 'a.outcome', 'a.disposition', 'a.notes', 'a.talk_sec', 'a.call_id', 'a.phone_use', 'u.display_name', 'c.recording_file', 'c.recording_deleted_at'])
    .where('a.task_id', '=', taskId).orderBy('a.id').execute()
  const earlier = await db.selectFrom('callback_task as t').innerJoin('stay as s', 's.id', 't.stay_id').leftJoin('department as d', 'd.id', 't.department_id')
    .select(['t.id', sql<string>`t.due_date::text`.as('due_date'), 't.status', 't.outcome', 't.answers', 'd.name as department', 's.discharged_at'])
    .where('t.patient_id', '=', t.patient_id).where('t.id', '<>', taskId).orderBy('t.due_date', 'desc').limit(10).execute()
  const discharged = t.discharged_at ? localClock(t.discharged_at, tz).day : null
  const daysSince = discharged ? Math.round((Date.parse(c.day) - Date.parse(discharged)) / 86_400_000) : null
  return {
    id: t.id, status: t.status, outcome: t.outcome, cancelReason: t.cancel_reason, priority: t.priority, dueDate: t.due_date, windows: t.windows as unknown as CallWindow[], attempts: t.attempts,
    nextAttemptAt: t.next_attempt_at?.toISOString() ?? null, appointmentAt: t.appointment_at?.toISOString() ?? null, assignedUserId: t.assigned_user_id,
    answers: (t.answers as unknown as Record<string, string> | null) ?? null,
    survey: t.survey_sent_at ? { sentAt: t.survey_sent_at.toISOString(), expiresAt: t.survey_expires_at?.toISOString() ?? null, answeredAt: t.survey_answered_at?.toISOString() ?? null } : null,
    patient: { name: t.name, sex: t.sex, age: ageOf(t.birth_date, c.day), mrn: t.mrn, deceased: t.deceased, prefersSms: t.prefers_sms },
    stay: {
      visitNumber: t.visit_number, department: t.department, departmentEn: t.department_en, ward: t.ward, bed: t.bed, doctor: t.attending_doctor, nurse: t.responsible_nurse,
      dischargedAt: t.discharged_at?.toISOString() ?? null, daysSince, procedure: procedure?.text || procedure?.code || null, diagnosis: diagnosis?.text || diagnosis?.code || null, scenario: t.scenario,
    },
    phones: phones.map((p) => ({ position: p.position, use: p.use, number: maskPhone(p.number), valid: p.valid })),
    opening: fillOpening(t.opening, { name: t.name, sex: t.sex, birthDate: t.birth_date, department: t.department, dayOffset: daysSince ?? t.day_offset ?? 0, doctor: t.attending_doctor, procedure: procedure?.text ?? null, diagnosis: diagnosis?.text ?? null }),
    template: { id: t.template_id, name: t.template_name, version: t.template_version, questions: t.questions as unknown as TemplateQuestion[] },
    history: attempts.map((a) => ({
      id: a.id, at: a.started_at.toISOString(), agent: a.display_name, phoneUse: a.phone_use, outcome: a.outcome, disposition: a.disposition, notes: a.notes, talkSec: a.talk_sec,
      callId: a.call_id, hasRecording: Boolean(a.recording_file && !a.recording_deleted_at),
    })),
    earlier: earlier.map((e) => ({ id: e.id, dueDate: e.due_date, status: e.status, outcome: e.outcome, department: e.department, answers: e.answers as unknown as Record<string, string> | null })),
  }
}

/** The supervisor's view: every callback agent's state and today's totals, and the queue by department. */
export async function supervisorView(db: Kysely<DB>, at: Date, tz: string) {
  const c = localClock(at, tz)
  const from = dayStart(at, tz)
  const agents = await db.selectFrom('app_user').select(['id', 'display_name']).where('role', '=', 'callback_agent').where('active', '=', true).orderBy('id').execute()
  const totals = await db.selectFrom('callback_attempt').select([
    'agent_user_id',
    sql<number>`count(*) FILTER (WHERE disposition IS DISTINCT FROM 'agent_missed')`.as('dialled'),
    sql<number>`count(*) FILTER (WHERE answered_at IS NOT NULL)`.as('reached'),
    sql<number>`count(*) FILTER (WHERE disposition = 'completed')`.as('completed'),
    sql<number | null>`round(avg(talk_sec) FILTER (WHERE answered_at IS NOT NULL))`.as('talk'),
    sql<number | null>`round(avg(wrap_sec) FILTER (WHERE answered_at IS NOT NULL AND disposed_at IS NOT NULL))`.as('wrap'),
  ]).where('started_at', '>=', from).where('started_at', '<', instantOfDay(addDays(c.day, 1), '00:00', tz)).groupBy('agent_user_id').execute()
  const departments = await db.selectFrom('callback_task as t').innerJoin('department as d', 'd.id', 't.department_id').select([
    'd.id', 'd.name', 'd.name_en',
    sql<number>`count(*) FILTER (WHERE t.status IN ('planned', 'in_progress') AND t.due_date <= ${c.day}::date)`.as('left'),
    sql<number>`count(*) FILTER (WHERE t.status = 'done' AND t.completed_at >= ${from})`.as('done'),
    sql<number>`count(*) FILTER (WHERE t.status = 'unreachable' AND t.completed_at >= ${from})`.as('unreachable'),
  ]).groupBy(['d.id', 'd.name', 'd.name_en']).orderBy('d.id').execute()
  const views = await Promise.all(agents.map((a) => agentView(db, a.id, at, tz)))
  return {
    agents: agents.map((a, i) => {
      const t = totals.find((x) => x.agent_user_id === a.id)
      const v = views[i]!
      return {
        id: a.id, name: a.display_name, state: v.state, reason: v.reason, since: v.since, taskId: v.current?.taskId ?? null, counters: v.counters,
        today: { dialled: Number(t?.dialled ?? 0), reached: Number(t?.reached ?? 0), completed: Number(t?.completed ?? 0), talkSec: t?.talk === null || t?.talk === undefined ? null : Number(t.talk), wrapSec: t?.wrap === null || t?.wrap === undefined ? null : Number(t.wrap) },
      }
    }),
    departments: departments.map((d) => ({ id: d.id, name: d.name, nameEn: d.name_en, left: Number(d.left), done: Number(d.done), unreachable: Number(d.unreachable), due: Number(d.left) + Number(d.done) })),
  }
}
