// One discharge record, whichever way it came in (REST, CSV, HL7 ADT): the HIS's words checked once,
// here, into the shape intake stores. A record that cannot be stored is refused naming the field.
import type { PhoneUse } from '../db/types.callbacks.ts'

export const EVENTS = ['A01', 'A03', 'A04', 'A08', 'A13'] as const
export type DischargeEvent = (typeof EVENTS)[number]
export const PHONE_USES: readonly PhoneUse[] = ['mobile', 'home', 'relative', 'work']
const SEXES = ['F', 'M', 'O', 'U'] as const

export const RECORD_LIMITS = { text: 200, code: 40, phones: 5, diagnoses: 20, procedures: 20 } as const
// digits with the usual separators, 5–20 digits: anything else is kept as text and flagged, never dialled
const PHONE_LIKE = /^\+?[0-9][0-9 ()-]{3,24}$/

export interface DischargeRecord {
  source: string
  event: DischargeEvent
  visitNumber: string
  origin: string
  patient: {
    mrn: string; name: string; sex: (typeof SEXES)[number]; birthDate: string | null; deceased: boolean
    doNotCall: boolean | null; phones: { use: PhoneUse; number: string; valid: boolean }[]
  }
  departmentCode: string
  ward: string | null; bed: string | null; attendingDoctor: string | null; responsibleNurse: string | null
  patientClass: string | null
  admittedAt: Date | null
  dischargedAt: Date | null
  dispositionCode: string | null
  diagnoses: { code: string; text: string }[]
  procedures: { code: string; text: string; performedAt: Date | null }[]
}

/** The REST and CSV shape of one record (CSV flattens phones, diagnoses and procedures). */
export interface RawDischarge {
  source?: unknown; event?: unknown; visitNumber?: unknown; mrn?: unknown; name?: unknown; sex?: unknown
  birthDate?: unknown; deceased?: unknown; doNotCall?: unknown; phones?: unknown; department?: unknown
  ward?: unknown; bed?: unknown; attendingDoctor?: unknown; responsibleNurse?: unknown; patientClass?: unknown
  admittedAt?: unknown; dischargedAt?: unknown; disposition?: unknown; diagnoses?: unknown; procedures?: unknown
}

export class RecordError extends Error {
  constructor(readonly field: string, message: string) { super(message) }
}

const str = (v: unknown) => (v === undefined || v === null ? '' : typeof v === 'string' ? v.trim() : typeof v === 'number' || typeof v === 'boolean' ? String(v) : null)

function text(raw: RawDischarge, field: keyof RawDischarge, opts: { required?: boolean; max?: number } = {}): string | null {
  const v = str(raw[field])
  if (v === null) throw new RecordError(field, `${field} must be text`)
  if (v.includes('\u0000')) throw new RecordError(field, `${field} contains a NUL character`)
  if (!v) { if (opts.required) throw new RecordError(field, `${field} is required`); return null }
  const max = opts.max ?? RECORD_LIMITS.text
  if (v.length > max) throw new RecordError(field, `${field} is longer than ${max} characters`)
  return v
}

function flag(raw: RawDischarge, field: 'deceased' | 'doNotCall'): boolean | null {
  const v = raw[field]
  if (v === undefined || v === null || v === '') return null
  if (v === true || v === 'true' || v === '1' || v === 'Y' || v === '是') return true
  if (v === false || v === 'false' || v === '0' || v === 'N' || v === '否') return false
  throw new RecordError(field, `${field} must be true or false`)
}

/** A calendar date that exists: 2026-02-30 is refused, not rolled into March. */
export function checkDate(y: number, m: number, d: number): boolean {
  const at = new Date(Date.UTC(y, m - 1, d))
  return at.getUTCFullYear() === y && at.getUTCMonth() === m - 1 && at.getUTCDate() === d && y >= 1850 && y <= 2200
}

// building a DateTimeFormat costs more than the rest of a row's checks: one per zone
const formatters = new Map<string, Intl.DateTimeFormat>()
function formatter(timeZone: string) {
  let f = formatters.get(timeZone)
  if (!f) formatters.set(timeZone, (f = new Intl.DateTimeFormat('en-CA', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' })))
  return f
}

/** Wall-clock time in `timeZone` to the instant it names. */
export function localTime(y: number, mo: number, d: number, h: number, mi: number, s: number, timeZone: string): Date {
  const guess = Date.UTC(y, mo - 1, d, h, mi, s)
  const parts = Object.fromEntries(formatter(timeZone).formatToParts(new Date(guess)).map((p) => [p.type, Number(p.value)]))
  const shown = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!)
  return new Date(guess - (shown - guess))
}

const ISO_LOCAL = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/

/** ISO 8601 with an offset, or a local "YYYY-MM-DD[ HH:MM[:SS]]" read in the hospital's time zone. */
export function parseTime(value: string, field: string, timeZone: string): Date {
  const m = ISO_LOCAL.exec(value)
  if (!m) throw new RecordError(field, `${field} is not a date-time: ${value}`)
  const [y, mo, d, h = 0, mi = 0, s = 0] = m.slice(1, 7).map((x) => (x === undefined ? undefined : Number(x))) as number[]
  if (!checkDate(y!, mo!, d!) || h! > 23 || mi! > 59 || s! > 59) throw new RecordError(field, `${field} is a date that does not exist: ${value}`)
  if (m[7]) return new Date(value.replace(' ', 'T').replace(/([+-]\d{2})(\d{2})$/, '$1:$2'))
  return localTime(y!, mo!, d!, h!, mi!, s!, timeZone)
}

function time(raw: RawDischarge, field: 'admittedAt' | 'dischargedAt', timeZone: string): Date | null {
  const v = text(raw, field, { max: 40 })
  return v ? parseTime(v, field, timeZone) : null
}

function list<T>(raw: RawDischarge, field: 'phones' | 'diagnoses' | 'procedures', max: number, each: (item: Record<string, unknown>, name: string) => T): T[] {
  const v = raw[field]
  if (v === undefined || v === null) return []
  if (!Array.isArray(v)) throw new RecordError(field, `${field} must be a list`)
  if (v.length > max) throw new RecordError(field, `${field} has more than ${max} entries`)
  return v.map((item, i) => {
    if (!item || typeof item !== 'object' || Array.isArray(item)) throw new RecordError(`${field}[${i}]`, `${field}[${i}] must be an object`)
    return each(item as Record<string, unknown>, `${field}[${i}]`)
  })
}

function sub(item: Record<string, unknown>, name: string, key: string, max: number, required = false): string {
  const v = str(item[key])
  if (v === null) throw new RecordError(`${name}.${key}`, `${name}.${key} must be text`)
  if (v.includes('\u0000')) throw new RecordError(`${name}.${key}`, `${name}.${key} contains a NUL character`)
  if (required && !v) throw new RecordError(`${name}.${key}`, `${name}.${key} is required`)
  if (v.length > max) throw new RecordError(`${name}.${key}`, `${name}.${key} is longer than ${max} characters`)
  return v
}

/** Check one record; throws RecordError naming the first field that is wrong. */
export function checkRecord(raw: RawDischarge, defaults: { source: string; origin: string; timeZone: string }): DischargeRecord {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new RecordError('record', 'a record must be an object')
  const known = new Set(['source', 'event', 'visitNumber', 'mrn', 'name', 'sex', 'birthDate', 'deceased', 'doNotCall', 'phones', 'department', 'ward', 'bed', 'attendingDoctor', 'responsibleNurse', 'patientClass', 'admittedAt', 'dischargedAt', 'disposition', 'diagnoses', 'procedures'])
  for (const key of Object.keys(raw)) if (!known.has(key)) throw new RecordError(key, `unknown field ${key}`)
  const event = (text(raw, 'event', { max: 3 }) ?? 'A03') as DischargeEvent
  if (!EVENTS.includes(event)) throw new RecordError('event', `event must be one of ${EVENTS.join(', ')}`)
  const sex = (text(raw, 'sex', { max: 1 })?.toUpperCase() ?? 'U') as DischargeRecord['patient']['sex']
  if (!SEXES.includes(sex)) throw new RecordError('sex', 'sex must be F, M, O or U')
  const birth = text(raw, 'birthDate', { max: 10 })
  if (birth) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birth)
    if (!m) throw new RecordError('birthDate', `birthDate must be YYYY-MM-DD: ${birth}`)
    if (!checkDate(Number(m[1]), Number(m[2]), Number(m[3])) || birth > new Date().toISOString().slice(0, 10)) throw new RecordError('birthDate', `birthDate is a date that does not exist: ${birth}`)
  }
  const phones = list(raw, 'phones', RECORD_LIMITS.phones, (item, name) => {
    const use = (sub(item, name, 'use', 10) || 'mobile') as PhoneUse
    if (!PHONE_USES.includes(use)) throw new RecordError(`${name}.use`, `${name}.use must be one of ${PHONE_USES.join(', ')}`)
    const number = sub(item, name, 'number', 40, true)
    return { use, number, valid: PHONE_LIKE.test(number) }
  })
  const admittedAt = time(raw, 'admittedAt', defaults.timeZone)
  const dischargedAt = time(raw, 'dischargedAt', defaults.timeZone)
  if (event === 'A03' && !dischargedAt) throw new RecordError('dischargedAt', 'a discharge (A03) needs dischargedAt')
  if (admittedAt && dischargedAt && dischargedAt < admittedAt) throw new RecordError('dischargedAt', 'dischargedAt is before admittedAt')
  if (dischargedAt && dischargedAt.getTime() > Date.now() + 86_400_000) throw new RecordError('dischargedAt', 'dischargedAt is more than a day in the future')
  return {
    source: text(raw, 'source', { max: RECORD_LIMITS.code }) ?? defaults.source,
    event,
    visitNumber: text(raw, 'visitNumber', { required: true, max: RECORD_LIMITS.code })!,
    origin: defaults.origin,
    patient: {
      mrn: text(raw, 'mrn', { required: true, max: RECORD_LIMITS.code })!,
      name: text(raw, 'name', { required: true, max: 100 })!,
      sex, birthDate: birth, deceased: flag(raw, 'deceased') ?? false, doNotCall: flag(raw, 'doNotCall'), phones,
    },
    departmentCode: text(raw, 'department', { required: true, max: RECORD_LIMITS.code })!,
    ward: text(raw, 'ward'), bed: text(raw, 'bed', { max: RECORD_LIMITS.code }),
    attendingDoctor: text(raw, 'attendingDoctor', { max: 100 }), responsibleNurse: text(raw, 'responsibleNurse', { max: 100 }),
    patientClass: text(raw, 'patientClass', { max: 3 }),
    admittedAt, dischargedAt,
    dispositionCode: text(raw, 'disposition', { max: RECORD_LIMITS.code }),
    diagnoses: list(raw, 'diagnoses', RECORD_LIMITS.diagnoses, (item, name) => ({ code: sub(item, name, 'code', RECORD_LIMITS.code, true), text: sub(item, name, 'text', RECORD_LIMITS.text) })),
    procedures: list(raw, 'procedures', RECORD_LIMITS.procedures, (item, name) => {
      const at = sub(item, name, 'performedAt', 40)
      return { code: sub(item, name, 'code', RECORD_LIMITS.code, true), text: sub(item, name, 'text', RECORD_LIMITS.text), performedAt: at ? parseTime(at, `${name}.performedAt`, defaults.timeZone) : null }
    }),
  }
}
