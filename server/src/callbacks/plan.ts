// The callback plan (回访计划): which rule a discharged stay meets, when and in which window the call
// is due, who calls, and what a later message (A13 cancel, A08 new phone, a readmission, a death)
// does to calls not yet made. The first active rule of the department by position whose every
// condition matches wins; a department's default rule matches any stay.
import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from '../db/types.ts'
import type { CallWindow, Disposition } from '../db/types.callbacks.ts'
import type { Planning, PlanNote, StayChange, StayPlanner } from '../discharges/intake.ts'
import { localTime } from '../discharges/record.ts'

type Db = Kysely<DB> | Transaction<DB>
interface Rule {
  id: number; department_id: number; position: number; name: string; scenario: string; is_default: boolean
  match_codes: string[]; match_keywords: string[]; patient_class: string | null; age_min: number | null; age_max: number | null
  day_offset: number; windows: CallWindow[]; priority: number; template_id: number; exclude_dispositions: string[]
}
export interface StayFacts {
  departmentId: number | null; departmentCode: string; disposition: Disposition | null; patientClass: string | null
  dischargedAt: Date | null; birthDate: string | null; deceased: boolean; doNotCall: boolean
  codes: string[]; texts: string[]; phones: { number: string; valid: boolean; use: string }[]
}
export interface Desired { rule: Rule; dueDate: string; dueAt: Date; phone: string | null; reason: string }

const PHONE_ORDER = ['mobile', 'home', 'relative', 'work']
const dayFormats = new Map<string, Intl.DateTimeFormat>()
function localDay(at: Date, timeZone: string) {
  let f = dayFormats.get(timeZone)
  if (!f) dayFormats.set(timeZone, (f = new Intl.DateTimeFormat('en-CA', { timeZone })))
  return f.format(at)
}

function addDays(day: string, n: number) {
  const d = new Date(`${day}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() + n)
  return d.toISOString().slice(0, 10)
}

function ageAt(birthDate: string | null, at: Date): number | null {
  if (!birthDate) return null
  const b = new Date(`${birthDate}T00:00:00Z`)
  let age = at.getUTCFullYear() - b.getUTCFullYear()
  if (at.getUTCMonth() < b.getUTCMonth() || (at.getUTCMonth() === b.getUTCMonth() && at.getUTCDate() < b.getUTCDate())) age--
  return age
}

export function ruleMatches(rule: Rule, facts: StayFacts): boolean {
  if (rule.is_default) return true
  if (rule.match_codes.length && !facts.codes.some((c) => rule.match_codes.some((m) => c.toUpperCase().startsWith(m.toUpperCase())))) return false
  if (rule.match_keywords.length && !facts.texts.some((t) => rule.match_keywords.some((k) => t.includes(k)))) return false
  if (rule.patient_class && rule.patient_class !== facts.patientClass) return false
  const age = ageAt(facts.birthDate, facts.dischargedAt ?? new Date())
  if (rule.age_min !== null && (age === null || age < rule.age_min)) return false
  if (rule.age_max !== null && (age === null || age > rule.age_max)) return false
  return true
}

/** The plan a stay should have now, or why it has none. */
export function desiredPlan(rules: Rule[], facts: StayFacts, timeZone: string): Desired | { none: string; en: string } {
  if (facts.deceased) return { none: '患者已故，不回访', en: 'patient died: no callback' }
  if (facts.doNotCall) return { none: '患者拒绝回访（勿扰）', en: 'do not call: no callback' }
  if (!facts.dischargedAt) return { none: '尚未出院', en: 'not discharged: no callback' }
  if (facts.departmentId === null) return { none: `科室代码「${facts.departmentCode}」未映射，请管理员在 HIS 代码对照中设置`, en: 'department code not mapped: no callback' }
  const rule = rules.find((r) => r.department_id === facts.departmentId && ruleMatches(r, facts))
  if (!rule) return { none: '本科室没有适用的回访规则', en: 'no callback rule for the department' }
  if (facts.disposition && rule.exclude_dispositions.includes(facts.disposition)) {
    return { none: facts.disposition === 'died' ? '出院情况为死亡，不回访' : facts.disposition === 'transferred' ? '已转院，不回访' : `出院情况「${facts.disposition}」不回访`, en: `disposition ${facts.disposition}: no callback` }
  }
  const dueDate = addDays(localDay(facts.dischargedAt, timeZone), rule.day_offset)
  const [h, m] = (rule.windows[0]?.from ?? '09:00').split(':').map(Number)
  const [y, mo, d] = dueDate.split('-').map(Number)
  const phone = [...facts.phones].filter((p) => p.valid).sort((a, b) => PHONE_ORDER.indexOf(a.use) - PHONE_ORDER.indexOf(b.use))[0]?.number ?? null
  return { rule, dueDate, dueAt: localTime(y!, mo!, d!, h!, m!, 0, timeZone), phone, reason: `规则 #${rule.id}「${rule.name}」（${rule.scenario}）：出院后第 ${rule.day_offset} 天` }
}

export async function loadRules(db: Db): Promise<Rule[]> {
  const rows = await db.selectFrom('callback_rule').selectAll().where('active', '=', true).orderBy('department_id').orderBy('position').orderBy('id').execute()
  return rows.map((r) => ({ ...r, windows: r.windows as unknown as CallWindow[] }))
}

async function stayFacts(db: Db, stayId: number, departmentId: number | null, disposition: Disposition | null): Promise<StayFacts> {
  const s = await db.selectFrom('stay').innerJoin('patient', 'patient.id', 'stay.patient_id')
    .select(['stay.patient_id', 'stay.department_code', 'stay.patient_class', 'stay.discharged_at', 'patient.deceased', 'patient.do_not_call', sql<string | null>`patient.birth_date::text`.as('birth_date')])
    .where('stay.id', '=', stayId).executeTakeFirstOrThrow()
  const [diagnoses, procedures, phones] = await Promise.all([
    db.selectFrom('stay_diagnosis').select(['code', 'text']).where('stay_id', '=', stayId).execute(),
    db.selectFrom('stay_procedure').select(['code', 'text']).where('stay_id', '=', stayId).execute(),
    db.selectFrom('patient_phone').select(['number', 'valid', 'use']).where('patient_id', '=', s.patient_id).orderBy('position').execute(),
  ])
  const all = [...procedures, ...diagnoses]
  return {
    departmentId, departmentCode: s.department_code, disposition, patientClass: s.patient_class, dischargedAt: s.discharged_at,
    birthDate: s.birth_date, deceased: s.deceased, doNotCall: s.do_not_call, codes: all.map((x) => x.code), texts: all.map((x) => x.text), phones,
  }
}

/** Cancels calls not yet made; answers how many. */
async function cancelPlanned(trx: Db, where: { stayId?: number; patientId?: number; exceptStay?: number }, reason: string): Promise<number> {
  let q = trx.updateTable('callback_task').set({ status: 'cancelled', cancel_reason: reason, updated_at: new Date() }).where('status', '=', 'planned').where('kind', '=', 'plan')
  if (where.stayId !== undefined) q = q.where('stay_id', '=', where.stayId)
  if (where.patientId !== undefined) q = q.where('patient_id', '=', where.patientId)
  if (where.exceptStay !== undefined) q = q.where('stay_id', '<>', where.exceptStay)
  const res = await q.executeTakeFirst()
  return Number(res.numUpdatedRows)
}

/** Calls per agent and day, read once per batch and kept as the batch assigns. */
class AgentLoad {
  private days = new Map<string, Map<number, number>>()
  constructor(private readonly trx: Db) {}
  /** The department's agent with the fewest calls that day (round robin in effect); none: the pool. */
  async pick(agents: number[], dueDate: string): Promise<number | null> {
    if (agents.length === 0) return null
    let load = this.days.get(dueDate)
    if (!load) {
      const counts = await this.trx.selectFrom('callback_task').select(['assigned_user_id', (eb) => eb.fn.countAll<number>().as('n')])
        .where('due_date', '=', dueDate).where('status', '<>', 'cancelled').where('assigned_user_id', 'is not', null).groupBy('assigned_user_id').execute()
      load = new Map(counts.map((c) => [c.assigned_user_id!, Number(c.n)]))
      this.days.set(dueDate, load)
    }
    const chosen = [...agents].sort((a, b) => (load!.get(a) ?? 0) - (load!.get(b) ?? 0) || a - b)[0]!
    load.set(chosen, (load.get(chosen) ?? 0) + 1)
    return chosen
  }
  /** The same choice as `pick`, made by the statement that inserts the task, for a day not read yet
   * (one discharge: no round trip of its own). The day stays unread, so a later pick in this
   * transaction counts again and sees the task. */
  pickWhere(agents: number[], dueDate: string) {
    if (agents.length === 0 || this.days.has(dueDate)) return null
    return sql<number>`(SELECT a.id FROM unnest(${agents}::int[]) AS a(id)
      LEFT JOIN (SELECT assigned_user_id, count(*) AS n FROM callback_task WHERE due_date = ${dueDate} AND status <> 'cancelled' AND assigned_user_id IS NOT NULL GROUP BY assigned_user_id) c
        ON c.assigned_user_id = a.id
      ORDER BY coalesce(c.n, 0), a.id LIMIT 1)`
  }
}

/** Writes the desired plan for a stay: a new task, the planned one moved, or cancelled. A stay this
 * transaction created (`created`) has no task yet: nothing to look up. */
export async function writePlan(trx: Db, stayId: number, patientId: number, facts: StayFacts, desired: Desired | { none: string; en: string }, agents: Map<number, number[]>, load: AgentLoad, created = false): Promise<PlanNote> {
  const live = created ? undefined : await trx.selectFrom('callback_task').select(['id', 'status', 'rule_id', 'due_date', 'phone', 'assigned_user_id']).where('stay_id', '=', stayId).where('status', '<>', 'cancelled').where('kind', '=', 'plan').executeTakeFirst()
  if ('none' in desired) {
    if (live?.status === 'planned') await cancelPlanned(trx, { stayId }, desired.none)
    return { taskId: null, dueDate: null, note: desired.none, en: desired.en }
  }
  if (live && live.status !== 'planned') return { taskId: live.id, dueDate: null, note: '本次住院已有进行中或已完成的回访', en: 'callback already under way or done' }
  const values = {
    department_id: facts.departmentId, rule_id: desired.rule.id, template_id: desired.rule.template_id, due_date: desired.dueDate,
    due_at: desired.dueAt, windows: JSON.stringify(desired.rule.windows), priority: desired.rule.priority, phone: desired.phone,
    no_number: desired.phone === null, plan_reason: desired.reason, updated_at: new Date(),
  }
  if (live) {
    await trx.updateTable('callback_task').set(values).where('id', '=', live.id).execute()
    return { taskId: live.id, dueDate: desired.dueDate, note: desired.phone ? desired.reason : `${desired.reason}；无可拨打的号码` }
  }
  const agentIds = agents.get(facts.departmentId!) ?? []
  const assigned = load.pickWhere(agentIds, desired.dueDate) ?? await load.pick(agentIds, desired.dueDate)
  const task = await trx.insertInto('callback_task').values({ ...values, stay_id: stayId, patient_id: patientId, assigned_user_id: assigned }).returning('id').executeTakeFirstOrThrow()
  return { taskId: task.id, dueDate: desired.dueDate, note: desired.phone ? desired.reason : `${desired.reason}；无可拨打的号码` }
}

export interface PlanContext { rules: Rule[]; departmentOf: (code: string) => number | null; dispositionOf: (code: string | null) => Disposition | null; agents: Map<number, number[]> }

// What the plan reads (rules, departments, the code mapping, agents) changes rarely and is read for
// every HL7 message: kept while the token that every write to those tables renews (sql/0190, by
// trigger, in the writer's transaction) stays the same — one row read per batch, on any instance.
let cached: { token: string; ctx: PlanContext } | null = null

export async function currentPlanContext(db: Db): Promise<PlanContext> {
  const { rows } = await sql<{ token: string }>`SELECT token FROM plan_context_version`.execute(db)
  const token = rows[0]?.token
  if (token !== undefined && cached?.token === token) return cached.ctx
  const ctx = await planContext(db)
  if (token !== undefined) cached = { token, ctx }
  return ctx
}

export async function planContext(db: Db): Promise<PlanContext> {
  const [rules, departments, codes, agents] = await Promise.all([
    loadRules(db),
    db.selectFrom('department').select(['id', 'code']).where('active', '=', true).execute(),
    db.selectFrom('his_code_map').selectAll().execute(),
    db.selectFrom('department_agent').innerJoin('app_user', 'app_user.id', 'department_agent.user_id').select(['department_id', 'user_id']).where('app_user.active', '=', true).orderBy('user_id').execute(),
  ])
  const byCode = new Map(departments.map((d) => [d.code, d.id]))
  const mapped = new Map(codes.filter((c) => c.kind === 'department').map((c) => [c.code, c.department_id!]))
  const dispositions = new Map(codes.filter((c) => c.kind === 'disposition').map((c) => [c.code, c.disposition!]))
  const agentMap = new Map<number, number[]>()
  for (const a of agents) agentMap.set(a.department_id, [...(agentMap.get(a.department_id) ?? []), a.user_id])
  return {
    rules, agents: agentMap,
    departmentOf: (code) => mapped.get(code) ?? byCode.get(code) ?? null,
    dispositionOf: (code) => (code === null ? null : dispositions.get(code) ?? 'other'),
  }
}

/** What intake calls for every stay it changed. */
export function callbackPlanner(timeZone: string): StayPlanner {
  return {
    async begin(trx) {
      const ctx = await currentPlanContext(trx)
      const load = new AgentLoad(trx)
      const planning: Planning = {
        map: (r) => ({ departmentId: ctx.departmentOf(r.departmentCode), disposition: ctx.dispositionOf(r.dispositionCode) }),
        planMany: (changes) => planMany(trx, ctx, load, timeZone, changes, (c) => planning.plan(c)),
        async plan(change: StayChange): Promise<PlanNote> {
          const r = change.record
          // what the plan needs is in the message; only the phones may come from an earlier one
          const all = [...r.procedures, ...r.diagnoses]
          const facts: StayFacts = {
            departmentId: change.departmentId, departmentCode: r.departmentCode, disposition: change.disposition, patientClass: r.patientClass,
            dischargedAt: r.dischargedAt, birthDate: change.patient.birthDate, deceased: change.patient.deceased, doNotCall: change.patient.doNotCall,
            codes: all.map((x) => x.code), texts: all.map((x) => x.text),
            phones: r.patient.phones.length ? r.patient.phones : await trx.selectFrom('patient_phone').select(['number', 'valid', 'use']).where('patient_id', '=', change.patientId).orderBy('position').execute(),
          }
          if (facts.deceased || facts.doNotCall) {
            const n = await cancelPlanned(trx, { patientId: change.patientId }, facts.deceased ? '患者已故' : '患者拒绝回访（勿扰）')
            return { taskId: null, dueDate: null, note: `${facts.deceased ? '患者已故' : '患者拒绝回访（勿扰）'}，不回访${n ? `；已取消 ${n} 个待回访` : ''}`, en: `${facts.deceased ? 'patient died' : 'do not call'}: no callback; ${n} pending cancelled` }
          }
          if (change.event === 'A13') {
            const n = await cancelPlanned(trx, { stayId: change.stayId }, '出院已撤销（A13）')
            return { taskId: null, dueDate: null, note: `出院已撤销：取消 ${n} 个待回访`, en: `discharge cancelled; ${n} pending callback${n === 1 ? '' : 's'} cancelled` }
          }
          if (change.event === 'A01' || change.event === 'A04') {
            const n = await cancelPlanned(trx, { patientId: change.patientId, exceptStay: change.stayId }, '患者再次入院')
            return { taskId: null, dueDate: null, note: `入院登记，不生成回访${n ? `；再次入院，已取消 ${n} 个待回访` : ''}`, en: `admission stored${n ? `; readmission: ${n} pending cancelled` : ''}` }
          }
          if (change.event === 'A08') {
            if (!change.phonesChanged) return { taskId: null, dueDate: null, note: '患者信息已更新', en: 'patient updated' }
            const phone = facts.phones.filter((p) => p.valid).sort((a, b) => PHONE_ORDER.indexOf(a.use) - PHONE_ORDER.indexOf(b.use))[0]?.number ?? null
            const res = await trx.updateTable('callback_task').set({ phone, no_number: phone === null, updated_at: new Date() })
              .where('patient_id', '=', change.patientId).where('status', '=', 'planned').executeTakeFirst()
            return { taskId: null, dueDate: null, note: `患者信息已更新；${Number(res.numUpdatedRows)} 个待回访的号码已更新`, en: `patient updated; phone of ${Number(res.numUpdatedRows)} pending callback(s) changed` }
          }
          return writePlan(trx, change.stayId, change.patientId, facts, desiredPlan(ctx.rules, facts, timeZone), ctx.agents, load, change.created === true)
        },
      }
      return planning
    },
  }
}

/** Many discharges' plans with one statement per step: new tasks, planned ones moved, others cancelled. */
async function planMany(trx: Db, ctx: PlanContext, load: AgentLoad, timeZone: string, changes: StayChange[], one: (c: StayChange) => Promise<PlanNote>): Promise<PlanNote[]> {
  const notes: PlanNote[] = new Array(changes.length)
  // a stay this transaction created has no task yet
  const known = changes.filter((c) => !c.created)
  const live = known.length ? await trx.selectFrom('callback_task').select(['id', 'stay_id', 'status']).where('stay_id', 'in', known.map((c) => c.stayId)).where('status', '<>', 'cancelled').where('kind', '=', 'plan').execute() : []
  const liveOf = new Map(live.map((t) => [t.stay_id, t]))
  const inserts: { i: number; values: Record<string, unknown> }[] = []
  const updates: { id: number; values: Record<string, unknown> }[] = []
  const cancels: { id: number; reason: string }[] = []
  for (const [i, c] of changes.entries()) {
    // a death or a do-not-call reaches the patient's other stays: the careful way, one at a time
    if (c.patient.deceased || c.patient.doNotCall) { notes[i] = await one(c); continue }
    const r = c.record
    const all = [...r.procedures, ...r.diagnoses]
    const facts: StayFacts = {
      departmentId: c.departmentId, departmentCode: r.departmentCode, disposition: c.disposition, patientClass: r.patientClass, dischargedAt: r.dischargedAt,
      birthDate: c.patient.birthDate, deceased: false, doNotCall: false, codes: all.map((x) => x.code), texts: all.map((x) => x.text), phones: r.patient.phones,
    }
    if (!r.patient.phones.length) { notes[i] = await one(c); continue }
    const desired = desiredPlan(ctx.rules, facts, timeZone)
    const task = liveOf.get(c.stayId)
    if ('none' in desired) {
      if (task?.status === 'planned') cancels.push({ id: task.id, reason: desired.none })
      notes[i] = { taskId: null, dueDate: null, note: desired.none, en: desired.en }
      continue
    }
    if (task && task.status !== 'planned') { notes[i] = { taskId: task.id, dueDate: null, note: '本次住院已有进行中或已完成的回访', en: 'callback already under way or done' }; continue }
    const values = {
      department_id: facts.departmentId, rule_id: desired.rule.id, template_id: desired.rule.template_id, due_date: desired.dueDate, due_at: desired.dueAt,
      windows: JSON.stringify(desired.rule.windows), priority: desired.rule.priority, phone: desired.phone, no_number: desired.phone === null, plan_reason: desired.reason,
    }
    notes[i] = { taskId: task?.id ?? null, dueDate: desired.dueDate, note: desired.phone ? desired.reason : `${desired.reason}；无可拨打的号码` }
    if (task) updates.push({ id: task.id, values })
    else inserts.push({ i, values: { ...values, stay_id: c.stayId, patient_id: c.patientId, assigned_user_id: await load.pick(ctx.agents.get(facts.departmentId!) ?? [], desired.dueDate) } })
  }
  for (const x of cancels) await trx.updateTable('callback_task').set({ status: 'cancelled', cancel_reason: x.reason, updated_at: new Date() }).where('id', '=', x.id).execute()
  for (const u of updates) await trx.updateTable('callback_task').set({ ...u.values, updated_at: new Date() } as never).where('id', '=', u.id).execute()
  for (let k = 0; k < inserts.length; k += 2000) {
    const slice = inserts.slice(k, k + 2000)
    const ids = await trx.insertInto('callback_task').values(slice.map((x) => x.values) as never).returning('id').execute()
    slice.forEach((x, j) => { notes[x.i] = { ...notes[x.i]!, taskId: ids[j]!.id } })
  }
  return notes
}

/** After a rule changes: every call not yet due is planned again; answers how many moved or were cancelled. */
export async function replanPending(db: Kysely<DB>, timeZone: string): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const ctx = await planContext(trx)
    const tasks = await trx.selectFrom('callback_task').innerJoin('stay', 'stay.id', 'callback_task.stay_id')
      .select(['callback_task.id', 'callback_task.stay_id', 'callback_task.patient_id', 'callback_task.rule_id', sql<string>`callback_task.due_date::text`.as('due_date'), 'callback_task.priority', 'callback_task.template_id', 'callback_task.windows', 'stay.department_id', 'stay.disposition'])
      .where('callback_task.status', '=', 'planned').where('callback_task.kind', '=', 'plan').where('callback_task.due_at', '>', new Date()).forUpdate().execute()
    let changed = 0
    const load = new AgentLoad(trx)
    for (const t of tasks) {
      const facts = await stayFacts(trx, t.stay_id, t.department_id, t.disposition)
      const desired = desiredPlan(ctx.rules, facts, timeZone)
      const same = !('none' in desired) && desired.rule.id === t.rule_id && desired.dueDate === t.due_date && desired.rule.priority === t.priority
        && desired.rule.template_id === t.template_id && JSON.stringify(desired.rule.windows) === JSON.stringify(t.windows)
      if (same) continue
      await writePlan(trx, t.stay_id, t.patient_id, facts, desired, ctx.agents, load)
      changed++
    }
    return changed
  })
}
