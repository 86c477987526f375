// The only place messaging touches Kysely. Claims lock with FOR UPDATE SKIP LOCKED, so any number
// of workers over one database each take different rows.
import { sql, type Kysely } from 'kysely'
import type { DB } from '../db/types.ts'
import { withSms, type SmsCategory, type SmsMessageRow, type SmsStatus, type SubjectKind, type InboundKind, type SmsUse } from './messaging.types.ts'

/** Whether the administrator has this use of SMS switched on (短信 → 用途, sql/0160). */
export async function smsUseEnabled(db: Kysely<DB>, code: SmsUse): Promise<boolean> {
  return (await withSms(db).selectFrom('sms_use').select('enabled').where('code', '=', code).executeTakeFirst())?.enabled ?? false
}

export const findTemplate = (db: Kysely<DB>, code: string, lang: 'zh' | 'en') =>
  withSms(db).selectFrom('sms_template').selectAll().where('code', '=', code).where('lang', 'in', [lang, 'zh'])
    .orderBy(sql`lang = ${lang}`, 'desc').limit(1).executeTakeFirst()

export const listTemplates = (db: Kysely<DB>) =>
  withSms(db).selectFrom('sms_template').selectAll().orderBy('code').orderBy('lang').execute()

export interface NewMessage {
  recipient: string; templateId: number | null; templateCode: string | null; values: Record<string, string>
  category: SmsCategory; urgent: boolean; sender: string; text: string; encoding: 'gsm7' | 'ucs2'; parts: number
  status: SmsStatus; nextAttemptAt: Date; heldUntil: Date | null; lastError: string | null
  subjectKind: SubjectKind | null; subjectId: string | null; purpose: string | null; dedupeKey: string | null
  createdBy: number | null; now: Date
}

/** One row per dedupe key: a second ask (another instance, a retry) gets the first row back. */
export async function insertMessage(db: Kysely<DB>, m: NewMessage): Promise<{ row: SmsMessageRow; created: boolean }> {
  const sdb = withSms(db)
  const inserted = await sdb.insertInto('sms_message').values({
    recipient: m.recipient, template_id: m.templateId, template_code: m.templateCode, values: JSON.stringify(m.values),
    category: m.category, urgent: m.urgent, sender: m.sender, text: m.text, encoding: m.encoding, parts: m.parts,
    status: m.status, next_attempt_at: m.nextAttemptAt, held_until: m.heldUntil, last_error: m.lastError,
    subject_kind: m.subjectKind, subject_id: m.subjectId, purpose: m.purpose, dedupe_key: m.dedupeKey,
    created_by: m.createdBy, created_at: m.now, final_at: m.status === 'refused' ? m.now : null,
  }).onConflict((oc) => oc.column('dedupe_key').doNothing()).returningAll().executeTakeFirst()
  if (inserted) {
    await addEvent(db, inserted.id, m.now, m.status === 'refused' ? 'refused' : m.heldUntil ? 'held' : 'queued', m.lastError ?? (m.heldUntil ? `until ${m.heldUntil.toISOString()}` : null))
    return { row: inserted, created: true }
  }
  const existing = await sdb.selectFrom('sms_message').selectAll().where('dedupe_key', '=', m.dedupeKey!).executeTakeFirstOrThrow()
  return { row: existing, created: false }
}

export const addEvent = (db: Kysely<DB>, messageId: number, at: Date, kind: string, detail: string | null = null) =>
  withSms(db).insertInto('sms_event').values({ message_id: messageId, at, kind, detail }).execute()

/**
 * Takes up to `limit` due messages for this worker: queued ones whose time has come, and ones whose
 * worker's lease ran out (it died between claiming and recording). The lease is as long as a
 * send may take; the attempt is counted here, so a crash mid-send still counts.
 */
export async function claimDue(db: Kysely<DB>, now: Date, limit: number, leaseMs: number, gateway: string): Promise<SmsMessageRow[]> {
  const { rows } = await sql<SmsMessageRow>`
    UPDATE sms_message m SET status = 'sending', attempts = m.attempts + 1, gateway = ${gateway},
      lease_until = ${new Date(now.getTime() + leaseMs)}
    WHERE m.id IN (
      SELECT id FROM sms_message
      WHERE ((status = 'queued' AND next_attempt_at <= ${now}) OR (status = 'sending' AND lease_until < ${now}))
      ORDER BY urgent DESC, next_attempt_at, id
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED)
    RETURNING m.*`.execute(db)
  return rows
}

export async function markSubmitted(db: Kysely<DB>, id: number, now: Date, gatewayIds: string[]) {
  await db.transaction().execute(async (trx) => {
    const sdb = withSms(trx)
    await sdb.updateTable('sms_message').set({ status: 'submitted', submitted_at: now, lease_until: null, last_error: null })
      .where('id', '=', id).where('status', '=', 'sending').execute()
    if (gatewayIds.length) {
      await sdb.insertInto('sms_part').values(gatewayIds.map((g, i) => ({ message_id: id, part: i + 1, gateway_message_id: g })))
        .onConflict((oc) => oc.columns(['message_id', 'part']).doNothing()).execute()
    }
    await addEvent(trx, id, now, 'submitted', gatewayIds.length ? gatewayIds.join(',') : null)
  })
}

export async function markRetry(db: Kysely<DB>, id: number, now: Date, at: Date, error: string) {
  await withSms(db).updateTable('sms_message').set({ status: 'queued', next_attempt_at: at, lease_until: null, last_error: error })
    .where('id', '=', id).where('status', '=', 'sending').execute()
  await addEvent(db, id, now, 'retry', `${error}; next ${at.toISOString()}`)
}

/** Held for quiet hours at the moment of sending: not an attempt. */
export async function markHeld(db: Kysely<DB>, id: number, now: Date, until: Date) {
  await withSms(db).updateTable('sms_message').set({ status: 'queued', next_attempt_at: until, held_until: until, lease_until: null, attempts: sql`attempts - 1` })
    .where('id', '=', id).where('status', '=', 'sending').execute()
  await addEvent(db, id, now, 'held', `until ${until.toISOString()}`)
}

export async function markFinal(db: Kysely<DB>, id: number, now: Date, status: 'failed' | 'rejected', error: string) {
  await withSms(db).updateTable('sms_message').set({ status, final_at: now, lease_until: null, last_error: error })
    .where('id', '=', id).where('status', '=', 'sending').execute()
  await addEvent(db, id, now, status, error)
}

/**
 * A receipt for one part (by the gateway's id, either spelling): the message is delivered when
 * every part is, and takes the first bad final state any part reports. Returns the message id, or
 * null when no part has that id (yet).
 */
export async function applyPartReport(db: Kysely<DB>, ids: string[], state: 'delivered' | 'failed' | 'expired' | 'rejected', now: Date, detail: string): Promise<number | null> {
  return db.transaction().execute(async (trx) => {
    const sdb = withSms(trx)
    const part = await sdb.updateTable('sms_part').set({ state, reported_at: now })
      .where('gateway_message_id', 'in', ids).where('state', '=', 'pending').returning('message_id').executeTakeFirst()
    if (!part) {
      const seen = await sdb.selectFrom('sms_part').select('message_id').where('gateway_message_id', 'in', ids).executeTakeFirst()
      return seen ? seen.message_id : null
    }
    const parts = await sdb.selectFrom('sms_part').select('state').where('message_id', '=', part.message_id).forUpdate().execute()
    const bad = parts.find((p) => p.state !== 'delivered' && p.state !== 'pending')?.state as 'failed' | 'expired' | 'rejected' | undefined
    const final: SmsStatus | null = bad ?? (parts.every((p) => p.state === 'delivered') ? 'delivered' : null)
    await addEvent(trx, part.message_id, now, `report:${state}`, detail)
    if (final) {
      await sdb.updateTable('sms_message').set({ status: final, final_at: now })
        .where('id', '=', part.message_id).where('status', 'in', ['submitted', 'sending']).execute()
    }
    return part.message_id
  })
}

/** A report naming our own id (HTTP dlr-url): the message as a whole. */
export async function applyMessageReport(db: Kysely<DB>, id: number, state: 'delivered' | 'failed' | 'expired' | 'rejected', now: Date, detail: string): Promise<boolean> {
  const res = await withSms(db).updateTable('sms_message').set({ status: state, final_at: now })
    .where('id', '=', id).where('status', 'in', ['submitted', 'sending']).executeTakeFirst()
  const exists = await withSms(db).selectFrom('sms_message').select('id').where('id', '=', id).executeTakeFirst()
  if (exists) await addEvent(db, id, now, `report:${state}`, detail)
  return Number(res.numUpdatedRows) > 0 || !!exists
}

export const consentOf = (db: Kysely<DB>, phone: string) =>
  withSms(db).selectFrom('sms_consent').selectAll().where('phone', '=', phone).execute()

export async function setConsent(db: Kysely<DB>, phone: string, category: 'survey' | 'notice', state: 'granted' | 'opted_out', source: 'desk' | 'form' | 'reply' | 'admin', now: Date, byUser: number | null): Promise<boolean> {
  const before = await withSms(db).selectFrom('sms_consent').select('state').where('phone', '=', phone).where('category', '=', category).executeTakeFirst()
  await withSms(db).insertInto('sms_consent').values({ phone, category, state, source, at: now, by_user: byUser })
    .onConflict((oc) => oc.columns(['phone', 'category']).doUpdateSet({ state, source, at: now, by_user: byUser })).execute()
  return before?.state !== state
}

/** The survey a reply from this number answers: the latest one sent to it in the last week. */
export const lastSurveyTo = (db: Kysely<DB>, phone: string, now: Date) =>
  withSms(db).selectFrom('sms_message').selectAll().where('recipient', '=', phone).where('category', '=', 'survey')
    .where('status', 'in', ['submitted', 'delivered']).where('created_at', '>', new Date(now.getTime() - 7 * 86_400_000))
    .orderBy('id', 'desc').limit(1).executeTakeFirst()

export const everSentTo = async (db: Kysely<DB>, phone: string) =>
  !!(await withSms(db).selectFrom('sms_message').select('id').where('recipient', '=', phone).limit(1).executeTakeFirst())

export const answeredBefore = async (db: Kysely<DB>, messageId: number) =>
  !!(await withSms(db).selectFrom('sms_inbound').select('id').where('message_id', '=', messageId).where('handled_as', '=', 'rating').limit(1).executeTakeFirst())

export async function insertInbound(db: Kysely<DB>, v: { sender: string; recipient: string; text: string; gateway: string; at: Date; messageId: number | null; handledAs: InboundKind; detail?: unknown }) {
  return withSms(db).insertInto('sms_inbound').values({
    sender: v.sender, recipient: v.recipient, text: v.text, gateway: v.gateway, received_at: v.at, message_id: v.messageId,
    handled_as: v.handledAs, detail: v.detail === undefined ? null : JSON.stringify(v.detail),
  }).returning('id').executeTakeFirstOrThrow()
}
