// Kysely's view of sql/0020_messaging.sql. Kept beside the domain (db/types.ts holds the shared
// tables): `withSms(db)` gives a Kysely that knows both.
import type { ColumnType, Generated, Kysely, Selectable, Transaction } from 'kysely'
import type { DB } from '../db/types.ts'

type Timestamp = ColumnType<Date, Date | string, Date | string>
type CreatedAt = ColumnType<Date, Date | string | undefined, Date | string>
type Json = ColumnType<unknown, string, string>

export type SmsCategory = 'transactional' | 'survey' | 'notice'
export type SmsStatus = 'queued' | 'sending' | 'submitted' | 'delivered' | 'failed' | 'expired' | 'rejected' | 'refused'
export type SubjectKind = 'work_order' | 'callback_task' | 'booking' | 'feedback' | 'reply'
export type InboundKind = 'rating' | 'opt_out' | 'opt_in' | 'message' | 'unknown_sender'

export type SmsTemplateTable = {
  id: Generated<number>
  code: string
  lang: 'zh' | 'en'
  category: SmsCategory
  name: string
  body: string
  sender: string | null
  active: Generated<boolean>
  version: Generated<number>
  updated_at: CreatedAt
}
export type SmsMessageTable = {
  id: Generated<number>
  recipient: string
  template_id: number | null
  template_code: string | null
  values: Json
  category: SmsCategory
  urgent: Generated<boolean>
  sender: string
  text: string
  encoding: 'gsm7' | 'ucs2'
  parts: number
  status: Generated<SmsStatus>
  gateway: string | null
  attempts: Generated<number>
  next_attempt_at: CreatedAt
  lease_until: Timestamp | null
  last_error: string | null
  held_until: Timestamp | null
  subject_kind: SubjectKind | null
  subject_id: string | null
  purpose: string | null
  dedupe_key: string | null
  created_by: number | null
  created_at: CreatedAt
  submitted_at: Timestamp | null
  final_at: Timestamp | null
}
export type SmsPartTable = {
  message_id: number
  part: number
  gateway_message_id: string
  state: Generated<'pending' | 'delivered' | 'failed' | 'expired' | 'rejected'>
  reported_at: Timestamp | null
}
export type SmsEventTable = { id: Generated<number>; message_id: number; at: CreatedAt; kind: string; detail: string | null }
export type SmsConsentTable = {
  phone: string
  category: 'survey' | 'notice'
  state: 'granted' | 'opted_out'
  source: 'desk' | 'form' | 'reply' | 'admin'
  at: CreatedAt
  by_user: number | null
}
export type SmsInboundTable = {
  id: Generated<number>
  sender: string
  recipient: Generated<string>
  text: string
  gateway: string
  received_at: CreatedAt
  message_id: number | null
  handled_as: InboundKind
  detail: Json | null
  read_at: Timestamp | null
}

/** sql/0160, 0180: where SMS is used, switched by the administrator */
export const SMS_USES = ['order.assigned', 'order.done', 'booking.reminder', 'feedback.resolved', 'callback.survey'] as const
export type SmsUse = (typeof SMS_USES)[number]
export interface SmsUseTable { code: SmsUse; enabled: boolean; updated_by: number | null; updated_at: Timestamp }

export type SmsTables = {
  sms_use: SmsUseTable
  sms_template: SmsTemplateTable
  sms_message: SmsMessageTable
  sms_part: SmsPartTable
  sms_event: SmsEventTable
  sms_consent: SmsConsentTable
  sms_inbound: SmsInboundTable
}
export type SmsDB = DB & SmsTables
export type SmsMessageRow = Selectable<SmsMessageTable>
export type SmsTemplateRow = Selectable<SmsTemplateTable>

export const withSms = (db: Kysely<DB>) => db.withTables<SmsTables>()
export type SmsTrx = Transaction<SmsDB>
