// Intake of many discharges at once (a CSV of 50,000 rows, a REST batch, an HIS replaying a backlog):
// the same rules as applyOne in intake.ts, with each step one statement for the whole group instead
// of one per record. A group holds discharges (A03) of distinct visits and distinct patients, so no
// statement touches a row twice; anything else goes through applyOne in its turn.
import { sql, type Transaction } from 'kysely'
import type { DB } from '../db/types.ts'
import type { DischargeRecord } from './record.ts'
import type { Planning, RecordResult, StayChange } from './intake.ts'
import { contentHash, phoneKey } from './intake.ts'

export async function applyGroup(trx: Transaction<DB>, group: { index: number; record: DischargeRecord }[], planning: Planning): Promise<RecordResult[]> {
  const results = new Map<number, RecordResult>()
  const existing = await sql<{ id: number; source: string; visit_number: string; content_hash: string }>`
    SELECT s.id, s.source, s.visit_number, s.content_hash FROM stay s
    JOIN unnest(${group.map((g) => g.record.source)}::text[], ${group.map((g) => g.record.visitNumber)}::text[]) AS k(source, visit_number)
      ON s.source = k.source AND s.visit_number = k.visit_number
    FOR UPDATE OF s`.execute(trx)
  const byKey = new Map(existing.rows.map((s) => [`${s.source}\u0000${s.visit_number}`, s]))
  const changed: { index: number; record: DischargeRecord; hash: string; existingId: number | null }[] = []
  for (const { index, record } of group) {
    const hash = contentHash(record, 'discharged')
    const stay = byKey.get(`${record.source}\u0000${record.visitNumber}`)
    if (stay && stay.content_hash === hash) results.set(index, { index, visitNumber: record.visitNumber, event: record.event, outcome: 'unchanged', stayId: stay.id })
    else changed.push({ index, record, hash, existingId: stay?.id ?? null })
  }
  if (changed.length) {
    const ps = changed.map((c) => c.record.patient)
    const patients = await sql<{ id: number; mrn: string; deceased: boolean; do_not_call: boolean; birth_date: string | null; phone_key: string | null }>`
      WITH v AS (SELECT * FROM unnest(${ps.map((p) => p.mrn)}::text[], ${ps.map((p) => p.name)}::text[], ${ps.map((p) => p.sex)}::text[],
        ${ps.map((p) => p.birthDate)}::date[], ${ps.map((p) => p.deceased)}::boolean[], ${ps.map((p) => p.doNotCall)}::boolean[]) AS v(mrn, name, sex, birth_date, deceased, dnc))
      INSERT INTO patient (mrn, name, sex, birth_date, deceased, do_not_call)
      SELECT mrn, name, sex, birth_date, deceased, coalesce(dnc, false) FROM v
      ON CONFLICT (mrn) DO UPDATE SET name = excluded.name, sex = excluded.sex, birth_date = excluded.birth_date,
        deceased = patient.deceased OR excluded.deceased,
        do_not_call = coalesce((SELECT v.dnc FROM v WHERE v.mrn = excluded.mrn), patient.do_not_call), updated_at = now()
      RETURNING id, mrn, deceased, do_not_call, birth_date::text,
        -- the phones stored before this statement, as phoneKey writes them (null: none)
        (SELECT string_agg(pp.use || ':' || pp.number, '|' ORDER BY pp.position) FROM patient_phone pp WHERE pp.patient_id = patient.id) AS phone_key`.execute(trx)
    const patientOf = new Map(patients.rows.map((p) => [p.mrn, p]))

    // phones: replaced only where they differ from what is stored
    const withPhones = changed.filter((c) => c.record.patient.phones.length > 0)
    const phonesChanged = new Set(withPhones.map((c) => patientOf.get(c.record.patient.mrn)!).filter((p, i) => (p.phone_key ?? '') !== phoneKey(withPhones[i]!.record.patient.phones)).map((p) => p.id))
    if (phonesChanged.size) {
      const hadPhones = patients.rows.filter((p) => phonesChanged.has(p.id) && p.phone_key !== null).map((p) => p.id)
      if (hadPhones.length) await trx.deleteFrom('patient_phone').where('patient_id', 'in', hadPhones).execute()
      const rows = withPhones.filter((c) => phonesChanged.has(patientOf.get(c.record.patient.mrn)!.id))
        .flatMap((c) => c.record.patient.phones.map((ph, i) => ({ patient_id: patientOf.get(c.record.patient.mrn)!.id, position: i + 1, use: ph.use, number: ph.number, valid: ph.valid })))
      for (let i = 0; i < rows.length; i += 5000) await trx.insertInto('patient_phone').values(rows.slice(i, i + 5000)).execute()
    }

    const mapped = changed.map((c) => planning.map(c.record))
    const col = <T>(f: (r: DischargeRecord, i: number) => T) => changed.map((c, i) => f(c.record, i))
    const stays = await sql<{ id: number; source: string; visit_number: string; inserted: boolean }>`
      INSERT INTO stay (patient_id, source, visit_number, department_id, department_code, ward, bed, attending_doctor, responsible_nurse, patient_class,
        admitted_at, discharged_at, disposition_code, disposition, status, last_event, origin, content_hash)
      SELECT v.patient_id, v.source, v.visit_number, v.department_id, v.department_code, v.ward, v.bed, v.attending_doctor, v.responsible_nurse, v.patient_class,
        v.admitted_at, v.discharged_at, v.disposition_code, v.disposition, 'discharged', 'A03', v.origin_, v.hash_ FROM unnest(
        ${col((r) => patientOf.get(r.patient.mrn)!.id)}::int[], ${col((r) => r.source)}::text[], ${col((r) => r.visitNumber)}::text[],
        ${mapped.map((m) => m.departmentId)}::int[], ${col((r) => r.departmentCode)}::text[], ${col((r) => r.ward)}::text[], ${col((r) => r.bed)}::text[],
        ${col((r) => r.attendingDoctor)}::text[], ${col((r) => r.responsibleNurse)}::text[], ${col((r) => r.patientClass)}::text[],
        ${col((r) => r.admittedAt?.toISOString() ?? null)}::timestamptz[], ${col((r) => r.dischargedAt?.toISOString() ?? null)}::timestamptz[],
        ${col((r) => r.dispositionCode)}::text[], ${mapped.map((m) => m.disposition)}::text[], ${col((r) => r.origin)}::text[], ${changed.map((c) => c.hash)}::text[]
      ) AS v(patient_id, source, visit_number, department_id, department_code, ward, bed, attending_doctor, responsible_nurse, patient_class,
        admitted_at, discharged_at, disposition_code, disposition, origin_, hash_)
      ON CONFLICT (source, visit_number) DO UPDATE SET patient_id = excluded.patient_id, department_id = excluded.department_id,
        department_code = excluded.department_code, ward = excluded.ward, bed = excluded.bed, attending_doctor = excluded.attending_doctor,
        responsible_nurse = excluded.responsible_nurse, patient_class = excluded.patient_class, admitted_at = excluded.admitted_at,
        discharged_at = excluded.discharged_at, disposition_code = excluded.disposition_code, disposition = excluded.disposition,
        status = excluded.status, last_event = excluded.last_event, origin = excluded.origin, content_hash = excluded.content_hash, updated_at = now()
      RETURNING id, source, visit_number, (xmax = 0) AS inserted`.execute(trx)
    const stayOf = new Map(stays.rows.map((s) => [`${s.source}\u0000${s.visit_number}`, s.id]))
    // inserted by this statement, not updated (a stay another transaction made meanwhile is updated): no task yet
    const created = new Set(stays.rows.filter((s) => s.inserted).map((s) => s.id))
    const stayIds = changed.map((c) => stayOf.get(`${c.record.source}\u0000${c.record.visitNumber}`)!)
    const had = stayIds.filter((_, i) => changed[i]!.existingId !== null)
    if (had.length) {
      await trx.deleteFrom('stay_diagnosis').where('stay_id', 'in', had).execute()
      await trx.deleteFrom('stay_procedure').where('stay_id', 'in', had).execute()
    }
    const diagnoses = changed.flatMap((c, i) => c.record.diagnoses.map((d, p) => ({ stay_id: stayIds[i]!, position: p + 1, code: d.code, text: d.text })))
    const procedures = changed.flatMap((c, i) => c.record.procedures.map((d, p) => ({ stay_id: stayIds[i]!, position: p + 1, code: d.code, text: d.text, performed_at: d.performedAt })))
    for (let i = 0; i < diagnoses.length; i += 5000) await trx.insertInto('stay_diagnosis').values(diagnoses.slice(i, i + 5000)).execute()
    for (let i = 0; i < procedures.length; i += 5000) await trx.insertInto('stay_procedure').values(procedures.slice(i, i + 5000)).execute()

    const changes: StayChange[] = changed.map((c, i) => {
      const p = patientOf.get(c.record.patient.mrn)!
      return {
        stayId: stayIds[i]!, patientId: p.id, event: 'A03', record: c.record, phonesChanged: phonesChanged.has(p.id), created: created.has(stayIds[i]!), ...mapped[i]!,
        patient: { deceased: p.deceased, doNotCall: p.do_not_call, birthDate: p.birth_date },
      }
    })
    const plans = await planning.planMany(changes)
    changed.forEach((c, i) => results.set(c.index, { index: c.index, visitNumber: c.record.visitNumber, event: 'A03', outcome: c.existingId ? 'updated' : 'created', stayId: stayIds[i]!, plan: plans[i]! }))
  }
  return group.map((g) => results.get(g.index)!)
}
