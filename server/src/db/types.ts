// Kysely's view of the schema in sql/. Kept by hand beside the migrations; snake_case as in SQL.
import type { ColumnType, Generated, Selectable } from 'kysely'
import type { CallbackTables } from './types.callbacks.ts'
import type { RosterTables } from './types.rosters.ts'
import type { BookingTables } from './types.bookings.ts'
import type { MaintenanceTables } from './types.maintenance.ts'
import type { ReportTables } from './types.reports.ts'

type Timestamp = ColumnType<Date, Date | string, Date | string>
type CreatedAt = ColumnType<Date, Date | string | undefined, Date | string>
type Json = ColumnType<unknown, string, string>

export type Urgency = 'routine' | 'urgent' | 'critical'
export type WorkOrderStatus = 'new' | 'dispatched' | 'accepted' | 'arrived' | 'on_hold' | 'completed' | 'closed' | 'cancelled'
export type Role = 'operator' | 'technician' | 'team_lead' | 'manager' | 'callback_agent' | 'dept_handler' | 'admin'
export type OrderSource = 'phone' | 'walk_in' | 'web' | 'import'

export interface LocationTable {
  id: Generated<number>
  parent_id: number | null
  kind: 'campus' | 'building' | 'floor' | 'room' | 'ward' | 'area'
  name: string
  name_en: string | null
  full_name: string
  campus_id: number | null
  building_id: number | null
  zone: string | null
  active: Generated<boolean>
}
export interface ExtensionTable { number: string; location_id: number; label: string | null }
export interface TeamTable { id: Generated<number>; code: string; name: string; name_en: string; lead_staff_id: number | null }
export interface ServicePointTable { id: Generated<number>; team_id: number; name: string; name_en: string | null; location_id: number | null }
export interface StaffTable {
  id: Generated<number>
  team_id: number
  name: string
  phone: string | null
  skills: Generated<string[]>
  on_duty: Generated<boolean>
  idle_since: CreatedAt
  active: Generated<boolean>
}
export interface AppUserTable {
  id: Generated<number>
  username: string
  display_name: string
  password_hash: string
  role: Role
  staff_id: number | null
  team_id: number | null
  phone_device: string | null
  active: Generated<boolean>
  failed_logins: Generated<number>
  locked_until: Timestamp | null
}
export interface UserSessionTable { token_hash: string; user_id: number; created_at: CreatedAt; expires_at: Timestamp }
export interface CategoryTable { id: Generated<number>; code: string; name: string; name_en: string; sort: Generated<number> }
export interface ItemTable {
  id: Generated<number>
  category_id: number
  code: string
  name: string
  name_en: string
  pinyin: Generated<string>
  default_team_id: number | null
  response_minutes: number[]
  completion_minutes: number[]
  tools: Generated<string[]>
  script: Generated<string>
  active: Generated<boolean>
  complaint: Generated<boolean>
  /** the class an order of this item becomes as feedback (投诉与反馈); null: not feedback */
  feedback_class: 'service' | 'medical' | 'environment' | 'process' | null
}
export interface RoutingRuleTable {
  id: Generated<number>
  position: number
  name: string
  category_id: number | null
  item_id: number | null
  campus_id: number | null
  building_id: number | null
  zone: string | null
  time_from: string | null
  time_to: string | null
  team_id: number
  service_point_id: number | null
  active: Generated<boolean>
  version: Generated<number>
}
export interface OrderCounterTable { day: string; last: number }
export interface WorkOrderTable {
  id: Generated<number>
  number: string
  item_id: number
  category_id: number
  location_id: number
  description: Generated<string>
  requester_name: string
  requester_phone: string | null
  requester_extension: string | null
  requested_at: Timestamp
  booked: Generated<boolean>
  urgency: Urgency
  tools: Generated<string[]>
  source: Generated<OrderSource>
  call_id: string | null
  team_id: number
  service_point_id: number | null
  assignee_id: number | null
  routing_rule_id: number | null
  routing_reason: Generated<string>
  status: WorkOrderStatus
  held_from: WorkOrderStatus | null
  hold_reason: string | null
  cancel_reason: string | null
  created_by: number | null
  created_at: CreatedAt
  dispatched_at: Timestamp | null
  accepted_at: Timestamp | null
  arrived_at: Timestamp | null
  completed_at: Timestamp | null
  closed_at: Timestamp | null
  cancelled_at: Timestamp | null
  response_due_at: Timestamp
  due_at: Timestamp
  chase_count: Generated<number>
  rework_count: Generated<number>
  escalation_level: Generated<number>
  printed_at: Timestamp | null
  rating_score: number | null
  rating_comment: string | null
  rated_at: Timestamp | null
  completion_note: string | null
  completed_by: number | null
  idempotency_key: string | null
  version: Generated<number>
  /** sql/0120: the booked slot, when it was booked (app clock), reminders sent, no-show, late cancel */
  booked_for: Timestamp | null
  booked_at: Timestamp | null
  reminded_day_at: Timestamp | null
  reminded_hour_at: Timestamp | null
  no_show_at: Timestamp | null
  no_show_by: string | null
  late_cancel: Generated<boolean>
}
export interface WorkOrderEventTable {
  id: Generated<number>
  work_order_id: number
  at: CreatedAt
  kind: string
  actor_user_id: number | null
  actor_name: string | null
  from_status: string | null
  to_status: string | null
  note: string | null
  call_id: string | null
  data: Json | null
}
export interface NotificationTable {
  id: Generated<number>
  user_id: number
  work_order_id: number | null
  kind: string
  message: string
  /** sql/0150: a report to download (the weekly summary) */
  report_job_id: number | null
  created_at: CreatedAt
  read_at: Timestamp | null
}

/** sql/0080: a job sheet sent to a service point's printer, confirmed by the station */
export interface JobSheetPrintTable {
  id: Generated<number>
  work_order_id: number
  service_point_id: number | null
  reprint: Generated<boolean>
  sent_at: CreatedAt
  sent_by: number | null
  sent_by_name: string
  confirmed_at: Timestamp | null
  confirmed_by: number | null
  confirmed_by_name: string | null
}

export interface AuditLogTable {
  id: Generated<number>
  at: CreatedAt
  user_id: number | null
  username: string | null
  action: string
  subject: string
  detail: Json | null
  ip: string | null
}

export interface CallTable {
  id: Generated<number>
  linkedid: string | null
  direction: 'in' | 'out'
  caller_number: string | null
  caller_name: string | null
  callee_number: string | null
  operator_user_id: number | null
  operator_device: string | null
  state: 'ringing' | 'answered' | 'ended' | 'missed' | 'dialing' | 'failed'
  called_back_by: number | null
  outcome: 'answered' | 'missed' | 'busy' | 'no_answer' | 'invalid_number' | 'unreachable' | 'operator_no_answer' | 'cancelled' | 'failed' | null
  hangup_cause: number | null
  hangup_cause_text: string | null
  started_at: CreatedAt
  answered_at: Timestamp | null
  ended_at: Timestamp | null
  duration_sec: number | null
  recording_file: string | null
  recording_deleted_at: Timestamp | null
  work_order_id: number | null
  manual: Generated<boolean>
  note: string | null
  created_by: number | null
}

export interface DB extends CallbackTables, RosterTables, MaintenanceTables, BookingTables, ReportTables {
  call: CallTable
  audit_log: AuditLogTable
  location: LocationTable
  extension: ExtensionTable
  team: TeamTable
  service_point: ServicePointTable
  staff: StaffTable
  app_user: AppUserTable
  user_session: UserSessionTable
  category: CategoryTable
  item: ItemTable
  routing_rule: RoutingRuleTable
  order_counter: OrderCounterTable
  work_order: WorkOrderTable
  work_order_view: WorkOrderViewTable
  work_order_event: WorkOrderEventTable
  notification: NotificationTable
  job_sheet_print: JobSheetPrintTable
}

/** sql/0008: the order with the names every screen shows, and whether it is overdue now */
export interface WorkOrderViewTable extends WorkOrderTable {
  item_name: string
  item_name_en: string
  category_name: string
  category_name_en: string
  location_name: string
  location_building_id: number | null
  team_name: string
  team_name_en: string
  service_point_name: string | null
  service_point_name_en: string | null
  assignee_name: string | null
  overdue: boolean
}

export type WorkOrderRow = Selectable<WorkOrderTable>
export type AppUser = Selectable<AppUserTable>
