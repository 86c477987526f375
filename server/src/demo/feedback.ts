// The demo hospital's feedback offices and routes (the seed's): attitude → 护理部, medical quality →
// 医务科, facilities → 总务科, process → 门诊部; what nobody can resolve and the second escalation go
// to 质控科. The demo's handler works for 护理部 and 总务科 (and heads 护理部); the manager heads 质控科.
import type { Transaction } from 'kysely'
import type { DB } from '../db/types.ts'

const OFFICES: [string, string, string][] = [
  ['HLB', '护理部', 'Nursing Department'], ['YWK', '医务科', 'Medical Affairs'], ['ZWK', '总务科', 'General Affairs (Logistics)'],
  ['MZB', '门诊部', 'Outpatient Department'], ['ZKK', '质控科', 'Quality Control Office'],
]

export async function seedFeedbackDemo(trx: Transaction<DB>) {
  const offices = await trx.insertInto('department').values(OFFICES.map(([code, name, name_en]) => ({ code, name, name_en, kind: 'office' as const }))).returning(['id', 'code']).execute()
  const office = Object.fromEntries(offices.map((o) => [o.code, o.id])) as Record<string, number>
  await trx.insertInto('feedback_route').values([
    { position: 10, class: 'service', subject_department_id: null, responsible_department_id: office.HLB! },
    { position: 10, class: 'medical', subject_department_id: null, responsible_department_id: office.YWK! },
    { position: 10, class: 'environment', subject_department_id: null, responsible_department_id: office.ZWK! },
    { position: 10, class: 'process', subject_department_id: null, responsible_department_id: office.MZB! },
  ]).execute()
  const users = Object.fromEntries((await trx.selectFrom('app_user').select(['id', 'username']).where('username', 'in', ['handler', 'manager']).execute()).map((u) => [u.username, u.id]))
  const members = [
    ...(users.handler ? [{ department_id: office.HLB!, user_id: users.handler, is_head: true }, { department_id: office.ZWK!, user_id: users.handler, is_head: false }] : []),
    ...(users.manager ? [{ department_id: office.ZKK!, user_id: users.manager, is_head: true }, { department_id: office.ZWK!, user_id: users.manager, is_head: true }] : []),
  ]
  if (members.length) await trx.insertInto('department_member').values(members).execute()
}
