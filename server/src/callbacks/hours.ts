// When a patient may be called: the hospital's calling hours (CALLING_HOURS, CALLING_DAYS) and the
// task's own windows, both in local time. A window is [from, to): 12:00 is already lunch.
import { addDays, instantOfDay, localClock } from '../clock/local-time.ts'
import type { CallWindow } from '../db/types.callbacks.ts'

export interface CallingHours { windows: CallWindow[]; days: number[] }

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/

/** "09:00-12:00,14:00-20:00" and "1-6" (ISO weekdays; "1-5,7" works too) */
export function parseCallingHours(hours: string, days: string): CallingHours {
  const windows = hours.split(',').map((part) => {
    const [from, to] = part.trim().split('-').map((x) => x.trim().padStart(5, '0'))
    if (!from || !to || !HHMM.test(from) || !HHMM.test(to) || from >= to) throw new Error(`CALLING_HOURS: cannot read "${part}" (expected HH:MM-HH:MM[,HH:MM-HH:MM], each ending after it starts)`)
    return { from, to }
  })
  const set = new Set<number>()
  for (const part of days.split(',')) {
    const m = /^\s*([1-7])\s*(?:-\s*([1-7]))?\s*$/.exec(part)
    if (!m) throw new Error(`CALLING_DAYS: cannot read "${part}" (ISO weekdays 1 Monday … 7 Sunday, e.g. 1-6)`)
    for (let d = Number(m[1]); d <= Number(m[2] ?? m[1]); d++) set.add(d)
  }
  return { windows, days: [...set].sort() }
}

const inside = (windows: CallWindow[], hhmm: string) => windows.some((w) => w.from <= hhmm && hhmm < w.to)

export function withinCallingHours(now: Date, hours: CallingHours, timeZone: string): boolean {
  const c = localClock(now, timeZone)
  return hours.days.includes(c.weekday) && inside(hours.windows, c.hhmm)
}

export function withinWindows(now: Date, windows: CallWindow[], timeZone: string): boolean {
  return inside(windows, localClock(now, timeZone).hhmm)
}

/**
 * The first moment after `now` (not counting the window `now` is in) when both the task's windows and
 * the calling hours are open: "try again in the next window".
 */
export function nextWindowStart(now: Date, windows: CallWindow[], hours: CallingHours, timeZone: string): Date {
  const today = localClock(now, timeZone).day
  for (let i = 0; i < 14; i++) {
    const day = addDays(today, i)
    const weekday = new Date(`${day}T12:00:00Z`).getUTCDay() || 7
    if (!hours.days.includes(weekday)) continue
    // the opening instants of each overlap of a task window with a calling window, in order
    const starts = windows.flatMap((w) => hours.windows.map((h) => ({ from: w.from > h.from ? w.from : h.from, to: w.to < h.to ? w.to : h.to })))
      .filter((o) => o.from < o.to).map((o) => instantOfDay(day, o.from, timeZone)).sort((a, b) => a.getTime() - b.getTime())
    const next = starts.find((s) => s.getTime() > now.getTime())
    if (next) return next
  }
  return new Date(now.getTime() + 86_400_000)
}
