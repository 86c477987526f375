// The callback plan over HTTP: the task list for the agents' screen, the rules (a new one or a change
// re-plans calls not yet due and says how many), the question templates and the HIS code mapping.
import { Type } from 'typebox'
import { sql } from 'kysely'
import type { App } from '../http/types.ts'
import { Nullable, StringEnum } from '../http/types.ts'
import { HttpError } from '../http/errors.ts'
import type { Services } from '../services.ts'
import { maskPhone } from '../accounts/privacy.ts'
import { audit } from '../audit/audit.ts'
import type { CallWindow, TemplateQuestion } from '../db/types.callbacks.ts'
import { replanPending } from './plan.ts'
import { fillOpening } from './opening.ts'
import { templateRoutes } from './templates.routes.ts'

const STATUSES = ['planned', 'due', 'in_progress', 'done', 'cancelled', 'unreachable'] as const
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })
const Id = Type.Integer({ minimum: 1, maximum: 2147483647 })
const Window = Type.Object({ from: Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$' }), to: Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$' }) }, { additionalProperties: false })

const Texts = Type.Array(Type.String({ minLength: 1, maxLength: 40 }), { maxItems: 50 })
// what a rule says, as the PUT changes it and the POST writes it (there with the required ones required)
const ruleFields = {
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })), scenario: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
  position: Type.Optional(Type.Integer({ minimum: 0, maximum: 100000 })), isDefault: Type.Optional(Type.Boolean()),
  dayOffset: Type.Optional(Type.Integer({ minimum: 0, maximum: 365 })), windows: Type.Optional(Type.Array(Window, { minItems: 1, maxItems: 4 })),
  priority: Type.Optional(Type.Integer({ minimum: 1, maximum: 5 })), templateId: Type.Optional(Id), active: Type.Optional(Type.Boolean()),
  matchCodes: Type.Optional(Texts), matchKeywords: Type.Optional(Texts),
  patientClass: Type.Optional(Nullable(Type.String({ maxLength: 3 }))), ageMin: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 150 }))), ageMax: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 150 }))),
  excludeDispositions: Type.Optional(Type.Array(StringEnum(['died', 'transferred', 'other', 'home'] as const), { maxItems: 4 })),
}
type RuleFields = { windows?: CallWindow[]; templateId?: number; ageMin?: number | null; ageMax?: number | null }

/** What the schema cannot say about a rule: windows in order, a template that exists, an age band the right way round. */
async function checkRule(db: Services['db'], b: RuleFields, current?: { age_min: number | null; age_max: number | null }) {
  if (b.windows?.some((w) => w.from >= w.to)) throw new HttpError(400, 'bad_request', '回访时段的结束时间要晚于开始时间', 'windows', { messageEn: 'a call window must end after it starts' })
  if (b.templateId && !(await db.selectFrom('callback_template').select('id').where('id', '=', b.templateId).executeTakeFirst())) throw new HttpError(400, 'bad_request', `没有编号为 ${b.templateId} 的问卷模板`, 'templateId', { messageEn: `no template ${b.templateId}` })
  const min = b.ageMin === undefined ? current?.age_min ?? null : b.ageMin
  const max = b.ageMax === undefined ? current?.age_max ?? null : b.ageMax
  if (min !== null && max !== null && min > max) throw new HttpError(400, 'bad_request', `年龄段 ${min}–${max} 的下限大于上限`, 'ageMin', { messageEn: 'the age band\'s lower bound is above its upper bound' })
}

const today = (timeZone: string) => new Intl.DateTimeFormat('en-CA', { timeZone }).format(new Date())

export async function callbackRoutes(app: App, services: Services) {
  const { db, config } = services
  // the question templates the rules point at (templates.routes.ts)
  await templateRoutes(app, services)
  app.get('/api/callback-tasks', {
    schema: {
      querystring: Type.Object({
        status: Type.Optional(StringEnum(STATUSES)), due: Type.Optional(Day), agentId: Type.Optional(Id), departmentId: Type.Optional(Id),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
      }, { additionalProperties: false }),
    },
  }, async (request) => {
    const q = request.query
    const now = today(config.timeZone)
    let query = db.selectFrom('callback_task as t')
      .innerJoin('stay as s', 's.id', 't.stay_id').innerJoin('patient as p', 'p.id', 't.patient_id')
      .innerJoin('callback_template as tpl', 'tpl.id', 't.template_id').leftJoin('callback_rule as r', 'r.id', 't.rule_id')
      .leftJoin('department as d', 'd.id', 't.department_id').leftJoin('app_user as u', 'u.id', 't.assigned_user_id')
      .select([
        't.id', 't.status', sql<string>`t.due_date::text`.as('due_date'), 't.due_at', 't.windows', 't.priority', 't.phone', 't.no_number', 't.cancel_reason', 't.plan_reason',
        't.assigned_user_id', 'u.display_name as agent_name', 't.department_id', 'd.name as department_name', 'd.name_en as department_name_en',
        'p.name as patient_name', 'p.sex', sql<string | null>`p.birth_date::text`.as('birth_date'), 'p.mrn', 's.visit_number', 's.ward', 's.bed', 's.attending_doctor', 's.responsible_nurse', 's.discharged_at',
        'tpl.id as template_id', 'tpl.name as template_name', 'tpl.version as template_version', 'tpl.opening', 'tpl.questions', 'r.name as rule_name', 'r.scenario', 'r.day_offset', 's.id as stay_id',
      ])
    if (q.status === 'due') query = query.where('t.status', '=', 'planned').where('t.due_date', '<=', sql<string>`${now}::date`)
    else if (q.status === 'planned') query = query.where('t.status', '=', 'planned').where('t.due_date', '>', sql<string>`${now}::date`)
    else if (q.status) query = query.where('t.status', '=', q.status)
    if (q.due) query = query.where('t.due_date', '=', sql<string>`${q.due}::date`)
    if (q.agentId) query = query.where('t.assigned_user_id', '=', q.agentId)
    if (q.departmentId) query = query.where('t.department_id', '=', q.departmentId)
    // an agent sees their own patients and the pool's, never a colleague's
    if (request.user?.role === 'callback_agent') { const me = request.user.id; query = query.where((eb) => eb.or([eb('t.assigned_user_id', '=', me), eb('t.assigned_user_id', 'is', null)])) }
    const rows = await query.orderBy('t.due_date').orderBy('t.priority').orderBy('t.id').limit(q.limit ?? 200).execute()
    const procedures = rows.length ? await db.selectFrom('stay_procedure').select(['stay_id', 'text', 'code']).where('stay_id', 'in', rows.map((r) => r.stay_id)).orderBy('position').execute() : []
    const diagnoses = rows.length ? await db.selectFrom('stay_diagnosis').select(['stay_id', 'text', 'code']).where('stay_id', 'in', rows.map((r) => r.stay_id)).orderBy('position').execute() : []
    // patients' numbers are whole for the administrator only, and every such look is audited
    const whole = request.user?.role === 'admin'
    const shownWhole = rows.filter((r) => r.phone)
    if (whole && shownWhole.length) await audit(db, request, 'view_patient_phones', `callback_tasks:${shownWhole.map((r) => r.id).join(',')}`.slice(0, 100), { tasks: shownWhole.map((r) => r.id) })
    return {
      today: now,
      items: rows.map((r) => {
        const procedure = procedures.find((p) => p.stay_id === r.stay_id)
        const diagnosis = diagnoses.find((p) => p.stay_id === r.stay_id)
        const status = r.status === 'planned' && r.due_date <= now ? 'due' : r.status
        return {
          id: r.id, status, dueDate: r.due_date, dueAt: r.due_at.toISOString(), windows: r.windows as unknown as CallWindow[], priority: r.priority,
          phone: whole ? r.phone : maskPhone(r.phone), noNumber: r.no_number, cancelReason: r.cancel_reason, planReason: r.plan_reason,
          agent: r.assigned_user_id ? { id: r.assigned_user_id, name: r.agent_name } : null,
          department: r.department_id ? { id: r.department_id, name: r.department_name, nameEn: r.department_name_en } : null,
          patient: { name: r.patient_name, sex: r.sex, mrn: r.mrn },
          stay: { visitNumber: r.visit_number, ward: r.ward, bed: r.bed, attendingDoctor: r.attending_doctor, responsibleNurse: r.responsible_nurse, dischargedAt: r.discharged_at?.toISOString() ?? null, procedure: procedure?.text || procedure?.code || null, diagnosis: diagnosis?.text || diagnosis?.code || null },
          rule: { name: r.rule_name, scenario: r.scenario, dayOffset: r.day_offset },
          template: { id: r.template_id, name: r.template_name, version: r.template_version, questions: r.questions as unknown as TemplateQuestion[] },
          opening: fillOpening(r.opening, { name: r.patient_name, sex: r.sex, birthDate: r.birth_date, department: r.department_name, dayOffset: r.day_offset ?? 0, doctor: r.attending_doctor, procedure: procedure?.text ?? null, diagnosis: diagnosis?.text ?? null }),
        }
      }),
    }
  })

  app.get('/api/callback-rules', {}, async () => {
    const rules = await db.selectFrom('callback_rule as r').innerJoin('department as d', 'd.id', 'r.department_id').innerJoin('callback_template as t', 't.id', 'r.template_id')
      .selectAll('r').select(['d.name as department_name', 't.name as template_name', 't.version as template_version']).orderBy('r.department_id').orderBy('r.position').execute()
    return { items: rules.map((r) => ({
      id: r.id, departmentId: r.department_id, department: r.department_name, position: r.position, name: r.name, scenario: r.scenario, isDefault: r.is_default,
      matchCodes: r.match_codes, matchKeywords: r.match_keywords, patientClass: r.patient_class, ageMin: r.age_min, ageMax: r.age_max, dayOffset: r.day_offset,
      windows: r.windows, priority: r.priority, templateId: r.template_id, template: `${r.template_name} v${r.template_version}`, excludeDispositions: r.exclude_dispositions, active: r.active, version: r.version,
    })) }
  })

  app.put('/api/callback-rules/:id', {
    schema: {
      params: Type.Object({ id: Id }),
      body: Type.Object({ version: Type.Integer({ minimum: 1 }), ...ruleFields }, { additionalProperties: false }),
    },
  }, async (request) => {
    const b = request.body
    const current = await db.selectFrom('callback_rule').select(['age_min', 'age_max']).where('id', '=', request.params.id).executeTakeFirst()
    await checkRule(db, b, current)
    const updated = await db.updateTable('callback_rule').set({
      ...(b.name !== undefined && { name: b.name }), ...(b.scenario !== undefined && { scenario: b.scenario }), ...(b.isDefault !== undefined && { is_default: b.isDefault }), ...(b.position !== undefined && { position: b.position }), ...(b.dayOffset !== undefined && { day_offset: b.dayOffset }),
      ...(b.windows !== undefined && { windows: JSON.stringify(b.windows) }), ...(b.priority !== undefined && { priority: b.priority }),
      ...(b.templateId !== undefined && { template_id: b.templateId }), ...(b.active !== undefined && { active: b.active }),
      ...(b.matchCodes !== undefined && { match_codes: b.matchCodes }), ...(b.matchKeywords !== undefined && { match_keywords: b.matchKeywords }),
      ...(b.patientClass !== undefined && { patient_class: b.patientClass }), ...(b.ageMin !== undefined && { age_min: b.ageMin }), ...(b.ageMax !== undefined && { age_max: b.ageMax }),
      ...(b.excludeDispositions !== undefined && { exclude_dispositions: b.excludeDispositions }),
      version: sql<number>`version + 1`,
    }).where('id', '=', request.params.id).where('version', '=', b.version).returning(['id', 'version']).executeTakeFirst()
    if (!updated) {
      const exists = await db.selectFrom('callback_rule').select('version').where('id', '=', request.params.id).executeTakeFirst()
      if (!exists) throw new HttpError(404, 'not_found', `no callback rule ${request.params.id}`)
      throw new HttpError(409, 'stale', `the rule was changed meanwhile (version ${exists.version})`, 'version', { version: exists.version })
    }
    const replanned = await replanPending(db, config.timeZone)
    await audit(db, request, 'change_callback_rule', `callback_rule:${updated.id}`, { ...b, replanned })
    return { id: updated.id, version: updated.version, replanned, message: `规则已保存；${replanned} 个尚未到期的回访已重新安排` }
  })

  app.post('/api/callback-rules', {
    schema: {
      body: Type.Object({
        ...ruleFields, departmentId: Id, name: Type.String({ minLength: 1, maxLength: 100 }), scenario: Type.String({ minLength: 1, maxLength: 40 }),
        dayOffset: Type.Integer({ minimum: 0, maximum: 365 }), windows: Type.Array(Window, { minItems: 1, maxItems: 4 }), templateId: Id,
      }, { additionalProperties: false }),
    },
  }, async (request, reply) => {
    const b = request.body
    if (!(await db.selectFrom('department').select('id').where('id', '=', b.departmentId).executeTakeFirst())) throw new HttpError(400, 'bad_request', `没有编号为 ${b.departmentId} 的科室`, 'departmentId', { messageEn: `no department ${b.departmentId}` })
    await checkRule(db, b)
    // a new rule goes after the department's others unless it says where
    const last = await db.selectFrom('callback_rule').select((eb) => eb.fn.max('position').as('p')).where('department_id', '=', b.departmentId).executeTakeFirst()
    const created = await db.insertInto('callback_rule').values({
      department_id: b.departmentId, position: b.position ?? Number(last?.p ?? 0) + 10, name: b.name, scenario: b.scenario, is_default: b.isDefault ?? false,
      match_codes: b.matchCodes ?? [], match_keywords: b.matchKeywords ?? [], patient_class: b.patientClass ?? null, age_min: b.ageMin ?? null, age_max: b.ageMax ?? null,
      day_offset: b.dayOffset, windows: JSON.stringify(b.windows), priority: b.priority ?? 3, template_id: b.templateId,
      exclude_dispositions: b.excludeDispositions ?? ['died', 'transferred'], active: b.active ?? true,
    }).returning(['id', 'version']).executeTakeFirstOrThrow()
    const replanned = await replanPending(db, config.timeZone)
    await audit(db, request, 'create_callback_rule', `callback_rule:${created.id}`, { ...b, replanned })
    reply.status(201)
    return { id: created.id, version: created.version, replanned, message: `规则已保存；${replanned} 个尚未到期的回访已重新安排` }
  })

  app.get('/api/his-codes', {}, async () => {
    const rows = await db.selectFrom('his_code_map').leftJoin('department as d', 'd.id', 'his_code_map.department_id').selectAll('his_code_map').select('d.name as department_name').orderBy('kind').orderBy('code').execute()
    return { items: rows.map((r) => ({ kind: r.kind, code: r.code, departmentId: r.department_id, department: r.department_name, disposition: r.disposition, note: r.note })) }
  })

  app.put('/api/his-codes', {
    schema: {
      body: Type.Object({
        kind: StringEnum(['department', 'disposition'] as const), code: Type.String({ minLength: 1, maxLength: 40 }),
        departmentId: Type.Optional(Id), disposition: Type.Optional(StringEnum(['home', 'died', 'transferred', 'other'] as const)), note: Type.Optional(Type.String({ maxLength: 200 })),
      }, { additionalProperties: false }),
    },
  }, async (request) => {
    const b = request.body
    if (b.kind === 'department' && !b.departmentId) throw new HttpError(400, 'bad_request', '科室代码要选择对应的科室', 'departmentId', { messageEn: 'a department code needs departmentId' })
    if (b.kind === 'disposition' && !b.disposition) throw new HttpError(400, 'bad_request', '出院情况代码要选择对应的出院情况', 'disposition', { messageEn: 'a disposition code needs disposition' })
    if (b.departmentId && !(await db.selectFrom('department').select('id').where('id', '=', b.departmentId).executeTakeFirst())) throw new HttpError(400, 'bad_request', `没有编号为 ${b.departmentId} 的科室`, 'departmentId', { messageEn: `no department ${b.departmentId}` })
    const row = { kind: b.kind, code: b.code, department_id: b.kind === 'department' ? b.departmentId! : null, disposition: b.kind === 'disposition' ? b.disposition! : null, note: b.note ?? null }
    await db.insertInto('his_code_map').values(row).onConflict((oc) => oc.columns(['kind', 'code']).doUpdateSet({ department_id: row.department_id, disposition: row.disposition, note: row.note })).execute()
    await audit(db, request, 'change_his_code', `his_code:${b.kind}:${b.code}`.slice(0, 100), b)
    return { kind: b.kind, code: b.code, departmentId: row.department_id, disposition: row.disposition }
  })

  app.get('/api/departments', {}, async () => ({
    // clinical departments (where patients stay) and the offices that handle feedback (护理部 …)
    items: await db.selectFrom('department').select(['id', 'code', 'name', 'name_en as nameEn', 'kind']).where('active', '=', true).orderBy('kind').orderBy('id').execute(),
  }))
}
