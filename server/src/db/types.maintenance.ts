// Kysely's view of sql/0130_maintenance.sql: the asset register, PM schedules and their occurrences.
import type { ColumnType, Generated } from 'kysely'

type CreatedAt = ColumnType<Date, Date | string | undefined, Date | string>
type Timestamp = ColumnType<Date, Date | string, Date | string>
/** a local day, YYYY-MM-DD: the queries read it as `start_day::text` (a driver would make it a Date at some zone's midnight) */
type Day = ColumnType<string, string, string>

export const ASSET_KINDS = ['lift', 'chiller', 'medical_gas', 'generator', 'other'] as const
export type AssetKind = (typeof ASSET_KINDS)[number]
export type PmStatus = 'planned' | 'generated' | 'done' | 'skipped'

export interface AssetTable {
  id: Generated<number>
  code: string
  name: string
  kind: AssetKind
  location_id: number
  active: Generated<boolean>
  created_at: CreatedAt
}
export interface PmScheduleTable {
  id: Generated<number>
  title: string
  asset_id: number | null
  location_id: number
  item_id: number
  rrule: string
  start_day: Day
  time_of_day: string
  lead_days: Generated<number>
  checklist: ColumnType<string[], string, string>
  active: Generated<boolean>
  created_by: number | null
  created_at: CreatedAt
  updated_at: CreatedAt
}
export interface PmOccurrenceTable {
  id: Generated<number>
  schedule_id: number
  due_at: Timestamp
  work_order_id: number | null
  status: Generated<PmStatus>
  skipped_reason: string | null
  skipped_by: number | null
  skipped_at: Date | null
  created_at: CreatedAt
}

export interface MaintenanceTables {
  asset: AssetTable
  pm_schedule: PmScheduleTable
  pm_occurrence: PmOccurrenceTable
}
