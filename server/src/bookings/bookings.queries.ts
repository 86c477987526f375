// The only place bookings touch Kysely: each team's booking settings, its slots as booking_slot()
// judges them (sql/functions/booking_slot.sql), the sweep's booked orders to dispatch or remind,
// no-shows and the statistics. Functions that lock rows take a Transaction.
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely'
import type { DB } from '../db/types.ts'
import type { TeamBookingTable } from '../db/types.bookings.ts'
import { LIVE_CHANNEL } from '../db/db.ts'

type Db = Kysely<DB> | Transaction<DB>
export type SettingsRow = Selectable<TeamBookingTable>

export function findSettings(db: Db, teamId: number) {
  return db.selectFrom('team_booking').selectAll().where('team_id', '=', teamId).executeTakeFirst()
}

/** Bookings read the settings FOR SHARE (create_work_order): a change waits for them, and they for it. */
export function lockSettings(trx: Transaction<DB>, teamId: number) {
  return trx.selectFrom('team_booking').selectAll().where('team_id', '=', teamId).forUpdate().executeTakeFirst()
}

export interface SettingsValues { slot_minutes: number; jobs_per_person: number; reserve: number; release_minutes: number; lead_minutes: number; late_cancel_minutes: number }

export function saveSettings(trx: Transaction<DB>, teamId: number, values: SettingsValues, userId: number | null) {
  const row = { ...values, updated_by: userId, updated_at: new Date() }
  return trx.insertInto('team_booking').values({ team_id: teamId, ...row })
    .onConflict((oc) => oc.column('team_id').doUpdateSet(row)).returningAll().executeTakeFirstOrThrow()
}

/** The team a new order for the item at the place would go to, at `at` (the same rules as intake). */
export async function routedTeam(db: Db, itemId: number, locationId: number, at: Date, timeZone: string) {
  const { rows } = await sql<{ team_id: number | null; item: boolean; location: boolean }>`
    WITH i AS (SELECT * FROM item WHERE id = ${itemId}::int AND active), l AS (SELECT * FROM location WHERE id = ${locationId}::int AND active)
    SELECT (SELECT r.team_id FROM i, l, route_order(i.id, i.category_id, i.default_team_id,
        coalesce(l.campus_id, CASE WHEN l.kind = 'campus' THEN l.id END), coalesce(l.building_id, CASE WHEN l.kind = 'building' THEN l.id END),
        l.zone, ${at}::timestamptz, ${timeZone}) r) AS team_id,
      EXISTS (SELECT 1 FROM i) AS item, EXISTS (SELECT 1 FROM l) AS location`.execute(db)
  return rows[0]!
}

export interface SlotRow { slot_start: Date; capacity: number; booked: number; reserve: number; reserve_released: boolean; free: number; free_urgent: number }

/** The first `count` slots from `from` with a place free to a booking of that urgency. */
export async function freeSlots(db: Db, teamId: number, from: Date, now: Date, timeZone: string, count: number, urgent: boolean) {
  const { rows } = await sql<SlotRow>`
    SELECT * FROM free_booking_slots(${teamId}::int, ${from}::timestamptz, ${now}::timestamptz, ${timeZone}, ${count}::int, ${urgent})`.execute(db)
  return rows
}

/**
 * The team's slots from `now` on with open bookings: how many each holds and how many people are on
 * duty at its start, to judge a change of the settings against.
 */
export async function bookedSlots(trx: Transaction<DB>, teamId: number, now: Date, timeZone: string) {
  const { rows } = await sql<{ booked_for: Date; booked: number; on_duty: number }>`
    SELECT w.booked_for, count(*)::int AS booked,
      (SELECT count(*)::int FROM staff_duty(${teamId}::int, w.booked_for, ${timeZone}) d WHERE d.on_duty) AS on_duty
    FROM work_order w
    WHERE w.team_id = ${teamId}::int AND w.booked_for > ${now}::timestamptz AND w.status <> 'cancelled'
    GROUP BY w.booked_for ORDER BY w.booked_for`.execute(trx)
  return rows
}

/** Whether the slots of `minutes` fall on `at` (local midnight onwards). */
export async function offBoundary(trx: Transaction<DB>, slots: Date[], minutes: number, timeZone: string) {
  if (slots.length === 0) return []
  const { rows } = await sql<{ at: Date }>`
    SELECT at FROM unnest(${slots.map((d) => d.toISOString())}::timestamptz[]) at WHERE NOT is_slot_start(at, ${minutes}::int, ${timeZone})`.execute(trx)
  return rows.map((r) => r.at)
}

/**
 * Booked orders still waiting whose dispatch time (slot − lead minutes) has come, locked so that two
 * instances sweeping at once never dispatch one twice.
 */
export function dueForDispatch(trx: Transaction<DB>, now: Date, limit = 100) {
  return trx.selectFrom('work_order as w').innerJoin('team_booking as b', 'b.team_id', 'w.team_id')
    .select(['w.id', 'w.team_id', 'w.booked_for', 'b.lead_minutes'])
    .where('w.status', '=', 'new').where('w.booked_for', 'is not', null)
    .where(sql<boolean>`w.booked_for - make_interval(mins => b.lead_minutes) <= ${now}::timestamptz`)
    .orderBy('w.booked_for').orderBy('w.id').limit(limit)
    .forUpdate('w').skipLocked().execute()
}

/** The booked order given to `staffId` (null: the team pool), with its timeline entry and live event. */
export async function dispatchBooked(trx: Transaction<DB>, id: number, pick: { staffId: number | null; reason: string }, now: Date, note: string) {
  const { rows } = await sql<{ id: number }>`
    WITH changed AS (
      UPDATE work_order w SET status = 'dispatched', assignee_id = ${pick.staffId}::int, dispatched_at = ${now}::timestamptz,
        routing_reason = w.routing_reason || '；' || ${pick.reason}::text, version = w.version + 1
      WHERE w.id = ${id}::bigint AND w.status = 'new' RETURNING w.*),
    rested AS (UPDATE staff SET idle_since = ${now}::timestamptz FROM changed c WHERE staff.id = c.assignee_id),
    logged AS (
      INSERT INTO work_order_event (work_order_id, at, kind, actor_name, from_status, to_status, note, data)
      SELECT c.id, ${now}::timestamptz, 'dispatched', '系统（预约派单）', 'new', 'dispatched', ${note}::text, jsonb_build_object('booked', true, 'assigneeId', c.assignee_id) FROM changed c)
    SELECT c.id, pg_notify(${LIVE_CHANNEL}, json_build_object('type', 'workorder.changed', 'at', ${now.toISOString()}::text, 'data', json_build_object(
      'id', c.id, 'number', c.number, 'status', c.status, 'version', c.version, 'teamId', c.team_id, 'assigneeId', c.assignee_id,
      'chaseCount', c.chase_count, 'escalationLevel', c.escalation_level, 'action', 'dispatch'))::text)
    FROM changed c`.execute(trx)
  return rows.length > 0
}

export type ReminderKind = 'day' | 'hour'

/**
 * Open booked orders whose reminder (24 h or 1 h before the slot) is due and not yet sent, locked.
 * A booking made less than a day ahead gets no 24-hour reminder; once the hour's is due the day's is
 * not sent any more (one reminder is enough so close to the slot).
 */
export function dueReminders(trx: Transaction<DB>, kind: ReminderKind, now: Date, limit = 200) {
  const hours = kind === 'day' ? 24 : 1
  let query = trx.selectFrom('work_order').selectAll()
    .where('booked_for', 'is not', null).where('status', 'in', ['new', 'dispatched', 'accepted'])
    .where(kind === 'day' ? 'reminded_day_at' : 'reminded_hour_at', 'is', null)
    .where('booked_for', '>', now)
    .where(sql<boolean>`booked_for - make_interval(hours => ${hours}::int) <= ${now}::timestamptz`)
  if (kind === 'day') {
    query = query.where(sql<boolean>`booked_for - interval '1 hour' > ${now}::timestamptz`)
      .where(sql<boolean>`coalesce(booked_at, created_at) < booked_for - interval '24 hours'`)
  }
  return query.orderBy('booked_for').orderBy('id').limit(limit).forUpdate().skipLocked().execute()
}

export function markReminded(trx: Transaction<DB>, id: number, kind: ReminderKind, now: Date) {
  return trx.updateTable('work_order').set(kind === 'day' ? { reminded_day_at: now } : { reminded_hour_at: now }).where('id', '=', id).execute()
}

/** A booked order whose patient or goods were not there: recorded and cancelled, in one statement. */
export async function recordNoShow(trx: Transaction<DB>, id: number, actor: { userId: number | null; name: string }, note: string | null, now: Date) {
  const reason = note ? `未到（爽约）：${note}` : '未到（爽约）'
  const { rows } = await sql<{ id: number }>`
    WITH before AS (SELECT status FROM work_order WHERE id = ${id}::bigint),
    changed AS (
      UPDATE work_order w SET status = 'cancelled', cancelled_at = ${now}::timestamptz, cancel_reason = ${reason}::text,
        no_show_at = ${now}::timestamptz, no_show_by = ${actor.name}::text, version = w.version + 1
      WHERE w.id = ${id}::bigint RETURNING w.*),
    logged AS (
      INSERT INTO work_order_event (work_order_id, at, kind, actor_user_id, actor_name, from_status, to_status, note)
      SELECT c.id, ${now}::timestamptz, 'no_show', ${actor.userId}::int, ${actor.name}::text, b.status, 'cancelled', ${reason}::text FROM changed c, before b)
    SELECT c.id, pg_notify(${LIVE_CHANNEL}, json_build_object('type', 'workorder.changed', 'at', ${now.toISOString()}::text, 'data', json_build_object(
      'id', c.id, 'number', c.number, 'status', c.status, 'version', c.version, 'teamId', c.team_id, 'assigneeId', c.assignee_id,
      'chaseCount', c.chase_count, 'escalationLevel', c.escalation_level, 'action', 'no_show'))::text)
    FROM changed c`.execute(trx)
  return rows.length > 0
}

export interface StatsRow { team_id: number; team_name: string; team_name_en: string; booked: number; completed: number; cancelled: number; late_cancelled: number; no_show: number; open: number }

/** Booked orders by team whose slot falls in [from, to): how they ended. */
export async function bookingStats(db: Db, from: Date, to: Date) {
  const { rows } = await sql<StatsRow>`
    SELECT t.id AS team_id, t.name AS team_name, t.name_en AS team_name_en, count(*)::int AS booked,
      count(*) FILTER (WHERE w.status IN ('completed', 'closed'))::int AS completed,
      count(*) FILTER (WHERE w.status = 'cancelled' AND w.no_show_at IS NULL)::int AS cancelled,
      count(*) FILTER (WHERE w.late_cancel)::int AS late_cancelled,
      count(*) FILTER (WHERE w.no_show_at IS NOT NULL)::int AS no_show,
      count(*) FILTER (WHERE w.status IN ('new', 'dispatched', 'accepted', 'arrived', 'on_hold'))::int AS open
    FROM work_order w JOIN team t ON t.id = w.team_id
    WHERE w.booked_for >= ${from}::timestamptz AND w.booked_for < ${to}::timestamptz
    GROUP BY t.id ORDER BY t.id`.execute(db)
  return rows
}
