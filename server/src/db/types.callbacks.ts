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

export interface DepartmentTable { id: Generated<number>; code: string; name: string; name_en: string; active: Generated<boolean>; kind: Generated<'clinical' | 'office'> }
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
  /** sql/0180: their callbacks go as an SMS link to a survey page, not as a call */
  prefers_sms: Generated<boolean>
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
  /** null for a follow-up (the patient asked again about a feedback item) */
  rule_id: number | null
  kind: Generated<'plan' | 'follow_up'>
  feedback_id: number | null
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
  attempts: Generated<number>
  next_attempt_at: Timestamp | null
  phone_position: number | null
  skip_phones: Generated<number[]>
  appointment_at: Timestamp | null
  outcome: TaskOutcome | null
  answers: Json<Record<string, string>> | null
  completed_at: Timestamp | null
  completed_by: number | null
  /** sql/0180: the survey link sent by SMS, until when it holds, when the patient answered it */
  survey_sent_at: Timestamp | null
  survey_expires_at: Timestamp | null
  survey_answered_at: Timestamp | null
}

export type TaskOutcome = 'completed' | 'refused' | 'readmitted' | 'deceased' | 'unreachable' | 'do_not_call'
export type Disposition2 = 'completed' | 'no_answer' | 'busy' | 'invalid_number' | 'unreachable' | 'refused' | 'wrong_person' | 'call_back_later' | 'readmitted' | 'deceased' | 'agent_missed'
export interface CallbackAttemptTable {
  id: Generated<number>
  task_id: number
  agent_user_id: number
  call_id: number | null
  phone_position: number
  phone_use: string
  progressive: boolean
  started_at: Timestamp
  answered_at: Timestamp | null
  ended_at: Timestamp | null
  wrap_up_until: Timestamp | null
  outcome: string | null
  disposition: Disposition2 | null
  disposed_at: Timestamp | null
  notes: string | null
  answers: Json<Record<string, string>> | null
  talk_sec: number | null
  wrap_sec: number | null
}
export type AgentChosenState = 'offline' | 'ready' | 'paused'
export type PauseReason = 'break' | 'training' | 'meeting' | 'other' | 'phone'
export interface CallbackAgentTable { user_id: number; state: Generated<AgentChosenState>; reason: PauseReason | null; since: CreatedAt }
export interface CallbackPolicyTable {
  id: Generated<number>
  department_id: number | null
  max_attempts: Generated<number>
  no_answer_minutes: Generated<number>
  busy_minutes: Generated<number>
  unreachable_minutes: Generated<number>
  give_up_days: Generated<number>
  wrap_up_seconds: Generated<number>
  version: Generated<number>
}
export interface DoNotCallTable {
  id: Generated<number>
  patient_id: number | null
  number: string | null
  reason: string
  added_by: number | null
  added_at: CreatedAt
  lifted_by: number | null
  lifted_at: Timestamp | null
  lift_reason: string | null
}

/** sql/0180: secrets every instance shares (the survey link's signing key) */
export interface AppSecretTable { name: string; value: string; created_at: CreatedAt }

export interface CallbackTables {
  app_secret: AppSecretTable
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
  callback_attempt: CallbackAttemptTable
  callback_agent: CallbackAgentTable
  callback_policy: CallbackPolicyTable
  do_not_call: DoNotCallTable
  department_member: DepartmentMemberTable
  feedback_route: FeedbackRouteTable
  feedback: FeedbackTable
  feedback_event: FeedbackEventTable
  feedback_attachment: FeedbackAttachmentTable
}

export type FeedbackClass = 'service' | 'medical' | 'environment' | 'process'
export type FeedbackStatus = 'open' | 'resolved' | 'closed' | 'reopened' | 'cannot_resolve'
export interface DepartmentMemberTable { department_id: number; user_id: number; is_head: Generated<boolean> }
export interface FeedbackRouteTable { id: Generated<number>; position: number; class: FeedbackClass; subject_department_id: number | null; responsible_department_id: number; hours: Generated<number>; urgent_hours: Generated<number> }
export interface FeedbackTable {
  id: Generated<number>
  source: 'callback' | 'agent' | 'hotline' | 'sms'
  class: FeedbackClass
  subject_department_id: number | null
  responsible_department_id: number
  text: string
  urgent: Generated<boolean>
  patient_id: number | null
  stay_id: number | null
  callback_task_id: number | null
  attempt_id: number | null
  call_id: number | null
  work_order_id: number | null
  status: Generated<FeedbackStatus>
  deadline_at: Timestamp
  escalation_level: Generated<number>
  resolution: string | null
  contacted_by: string | null
  resolved_by: number | null
  resolved_at: Timestamp | null
  resolved_in_time: boolean | null
  follow_up_task_id: number | null
  patient_satisfied: boolean | null
  patient_words: string | null
  created_by: number | null
  created_at: CreatedAt
  updated_at: CreatedAt
  version: Generated<number>
  kind: Generated<'complaint' | 'praise'>
  /** where it came from, once: order:<id>, sms-score:<work order event id>, sms:<inbound id> */
  origin: string | null
  hotline_order_id: number | null
}
export interface FeedbackAttachmentTable { id: Generated<number>; feedback_id: number; name: string; mime: 'image/jpeg' | 'image/png' | 'application/pdf'; size: number; data: Uint8Array; uploaded_by: number | null; at: CreatedAt }
export interface FeedbackEventTable { id: Generated<number>; feedback_id: number; at: CreatedAt; kind: string; user_id: number | null; from_department_id: number | null; to_department_id: number | null; note: string | null }
