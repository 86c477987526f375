// Kysely's view of sql/0120_bookings.sql: each team's booking settings (the work order's own
// booking columns are on WorkOrderTable).
import type { ColumnType, Generated } from 'kysely'

type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>

export interface TeamBookingTable {
  team_id: number
  slot_minutes: Generated<number>
  jobs_per_person: Generated<number>
  reserve: Generated<number>
  release_minutes: Generated<number>
  lead_minutes: Generated<number>
  late_cancel_minutes: Generated<number>
  updated_by: number | null
  updated_at: UpdatedAt
}

export interface BookingTables {
  team_booking: TeamBookingTable
}
