// How many of each team are on duty, read every 30 s: an order nobody has taken in a team where
// nobody is on duty waits in the pool with nobody to take it, and the board says so.
import { get } from '$lib/api'

export function createDutyWatch(everyMs = 30_000) {
  const state = $state<{ onDuty: Record<number, number> | null }>({ onDuty: null })
  async function read() {
    try {
      const staff: { teamId: number; onDuty: boolean }[] = (await get('/api/staff')).items
      const counts: Record<number, number> = {}
      for (const s of staff) counts[s.teamId] = (counts[s.teamId] ?? 0) + (s.onDuty ? 1 : 0)
      state.onDuty = counts
    } catch {
      // a role that may not read the staff list, or the server away: no flag rather than a wrong one
    }
  }
  read()
  const timer = setInterval(read, everyMs)
  return {
    /** unassigned, and nobody of its team on duty (unknown counts flag nothing) */
    stranded: (o: { assignee: unknown; team: { id: number } }) => !o.assignee && state.onDuty !== null && (state.onDuty[o.team.id] ?? 0) === 0,
    read,
    stop: () => clearInterval(timer),
  }
}
