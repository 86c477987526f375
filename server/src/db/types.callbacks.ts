// Kysely's view of sql/0010_patients.sql and sql/0011_callback_plans.sql (回访: discharges and plans).
import type { ColumnType, Generated } from 'kysely'

type Timestamp = ColumnType<Date, Date | string, Date | string>
type CreatedAt = ColumnType<Date, Date | string | undefined, Date | string>
type Json<T> = ColumnType<T, string, string>
type DateOnly = ColumnType<string, string, string>

export type StayStatus = 'admitted' | 'discharged' | 'cancelled'
export type Disposition = 'home' | 'died' | 'transferred' | 'other'
export type PhoneUse = 'mobile' | 'home' | 'relative' | 'work'
export type CallbackStatus = 'planned' | 'in_progress' | 'done' | 'cancelled' | 'unreachable'
export interface CallWindow { from: string; to: string }
export interface TemplateQuestion {
  key: string
  text: string
  kind: 'scale' | 'yes_no' | 'choice' | 'text'
  options?: string[]
  required: boolean
  /** answers that make the callback urgent, e.g. "是" to 伤口出血 */
  urgentWhen?: string[]
  feedbackClass?: 'service' | 'medical' | 'environment' | 'process'
}

export interface DepartmentTable { id: Generated<number>; code: string; name: string; name_en: string; active: Generated<boolean> }
export interface DepartmentAgentTable { department_id: number; user_id: number }
export interface HisCodeMapTable { kind: 'department' | 'disposition'; code: string; department_id: number | null; disposition: Disposition | null; note: string | null }
export interface PatientTable {
  id: Generated<number>
  mrn: string
  name: string
  sex: 'F' | 'M' | 'O' | 'U'
  birth_date: DateOnly | null
  deceased: Generated<boolean>
  do_not_call: Generated<boolean>
  consent_sms: Generated<boolean>
  created_at: CreatedAt
  updated_at: CreatedAt
}
export interface PatientPhoneTable { id: Generated<number>; patient_id: number; position: number; use: PhoneUse; number: string; valid: boolean }
export interface StayTable {
  id: Generated<number>
  patient_id: number
  source: string
  visit_number: string
  department_id: number | null
  department_code: string
  ward: string | null
  bed: string | null
  attending_doctor: string | null
  responsible_nurse: string | null
  patient_class: string | null
  admitted_at: Timestamp | null
  discharged_at: Timestamp | null
  disposition_code: string | null
  disposition: Disposition | null
  status: StayStatus
  last_event: string
  origin: string
  content_hash: string
  created_at: CreatedAt
  updated_at: CreatedAt
}
export interface StayDiagnosisTable { stay_id: number; position: number; code: string; text: string }
export interface StayProcedureTable { stay_id: number; position: number; code: string; text: string; performed_at: Timestamp | null }
export interface CallbackTemplateTable {
  id: Generated<number>
  department_id: number | null
  name: string
  version: Generated<number>
  opening: string
  questions: Json<TemplateQuestion[]>
  created_at: CreatedAt
}
export interface CallbackRuleTable {
  id: Generated<number>
  department_id: number
  position: number
  name: string
  scenario: string
  is_default: Generated<boolean>
  match_codes: Generated<string[]>
  match_keywords: Generated<string[]>
  patient_class: string | null
  age_min: number | null
  age_max: number | null
  day_offset: number
  windows: Json<CallWindow[]>
  priority: Generated<number>
  template_id: number
  exclude_dispositions: Generated<string[]>
  active: Generated<boolean>
  version: Generated<number>
}
export interface CallbackTaskTable {
  id: Generated<number>
  stay_id: number
  patient_id: number
  department_id: number | null
  rule_id: number
  template_id: number
  due_date: DateOnly
  due_at: Timestamp
  windows: Json<CallWindow[]>
  priority: number
  status: Generated<CallbackStatus>
  phone: string | null
  no_number: Generated<boolean>
  assigned_user_id: number | null
  cancel_reason: string | null
  plan_reason: string
  created_at: CreatedAt
  updated_at: CreatedAt
}

export interface CallbackTables {
  department: DepartmentTable
  department_agent: DepartmentAgentTable
  his_code_map: HisCodeMapTable
  patient: PatientTable
  patient_phone: PatientPhoneTable
  stay: StayTable
  stay_diagnosis: StayDiagnosisTable
  stay_procedure: StayProcedureTable
  callback_template: CallbackTemplateTable
  callback_rule: CallbackRuleTable
  callback_task: CallbackTaskTable
}
