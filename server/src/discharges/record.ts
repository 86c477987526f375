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

const LABELS: Record<string, string> = {
  record: '记录', source: '来源', event: '事件', visitNumber: '住院号', mrn: '病案号', name: '姓名', sex: '性别', birthDate: '出生日期',
  deceased: '死亡标记', doNotCall: '免打扰', phones: '电话', mobile: '手机', homePhone: '家庭电话', relativePhone: '亲属电话', department: '科室', ward: '病区', bed: '床位',
  attendingDoctor: '主治医生', responsibleNurse: '责任护士', patientClass: '住院类别', admittedAt: '入院时间', dischargedAt: '出院时间',
  disposition: '出院情况', diagnoses: '诊断', procedures: '手术', body: '文件',
}
const PARTS: Record<string, string> = { number: '号码', use: '用途', code: '编码', text: '名称', performedAt: '时间' }

/** A field as the supervisor reads it: phones[1].number → 电话第 2 条的号码. */
export function fieldLabel(field: string): string {
  const m = /^([A-Za-z]+)(?:\[(\d+)\])?(?:\.([A-Za-z]+))?$/.exec(field)
  if (!m) return field
  return `${LABELS[m[1]!] ?? m[1]}${m[2] !== undefined ? `第 ${Number(m[2]) + 1} 条` : ''}${m[3] ? `的${PARTS[m[3]] ?? m[3]}` : ''}`
}

/** A record refused at a field: `message` in English (the HL7 ACK's and integration engines' words), `zh` for the screens. */
export class RecordError extends Error {
  constructor(readonly field: string, message: string, readonly zh: string) { super(message) }
}

const str = (v: unknown) => (v === undefined || v === null ? '' : typeof v === 'string' ? v.trim() : typeof v === 'number' || typeof v === 'boolean' ? String(v) : null)

function text(raw: RawDischarge, field: keyof RawDischarge, opts: { required?: boolean; max?: number } = {}): string | null {
  const v = str(raw[field])
  if (v === null) throw new RecordError(field, `${field} must be text`, `${fieldLabel(field)}必须是文字`)
  if (v.includes('\u0000')) throw new RecordError(field, `${field} contains a NUL character`, `${fieldLabel(field)}含有空字符（NUL）`)
  if (!v) { if (opts.required) throw new RecordError(field, `${field} is required`, `缺少${fieldLabel(field)}`); return null }
  const max = opts.max ?? RECORD_LIMITS.text
  if (v.length > max) throw new RecordError(field, `${field} is longer than ${max} characters`, `${fieldLabel(field)}超过 ${max} 个字`)
  return v
}

function flag(raw: RawDischarge, field: 'deceased' | 'doNotCall'): boolean | null {
  const v = raw[field]
  if (v === undefined || v === null || v === '') return null
  if (v === true || v === 'true' || v === '1' || v === 'Y' || v === '是') return true
  if (v === false || v === 'false' || v === '0' || v === 'N' || v === '否') return false
  throw new RecordError(field, `${field} must be true or false`, `${fieldLabel(field)}只能是 是/否（true/false）`)
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
  if (!m) throw new RecordError(field, `${field} is not a date-time: ${value}`, `${fieldLabel(field)}不是日期时间：${value}`)
  const [y, mo, d, h = 0, mi = 0, s = 0] = m.slice(1, 7).map((x) => (x === undefined ? undefined : Number(x))) as number[]
  if (!checkDate(y!, mo!, d!) || h! > 23 || mi! > 59 || s! > 59) throw new RecordError(field, `${field} is a date that does not exist: ${value}`, `${fieldLabel(field)}是不存在的日期：${value}`)
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
  if (!Array.isArray(v)) throw new RecordError(field, `${field} must be a list`, `${fieldLabel(field)}必须是列表`)
  if (v.length > max) throw new RecordError(field, `${field} has more than ${max} entries`, `${fieldLabel(field)}超过 ${max} 条`)
  return v.map((item, i) => {
    if (!item || typeof item !== 'object' || Array.isArray(item)) throw new RecordError(`${field}[${i}]`, `${field}[${i}] must be an object`, `${fieldLabel(`${field}[${i}]`)}格式不对`)
    return each(item as Record<string, unknown>, `${field}[${i}]`)
  })
}

function sub(item: Record<string, unknown>, name: string, key: string, max: number, required = false): string {
  const v = str(item[key])
  if (v === null) throw new RecordError(`${name}.${key}`, `${name}.${key} must be text`, `${fieldLabel(`${name}.${key}`)}必须是文字`)
  if (v.includes('\u0000')) throw new RecordError(`${name}.${key}`, `${name}.${key} contains a NUL character`, `${fieldLabel(`${name}.${key}`)}含有空字符（NUL）`)
  if (required && !v) throw new RecordError(`${name}.${key}`, `${name}.${key} is required`, `缺少${fieldLabel(`${name}.${key}`)}`)
  if (v.length > max) throw new RecordError(`${name}.${key}`, `${name}.${key} is longer than ${max} characters`, `${fieldLabel(`${name}.${key}`)}超过 ${max} 个字`)
  return v
}

/** Check one record; throws RecordError naming the first field that is wrong. */
export function checkRecord(raw: RawDischarge, defaults: { source: string; origin: string; timeZone: string }): DischargeRecord {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new RecordError('record', 'a record must be an object', '每条记录必须是一个对象')
  const known = new Set(['source', 'event', 'visitNumber', 'mrn', 'name', 'sex', 'birthDate', 'deceased', 'doNotCall', 'phones', 'department', 'ward', 'bed', 'attendingDoctor', 'responsibleNurse', 'patientClass', 'admittedAt', 'dischargedAt', 'disposition', 'diagnoses', 'procedures'])
  for (const key of Object.keys(raw)) if (!known.has(key)) throw new RecordError(key, `unknown field ${key}`, `不认识的字段 ${key}`)
  const event = (text(raw, 'event', { max: 3 }) ?? 'A03') as DischargeEvent
  if (!EVENTS.includes(event)) throw new RecordError('event', `event must be one of ${EVENTS.join(', ')}`, `事件只能是 ${EVENTS.join('、')}`)
  const sex = (text(raw, 'sex', { max: 1 })?.toUpperCase() ?? 'U') as DischargeRecord['patient']['sex']
  if (!SEXES.includes(sex)) throw new RecordError('sex', 'sex must be F, M, O or U', '性别只能是 F（女）、M（男）、O（其他）或 U（未知）')
  const birth = text(raw, 'birthDate', { max: 10 })
  if (birth) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birth)
    if (!m) throw new RecordError('birthDate', `birthDate must be YYYY-MM-DD: ${birth}`, `出生日期应写成 YYYY-MM-DD：${birth}`)
    if (!checkDate(Number(m[1]), Number(m[2]), Number(m[3])) || birth > new Date().toISOString().slice(0, 10)) throw new RecordError('birthDate', `birthDate is a date that does not exist: ${birth}`, `出生日期是不存在的日期：${birth}`)
  }
  const phones = list(raw, 'phones', RECORD_LIMITS.phones, (item, name) => {
    const use = (sub(item, name, 'use', 10) || 'mobile') as PhoneUse
    if (!PHONE_USES.includes(use)) throw new RecordError(`${name}.use`, `${name}.use must be one of ${PHONE_USES.join(', ')}`, `${fieldLabel(`${name}.use`)}只能是 ${PHONE_USES.join('、')}`)
    const number = sub(item, name, 'number', 40, true)
    return { use, number, valid: PHONE_LIKE.test(number) }
  })
  const admittedAt = time(raw, 'admittedAt', defaults.timeZone)
  const dischargedAt = time(raw, 'dischargedAt', defaults.timeZone)
  if (event === 'A03' && !dischargedAt) throw new RecordError('dischargedAt', 'a discharge (A03) needs dischargedAt', '出院（A03）必须有出院时间')
  if (admittedAt && dischargedAt && dischargedAt < admittedAt) throw new RecordError('dischargedAt', 'dischargedAt is before admittedAt', '出院时间早于入院时间')
  if (dischargedAt && dischargedAt.getTime() > Date.now() + 86_400_000) throw new RecordError('dischargedAt', 'dischargedAt is more than a day in the future', '出院时间在一天以后：请核对')
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
