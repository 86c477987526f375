// Historical import: every row is checked first, batch by batch as the file is read; only a
// file without a single error is written (imports.apply.ts), so a hospital never ends up with
// half of its history.
import type { Kysely } from 'kysely'
import type { DB, Urgency, WorkOrderStatus } from '../db/types.ts'
import { EXTENSION_PATTERN, LIMITS, PHONE_PATTERN, STATUSES, URGENCIES } from '../workorders/workorders.schemas.ts'
import { fieldWithNul } from '../http/nul-guard.ts'
import type { ParsedRow, RawRow } from './parse.ts'

export interface RowError { row: number; field: string; message: string }
const TIMES = ['createdAt', 'dispatchedAt', 'acceptedAt', 'arrivedAt', 'completedAt', 'closedAt', 'cancelledAt', 'ratedAt', 'responseDueAt', 'dueAt'] as const
export type TimeField = (typeof TIMES)[number]
export const MAX_ERRORS = 200
// PostgreSQL takes at most 65,535 parameters a statement: long lists go in slices of this many
export const LOOKUP_CHUNK = 10_000
const NUMBER_PATTERN = /^WO-\d{8}-\d{4,}$/
const phoneLike = new RegExp(PHONE_PATTERN)
const extensionLike = new RegExp(EXTENSION_PATTERN)

export interface CleanRow {
  number: string | null; itemId: number; categoryId: number; locationId: number; teamId: number; assigneeId: number | null
  description: string; urgency: Urgency; requesterName: string; requesterPhone: string | null; requesterExtension: string | null
  status: WorkOrderStatus; times: Partial<Record<TimeField, Date>>; chaseCount: number; ratingScore: number | null; cancelReason: string | null
  responseMinutes: number[]; completionMinutes: number[]
}

const str = (v: unknown) => (v === undefined || v === null ? '' : String(v).trim())

async function loadRefs(db: Kysely<DB>) {
  const [items, locations, extensions, teams, staff] = await Promise.all([
    db.selectFrom('item').select(['id', 'code', 'category_id', 'default_team_id', 'response_minutes', 'completion_minutes']).execute(),
    db.selectFrom('location').select('id').execute(),
    db.selectFrom('extension').select(['number', 'location_id']).execute(),
    db.selectFrom('team').select(['id', 'code']).execute(),
    db.selectFrom('staff').select(['id', 'name', 'team_id']).execute(),
  ])
  return {
    itemByCode: new Map(items.map((i) => [i.code, i])),
    locationIds: new Set(locations.map((l) => l.id)),
    locationByExt: new Map(extensions.map((e) => [e.number, e.location_id])),
    teamByCode: new Map(teams.map((t) => [t.code, t.id])),
    staff,
  }
}

/**
 * The check of one import, fed its rows a batch at a time. Clean rows are kept only while the file
 * has no error: after the first, nothing will be written, so only the errors (at most 200) are.
 */
export class ImportCheck {
  readonly errors: RowError[] = []
  clean: CleanRow[] = []
  rows = 0
  // numbers in the database or earlier in the file
  private readonly taken = new Set<string>()

  private constructor(private readonly db: Kysely<DB>, private readonly refs: Awaited<ReturnType<typeof loadRefs>>) {}

  static async start(db: Kysely<DB>) { return new ImportCheck(db, await loadRefs(db)) }

  /** Enough errors to answer with: reading further would add nothing to the answer. */
  get full() { return this.errors.length >= MAX_ERRORS }

  async add(batch: ParsedRow[]) {
    const numbers = batch.map((r) => str((r as RawRow).number)).filter((n) => NUMBER_PATTERN.test(n) && !this.taken.has(n))
    for (const n of await takenNumbers(this.db, numbers)) this.taken.add(n)
    for (const raw of batch) this.check(raw, ++this.rows)
    if (this.errors.length) this.clean = []
  }

  /** The rows to write, or every error found (with "no rows" for an empty file). */
  finish(): { ok: true; rows: CleanRow[] } | { ok: false; errors: RowError[] } {
    if (this.rows === 0) this.errors.push({ row: 0, field: 'body', message: 'no rows' })
    return this.errors.length ? { ok: false, errors: this.errors } : { ok: true, rows: this.clean }
  }

  private check(raw: ParsedRow, row: number) {
    const fail = (field: string, message: string) => { if (this.errors.length < MAX_ERRORS) this.errors.push({ row, field, message }) }
    if ('__error' in raw) return fail('line', String(raw.__error))
    // a NUL cannot be stored in text: the row is refused before anything looks it up
    const nul = fieldWithNul(raw)
    if (nul !== undefined) return fail(nul, `${nul} contains a NUL character`)
    const item = this.refs.itemByCode.get(str(raw.itemCode))
    if (!item) fail('itemCode', `unknown catalogue item "${str(raw.itemCode)}"`)
    let locationId: number | undefined
    if (str(raw.locationId)) {
      locationId = Number(raw.locationId)
      if (!this.refs.locationIds.has(locationId)) fail('locationId', `unknown location ${str(raw.locationId)}`)
    } else if (str(raw.extension)) {
      locationId = this.refs.locationByExt.get(str(raw.extension))
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
    else if (number && this.taken.has(number)) fail('number', `number ${number} exists already`)
    if (number) this.taken.add(number)
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
      teamId = this.refs.teamByCode.get(str(raw.teamCode))
      if (!teamId) fail('teamCode', `unknown team "${str(raw.teamCode)}"`)
    } else if (item && !teamId) fail('teamCode', 'the item has no default team: teamCode is required')
    let assigneeId: number | null = null
    if (str(raw.assigneeName)) {
      const person = this.refs.staff.find((s) => s.name === str(raw.assigneeName) && (!teamId || s.team_id === teamId))
      if (!person) fail('assigneeName', `no staff member "${str(raw.assigneeName)}" in the team`)
      else assigneeId = person.id
    }
    const chaseCount = str(raw.chaseCount) ? Number(raw.chaseCount) : 0
    if (!Number.isInteger(chaseCount) || chaseCount < 0 || chaseCount > 1000) fail('chaseCount', 'chaseCount must be a whole number 0–1000')
    const ratingScore = str(raw.ratingScore) ? Number(raw.ratingScore) : null
    if (ratingScore !== null && (!Number.isInteger(ratingScore) || ratingScore < 1 || ratingScore > 5)) fail('ratingScore', 'ratingScore must be 1–5')
    if (ratingScore !== null && !times.ratedAt && !times.completedAt) fail('ratedAt', 'a rating needs ratedAt (or completedAt)')
    if (str(raw.description).length > LIMITS.description) fail('description', `description is longer than ${LIMITS.description} characters`)
    // after the first error nothing is written: no row is kept
    if (this.errors.length || !item || !locationId || !teamId) return
    this.clean.push({
      number, itemId: item.id, categoryId: item.category_id, locationId, teamId, assigneeId,
      description: str(raw.description), urgency, requesterName, requesterPhone: requesterPhone || null,
      requesterExtension: extension || null, status, times, chaseCount, ratingScore,
      cancelReason: str(raw.cancelReason) || null, responseMinutes: item.response_minutes, completionMinutes: item.completion_minutes,
    })
  }
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
