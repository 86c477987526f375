// Rules of preventive maintenance: the asset register, schedules (an RRULE on local dates, a place
// or an asset, a catalogue item, a checklist), the sweep that files each occurrence's work order
// `lead_days` ahead — exactly once, whichever instance gets there — the calendar of what is due and
// its KPIs. Whether an occurrence is done is read from its order when asked, not written back.
import type { Kysely } from 'kysely'
import type { DB } from '../db/types.ts'
import type { AssetKind } from '../db/types.maintenance.ts'
import type { SessionUser } from '../accounts/sessions.ts'
import { HttpError } from '../http/errors.ts'
import { addDays, instantOfDay, localClock } from '../clock/local-time.ts'
import { actorOf, createWorkOrder, transition, type Actor } from '../workorders/workorders.service.ts'
import { dueBetween, nextDue, normaliseRule, refuse, type PmRule } from './maintenance.rule.ts'
import * as q from './maintenance.queries.ts'

const DAY_MS = 86_400_000
/** how far ahead occurrences are written down as planned (so the calendar's next 90 days can be skipped one by one) */
const PLAN_DAYS = 90
/** occurrences an instance that was down missed are still filed this long after they were due */
const CATCH_UP_DAYS = 7
const SYSTEM: Actor = { userId: null, name: '预防性维护' }
const DONE = ['completed', 'closed']

/** A real calendar day written YYYY-MM-DD (2027-02-30 is not one). */
export function checkDay(day: string, field: string) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || addDays(day, 0) !== day) throw refuse(field, `${day} 不是有效的日期`, `${day} is not a date`)
  return day
}

export async function createAsset(db: Kysely<DB>, a: { code: string; name: string; kind: AssetKind; locationId: number }, at: Date) {
  const code = a.code.trim(), name = a.name.trim()
  if (!code) throw refuse('code', '请填写设备编号', 'code is empty')
  if (!name) throw refuse('name', '请填写设备名称', 'name is empty')
  if (!(await q.findLocation(db, a.locationId))) throw refuse('locationId', `没有编号为 ${a.locationId} 的地点`, `no place ${a.locationId}`)
  const row = await q.insertAsset(db, { code, name, kind: a.kind, locationId: a.locationId, at })
  if (!row) throw new HttpError(409, 'conflict', `设备编号 ${code} 已经存在`, 'code', { messageEn: `an asset with code ${code} exists` })
  return (await listAssets(db)).find((x) => x.id === row.id)!
}

export async function listAssets(db: Kysely<DB>) {
  return (await q.listAssets(db)).map((a) => ({
    id: a.id, code: a.code, name: a.name, kind: a.kind, active: a.active, createdAt: new Date(a.created_at).toISOString(),
    location: { id: a.location_id, name: a.location_name }, schedules: a.schedules ?? 0,
  }))
}

export interface ScheduleInput {
  title?: string; assetId?: number | null; locationId?: number | null; itemId?: number; rrule?: string; startDay?: string; timeOfDay?: string
  leadDays?: number; checklist?: string[]; active?: boolean
}

/** The schedule's values checked: a 400 naming the first field at fault (nothing is saved). */
async function checked(db: Kysely<DB>, input: ScheduleInput, base: q.ScheduleValues | null): Promise<q.ScheduleValues> {
  const title = (input.title ?? base?.title ?? '').trim()
  if (!title) throw refuse('title', '请填写计划名称', 'title is empty')
  const assetId = input.assetId !== undefined ? input.assetId : base?.assetId ?? null
  let locationId = input.locationId ?? null
  if (assetId !== null) {
    const asset = await q.findAsset(db, assetId)
    if (!asset || !asset.active) throw refuse('assetId', `没有编号为 ${assetId} 的设备`, `no asset ${assetId}`)
    // the asset's place unless the schedule names one (a plant room beside the asset, say)
    locationId ??= input.assetId !== undefined ? asset.location_id : base?.locationId ?? asset.location_id
  }
  locationId ??= base?.locationId ?? null
  if (locationId === null) throw refuse('locationId', '请选择地点或设备', 'give a place or an asset')
  if (!(await q.findLocation(db, locationId))) throw refuse('locationId', `没有编号为 ${locationId} 的地点`, `no place ${locationId}`)
  const itemId = input.itemId ?? base?.itemId
  if (itemId === undefined) throw refuse('itemId', '请选择服务项目', 'itemId is required')
  if (!(await q.findItem(db, itemId))) throw refuse('itemId', `没有编号为 ${itemId} 的服务项目`, `no catalogue item ${itemId}`)
  const startDay = checkDay(input.startDay ?? base?.startDay ?? '', 'startDay')
  const timeOfDay = input.timeOfDay ?? base?.timeOfDay ?? '08:00'
  const rrule = normaliseRule(input.rrule ?? base?.rrule ?? '', startDay)
  const checklist = (input.checklist ?? base?.checklist ?? []).map((line) => line.trim()).filter(Boolean)
  return { title, assetId, locationId, itemId, rrule, startDay, timeOfDay, leadDays: input.leadDays ?? base?.leadDays ?? 7, checklist, active: input.active ?? base?.active ?? true }
}

const ruleOf = (s: q.ScheduleRow): PmRule => ({ rrule: s.rrule, startDay: s.start_day, timeOfDay: s.time_of_day })

function toSchedule(s: q.ScheduleRow, now: Date, timeZone: string) {
  const next = s.active ? nextDue(ruleOf(s), new Date(Math.max(now.getTime(), new Date(s.created_at).getTime())), timeZone) : null
  return {
    id: s.id, title: s.title, rrule: s.rrule, startDay: s.start_day, timeOfDay: s.time_of_day, leadDays: s.lead_days, checklist: s.checklist, active: s.active,
    asset: s.asset_id ? { id: s.asset_id, code: s.asset_code!, name: s.asset_name! } : null,
    location: { id: s.location_id, name: s.location_name }, item: { id: s.item_id, name: s.item_name, nameEn: s.item_name_en },
    nextDueAt: next?.toISOString() ?? null, createdAt: new Date(s.created_at).toISOString(),
  }
}

export async function listSchedules(db: Kysely<DB>, now: Date, timeZone: string) {
  return (await q.listSchedules(db)).map((s) => toSchedule(s, now, timeZone))
}

export async function createSchedule(db: Kysely<DB>, input: ScheduleInput, user: SessionUser, now: Date, timeZone: string) {
  const values = await checked(db, input, null)
  const { id } = await db.transaction().execute((trx) => q.insertSchedule(trx, values, user.id, now))
  const row = (await q.findSchedule(db, id))!
  await plan(db, row, now, timeZone)
  return toSchedule(row, now, timeZone)
}

export async function updateSchedule(db: Kysely<DB>, id: number, input: ScheduleInput, now: Date, timeZone: string) {
  const current = await q.findSchedule(db, id)
  if (!current) throw new HttpError(404, 'not_found', `没有编号为 ${id} 的维护计划`, undefined, { messageEn: `no PM schedule ${id}` })
  const base: q.ScheduleValues = {
    title: current.title, assetId: current.asset_id, locationId: current.location_id, itemId: current.item_id, rrule: current.rrule, startDay: current.start_day,
    timeOfDay: current.time_of_day, leadDays: current.lead_days, checklist: current.checklist, active: current.active,
  }
  // a new asset brings its place unless the edit names one
  const values = await checked(db, { ...input, locationId: input.locationId ?? (input.assetId !== undefined ? null : base.locationId) }, base)
  await db.transaction().execute(async (trx) => {
    await q.lockSchedule(trx, id)
    await q.updateSchedule(trx, id, values, now)
    // what is still only planned from now on follows the changed rule (filed and skipped ones stay)
    await q.deletePlannedFrom(trx, id, now)
  })
  const row = (await q.findSchedule(db, id))!
  if (row.active) await plan(db, row, now, timeZone)
  return toSchedule(row, now, timeZone)
}

/** Writes down the schedule's occurrences from a week back (not before it existed) to PLAN_DAYS ahead. */
async function plan(db: Kysely<DB>, s: q.ScheduleRow, now: Date, timeZone: string) {
  const from = new Date(Math.max(new Date(s.created_at).getTime(), now.getTime() - CATCH_UP_DAYS * DAY_MS))
  await q.insertPlanned(db, s.id, dueBetween(ruleOf(s), from, new Date(now.getTime() + Math.max(PLAN_DAYS, s.lead_days) * DAY_MS), timeZone))
}

function description(s: q.ScheduleRow, dueAt: Date, timeZone: string) {
  const due = localClock(dueAt, timeZone)
  const lines = [`【预防性维护】${s.title}`, ...(s.asset_id ? [`设备：${s.asset_code} ${s.asset_name}`] : []), `到期：${due.day} ${due.hhmm}`]
  if (s.checklist.length) lines.push('检查项：', ...s.checklist.map((c, i) => `${i + 1}. ${c}`))
  return lines.join('\n').slice(0, 2000)
}

/**
 * The sweep: every active schedule's coming occurrences written down, then each one within its
 * lead time filed as a work order in the same transaction that claims it, so an order is filed
 * once however many instances sweep together (the claim skips rows another instance holds).
 */
export async function generatePm(db: Kysely<DB>, now: Date, timeZone: string) {
  for (const s of await q.listSchedules(db, { activeOnly: true })) await plan(db, s, now, timeZone)
  const filed: { occurrenceId: number; workOrderId: number; number: string }[] = []
  const failed: number[] = []
  for (let i = 0; i < 500; i++) {
    let claimed: number | undefined
    try {
      const one = await db.transaction().execute(async (trx) => {
        const o = await q.claimDue(trx, now, failed)
        if (!o) return null
        claimed = o.id
        const s = (await q.findSchedule(trx, o.schedule_id))!
        const item = await q.findItem(trx, s.item_id)
        // booked so that the order's own deadline is the PM's due time; one already late is filed as it is
        const start = new Date(o.due_at).getTime() - (item?.completion_minutes[0] ?? 0) * 60_000
        const requestedAt = start > Math.max(now.getTime(), Date.now()) + 60_000 ? new Date(start).toISOString() : undefined
        const { order } = await createWorkOrder(trx, {
          itemId: s.item_id, locationId: s.location_id, urgency: 'routine', source: 'web', description: description(s, new Date(o.due_at), timeZone),
          requester: { name: '预防性维护' }, ...(requestedAt ? { requestedAt } : {}),
        }, SYSTEM, { timeZone, now })
        await q.markGenerated(trx, o.id, order.id)
        return { occurrenceId: o.id, workOrderId: order.id, number: order.number }
      })
      if (!one) break
      filed.push(one)
    } catch (err) {
      // this occurrence cannot be filed now (its item or place gone): the next sweep tries again
      if (claimed === undefined) throw err
      failed.push(claimed)
    }
  }
  return { filed, failed }
}

export type CalendarStatus = 'planned' | 'generated' | 'done' | 'overdue' | 'skipped'

/** What is due from `from` to `to` (local days, inclusive): occurrences written down, and the rule's further ones. */
export async function calendar(db: Kysely<DB>, from: string, to: string, now: Date, timeZone: string) {
  checkDay(from, 'from')
  checkDay(to, 'to')
  if (to < from) throw refuse('to', `结束日期 ${to} 早于开始日期 ${from}`, `to (${to}) is before from (${from})`)
  if (to > addDays(from, 400)) throw refuse('to', '一次最多查询 400 天', 'at most 400 days at a time')
  const start = instantOfDay(from, '00:00', timeZone), end = new Date(instantOfDay(addDays(to, 1), '00:00', timeZone).getTime() - 1)
  const [rows, all] = await Promise.all([q.occurrencesBetween(db, start, end), q.listSchedules(db)])
  const byId = new Map(all.map((s) => [s.id, s]))
  const known = new Set(rows.map((r) => `${r.schedule_id} ${new Date(r.due_at).getTime()}`))
  const entries = rows.map((r) => entry(byId.get(r.schedule_id)!, new Date(r.due_at), r, now, timeZone))
  for (const s of all) {
    if (!s.active) continue
    const since = new Date(Math.max(start.getTime(), new Date(s.created_at).getTime()))
    for (const due of dueBetween(ruleOf(s), since, end, timeZone)) {
      if (!known.has(`${s.id} ${due.getTime()}`)) entries.push(entry(s, due, null, now, timeZone))
    }
  }
  return entries.sort((a, b) => a.dueAt.localeCompare(b.dueAt) || a.schedule.id - b.schedule.id)
}

function entry(s: q.ScheduleRow, dueAt: Date, r: q.OccurrenceRow | null, now: Date, timeZone: string) {
  const completedAt = r?.order_status && DONE.includes(r.order_status) && r.order_completed_at ? new Date(r.order_completed_at) : null
  const status: CalendarStatus = r?.status === 'skipped' ? 'skipped' : completedAt ? 'done' : dueAt < now ? 'overdue' : r?.work_order_id ? 'generated' : 'planned'
  const local = localClock(dueAt, timeZone)
  return {
    id: r?.id ?? null, dueAt: dueAt.toISOString(), day: local.day, time: local.hhmm, status,
    onTime: completedAt ? completedAt <= dueAt : null,
    schedule: { id: s.id, title: s.title }, asset: s.asset_id ? { id: s.asset_id, code: s.asset_code!, name: s.asset_name! } : null,
    location: { id: s.location_id, name: s.location_name },
    workOrder: r?.work_order_id ? { id: r.work_order_id, number: r.order_number!, status: r.order_status!, completedAt: completedAt?.toISOString() ?? null } : null,
    skippedReason: r?.skipped_reason ?? null,
  }
}

/** README "Preventive maintenance": due, done on time / late, skipped, missed, still open, on-time rate. */
export async function pmKpi(db: Kysely<DB>, from: string, to: string, now: Date, timeZone: string) {
  const entries = await calendar(db, from, to, now, timeZone)
  const count = (f: (e: (typeof entries)[number]) => boolean) => entries.filter(f).length
  const doneOnTime = count((e) => e.status === 'done' && e.onTime === true)
  const doneLate = count((e) => e.status === 'done' && e.onTime === false)
  const skipped = count((e) => e.status === 'skipped')
  const missed = count((e) => e.status === 'overdue')
  const open = entries.length - doneOnTime - doneLate - skipped - missed
  const settled = entries.length - open
  return { from, to, due: entries.length, doneOnTime, doneLate, skipped, missed, open, onTimeRate: settled ? doneOnTime / settled : null }
}

/** Not to be done (the lift is being replaced, say): its order, if one is open, is cancelled with the reason. */
export async function skipOccurrence(db: Kysely<DB>, id: number, reason: string, user: SessionUser, now: Date) {
  const why = reason.trim()
  if (!why) throw refuse('reason', '请写明跳过的原因', 'reason is empty')
  const o = await q.findOccurrence(db, id)
  if (!o) throw new HttpError(404, 'not_found', `没有编号为 ${id} 的维护任务`, undefined, { messageEn: `no PM occurrence ${id}` })
  if (o.status === 'skipped') throw new HttpError(409, 'conflict', '这次维护已经跳过', undefined, { messageEn: 'this occurrence is already skipped' })
  if (o.order_status && DONE.includes(o.order_status)) throw new HttpError(409, 'conflict', `工单 ${o.order_number} 已完成，不能跳过`, undefined, { messageEn: `order ${o.order_number} is completed: it cannot be skipped` })
  if (o.work_order_id && o.order_status !== 'cancelled') {
    await transition(db, o.work_order_id, { action: 'cancel', version: o.order_version!, reason: `预防性维护跳过：${why}`.slice(0, 500) }, actorOf(user))
  }
  await db.transaction().execute(async (trx) => {
    const row = await q.lockOccurrence(trx, id)
    if (row?.status === 'skipped') throw new HttpError(409, 'conflict', '这次维护已经跳过', undefined, { messageEn: 'this occurrence is already skipped' })
    await q.markSkipped(trx, id, why.slice(0, 500), user.id, now)
  })
  return (await q.findOccurrence(db, id))!
}
