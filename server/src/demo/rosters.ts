// The demo hospital's rosters: 早班/中班/夜班 for the transport and cleaning teams, this month and the
// next (a 夜班 porter every night), so who is on duty there follows the clock and tomorrow always has
// a roster (the transport team books by slot from it: demo/bookings.ts). Maintenance and the other
// teams stay on the manual 在岗 flags, as a hospital that has not entered rosters would, which also
// keeps the demo logins of maintenance (lead, tech) receiving orders at any hour.
// Not part of seedDemo: the test suites' demo hospital keeps the manual flags, whatever the hour.
import type { Kysely } from 'kysely'
import type { DB } from '../db/types.ts'
import { addDays, localClock } from '../clock/local-time.ts'
import { ensureDemoBookings } from './bookings.ts'

const SHIFTS = [
  { name: '早班', nameEn: 'Early', start: 8 * 60, end: 16 * 60 },
  { name: '中班', nameEn: 'Late', start: 16 * 60, end: 24 * 60 },
  { name: '夜班', nameEn: 'Night', start: 0, end: 8 * 60 },
]
const ROSTERED_TEAMS = ['transport', 'cleaning']

/** The first and last local day of the month holding `day`. */
function monthOf(day: string) {
  const first = `${day.slice(0, 8)}01`
  return { first, last: addDays(`${addDays(first, 32).slice(0, 8)}01`, -1) }
}

/**
 * Fills this month and the next (local) for the rostered demo teams where still empty; the first run
 * also makes their shift types. The transport team's booking settings are made with them.
 */
export async function ensureDemoRosters(db: Kysely<DB>, timeZone: string, now = new Date()): Promise<number> {
  const today = localClock(now, timeZone).day
  const thisMonth = monthOf(today)
  const months = [thisMonth, monthOf(addDays(thisMonth.last, 1))]
  let written = 0
  await db.transaction().execute(async (trx) => {
    const teams = await trx.selectFrom('team').select(['id', 'code']).where('code', 'in', ROSTERED_TEAMS).orderBy('id').execute()
    for (const { first, last } of months) for (const team of teams) {
      const filled = await trx.selectFrom('roster_entry').select('id').where('team_id', '=', team.id).where('day', '>=', first).where('day', '<=', last).limit(1).executeTakeFirst()
      if (filled) continue
      let types = await trx.selectFrom('shift_type').select(['id', 'name']).where('team_id', '=', team.id).where('active', '=', true).orderBy('position').execute()
      if (types.length === 0) {
        types = await trx.insertInto('shift_type').values(SHIFTS.map((s, position) => ({
          team_id: team.id, name: s.name, name_en: s.nameEn, start_minute: s.start, end_minute: s.end, position,
        }))).returning(['id', 'name']).execute()
      }
      const byName = new Map(types.map((t) => [t.name, t.id]))
      const people = await trx.selectFrom('staff').select('id').where('team_id', '=', team.id).where('active', '=', true).orderBy('id').execute()
      // a rotation over the people: each day every shift is covered once; 早班 → 夜班 → 中班 (→ a
      // day off, with four people) leaves at least 8 hours between one's shifts
      const rows = []
      for (let day = first, n = 0; day <= last; day = addDays(day, 1), n++) {
        for (const [i, person] of people.entries()) {
          const slot = (i + n) % Math.max(people.length, SHIFTS.length)
          const shift = ['早班', '夜班', '中班'][slot]
          const id = shift ? byName.get(shift) : undefined
          if (id) rows.push({ team_id: team.id, staff_id: person.id, day, shift_type_id: id })
        }
      }
      if (rows.length) await trx.insertInto('roster_entry').values(rows).execute()
      written += rows.length
    }
    await ensureDemoBookings(trx)
  })
  return written
}
