// The 回访规则 screen's view of the API: rules (GET/POST/PUT /api/callback-rules), question templates
// (GET/POST /api/callback-templates, a save being a new version) and the HIS code table (GET/PUT /api/his-codes).
import { ApiError, errorText } from '$lib/api'
import type { Question } from '../callbacks'

export interface Department { id: number; code: string; name: string; nameEn: string; kind?: string }
export interface Window { from: string; to: string }
export interface Rule {
  id: number; departmentId: number; department: string; position: number; name: string; scenario: string; isDefault: boolean
  matchCodes: string[]; matchKeywords: string[]; patientClass: string | null; ageMin: number | null; ageMax: number | null
  dayOffset: number; windows: Window[]; priority: number; templateId: number; template: string; excludeDispositions: string[]; active: boolean; version: number
}
export type TemplateQuestion = Question & { feedbackClass?: string | null }
export interface Template {
  id: number; name: string; version: number; latest: boolean; department: { id: number; name: string; nameEn: string } | null
  opening: string; questions: TemplateQuestion[]; rules: number; createdAt: string
}
export interface HisCode { kind: 'department' | 'disposition'; code: string; departmentId: number | null; department: string | null; disposition: string | null; note: string | null }

export const DISPOSITIONS = ['died', 'transferred', 'other', 'home'] as const
export const PLACEHOLDERS = ['称呼', '姓名', '科室', '天数', '医生', '手术', '诊断'] as const
export const FEEDBACK_CLASSES = ['service', 'medical', 'environment', 'process'] as const
export const KINDS = ['scale', 'yes_no', 'choice', 'text'] as const

/** A refusal as a form shows it: the field it names (`questions.2.options`) and the text. */
export interface FieldError { field?: string; text: string }
export const fieldError = (err: unknown): FieldError => ({ field: err instanceof ApiError ? err.field : undefined, text: errorText(err) })

/** "E11, E14，糖尿病" → ["E11", "E14", "糖尿病"] */
export const list = (text: string) => text.split(/[,，、;；]/).map((s) => s.trim()).filter(Boolean)

/** The answers a question can have, as the dialer takes them; none for free text. */
export function answersOf(q: TemplateQuestion): string[] {
  if (q.kind === 'scale') return ['1', '2', '3', '4', '5']
  if (q.kind === 'yes_no') return ['是', '否']
  if (q.kind === 'choice') return q.options ?? []
  return []
}
