// A PM schedule's RRULE (RFC 5545, one line) on the hospital's local dates. The rule is expanded
// by the rrule library on "floating" dates only — each local day written as that day's midnight
// UTC — and each local day plus the schedule's time of day becomes an instant through
// instantOfDay in the hospital's zone: rrule never does time-zone arithmetic here.
import rrule from 'rrule'
import { HttpError, refuseField } from '../http/errors.ts'
import { addDays, instantOfDay, localClock } from '../clock/local-time.ts'

const { RRule } = rrule

/** 400 naming the field, in Chinese with the English beside it. */
export const refuse = refuseField

const MAX_COUNT = 1000
const WEEKDAY = '([+-]?[1-5]?[0-9])?(MO|TU|WE|TH|FR|SA|SU)'
// what a maintenance rule may say; times of day come from the schedule, not the rule
const PARTS: Record<string, RegExp> = {
  FREQ: /^(DAILY|WEEKLY|MONTHLY|YEARLY)$/,
  INTERVAL: /^[1-9][0-9]{0,2}$/,
  COUNT: /^[1-9][0-9]{0,3}$/,
  UNTIL: /^[0-9]{8}(T[0-9]{6}Z?)?$/,
  BYDAY: new RegExp(`^${WEEKDAY}(,${WEEKDAY})*$`),
  BYMONTHDAY: /^-?[0-9]{1,2}(,-?[0-9]{1,2})*$/,
  BYMONTH: /^[0-9]{1,2}(,[0-9]{1,2})*$/,
  BYSETPOS: /^-?[0-9]{1,3}(,-?[0-9]{1,3})*$/,
  BYWEEKNO: /^-?[0-9]{1,2}(,-?[0-9]{1,2})*$/,
  BYYEARDAY: /^-?[0-9]{1,3}(,-?[0-9]{1,3})*$/,
  WKST: /^(MO|TU|WE|TH|FR|SA|SU)$/,
}

/** The local day as rrule's floating date (its midnight UTC), and back. */
const floating = (day: string) => new Date(`${day}T00:00:00Z`)
const dayOf = (d: Date) => d.toISOString().slice(0, 10)

export interface PmRule { rrule: string; startDay: string; timeOfDay: string }

/** The rule as stored (upper case, no RRULE: prefix); a 400 naming `rrule` when it cannot be used. */
export function normaliseRule(text: string, startDay: string): string {
  const line = text.trim().replace(/^RRULE:/i, '').toUpperCase()
  if (!line) throw refuse('rrule', '请填写重复规则（RRULE）', 'rrule is empty')
  if (/[\r\n]/.test(line)) throw refuse('rrule', 'RRULE 只能是一行（开始日期另填）', 'rrule must be one RRULE line (the start day is a field of its own)')
  const seen = new Set<string>()
  for (const part of line.split(';')) {
    const [key, value, ...rest] = part.split('=')
    if (!key || value === undefined || rest.length) throw refuse('rrule', `RRULE 无法解析：“${part}”不是 名称=值`, `rrule does not parse: "${part}" is not NAME=VALUE`)
    const pattern = PARTS[key]
    if (!pattern) throw refuse('rrule', `RRULE 不支持 ${key}（时间在“时间”一栏填写）`, `rrule: ${key} is not supported here (the time of day is a field of its own)`)
    if (!pattern.test(value)) throw refuse('rrule', `RRULE 无法解析：${key}=${value}`, `rrule does not parse: ${key}=${value}`)
    if (seen.has(key)) throw refuse('rrule', `RRULE 中 ${key} 出现了两次`, `rrule gives ${key} twice`)
    seen.add(key)
  }
  if (!seen.has('FREQ')) throw refuse('rrule', 'RRULE 缺少 FREQ（如 FREQ=MONTHLY）', 'rrule has no FREQ (e.g. FREQ=MONTHLY)')
  if (!seen.has('COUNT') && !seen.has('UNTIL')) throw refuse('rrule', 'RRULE 永不结束：请给出次数（COUNT）或截止日期（UNTIL）', 'rrule never ends: give a COUNT or an UNTIL date')
  if (seen.has('COUNT') && seen.has('UNTIL')) throw refuse('rrule', 'RRULE 不能同时有 COUNT 和 UNTIL', 'rrule may not have both COUNT and UNTIL')
  let first: Date | null
  try {
    const options = RRule.parseString(line)
    if ((options.count ?? 0) > MAX_COUNT) throw refuse('rrule', `COUNT 最多 ${MAX_COUNT} 次`, `COUNT is at most ${MAX_COUNT}`)
    first = new RRule({ ...options, dtstart: floating(startDay) }).after(floating(startDay), true)
  } catch (err) {
    if (err instanceof HttpError) throw err
    throw refuse('rrule', `RRULE 无法解析：${(err as Error).message}`, `rrule does not parse: ${(err as Error).message}`)
  }
  if (!first) throw refuse('rrule', `这条 RRULE 从 ${startDay} 起一次也不会发生`, `rrule never happens from ${startDay} on`)
  return line
}

function ruleOf(r: PmRule) {
  return new RRule({ ...RRule.parseString(r.rrule), dtstart: floating(r.startDay) })
}

/** The instants the schedule is due at from `from` to `to` (both inclusive), in the hospital's zone. */
export function dueBetween(r: PmRule, from: Date, to: Date, timeZone: string): Date[] {
  if (to < from) return []
  // a day either side: the local day of an instant can be the UTC day before or after
  const days = ruleOf(r).between(floating(addDays(localClock(from, timeZone).day, -1)), floating(addDays(localClock(to, timeZone).day, 1)), true)
  return days.map((d) => instantOfDay(dayOf(d), r.timeOfDay, timeZone)).filter((at) => at >= from && at <= to)
}

/** The first time the schedule is due at or after `at` (null: the rule has ended). */
export function nextDue(r: PmRule, at: Date, timeZone: string): Date | null {
  const rule = ruleOf(r)
  for (let d = rule.after(floating(addDays(localClock(at, timeZone).day, -1)), true); d; d = rule.after(d, false)) {
    const due = instantOfDay(dayOf(d), r.timeOfDay, timeZone)
    if (due >= at) return due
  }
  return null
}
