// The feedback loop as the department handler sees it (server/src/feedback/feedback.routes.ts): an
// item, its case with the timeline, and what the clock says of its deadline.
import { ApiError } from '$lib/api'
import { i18n, m } from '$lib/i18n/index.svelte'

export type FeedbackClass = 'service' | 'medical' | 'environment' | 'process'
export const CLASSES: FeedbackClass[] = ['service', 'medical', 'environment', 'process']
export type FeedbackStatus = 'open' | 'resolved' | 'closed' | 'reopened' | 'cannot_resolve'
export const FILTERS = ['active', 'resolved', 'closed'] as const
export type Filter = (typeof FILTERS)[number]

interface Named { id: number; name: string; nameEn: string | null }
export interface FeedbackItem {
  id: number; source: string; class: FeedbackClass; classText: { zh: string; en: string }; text: string; urgent: boolean; status: FeedbackStatus
  deadlineAt: string; overdue: boolean; escalationLevel: number; createdAt: string; resolvedAt: string | null; resolvedInTime: boolean | null; resolution: string | null
  patientSatisfied: boolean | null; patientWords: string | null; version: number; callId: number | null
  workOrder: { id: number; number: string | null; status: string | null } | null; followUpTaskId: number | null
  responsible: Named; subject: Named | null
  patient: { id: number | null; name: string; ward: string | null; bed: string | null } | null
  /** praise is passed on to the office and closed at once */
  kind: 'complaint' | 'praise'
  /** the hotline order it came from (a complaint filed at the desk, an order rated low by SMS) */
  hotlineOrder: { id: number; number: string | null } | null
}
export interface FeedbackAttachment { id: number; name: string; mime: string; size: number; at: string; by?: string | null }
export interface FeedbackEvent { kind: string; at: string; note: string | null; by: string | null; to: string | null }
export interface FeedbackCase extends FeedbackItem { events: FeedbackEvent[]; attachments: FeedbackAttachment[] }

/** still waiting for the responsible office: only these can be resolved, transferred, given up or filed as an order */
export const isOpen = (f: Pick<FeedbackItem, 'status'>) => f.status === 'open' || f.status === 'reopened'

/** the server's Chinese name for the class; in English the catalogue's */
export const classText = (f: Pick<FeedbackItem, 'classText' | 'class'>) => (i18n.locale === 'en' ? m().feedback.classes[f.class] ?? f.classText?.en : f.classText?.zh ?? m().feedback.classes[f.class]) ?? f.class
export const statusText = (s: string) => m().feedback.statuses[s as FeedbackStatus] ?? s
export const where = (p: FeedbackItem['patient']) => (p ? [p.ward, p.bed ? m().feedback.bed.replace('{bed}', p.bed) : null].filter(Boolean).join(' ') : '')

/** the deadline against the screen's clock, to the second: 剩余 23:59:58 / 已超期 1:05:00 */
export function deadline(f: Pick<FeedbackItem, 'deadlineAt' | 'status'>, now: number): { text: string; overdue: boolean; soon: boolean } | null {
  if (!isOpen(f)) return null
  const t = m().feedback
  const ms = Date.parse(f.deadlineAt) - now
  const s = Math.floor(Math.abs(ms) / 1000)
  const h = Math.floor(s / 3600), min = Math.floor((s % 3600) / 60), sec = s % 60
  const span = `${h}:${String(min).padStart(2, '0')}:${String(sec).padStart(2, '0')}`
  return ms < 0 ? { text: t.overdue.replace('{t}', span), overdue: true, soon: false } : { text: t.left.replace('{t}', span), overdue: false, soon: ms < 3_600_000 }
}

/** the server's own words (Chinese first), in English when the screen is and the server gave them */
export function serverSays(err: unknown): string {
  if (err instanceof ApiError) return (i18n.locale === 'en' && err.body?.messageEn) || err.message
  return m().errors.network
}
