// Intake of discharge records: one behaviour for REST, CSV and HL7. Idempotent on (source, visit
// number, event): a record that says what the stay already says is "unchanged" and writes nothing.
// What a stay's change means for callbacks is the planner's business (callbacks/, wired in app.ts).
import { createHash } from 'node:crypto'
import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from '../db/types.ts'
import type { Disposition, StayStatus } from '../db/types.callbacks.ts'
import type { DischargeRecord } from './record.ts'
import { applyGroup } from './intake-bulk.ts'

const GROUP = 1000

export type Outcome = 'created' | 'updated' | 'unchanged' | 'rejected'
/** note: for people (Chinese); en: the same in a few ASCII words, for an HL7 ACK in any character set */
export interface PlanNote { taskId: number | null; dueDate: string | null; note: string; en?: string }
export interface RecordResult {
  index: number; visitNumber: string | null; event: string | null; outcome: Outcome
  /** reason: English (integration engines, the HL7 ACK); reasonZh: the same for the screens */
  stayId?: number; plan?: PlanNote; field?: string; reason?: string; reasonZh?: string
}

/** A stay as intake left it, handed to the planner inside the same transaction. */
export interface StayChange {
  stayId: number; patientId: number; event: DischargeRecord['event']; record: DischargeRecord; phonesChanged: boolean
  /** the stay was inserted by this transaction: it has no callback task yet */
  created?: boolean
  /** the patient as stored now (a death or a do-not-call from an earlier message holds) */
  patient: { deceased: boolean; doNotCall: boolean; birthDate: string | null }
  departmentId: number | null; disposition: Disposition | null
}
export interface Planning {
  /** the HIS's department and disposition codes in our terms (the admin's mapping table) */
  map(record: DischargeRecord): { departmentId: number | null; disposition: Disposition | null }
  plan(change: StayChange): Promise<PlanNote>
  /** the same for many discharges (A03) of distinct stays and patients, with one statement per step */
  planMany(changes: StayChange[]): Promise<PlanNote[]>
}
export interface StayPlanner {
  /** prepares what a batch needs once (rules, mapping, agents) */
  begin(trx: Transaction<DB>): Promise<Planning>
}

const STATUS_AFTER: Record<DischargeRecord['event'], StayStatus | null> = { A01: 'admitted', A04: 'admitted', A03: 'discharged', A13: 'admitted', A08: null }

export function contentHash(r: DischargeRecord, status: StayStatus): string {
  const { origin: _origin, ...what } = r
  return createHash('sha256').update(JSON.stringify([what, status])).digest('base64url')
}

export const phoneKey = (phones: { use: string; number: string }[]) => phones.map((p) => `${p.use}:${p.number}`).join('|')

/** Applies checked records in one transaction; each answers what it did. */
export async function applyRecords(db: Kysely<DB>, records: { index: number; record: DischargeRecord }[], planner: StayPlanner): Promise<RecordResult[]> {
  if (records.length === 0) return []
  return db.transaction().execute(async (trx) => {
    const planning = await planner.begin(trx)
    const results: RecordResult[] = []
    // runs of discharges of distinct visits and patients go in groups; anything else one by one, in order
    let group: { index: number; record: DischargeRecord }[] = []
    const keys = new Set<string>()
    const flush = async () => { if (group.length) results.push(...(group.length === 1 ? [await applyOne(trx, group[0]!.index, group[0]!.record, planning)] : await applyGroup(trx, group, planning))); group = []; keys.clear() }
    for (const item of records) {
      const r = item.record
      const visit = `v\u0000${r.source}\u0000${r.visitNumber}`, mrn = `p\u0000${r.patient.mrn}`
      if (r.event !== 'A03') { await flush(); results.push(await applyOne(trx, item.index, r, planning)); continue }
      if (keys.has(visit) || keys.has(mrn) || group.length >= GROUP) await flush()
      group.push(item); keys.add(visit); keys.add(mrn)
    }
    await flush()
    return results
  })
}

async function applyOne(trx: Transaction<DB>, index: number, r: DischargeRecord, planning: Planning): Promise<RecordResult> {
  const base = { index, visitNumber: r.visitNumber, event: r.event }
  const existing = await trx.selectFrom('stay').select(['id', 'patient_id', 'status', 'content_hash']).where('source', '=', r.source).where('visit_number', '=', r.visitNumber).forUpdate().executeTakeFirst()
  // an update of patient information keeps the stay where it is (admitted or discharged)
  const status: StayStatus = STATUS_AFTER[r.event] ?? existing?.status ?? 'admitted'
  const hash = contentHash(r, status)
  if (existing && existing.content_hash === hash) return { ...base, outcome: 'unchanged', stayId: existing.id }

  const p = r.patient
  const patient = await trx.insertInto('patient').values({
    mrn: p.mrn, name: p.name, sex: p.sex, birth_date: p.birthDate, deceased: p.deceased, do_not_call: p.doNotCall ?? false,
  }).onConflict((oc) => oc.column('mrn').doUpdateSet((eb) => ({
    name: eb.ref('excluded.name'), sex: eb.ref('excluded.sex'), birth_date: eb.ref('excluded.birth_date'),
    // a death is never undone by a later message that does not mention it
    deceased: p.deceased ? true : eb.ref('patient.deceased'),
    do_not_call: p.doNotCall === null ? eb.ref('patient.do_not_call') : p.doNotCall, updated_at: new Date(),
  }))).returning(['id', 'deceased', 'do_not_call', sql<string | null>`birth_date::text`.as('birth_date'),
    // the phones stored before this message, as phoneKey writes them (null: none), read by the same statement
    sql<string | null>`(SELECT string_agg(pp.use::text || ':' || pp.number, '|' ORDER BY pp.position) FROM patient_phone pp WHERE pp.patient_id = patient.id)`.as('phone_key'),
  ]).executeTakeFirstOrThrow()

  let phonesChanged = false
  if (p.phones.length > 0) {
    if ((patient.phone_key ?? '') !== phoneKey(p.phones)) {
      phonesChanged = true
      if (patient.phone_key !== null) await trx.deleteFrom('patient_phone').where('patient_id', '=', patient.id).execute()
      // a new stay's statement writes them (below)
      if (existing) await trx.insertInto('patient_phone').values(p.phones.map((ph, i) => ({ patient_id: patient.id, position: i + 1, use: ph.use, number: ph.number, valid: ph.valid }))).execute()
    }
  }

  const mapped = planning.map(r)
  const stay = {
    patient_id: patient.id, department_id: mapped.departmentId, disposition: mapped.disposition, department_code: r.departmentCode, ward: r.ward, bed: r.bed, attending_doctor: r.attendingDoctor,
    responsible_nurse: r.responsibleNurse, patient_class: r.patientClass, admitted_at: r.admittedAt, discharged_at: r.dischargedAt,
    disposition_code: r.dispositionCode, status, last_event: r.event, origin: r.origin, content_hash: hash,
  }
  let stayId: number
  if (existing) {
    await trx.updateTable('stay').set({ ...stay, updated_at: new Date() }).where('id', '=', existing.id).execute()
    stayId = existing.id
    await trx.deleteFrom('stay_diagnosis').where('stay_id', '=', stayId).execute()
    await trx.deleteFrom('stay_procedure').where('stay_id', '=', stayId).execute()
    if (r.diagnoses.length) await trx.insertInto('stay_diagnosis').values(r.diagnoses.map((d, i) => ({ stay_id: stayId, position: i + 1, code: d.code, text: d.text }))).execute()
    if (r.procedures.length) await trx.insertInto('stay_procedure').values(r.procedures.map((d, i) => ({ stay_id: stayId, position: i + 1, code: d.code, text: d.text, performed_at: d.performedAt }))).execute()
  } else {
    // a new stay, its diagnoses and procedures, and the patient's phones where they changed: one statement
    const phones = phonesChanged ? p.phones : []
    const at = (n: number) => Array.from({ length: n }, (_, i) => i + 1)
    stayId = (await trx
      .with('s', (db) => db.insertInto('stay').values({ ...stay, source: r.source, visit_number: r.visitNumber }).returning('id'))
      .with('ph', (db) => db.insertInto('patient_phone').columns(['patient_id', 'position', 'use', 'number', 'valid']).expression(sql`
        SELECT ${patient.id}::int, v.* FROM unnest(${at(phones.length)}::int[], ${phones.map((ph) => ph.use)}::text[], ${phones.map((ph) => ph.number)}::text[], ${phones.map((ph) => ph.valid)}::boolean[]) AS v(position, use_, number, valid)`).returning('id'))
      .with('dg', (db) => db.insertInto('stay_diagnosis').columns(['stay_id', 'position', 'code', 'text']).expression(sql`
        SELECT s.id, v.* FROM s, unnest(${at(r.diagnoses.length)}::int[], ${r.diagnoses.map((d) => d.code)}::text[], ${r.diagnoses.map((d) => d.text)}::text[]) AS v(position, code, text)`).returning('stay_id'))
      .with('pr', (db) => db.insertInto('stay_procedure').columns(['stay_id', 'position', 'code', 'text', 'performed_at']).expression(sql`
        SELECT s.id, v.* FROM s, unnest(${at(r.procedures.length)}::int[], ${r.procedures.map((d) => d.code)}::text[], ${r.procedures.map((d) => d.text)}::text[],
          ${r.procedures.map((d) => d.performedAt?.toISOString() ?? null)}::timestamptz[]) AS v(position, code, text, performed_at)`).returning('stay_id'))
      .selectFrom('s').select('id').executeTakeFirstOrThrow()).id
  }

  const plan = await planning.plan({
    stayId, patientId: patient.id, event: r.event, record: r, phonesChanged, created: !existing, ...mapped,
    patient: { deceased: patient.deceased, doNotCall: patient.do_not_call, birthDate: patient.birth_date },
  })
  return { ...base, outcome: existing ? 'updated' : 'created', stayId, plan }
}
