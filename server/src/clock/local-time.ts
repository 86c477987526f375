// Wall-clock time in the hospital's zone: what the SMS quiet hours and the callback calling hours
// are written in. No domain imports; both import this.

export interface LocalParts { y: number; mo: number; d: number; h: number; mi: number; s: number }

export function localParts(at: Date, timeZone: string): LocalParts {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-CA', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(at).map((p) => [p.type, p.value]))
  return { y: Number(parts.year), mo: Number(parts.month), d: Number(parts.day), h: Number(parts.hour), mi: Number(parts.minute), s: Number(parts.second) }
}

/** The instant of a local wall-clock time (the zone's offset found by asking twice, for DST edges). */
export function instantOf(y: number, mo: number, d: number, minutes: number, timeZone: string): Date {
  const wall = Date.UTC(y, mo - 1, d, Math.floor(minutes / 60), minutes % 60)
  let guess = wall
  for (let i = 0; i < 2; i++) {
    const p = localParts(new Date(guess), timeZone)
    const seen = Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s)
    guess += wall - seen
  }
  return new Date(guess)
}

const pad = (n: number) => String(n).padStart(2, '0')

/** The local day (YYYY-MM-DD), time (HH:MM), minute of the day and ISO weekday (1 Monday … 7 Sunday). */
export function localClock(at: Date, timeZone: string) {
  const p = localParts(at, timeZone)
  const weekday = new Date(Date.UTC(p.y, p.mo - 1, p.d)).getUTCDay() || 7
  return { day: `${p.y}-${pad(p.mo)}-${pad(p.d)}`, hhmm: `${pad(p.h)}:${pad(p.mi)}`, minute: p.h * 60 + p.mi, weekday, parts: p }
}

/** The local day `days` after `day` (YYYY-MM-DD arithmetic, no zone involved). */
export function addDays(day: string, days: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number]
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10)
}

/** The instant of HH:MM on a local day. */
export function instantOfDay(day: string, hhmm: string, timeZone: string): Date {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number]
  const [h, mi] = hhmm.split(':').map(Number) as [number, number]
  return instantOf(y, m, d, h * 60 + mi, timeZone)
}
