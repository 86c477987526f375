// The only place preventive maintenance touches Kysely: assets, schedules, occurrences, and the
// claim that lets one instance (of however many sweep at once) file an occurrence's order.
import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from '../db/types.ts'
import type { AssetKind } from '../db/types.maintenance.ts'

type Db = Kysely<DB> | Transaction<DB>

export function findLocation(db: Db, id: number) {
  return db.selectFrom('location').select(['id', 'full_name']).where('id', '=', id).where('active', '=', true).executeTakeFirst()
}

export function findItem(db: Db, id: number) {
  return db.selectFrom('item').select(['id', 'name', 'completion_minutes']).where('id', '=', id).where('active', '=', true).executeTakeFirst()
}

export function findAsset(db: Db, id: number) {
  return db.selectFrom('asset').selectAll().where('id', '=', id).executeTakeFirst()
}

export function assetByCode(db: Db, code: string) {
  return db.selectFrom('asset').select('id').where('code', '=', code).executeTakeFirst()
}

export function listAssets(db: Db) {
  return db.selectFrom('asset as a').innerJoin('location as l', 'l.id', 'a.location_id')
    .select(['a.id', 'a.code', 'a.name', 'a.kind', 'a.location_id', 'a.active', 'a.created_at', 'l.full_name as location_name',
      (eb) => eb.selectFrom('pm_schedule as s').select(sql<number>`count(*)::int`.as('n')).whereRef('s.asset_id', '=', 'a.id').where('s.active', '=', true).as('schedules')])
    .orderBy('a.code').execute()
}

export function insertAsset(db: Db, a: { code: string; name: string; kind: AssetKind; locationId: number; at: Date }) {
  return db.insertInto('asset').values({ code: a.code, name: a.name, kind: a.kind, location_id: a.locationId, created_at: a.at })
    .onConflict((oc) => oc.column('code').doNothing()).returning('id').executeTakeFirst()
}

function schedules(db: Db) {
  return db.selectFrom('pm_schedule as s').innerJoin('location as l', 'l.id', 's.location_id').innerJoin('item as i', 'i.id', 's.item_id')
    .leftJoin('asset as a', 'a.id', 's.asset_id')
    .select(['s.id', 's.title', 's.asset_id', 's.location_id', 's.item_id', 's.rrule', sql<string>`s.start_day::text`.as('start_day'), 's.time_of_day', 's.lead_days',
      's.checklist', 's.active', 's.created_at', 'l.full_name as location_name', 'i.name as item_name', 'i.name_en as item_name_en', 'a.code as asset_code', 'a.name as asset_name'])
}
export type ScheduleRow = Awaited<ReturnType<ReturnType<typeof schedules>['execute']>>[number]

export function listSchedules(db: Db, opts: { activeOnly?: boolean } = {}) {
  let query = schedules(db)
  if (opts.activeOnly) query = query.where('s.active', '=', true)
  return query.orderBy('s.id').execute()
}

export function findSchedule(db: Db, id: number) {
  return schedules(db).where('s.id', '=', id).executeTakeFirst()
}

export function lockSchedule(trx: Transaction<DB>, id: number) {
  return trx.selectFrom('pm_schedule').select('id').where('id', '=', id).forUpdate().executeTakeFirst()
}

export interface ScheduleValues {
  title: string; assetId: number | null; locationId: number; itemId: number; rrule: string; startDay: string; timeOfDay: string; leadDays: number; checklist: string[]; active: boolean
}
const columns = (v: ScheduleValues) => ({
  title: v.title, asset_id: v.assetId, location_id: v.locationId, item_id: v.itemId, rrule: v.rrule, start_day: v.startDay, time_of_day: v.timeOfDay,
  lead_days: v.leadDays, checklist: JSON.stringify(v.checklist), active: v.active,
})

export function insertSchedule(trx: Transaction<DB>, v: ScheduleValues, userId: number | null, at: Date) {
  return trx.insertInto('pm_schedule').values({ ...columns(v), created_by: userId, created_at: at, updated_at: at }).returning('id').executeTakeFirstOrThrow()
}

export function updateSchedule(trx: Transaction<DB>, id: number, v: ScheduleValues, at: Date) {
  return trx.updateTable('pm_schedule').set({ ...columns(v), updated_at: at }).where('id', '=', id).execute()
}

/** Occurrences known ahead (planned), once each: an instance that gets there second adds nothing. */
export function insertPlanned(db: Db, scheduleId: number, dueAts: Date[]) {
  if (dueAts.length === 0) return Promise.resolve([])
  return db.insertInto('pm_occurrence').values(dueAts.map((due_at) => ({ schedule_id: scheduleId, due_at })))
    .onConflict((oc) => oc.columns(['schedule_id', 'due_at']).doNothing()).execute()
}

/** A changed or stopped schedule's plan from `from` on is made again (filed and skipped ones stay). */
export function deletePlannedFrom(trx: Transaction<DB>, scheduleId: number, from: Date) {
  return trx.deleteFrom('pm_occurrence').where('schedule_id', '=', scheduleId).where('status', '=', 'planned').where('due_at', '>=', from).execute()
}

/**
 * The next planned occurrence of an active schedule that is within its lead time of `now`, locked
 * for this transaction; one another instance holds is passed over (SKIP LOCKED), not waited for.
 */
export async function claimDue(trx: Transaction<DB>, now: Date, passedOver: number[]) {
  const { rows } = await sql<{ id: number; schedule_id: number; due_at: Date }>`
    SELECT o.id, o.schedule_id, o.due_at FROM pm_occurrence o
    WHERE o.status = 'planned' AND o.work_order_id IS NULL
      AND EXISTS (SELECT 1 FROM pm_schedule s WHERE s.id = o.schedule_id AND s.active AND o.due_at <= ${now}::timestamptz + make_interval(days => s.lead_days))
      ${passedOver.length ? sql`AND o.id <> ALL(${passedOver}::int[])` : sql``}
    ORDER BY o.due_at, o.id LIMIT 1 FOR UPDATE OF o SKIP LOCKED`.execute(trx)
  return rows[0]
}

export function markGenerated(trx: Transaction<DB>, id: number, workOrderId: number) {
  return trx.updateTable('pm_occurrence').set({ status: 'generated', work_order_id: workOrderId }).where('id', '=', id).where('status', '=', 'planned').execute()
}

function occurrences(db: Db) {
  return db.selectFrom('pm_occurrence as o').leftJoin('work_order as w', 'w.id', 'o.work_order_id')
    .select(['o.id', 'o.schedule_id', 'o.due_at', 'o.status', 'o.skipped_reason', 'o.skipped_at', 'o.work_order_id',
      'w.number as order_number', 'w.status as order_status', 'w.completed_at as order_completed_at', 'w.version as order_version'])
}
export type OccurrenceRow = Awaited<ReturnType<ReturnType<typeof occurrences>['execute']>>[number]

export function occurrencesBetween(db: Db, from: Date, to: Date) {
  return occurrences(db).where('o.due_at', '>=', from).where('o.due_at', '<=', to).orderBy('o.due_at').orderBy('o.id').execute()
}

export function findOccurrence(db: Db, id: number) {
  return occurrences(db).where('o.id', '=', id).executeTakeFirst()
}

export function lockOccurrence(trx: Transaction<DB>, id: number) {
  return trx.selectFrom('pm_occurrence').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
}

export function markSkipped(trx: Transaction<DB>, id: number, reason: string, userId: number, at: Date) {
  return trx.updateTable('pm_occurrence').set({ status: 'skipped', skipped_reason: reason, skipped_by: userId, skipped_at: at }).where('id', '=', id).execute()
}
