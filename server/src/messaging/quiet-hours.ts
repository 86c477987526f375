// Sending hours in the hospital's time zone. The seed asks for office hours (09:00–20:00) for
// anything that is not a reminder; a window may wrap midnight (e.g. 22:00-06:00 for night staff).

import { instantOf, localParts } from '../clock/local-time.ts'

export interface Window { from: number; to: number }

/** "09:00-20:00" → minutes after local midnight */
export function parseWindow(text: string): Window {
  const m = /^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/.exec(text)
  const from = m ? Number(m[1]) * 60 + Number(m[2]) : NaN
  const to = m ? Number(m[3]) * 60 + Number(m[4]) : NaN
  if (!m || from >= 24 * 60 || to > 24 * 60 || from === to) throw new Error(`SMS_QUIET_HOURS: cannot read "${text}" (expected HH:MM-HH:MM, the hours messages may go)`)
  return { from, to }
}

const inside = (w: Window, minute: number) => w.from < w.to ? minute >= w.from && minute < w.to : minute >= w.from || minute < w.to

/** null when a message may go now; otherwise when the window next opens. */
export function heldUntil(now: Date, w: Window, timeZone: string): Date | null {
  const p = localParts(now, timeZone)
  const minute = p.h * 60 + p.mi
  if (inside(w, minute)) return null
  // outside: the window opens later today, or (past today's opening) tomorrow
  const today = instantOf(p.y, p.mo, p.d, w.from, timeZone)
  if (today > now) return today
  const next = new Date(Date.UTC(p.y, p.mo - 1, p.d + 1))
  return instantOf(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), w.from, timeZone)
}

/** HH:mm in the hospital's zone, for {时间} */
export function localTime(at: Date, timeZone: string): string {
  const p = localParts(at, timeZone)
  return `${String(p.mo).padStart(2, '0')}-${String(p.d).padStart(2, '0')} ${String(p.h).padStart(2, '0')}:${String(p.mi).padStart(2, '0')}`
}
