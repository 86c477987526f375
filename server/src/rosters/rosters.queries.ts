// The only place rosters touch Kysely: shift types, roster entries, leave, duty overrides, and who
// is on duty at an instant (sql/0100 staff_duty, the same function intake assigns by).
import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from '../db/types.ts'
import type { DutySource, LeaveKind } from '../db/types.rosters.ts'

type Db = Kysely<DB> | Transaction<DB>

export interface DutyRow { staffId: number; teamId: number; onDuty: boolean; source: DutySource; shiftTypeId: number | null; shiftName: string | null }

/** Everyone of a team (null: of every team) and whether they are on duty at `at`, and why. */
export async function dutyAt(db: Db, at: Date, timeZone: string, teamId: number | null = null): Promise<DutyRow[]> {
  const { rows } = await sql<{ staff_id: number; team_id: number; on_duty: boolean; source: DutySource; shift_type_id: number | null; shift_name: string | null }>`
    SELECT staff_id, team_id, on_duty, source, shift_type_id, shift_name FROM staff_duty(${teamId}::integer, ${at}::timestamptz, ${timeZone})`.execute(db)
  return rows.map((r) => ({ staffId: r.staff_id, teamId: r.team_id, onDuty: r.on_duty, source: r.source, shiftTypeId: r.shift_type_id, shiftName: r.shift_name }))
}

export function findTeam(db: Db, id: number) {
  return db.selectFrom('team').select(['id', 'code', 'name', 'name_en']).where('id', '=', id).executeTakeFirst()
}

export function findStaff(db: Db, id: number) {
  return db.selectFrom('staff').select(['id', 'team_id', 'name', 'active']).where('id', '=', id).executeTakeFirst()
}

export function teamStaff(db: Db, teamId: number) {
  return db.selectFrom('staff').select(['id', 'name', 'active']).where('team_id', '=', teamId).orderBy('id').execute()
}

/** Locks the people whose rosters are being changed, so two editors cannot double-book one of them. */
export function lockStaff(trx: Transaction<DB>, ids: number[]) {
  return trx.selectFrom('staff').select(['id', 'team_id', 'name', 'active']).where('id', 'in', ids).orderBy('id').forUpdate().execute()
}

export function shiftTypes(db: Db, teamId: number) {
  return db.selectFrom('shift_type').selectAll().where('team_id', '=', teamId).orderBy('position').orderBy('id').execute()
}

export function shiftTypesByIds(db: Db, ids: number[]) {
  return ids.length ? db.selectFrom('shift_type').selectAll().where('id', 'in', ids).execute() : Promise.resolve([])
}

export function shiftTypeInUse(db: Db, id: number) {
  return db.selectFrom('roster_entry').select('id').where('shift_type_id', '=', id).limit(1).executeTakeFirst()
}

export interface EntryRow { staffId: number; day: string; shiftTypeId: number; startMinute: number; endMinute: number; crossesMidnight: boolean; shiftName: string }

/** Roster entries with their shift's times, of a team or of some people, from `from` to `to` (local days, inclusive). */
export async function entries(db: Db, where: { teamId?: number; staffIds?: number[] }, from: string, to: string): Promise<EntryRow[]> {
  let query = db.selectFrom('roster_entry as r').innerJoin('shift_type as st', 'st.id', 'r.shift_type_id')
    .select(['r.staff_id', sql<string>`r.day::text`.as('day'), 'r.shift_type_id', 'st.start_minute', 'st.end_minute', 'st.crosses_midnight', 'st.name'])
    .where('r.day', '>=', from).where('r.day', '<=', to)
  if (where.teamId !== undefined) query = query.where('r.team_id', '=', where.teamId)
  if (where.staffIds) {
    if (where.staffIds.length === 0) return []
    query = query.where('r.staff_id', 'in', where.staffIds)
  }
  const rows = await query.orderBy('r.staff_id').orderBy('r.day').orderBy('st.start_minute').execute()
  return rows.map((r) => ({ staffId: r.staff_id, day: r.day, shiftTypeId: r.shift_type_id, startMinute: r.start_minute, endMinute: r.end_minute, crossesMidnight: r.crosses_midnight, shiftName: r.name }))
}

export function deleteEntries(trx: Transaction<DB>, staffId: number, day: string) {
  return trx.deleteFrom('roster_entry').where('staff_id', '=', staffId).where('day', '=', day).execute()
}

export function deleteTeamEntries(trx: Transaction<DB>, teamId: number, from: string, to: string) {
  return trx.deleteFrom('roster_entry').where('team_id', '=', teamId).where('day', '>=', from).where('day', '<=', to).execute()
}

export function insertEntries(trx: Transaction<DB>, rows: { teamId: number; staffId: number; day: string; shiftTypeId: number }[], userId: number | null) {
  if (rows.length === 0) return Promise.resolve([])
  return trx.insertInto('roster_entry').values(rows.map((r) => ({ team_id: r.teamId, staff_id: r.staffId, day: r.day, shift_type_id: r.shiftTypeId, updated_by: userId }))).execute()
}

export function teamHasRoster(db: Db, teamId: number) {
  return db.selectFrom('roster_entry').select('id').where('team_id', '=', teamId).limit(1).executeTakeFirst().then(Boolean)
}

export interface LeaveRow { id: number; staffId: number; from: string; to: string; kind: LeaveKind; note: string; createdBy: string | null }

/** Leave of a team's people (or one person) overlapping `from`–`to`. */
export async function leaveBetween(db: Db, where: { teamId?: number; staffId?: number }, from: string, to: string): Promise<LeaveRow[]> {
  let query = db.selectFrom('staff_leave as l').innerJoin('staff as s', 's.id', 'l.staff_id')
    .select(['l.id', 'l.staff_id', sql<string>`l.from_day::text`.as('from_day'), sql<string>`l.to_day::text`.as('to_day'), 'l.kind', 'l.note', 'l.created_by_name'])
    .where('l.from_day', '<=', to).where('l.to_day', '>=', from)
  if (where.teamId !== undefined) query = query.where('s.team_id', '=', where.teamId)
  if (where.staffId !== undefined) query = query.where('l.staff_id', '=', where.staffId)
  const rows = await query.orderBy('l.from_day').orderBy('l.id').execute()
  return rows.map((r) => ({ id: r.id, staffId: r.staff_id, from: r.from_day, to: r.to_day, kind: r.kind, note: r.note, createdBy: r.created_by_name }))
}

export function insertLeave(trx: Transaction<DB>, l: { staffId: number; from: string; to: string; kind: LeaveKind; note: string; userId: number | null; userName: string }) {
  return trx.insertInto('staff_leave').values({ staff_id: l.staffId, from_day: l.from, to_day: l.to, kind: l.kind, note: l.note, created_by: l.userId, created_by_name: l.userName })
    .returning('id').executeTakeFirstOrThrow()
}

export function findLeave(db: Db, id: number) {
  return db.selectFrom('staff_leave as l').innerJoin('staff as s', 's.id', 'l.staff_id').select(['l.id', 's.team_id']).where('l.id', '=', id).executeTakeFirst()
}

export function deleteLeave(db: Db, id: number) {
  return db.deleteFrom('staff_leave').where('id', '=', id).executeTakeFirst()
}

export function upsertDutyOverride(db: Db, o: { staffId: number; day: string; onDuty: boolean; userId: number | null; userName: string; at: Date }) {
  return db.insertInto('duty_override').values({ staff_id: o.staffId, day: o.day, on_duty: o.onDuty, set_by: o.userId, set_by_name: o.userName, set_at: o.at })
    .onConflict((oc) => oc.columns(['staff_id', 'day']).doUpdateSet({ on_duty: o.onDuty, set_by: o.userId, set_by_name: o.userName, set_at: o.at }))
    .execute()
}

export async function dutyOverrides(db: Db, teamId: number, from: string, to: string) {
  const rows = await db.selectFrom('duty_override as o').innerJoin('staff as s', 's.id', 'o.staff_id')
    .select(['o.staff_id', sql<string>`o.day::text`.as('day'), 'o.on_duty', 'o.set_by_name', 'o.set_at'])
    .where('s.team_id', '=', teamId).where('o.day', '>=', from).where('o.day', '<=', to).orderBy('o.day').orderBy('o.staff_id').execute()
  return rows.map((r) => ({ staffId: r.staff_id, day: r.day, onDuty: r.on_duty, setBy: r.set_by_name, setAt: new Date(r.set_at).toISOString() }))
}
