// Historical import: every row is checked first; only a file without a single error is written,
// in one transaction, so a hospital never ends up with half of its history.
import { sql, type Kysely } from 'kysely'
import type { DB, Urgency, WorkOrderStatus } from '../db/types.ts'
import { addEvents } from '../workorders/workorders.queries.ts'
import { nextOrderNumber, urgencyIndex } from '../workorders/workorders.service.ts'
import { EXTENSION_PATTERN, LIMITS, PHONE_PATTERN, STATUSES, URGENCIES } from '../workorders/workorders.schemas.ts'
import { fieldWithNul } from '../http/nul-guard.ts'
import type { RawRow } from './parse.ts'

export interface RowError { row: number; field: string; message: string }
const TIMES = ['createdAt', 'dispatchedAt', 'acceptedAt', 'arrivedAt', 'completedAt', 'closedAt', 'cancelledAt', 'ratedAt', 'responseDueAt', 'dueAt'] as const
type TimeField = (typeof TIMES)[number]
const MAX_ERRORS = 200
const CHUNK = 500
// PostgreSQL takes at most 65,535 parameters a statement: long lists go in slices of this many
const LOOKUP_CHUNK = 10_000
const NUMBER_PATTERN = /^WO-\d{8}-\d{4,}$/
const phoneLike = new RegExp(PHONE_PATTERN)
const extensionLike = new RegExp(EXTENSION_PATTERN)

interface CleanRow {
  number: string | null; itemId: number; categoryId: number; locationId: number; teamId: number; assigneeId: number | null
  description: string; urgency: Urgency; requesterName: string; requesterPhone: string | null; requesterExtension: string | null
  status: WorkOrderStatus; times: Partial<Record<TimeField, Date>>; chaseCount: number; ratingScore: number | null; cancelReason: string | null
  responseMinutes: number[]; completionMinutes: number[]
}

const str = (v: unknown) => (v === undefined || v === null ? '' : String(v).trim())

export async function importOrders(db: Kysely<DB>, rows: (RawRow | { __error: string })[], opts: { timeZone: string; userId: number; userName: string }) {
  const [items, locations, extensions, teams, staff, taken] = await Promise.all([
    db.selectFrom('item').select(['id', 'code', 'category_id', 'default_team_id', 'response_minutes', 'completion_minutes']).execute(),
    db.selectFrom('location').select('id').execute(),
    db.selectFrom('extension').select(['number', 'location_id']).execute(),
    db.selectFrom('team').select(['id', 'code']).execute(),
    db.selectFrom('staff').select(['id', 'name', 'team_id']).execute(),
    takenNumbers(db, rows.map((r) => str((r as RawRow).number)).filter((n) => NUMBER_PATTERN.test(n))),
  ])
  const itemByCode = new Map(items.map((i) => [i.code, i]))
  const locationIds = new Set(locations.map((l) => l.id))
  const locationByExt = new Map(extensions.map((e) => [e.number, e.location_id]))
  const teamByCode = new Map(teams.map((t) => [t.code, t.id]))
  const errors: RowError[] = []
  const clean: CleanRow[] = []

  rows.forEach((raw, index) => {
    const row = index + 1
    const fail = (field: string, message: string) => { if (errors.length < MAX_ERRORS) errors.push({ row, field, message }) }
    if ('__error' in raw) return fail('line', String(raw.__error))
    // a NUL cannot be stored in text: the row is refused before anything looks it up
    const nul = fieldWithNul(raw)
    if (nul !== undefined) return fail(nul, `${nul} contains a NUL character`)
    const before = errors.length
    const item = itemByCode.get(str(raw.itemCode))
    if (!item) fail('itemCode', `unknown catalogue item "${str(raw.itemCode)}"`)
    let locationId: number | undefined
    if (str(raw.locationId)) {
      locationId = Number(raw.locationId)
      if (!locationIds.has(locationId)) fail('locationId', `unknown location ${str(raw.locationId)}`)
    } else if (str(raw.extension)) {
      locationId = locationByExt.get(str(raw.extension))
      if (!locationId) fail('extension', `unknown extension ${str(raw.extension)}`)
    } else fail('locationId', 'locationId or extension is required')
    const urgency = (str(raw.urgency) || 'routine') as Urgency
    if (!URGENCIES.includes(urgency)) fail('urgency', `urgency must be one of ${URGENCIES.join(', ')}`)
    const status = str(raw.status) as WorkOrderStatus
    if (!STATUSES.includes(status)) fail('status', `status must be one of ${STATUSES.join(', ')}`)
    const requesterName = str(raw.requesterName)
    if (!requesterName) fail('requesterName', 'requesterName is required')
    else if (requesterName.length > LIMITS.requesterName) fail('requesterName', `requesterName is longer than ${LIMITS.requesterName} characters`)
    const requesterPhone = str(raw.requesterPhone)
    if (requesterPhone.length > LIMITS.requesterPhone || !phoneLike.test(requesterPhone)) fail('requesterPhone', `requesterPhone must be at most ${LIMITS.requesterPhone} digits, spaces or + - ( )`)
    const requesterExtension = str(raw.extension) ? 'extension' : 'requesterExtension'
    const extension = str(raw[requesterExtension])
    if (extension.length > LIMITS.requesterExtension || !extensionLike.test(extension)) fail(requesterExtension, `${requesterExtension} must be at most ${LIMITS.requesterExtension} digits, * or #`)
    if (str(raw.cancelReason).length > LIMITS.reason) fail('cancelReason', `cancelReason is longer than ${LIMITS.reason} characters`)
    const number = str(raw.number) || null
    if (number && !NUMBER_PATTERN.test(number)) fail('number', 'number must look like WO-YYYYMMDD-NNNN')
    else if (number && taken.has(number)) fail('number', `number ${number} exists already`)
    if (number) taken.add(number)
    const times: Partial<Record<TimeField, Date>> = {}
    for (const f of TIMES) {
      const v = str(raw[f])
      if (!v) continue
      const d = new Date(v)
      if (Number.isNaN(d.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(v)) fail(f, `${f} is not an ISO date-time: ${v}`)
      else times[f] = d
    }
    if (!times.createdAt) fail('createdAt', 'createdAt is required')
    for (const f of ['dispatchedAt', 'acceptedAt', 'arrivedAt', 'completedAt', 'closedAt', 'cancelledAt'] as const) {
      if (times[f] && times.createdAt && times[f]! < times.createdAt) fail(f, `${f} is before createdAt`)
    }
    const needs: Partial<Record<WorkOrderStatus, TimeField[]>> = { completed: ['completedAt'], closed: ['completedAt', 'closedAt'], cancelled: ['cancelledAt'], arrived: ['arrivedAt'], accepted: ['acceptedAt'] }
    for (const f of needs[status] ?? []) if (!times[f]) fail(f, `a ${status} order needs ${f}`)
    let teamId = item?.default_team_id ?? undefined
    if (str(raw.teamCode)) {
      teamId = teamByCode.get(str(raw.teamCode))
      if (!teamId) fail('teamCode', `unknown team "${str(raw.teamCode)}"`)
    } else if (item && !teamId) fail('teamCode', 'the item has no default team: teamCode is required')
    let assigneeId: number | null = null
    if (str(raw.assigneeName)) {
      const person = staff.find((s) => s.name === str(raw.assigneeName) && (!teamId || s.team_id === teamId))
      if (!person) fail('assigneeName', `no staff member "${str(raw.assigneeName)}" in the team`)
      else assigneeId = person.id
    }
    const chaseCount = str(raw.chaseCount) ? Number(raw.chaseCount) : 0
    if (!Number.isInteger(chaseCount) || chaseCount < 0 || chaseCount > 1000) fail('chaseCount', 'chaseCount must be a whole number 0–1000')
    const ratingScore = str(raw.ratingScore) ? Number(raw.ratingScore) : null
    if (ratingScore !== null && (!Number.isInteger(ratingScore) || ratingScore < 1 || ratingScore > 5)) fail('ratingScore', 'ratingScore must be 1–5')
    if (ratingScore !== null && !times.ratedAt && !times.completedAt) fail('ratedAt', 'a rating needs ratedAt (or completedAt)')
    if (str(raw.description).length > LIMITS.description) fail('description', `description is longer than ${LIMITS.description} characters`)
    if (errors.length > before || !item || !locationId || !teamId) return
    clean.push({
      number, itemId: item.id, categoryId: item.category_id, locationId, teamId, assigneeId,
      description: str(raw.description), urgency, requesterName, requesterPhone: requesterPhone || null,
      requesterExtension: extension || null, status, times, chaseCount, ratingScore,
      cancelReason: str(raw.cancelReason) || null, responseMinutes: item.response_minutes, completionMinutes: item.completion_minutes,
    })
  })
  if (rows.length === 0) errors.push({ row: 0, field: 'body', message: 'no rows' })
  if (errors.length) return { ok: false as const, errors }

  const numbers = await db.transaction().execute(async (trx) => {
    // numbers the file brings are taken: the daily counters move past them before any is generated
    const lastOfDay = new Map<string, number>()
    for (const r of clean) {
      if (!r.number) continue
      const day = `${r.number.slice(3, 7)}-${r.number.slice(7, 9)}-${r.number.slice(9, 11)}`
      lastOfDay.set(day, Math.max(lastOfDay.get(day) ?? 0, Number(r.number.slice(12))))
    }
    const counters = [...lastOfDay].map(([day, last]) => ({ day, last }))
    for (let i = 0; i < counters.length; i += LOOKUP_CHUNK) {
      await trx.insertInto('order_counter').values(counters.slice(i, i + LOOKUP_CHUNK))
        .onConflict((oc) => oc.column('day').doUpdateSet({ last: sql<number>`GREATEST(order_counter.last, excluded.last)` })).execute()
    }
    const written: string[] = []
    for (let i = 0; i < clean.length; i += CHUNK) {
      const chunk = clean.slice(i, i + CHUNK)
      const values = []
      for (const r of chunk) {
        const t = r.times, created = t.createdAt!, u = urgencyIndex(r.urgency)
        const number = r.number ?? (await nextOrderNumber(trx, opts.timeZone, created))
        values.push({
          number, item_id: r.itemId, category_id: r.categoryId, location_id: r.locationId, description: r.description,
          requester_name: r.requesterName, requester_phone: r.requesterPhone, requester_extension: r.requesterExtension,
          requested_at: created, urgency: r.urgency, source: 'import' as const, team_id: r.teamId, assignee_id: r.assigneeId,
          routing_reason: 'imported', status: r.status, created_by: opts.userId, created_at: created,
          dispatched_at: t.dispatchedAt ?? null, accepted_at: t.acceptedAt ?? null, arrived_at: t.arrivedAt ?? null,
          completed_at: t.completedAt ?? null, closed_at: t.closedAt ?? null, cancelled_at: t.cancelledAt ?? null,
          response_due_at: t.responseDueAt ?? new Date(created.getTime() + r.responseMinutes[u]! * 60_000),
          due_at: t.dueAt ?? new Date(created.getTime() + r.completionMinutes[u]! * 60_000),
          chase_count: r.chaseCount, rating_score: r.ratingScore, rated_at: r.ratingScore ? (t.ratedAt ?? t.completedAt!) : null,
          completed_by: t.completedAt ? r.assigneeId : null, cancel_reason: r.cancelReason,
          // an imported order is history: it does not escalate today
          escalation_level: 99,
        })
      }
      const inserted = await trx.insertInto('work_order').values(values).returning(['id', 'number']).execute()
      await addEvents(trx, inserted.map((o) => ({ workOrderId: o.id, kind: 'imported', actorUserId: opts.userId, actorName: opts.userName })))
      written.push(...inserted.map((o) => o.number))
    }
    return written
  })
  return { ok: true as const, imported: numbers.length, first: numbers[0] ?? null, last: numbers[numbers.length - 1] ?? null }
}

/** Which of these order numbers exist already. */
async function takenNumbers(db: Kysely<DB>, numbers: string[]): Promise<Set<string>> {
  const taken = new Set<string>()
  for (let i = 0; i < numbers.length; i += LOOKUP_CHUNK) {
    const rows = await db.selectFrom('work_order').select('number').where('number', 'in', numbers.slice(i, i + LOOKUP_CHUNK)).execute()
    for (const r of rows) taken.add(r.number)
  }
  return taken
}
