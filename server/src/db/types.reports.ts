// Kysely's view of sql/0150_report_jobs.sql: report exports run as jobs, and the weekly summary.
import type { ColumnType, Generated } from 'kysely'

type CreatedAt = ColumnType<Date, Date | string | undefined, Date | string>
type Timestamp = ColumnType<Date, Date | string, Date | string>
type Json = ColumnType<unknown, string, string>

export type ReportJobStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled'

export interface ReportJobTable {
  id: Generated<number>
  owner_id: number | null
  owner_name: string
  report: string
  format: 'xlsx' | 'pdf'
  query: Json
  status: Generated<ReportJobStatus>
  rows_done: Generated<number>
  rows_total: Generated<number>
  file_name: string
  file_bytes: Buffer | null
  file_size: number | null
  error: string | null
  /** a local day, YYYY-MM-DD (read as text) */
  weekly_key: ColumnType<string | null, string | null | undefined, string | null>
  claim: string | null
  attempts: Generated<number>
  heartbeat_at: Timestamp | null
  created_at: CreatedAt
  started_at: Timestamp | null
  finished_at: Timestamp | null
  expires_at: Timestamp | null
}

export interface ReportTables { report_job: ReportJobTable }
