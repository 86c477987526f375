// The demo hospital's booked work: the transport team (运送中心) books patient transports by
// 15-minute slot — two jobs per porter on duty, one place kept for urgent work until 30 minutes
// before, dispatched 20 minutes ahead — so a CT escort for tomorrow 10:30 can be booked at the desk.
import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../db/types.ts'

export async function ensureDemoBookings(db: Kysely<DB> | Transaction<DB>) {
  const team = await db.selectFrom('team').select('id').where('code', '=', 'transport').executeTakeFirst()
  if (!team) return
  await db.insertInto('team_booking')
    .values({ team_id: team.id, slot_minutes: 15, jobs_per_person: 2, reserve: 1, release_minutes: 30, lead_minutes: 20, late_cancel_minutes: 60 })
    .onConflict((oc) => oc.column('team_id').doNothing()).execute()
}
