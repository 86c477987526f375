// Messaging's rules: what may be sent to whom and when (consent by category, quiet hours, opt-out),
// the text and its parts, and what a reply or a delivery report does. Subjects (orders, callbacks,
// bookings) ask it to send "template T to number N about S"; a reply naming S goes back to the
// handler that S's domain registered (app.ts wires them), so messaging never imports them.
import type { Kysely } from 'kysely'
import type { DB } from '../db/types.ts'
import { HttpError, badRequest } from '../http/errors.ts'
import { MAX_PARTS, normaliseMobile, render, segment, unknownPlaceholders } from './text.ts'
import { heldUntil, type Window } from './quiet-hours.ts'
import type { DeliveryReport, InboundSms } from './gateway.ts'
import type { SmsCategory, SmsMessageRow, SubjectKind } from './messaging.types.ts'
import {
  answeredBefore, applyMessageReport, applyPartReport, consentOf, everSentTo, findTemplate, insertInbound, insertMessage,
  lastSurveyTo, setConsent,
} from './messaging.queries.ts'

export interface MessagingSettings {
  sender: string
  window: Window
  timeZone: string
  hospitalName: string
  /** 退订, TD, T, STOP and whatever SMS_OPT_OUT_KEYWORDS adds */
  optOutKeywords: string[]
  /** the clock: tests move it */
  now: () => Date
}

export interface SendRequest {
  to: string
  template: string
  lang?: 'zh' | 'en'
  values?: Record<string, string>
  subject?: { kind: SubjectKind; id: string }
  purpose?: string
  /** one message per key however many times (and instances) ask */
  dedupeKey?: string
  urgent?: boolean
  createdBy?: number | null
}

export interface Reply { subjectId: string; purpose: string | null; score: number; text: string; from: string; messageId: number }
/** What a subject's domain does with a 1–5 reply to a survey about it; it answers what it did. */
export type ReplyHandler = (reply: Reply) => Promise<{ handled: boolean; detail?: unknown }>

const OPT_OUT_HINT = { zh: '回复TD退订', en: 'Reply STOP to opt out' }
export const DEFAULT_OPT_OUT_KEYWORDS = ['退订', 'TD', 'T', 'STOP', 'UNSUBSCRIBE']

export class Messaging {
  private handlers = new Map<SubjectKind, ReplyHandler>()
  /** receipts that came before the submit they answer was recorded: tried again a few times */
  private early = new Map<string, { report: DeliveryReport; until: number }>()

  constructor(readonly db: Kysely<DB>, readonly settings: MessagingSettings) {}

  onReply(kind: SubjectKind, handler: ReplyHandler) { this.handlers.set(kind, handler) }

  /** The text a template makes, with the opt-out hint every survey and notice carries. */
  async compose(code: string, lang: 'zh' | 'en', values: Record<string, string>) {
    const template = await findTemplate(this.db, code, lang)
    if (!template || !template.active) throw new HttpError(422, 'no_template', `no active SMS template ${code}`, 'template')
    const unknown = unknownPlaceholders(template.body)
    if (unknown.length) throw new HttpError(422, 'bad_template', `template ${code} uses unknown placeholders: ${unknown.join(', ')}`, 'template')
    const { text, missing } = render(template.body, { 医院: this.settings.hospitalName, 退订: OPT_OUT_HINT[template.lang], ...values })
    if (missing.length) throw badRequest('values', `template ${code} needs ${missing.map((m) => `{${m}}`).join(', ')}`)
    const withHint = template.category !== 'transactional' && !this.mentionsOptOut(text) ? `${text}${OPT_OUT_HINT[template.lang]}` : text
    return { template, text: withHint }
  }

  private mentionsOptOut(text: string) {
    const upper = text.toUpperCase()
    return upper.includes('退订') || upper.includes('STOP')
  }

  /**
   * Queues a message, or records why it may not go (refused: no consent, opted out). A message
   * outside the sending hours is queued for the moment they open; transactional messages (job
   * notices, reminders of a booked time) go at any hour, as the person is waiting on them.
   */
  async send(req: SendRequest): Promise<SmsMessageRow> {
    const to = normaliseMobile(req.to)
    if (!to) throw badRequest('to', `${req.to.slice(0, 30)} is not a mobile number`)
    const { template, text } = await this.compose(req.template, req.lang ?? 'zh', req.values ?? {})
    const s = segment(text)
    if (s.parts.length > MAX_PARTS) throw new HttpError(422, 'too_long', `the message would be ${s.parts.length} parts; at most ${MAX_PARTS}`, 'values')
    const now = this.settings.now()
    const refusal = await this.refusal(to, template.category)
    const held = refusal || template.category === 'transactional' ? null : heldUntil(now, this.settings.window, this.settings.timeZone)
    const { row } = await insertMessage(this.db, {
      recipient: to, templateId: template.id, templateCode: template.code, values: req.values ?? {}, category: template.category,
      urgent: req.urgent ?? false, sender: template.sender ?? this.settings.sender, text, encoding: s.encoding, parts: s.parts.length,
      status: refusal ? 'refused' : 'queued', nextAttemptAt: held ?? now, heldUntil: held, lastError: refusal,
      subjectKind: req.subject?.kind ?? null, subjectId: req.subject?.id ?? null, purpose: req.purpose ?? null,
      dedupeKey: req.dedupeKey ?? null, createdBy: req.createdBy ?? null, now,
    })
    return row
  }

  /** Why a category may not go to this number, or null. */
  async refusal(phone: string, category: SmsCategory): Promise<string | null> {
    if (category === 'transactional') return null
    const consent = (await consentOf(this.db, phone)).find((c) => c.category === category)
    if (consent?.state === 'opted_out') return `opted out of ${category} (${consent.source}, ${consent.at.toISOString()})`
    if (category === 'notice' && consent?.state !== 'granted') return 'no consent to notices'
    return null
  }

  /** A delivery report from any gateway. Unknown ids are kept a minute: the submit may not be recorded yet. */
  async report(report: DeliveryReport): Promise<'applied' | 'pending' | 'unknown'> {
    if (report.state === 'pending') return 'pending'
    const now = this.settings.now()
    if (report.messageId !== undefined) {
      return (await applyMessageReport(this.db, report.messageId, report.state, now, report.detail)) ? 'applied' : 'unknown'
    }
    const id = report.gatewayId!.toLowerCase()
    const found = await applyPartReport(this.db, alternateIds(id), report.state, now, report.detail)
    if (found !== null) { this.early.delete(id); return 'applied' }
    if (!this.early.has(id)) {
      this.early.set(id, { report, until: Date.now() + 60_000 })
      this.retryLater(id, 100)
    }
    return 'unknown'
  }

  /** An early receipt tried again on its own, 0.1 s doubling to 5 s apart, for a minute. */
  private retryLater(id: string, delay: number) {
    setTimeout(() => {
      const entry = this.early.get(id)
      if (!entry) return
      if (Date.now() > entry.until) { this.early.delete(id); return }
      this.report(entry.report).then((r) => { if (r === 'unknown') this.retryLater(id, Math.min(5000, delay * 2)) }, () => this.retryLater(id, Math.min(5000, delay * 2)))
    }, delay).unref()
  }

  /** Receipts that arrived early, tried again after each recorded submit. */
  async retryEarlyReports(): Promise<void> {
    for (const [id, { report, until }] of [...this.early]) {
      if (Date.now() > until) { this.early.delete(id); continue }
      await this.report(report)
    }
  }

  get earlyReports() { return this.early.size }

  /** A message from a phone: opt-out, a score for the survey it answers, or a message for the desk. */
  async inbound(sms: InboundSms): Promise<{ id: number; handledAs: string }> {
    const now = this.settings.now()
    const from = normaliseMobile(sms.from) ?? sms.from.slice(0, 32)
    const text = sms.text.slice(0, 1000)
    const word = text.normalize('NFKC').trim().toUpperCase()
    const base = { sender: from, recipient: sms.to.slice(0, 32), text, gateway: sms.gateway, at: now }
    if (this.settings.optOutKeywords.includes(word)) {
      const changed = (await Promise.all((['survey', 'notice'] as const).map((c) => setConsent(this.db, from, c, 'opted_out', 'reply', now, null)))).some(Boolean)
      const row = await insertInbound(this.db, { ...base, messageId: null, handledAs: 'opt_out', detail: { confirmed: changed } })
      // answered once: a second TD changes nothing and gets no second confirmation
      if (changed && normaliseMobile(from)) {
        await this.send({ to: from, template: 'optout.confirm', subject: { kind: 'reply', id: String(row.id) }, dedupeKey: `optout-confirm:${row.id}` }).catch(() => {})
      }
      return { id: row.id, handledAs: 'opt_out' }
    }
    const score = /^[1-5]$/.test(word) ? Number(word) : null
    if (score !== null) {
      const survey = await lastSurveyTo(this.db, from, now)
      if (survey?.subject_kind && survey.subject_id && !(await answeredBefore(this.db, survey.id))) {
        const handler = this.handlers.get(survey.subject_kind)
        const outcome = handler ? await handler({ subjectId: survey.subject_id, purpose: survey.purpose, score, text, from, messageId: survey.id }).catch((err: Error) => ({ handled: false, detail: { error: err.message } })) : { handled: false }
        const row = await insertInbound(this.db, { ...base, messageId: survey.id, handledAs: outcome.handled ? 'rating' : 'message', detail: { score, ...(outcome.detail ? { outcome: outcome.detail } : {}) } })
        return { id: row.id, handledAs: outcome.handled ? 'rating' : 'message' }
      }
    }
    const known = await everSentTo(this.db, from)
    const row = await insertInbound(this.db, { ...base, messageId: null, handledAs: known ? 'message' : 'unknown_sender' })
    return { id: row.id, handledAs: known ? 'message' : 'unknown_sender' }
  }
}

/** The same SMSC id as it may come back: hex in submit_sm_resp and decimal in the receipt, or the reverse. */
export function alternateIds(id: string): string[] {
  const ids = new Set([id])
  if (/^\d{1,30}$/.test(id)) ids.add(BigInt(id).toString(16))
  if (/^[0-9a-f]{1,24}$/.test(id)) ids.add(BigInt(`0x${id}`).toString(10))
  return [...ids]
}
