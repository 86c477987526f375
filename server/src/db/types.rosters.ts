// Kysely's view of sql/0100_rosters.sql: shift types, roster entries, leave and duty overrides.
import type { ColumnType, Generated } from 'kysely'

type CreatedAt = ColumnType<Date, Date | string | undefined, Date | string>
/** a local day, YYYY-MM-DD: the queries read it as `day::text` (a driver would make it a Date at some zone's midnight) */
type Day = ColumnType<string, string, string>

export type LeaveKind = 'leave' | 'sick' | 'training' | 'other'
export type DutySource = 'override' | 'manual' | 'leave' | 'roster' | 'off_roster' | 'inactive'

export interface ShiftTypeTable {
  id: Generated<number>
  team_id: number
  name: string
  name_en: string | null
  start_minute: number
  end_minute: number
  crosses_midnight: Generated<boolean>
  position: Generated<number>
  active: Generated<boolean>
}
export interface RosterEntryTable {
  id: Generated<number>
  team_id: number
  staff_id: number
  day: Day
  shift_type_id: number
  updated_by: number | null
  updated_at: CreatedAt
}
export interface StaffLeaveTable {
  id: Generated<number>
  staff_id: number
  from_day: Day
  to_day: Day
  kind: LeaveKind
  note: Generated<string>
  created_by: number | null
  created_by_name: string | null
  created_at: CreatedAt
}
export interface DutyOverrideTable {
  staff_id: number
  day: Day
  on_duty: boolean
  set_by: number | null
  set_by_name: string
  set_at: CreatedAt
}

export interface RosterTables {
  shift_type: ShiftTypeTable
  roster_entry: RosterEntryTable
  staff_leave: StaffLeaveTable
  duty_override: DutyOverrideTable
}
