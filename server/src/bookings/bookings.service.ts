// Rules of booked work: each team's slots (length, jobs per person, the reserve for urgent work and
// when it is released, how long before its slot a booked order is dispatched), the free-slot finder,
// the sweep that dispatches booked orders and sends their reminders, no-shows and the statistics.
// The booking itself is part of intake's one call (sql/functions/create_work_order.sql).
import type { Kysely } from 'kysely'
import type { DB, WorkOrderRow } from '../db/types.ts'
import type { SessionUser } from '../accounts/sessions.ts'
import { HttpError } from '../http/errors.ts'
import { addDays, instantOfDay, localClock } from '../clock/local-time.ts'
import { pickAssignee } from '../dispatch/routing.ts'
import { OPEN } from '../workorders/lifecycle.ts'
import { lockWorkOrder } from '../workorders/workorders.queries.ts'
import { notify, type Actor } from '../workorders/workorders.service.ts'
import * as q from './bookings.queries.ts'

const refuse = (status: number, error: string, field: string | undefined, message: string, messageEn: string) => new HttpError(status, error, message, field, { messageEn })

export interface BookingSettings { teamId: number; slotMinutes: number; jobsPerPerson: number; reserve: number; releaseMinutes: number; leadMinutes: number; lateCancelMinutes: number }

export const DEFAULT_SETTINGS = { slotMinutes: 15, jobsPerPerson: 1, reserve: 1, releaseMinutes: 30, leadMinutes: 20, lateCancelMinutes: 60 }

const toSettings = (r: q.SettingsRow): BookingSettings => ({
  teamId: r.team_id, slotMinutes: r.slot_minutes, jobsPerPerson: r.jobs_per_person, reserve: r.reserve,
  releaseMinutes: r.release_minutes, leadMinutes: r.lead_minutes, lateCancelMinutes: r.late_cancel_minutes,
})

const toSlot = (r: q.SlotRow, minutes: number) => ({
  start: r.slot_start.toISOString(), end: new Date(r.slot_start.getTime() + minutes * 60_000).toISOString(),
  capacity: r.capacity, booked: r.booked, reserve: r.reserve, reserveReleased: r.reserve_released, free: r.free, freeUrgent: r.free_urgent,
})

/** The team the item and place route to and its nearest slots with a place free, from `from` on. */
export async function findSlots(db: Kysely<DB>, input: { itemId: number; locationId: number; from?: string; urgency?: string; count?: number }, now: Date, timeZone: string) {
  const from = input.from ? new Date(input.from) : now
  const routed = await q.routedTeam(db, input.itemId, input.locationId, from > now ? from : now, timeZone)
  if (!routed.item) throw refuse(400, 'bad_request', 'itemId', `没有编号为 ${input.itemId} 的服务项目`, `no catalogue item ${input.itemId}`)
  if (!routed.location) throw refuse(400, 'bad_request', 'locationId', `没有编号为 ${input.locationId} 的地点`, `no location ${input.locationId}`)
  if (!routed.team_id) throw refuse(422, 'unroutable', 'itemId', '该项目没有路由规则或默认班组', `no routing rule or default team for item ${input.itemId}`)
  const team = (await db.selectFrom('team').select(['id', 'name', 'name_en']).where('id', '=', routed.team_id).executeTakeFirstOrThrow())
  const settings = await q.findSettings(db, team.id)
  const teamRef = { id: team.id, name: team.name, nameEn: team.name_en }
  if (!settings) return { team: teamRef, bookable: false, settings: null, slots: [] }
  const urgent = input.urgency === 'urgent' || input.urgency === 'critical'
  const slots = await q.freeSlots(db, team.id, from, now, timeZone, input.count ?? 8, urgent)
  return { team: teamRef, bookable: true, settings: toSettings(settings), slots: slots.map((s) => toSlot(s, settings.slot_minutes)) }
}

export function checkTeamLead(user: SessionUser, teamId: number) {
  if (user.role === 'team_lead' && user.teamId !== teamId) throw refuse(403, 'forbidden', undefined, '班组长只能设置本班组的预约', 'a team lead sets the bookings of their own team only')
}

export type SettingsInput = Omit<BookingSettings, 'teamId' | 'lateCancelMinutes'> & { lateCancelMinutes?: number }

/**
 * The team's booking settings become `input`, unless that would break what is already booked: a slot
 * length on whose boundaries a booked slot no longer falls (409 slotMinutes), or fewer places in a
 * booked slot than it holds (409 jobsPerPerson). Under the settings' row lock, which bookings share.
 */
export async function saveSettings(db: Kysely<DB>, teamId: number, input: SettingsInput, user: SessionUser, now: Date, timeZone: string) {
  if (1440 % input.slotMinutes !== 0) throw refuse(400, 'bad_request', 'slotMinutes', `时段长度 ${input.slotMinutes} 分钟不能整除一天（可选 5、10、15、20、30、60 等）`, `a slot of ${input.slotMinutes} minutes does not divide the day (5, 10, 15, 20, 30, 60 …)`)
  const team = await db.selectFrom('team').select('id').where('id', '=', teamId).executeTakeFirst()
  if (!team) throw refuse(404, 'not_found', undefined, `没有编号为 ${teamId} 的班组`, `team ${teamId} not found`)
  checkTeamLead(user, teamId)
  return db.transaction().execute(async (trx) => {
    await q.lockSettings(trx, teamId)
    const booked = await q.bookedSlots(trx, teamId, now, timeZone)
    const off = await q.offBoundary(trx, booked.map((b) => b.booked_for), input.slotMinutes, timeZone)
    if (off.length) {
      const first = localClock(off[0]!, timeZone)
      throw refuse(409, 'breaks_bookings', 'slotMinutes', `已有预约在 ${first.day} ${first.hhmm}，不在 ${input.slotMinutes} 分钟时段的起点上：未保存`,
        `${off.length} booked slot(s), the first at ${first.day} ${first.hhmm}, would not start a ${input.slotMinutes}-minute slot: nothing saved`)
    }
    const over = booked.find((b) => b.booked > b.on_duty * input.jobsPerPerson)
    if (over) {
      const at = localClock(over.booked_for, timeZone)
      throw refuse(409, 'breaks_bookings', 'jobsPerPerson', `${at.day} ${at.hhmm} 已约 ${over.booked} 单，在岗 ${over.on_duty} 人 × 每人 ${input.jobsPerPerson} 单不够：未保存`,
        `${at.day} ${at.hhmm} holds ${over.booked} bookings; ${over.on_duty} on duty × ${input.jobsPerPerson} per person is fewer: nothing saved`)
    }
    const row = await q.saveSettings(trx, teamId, {
      slot_minutes: input.slotMinutes, jobs_per_person: input.jobsPerPerson, reserve: input.reserve, release_minutes: input.releaseMinutes,
      lead_minutes: input.leadMinutes, late_cancel_minutes: input.lateCancelMinutes ?? DEFAULT_SETTINGS.lateCancelMinutes,
    }, user.id)
    return toSettings(row)
  })
}

const slotText = (at: Date, timeZone: string) => { const c = localClock(at, timeZone); return `${c.day} ${c.hhmm}` }

/**
 * Dispatches every booked order whose time (slot − lead minutes) has come to a person on duty now
 * (pick_assignee, as intake chooses; nobody: the team pool), and sends the reminders due. Rows are
 * claimed FOR UPDATE SKIP LOCKED: two instances sweeping at once never do one twice.
 */
export async function sweepBookings(db: Kysely<DB>, now: Date, timeZone: string) {
  const dispatched = await db.transaction().execute(async (trx) => {
    const due = await q.dueForDispatch(trx, now)
    const done: number[] = []
    // one by one: each choice sees the load the previous ones gave
    for (const o of due) {
      const pick = await pickAssignee(trx, o.team_id, now, timeZone)
      const note = `预约 ${slotText(o.booked_for!, timeZone)}：开始前 ${o.lead_minutes} 分钟派单；${pick.reason}`
      if (!(await q.dispatchBooked(trx, o.id, pick, now, note))) continue
      done.push(o.id)
      // the assignee hears of it as of any order given to them (a critical one: the leads too), with the slot
      const order = (await lockWorkOrder(trx, o.id))!
      await notify(trx, order, order.urgency === 'critical' ? ['assignee', 'team_lead'] : ['assignee'], 'assignment', `派单: ${order.number}（预约 ${slotText(o.booked_for!, timeZone)}）`)
    }
    return done
  })
  const reminded = { day: 0, hour: 0 }
  for (const kind of ['hour', 'day'] as const) {
    reminded[kind] = await db.transaction().execute(async (trx) => {
      const due = await q.dueReminders(trx, kind, now)
      for (const order of due) {
        await q.markReminded(trx, order.id, kind, now)
        // the hour's reminder makes the day's moot
        if (kind === 'hour' && !order.reminded_day_at) await q.markReminded(trx, order.id, 'day', now)
        await notify(trx, order, ['desk', 'assignee'], 'booking_reminder', reminderText(order, kind, timeZone))
      }
      return due.length
    })
  }
  return { dispatched, reminded }
}

function reminderText(order: WorkOrderRow, kind: q.ReminderKind, timeZone: string) {
  return `预约提醒（${kind === 'day' ? '24 小时' : '1 小时'}后）: ${order.number} ${slotText(order.booked_for!, timeZone)}`
}

/**
 * The patient (or whatever was to be moved) was not there at the slot: recorded as a no-show and the
 * order cancelled. Not before the slot has begun; a technician only on their own order.
 */
export async function noShow(db: Kysely<DB>, id: number, actor: Actor, note: string | null, now: Date, timeZone: string) {
  await db.transaction().execute(async (trx) => {
    const order = await lockWorkOrder(trx, id)
    if (!order) throw refuse(404, 'not_found', undefined, `没有编号为 ${id} 的工单`, `work order ${id} not found`)
    if (!order.booked_for) throw refuse(409, 'not_booked', undefined, `${order.number} 不是预约单`, `${order.number} is not a booked order`)
    const user = actor.user
    if (user?.role === 'technician' && order.assignee_id !== user.staffId) throw refuse(403, 'forbidden', undefined, '这张工单不是派给您的', 'this order is not assigned to you')
    if (user?.role === 'team_lead' && order.team_id !== user.teamId) throw refuse(403, 'forbidden', undefined, '这张工单不属于本班组', "this order is not your team's")
    if (!OPEN.includes(order.status)) throw refuse(409, 'conflict', undefined, `${order.number} 已是「${order.status}」，不能再记爽约`, `${order.number} is ${order.status}: too late for a no-show`)
    if (order.booked_for > now) throw refuse(409, 'too_early', undefined, `预约时段 ${slotText(order.booked_for, timeZone)} 还没开始，不能记爽约`, 'the slot has not begun yet: a no-show is recorded from its start')
    await q.recordNoShow(trx, id, actor, note, now)
  })
}

/** Booked orders whose slot falls on the local days from … to (inclusive), per team and in all. */
export async function stats(db: Kysely<DB>, fromDay: string, toDay: string, timeZone: string) {
  const rows = await q.bookingStats(db, instantOfDay(fromDay, '00:00', timeZone), instantOfDay(addDays(toDay, 1), '00:00', timeZone))
  const teams = rows.map((r) => ({
    team: { id: r.team_id, name: r.team_name, nameEn: r.team_name_en },
    booked: r.booked, completed: r.completed, cancelled: r.cancelled, lateCancelled: r.late_cancelled, noShow: r.no_show, open: r.open,
  }))
  const sum = (k: 'booked' | 'completed' | 'cancelled' | 'lateCancelled' | 'noShow' | 'open') => teams.reduce((n, t) => n + t[k], 0)
  return { from: fromDay, to: toDay, teams, total: { booked: sum('booked'), completed: sum('completed'), cancelled: sum('cancelled'), lateCancelled: sum('lateCancelled'), noShow: sum('noShow'), open: sum('open') } }
}
