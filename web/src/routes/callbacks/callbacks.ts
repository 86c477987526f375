// The callback workspace's view of docs/CALLBACKS.md: the agent's state, the queue, the patient card.
// Numbers arrive masked from the server; `masked` masks once more so none is ever shown whole here.
import { i18n } from '$lib/i18n/index.svelte'

export type AgentState = 'offline' | 'ready' | 'dialing' | 'on_call' | 'wrap_up' | 'paused'
export type PauseReason = 'break' | 'training' | 'meeting' | 'other'
export const PAUSE_REASONS: PauseReason[] = ['break', 'training', 'meeting', 'other']
export const DISPOSITIONS = ['completed', 'no_answer', 'busy', 'invalid_number', 'unreachable', 'refused', 'wrong_person', 'call_back_later', 'readmitted', 'deceased'] as const
export type Disposition = (typeof DISPOSITIONS)[number]

export interface Counters { due: number; done: number; left: number; retries: number }
export interface Current { taskId: number; attemptId: number | null; callId: string | number | null; stage: 'agent_ringing' | 'patient_ringing' | 'talking' | 'ended' | string; outcome: string | null }
export interface Me {
  state: AgentState; reason: string | null; since: string | null; wrapUpUntil: string | null; wrapUpSeconds: number
  current: Current | null; counters: Counters
  /** GET only: whether the hospital's calling hours are open now */
  callingHours?: { open: boolean; windows: { from: string; to: string }[]; days: number[] }
}

export interface QueueItem {
  id: number; status: string; priority: number; dueAt: string; windows: { from: string; to: string }[]; inWindow: boolean
  nextAttemptAt: string | null; attempts: number; appointmentAt: string | null
  /** a survey link out by SMS and still open: nobody dials meanwhile */
  surveyUntil?: string | null
  patient: { name: string; sex: string; age: number | null }; department: string | { name: string; nameEn?: string | null } | null; departmentEn?: string | null; pool?: boolean; procedure: string | null; phone: string | null
}
export interface Queue { today: string; counters: Counters; items: QueueItem[] }

export interface Question {
  key: string; text: string; kind: 'scale' | 'yes_no' | 'choice' | 'text'; options?: string[]; required: boolean; urgentWhen?: string[]
}

/** The card as the workspace shows it, whatever the server nests where. */
export interface Card {
  id: number; status: string
  patient: { name: string; sex: string; age: number | null }
  department: string; departmentEn: string | null; ward: string | null; bed: string | null; doctor: string | null; nurse: string | null
  dischargedAt: string | null; daysSince: number | null; procedure: string | null; diagnosis: string | null
  phones: { use: string | null; number: string }[]
  opening: string; questions: Question[]
  attempts: { id: number; at: string | null; outcome: string | null; disposition: string | null; phone: string | null; use: string | null; agent: string | null }[]
  earlier: { id: number; at: string | null; title: string; status: string | null; disposition: string | null; notes: string | null }[]
  /** an answered attempt still waiting for its disposition */
  openAttemptId: number | null
  /** the survey link by SMS, if one went; whether the patient would rather text */
  survey: { sentAt: string; expiresAt: string | null; answeredAt: string | null } | null
  prefersSms: boolean
}

const text = (v: unknown): string | null => (v === null || v === undefined || v === '' ? null : typeof v === 'object' ? String((v as any).name ?? (v as any).text ?? '') || null : String(v))

/** Never a whole number on this screen: keep the first 3 and the last 4 digits. */
export function masked(phone: string | null | undefined): string {
  if (!phone) return ''
  if (phone.includes('*')) return phone
  const digits = phone.replace(/\D/g, '')
  if (digits.length < 7) return '****'
  return `${digits.slice(0, 3)}****${digits.slice(-4)}`
}

export function toCard(raw: any): Card {
  const stay = raw.stay ?? {}
  const patient = raw.patient ?? {}
  // the attempts of this callback: `history` (where `attempts` is their count) or `attempts` itself
  const list: any[] = Array.isArray(raw.attempts) ? raw.attempts : Array.isArray(raw.history) ? raw.history : []
  const attempts = list.map((a: any) => ({
    id: a.id, at: a.startedAt ?? a.at ?? a.createdAt ?? null, outcome: a.outcome ?? null, disposition: a.disposition ?? null,
    phone: a.phone ? masked(a.phone) : null, use: a.phoneUse ?? null, agent: text(a.agent) ?? a.agentName ?? null,
  }))
  const open = attempts.find((a: Card['attempts'][number]) => a.outcome === 'answered' && !a.disposition)
  return {
    id: raw.id ?? raw.task?.id, status: raw.status ?? raw.task?.status ?? '',
    patient: { name: patient.name ?? '', sex: patient.sex ?? 'U', age: patient.age ?? null },
    department: text(stay.department ?? raw.department) ?? '', departmentEn: stay.departmentEn ?? null, ward: stay.ward ?? null, bed: stay.bed ?? null,
    doctor: stay.doctor ?? stay.attendingDoctor ?? null, nurse: stay.nurse ?? stay.responsibleNurse ?? null,
    dischargedAt: stay.discharged ?? stay.dischargedAt ?? null, daysSince: stay.daysSince ?? stay.daysSinceDischarge ?? null,
    procedure: text(stay.procedure), diagnosis: text(stay.diagnosis),
    phones: (raw.phones ?? (raw.phone ? [{ number: raw.phone }] : [])).map((p: any) => (typeof p === 'string' ? { use: null, number: masked(p) } : { use: p.use ?? null, number: masked(p.number ?? p.phone) })),
    opening: raw.opening ?? '', questions: raw.questions ?? raw.template?.questions ?? [],
    attempts,
    earlier: (raw.earlier ?? []).map((e: any) => ({
      id: e.id, at: e.at ?? e.completedAt ?? e.dueDate ?? e.dueAt ?? null, title: text(e.template) ?? text(e.department) ?? e.title ?? '',
      status: e.status ?? null, disposition: e.disposition ?? e.outcome ?? null, notes: e.notes ?? null,
    })),
    openAttemptId: raw.openAttemptId ?? open?.id ?? null,
    survey: raw.survey ?? null, prefersSms: Boolean(patient.prefersSms),
  }
}

export const departmentName = (d: QueueItem['department'], en?: string | null) => (i18n.locale === 'en' && en ? en : d === null ? '' : typeof d === 'string' ? d : (i18n.locale === 'en' && d.nameEn) || d.name)

/** `2026-12-01T10:00` in the browser's own time, as a datetime-local input wants it */
export function localInput(date: Date) {
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`
}
