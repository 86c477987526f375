// SMS administration (templates with preview, the outbox and each message's history, the inbox of
// replies, consent by number) and the gateway's callbacks (Kannel's delivery reports and replies),
// which carry the shared secret SMS_CALLBACK_SECRET instead of a session.
import { Type } from 'typebox'
import { timingSafeEqual } from 'node:crypto'
import type { App } from '../http/types.ts'
import { errors, Nullable, StringEnum } from '../http/types.ts'
import { HttpError, badRequest, conflict, notFound } from '../http/errors.ts'
import type { Services } from '../services.ts'
import { maskPhone, seesPhones } from '../accounts/privacy.ts'
import { audit } from '../audit/audit.ts'
import { normaliseMobile, preview, unknownPlaceholders, PLACEHOLDERS } from './text.ts'
import { stateOfKannelType } from './http-gateway.ts'
import type { MessagingRuntime } from './messaging.ts'
import { withSms, SMS_USES, type SmsMessageRow } from './messaging.types.ts'
import { consentOf, listTemplates, setConsent } from './messaging.queries.ts'

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2147483647 }) })
const Category = StringEnum(['transactional', 'survey', 'notice'] as const)
const Status = StringEnum(['queued', 'sending', 'submitted', 'delivered', 'failed', 'expired', 'rejected', 'refused'] as const)
const Phone = Type.String({ minLength: 3, maxLength: 32, pattern: '^\\+?[0-9 ()-]+$' })
const Body = Type.String({ minLength: 1, maxLength: 1000 })
const Values = Type.Record(Type.String({ maxLength: 20 }), Type.String({ maxLength: 500 }), { maxProperties: 20 })

const Template = Type.Object({
  id: Type.Integer(), code: Type.String(), lang: Type.String(), category: Type.String(), name: Type.String(), body: Type.String(),
  sender: Nullable(Type.String()), active: Type.Boolean(), version: Type.Integer(),
  preview: Type.Object({ encoding: Type.String(), characters: Type.Integer(), parts: Type.Integer(), perPart: Type.Integer() }),
})
const Message = Type.Object({
  id: Type.Integer(), recipient: Type.String(), templateCode: Nullable(Type.String()), category: Type.String(), text: Type.String(),
  encoding: Type.String(), parts: Type.Integer(), status: Type.String(), attempts: Type.Integer(), lastError: Nullable(Type.String()),
  nextAttemptAt: Type.String(), heldUntil: Nullable(Type.String()), subject: Nullable(Type.Object({ kind: Type.String(), id: Type.String() })),
  createdAt: Type.String(), submittedAt: Nullable(Type.String()), finalAt: Nullable(Type.String()), gateway: Nullable(Type.String()),
})

const iso = (d: Date | null) => (d ? d.toISOString() : null)
function toMessage(m: SmsMessageRow, showPhone: boolean) {
  return {
    id: m.id, recipient: showPhone ? m.recipient : maskPhone(m.recipient)!, templateCode: m.template_code, category: m.category, text: m.text,
    encoding: m.encoding, parts: m.parts, status: m.status, attempts: m.attempts, lastError: m.last_error, nextAttemptAt: m.next_attempt_at.toISOString(),
    heldUntil: iso(m.held_until), subject: m.subject_kind && m.subject_id ? { kind: m.subject_kind, id: m.subject_id } : null,
    createdAt: m.created_at.toISOString(), submittedAt: iso(m.submitted_at), finalAt: iso(m.final_at), gateway: m.gateway,
  }
}

function secretMatches(expected: string | null, given: string) {
  if (!expected) return false
  const a = Buffer.from(expected), b = Buffer.from(given)
  return a.length === b.length && timingSafeEqual(a, b)
}

export async function messagingRoutes(app: App, services: Services) {
  const { db, config } = services
  const sdb = withSms(db)
  const runtime = (): MessagingRuntime => {
    if (!services.sms) throw new HttpError(503, 'sms_down', 'the SMS channel is not running')
    return services.sms
  }

  // where SMS is used (sql/0160): each use switched by the administrator, the change audited
  const UseRow = Type.Object({ code: Type.String(), enabled: Type.Boolean(), updatedAt: Type.String() })
  app.get('/api/sms/uses', { schema: { response: { 200: Type.Object({ items: Type.Array(UseRow) }), ...errors } } }, async () => {
    const rows = await sdb.selectFrom('sms_use').selectAll().execute()
    return { items: SMS_USES.map((code) => rows.find((r) => r.code === code)).filter((r) => r !== undefined).map((r) => ({ code: r.code, enabled: r.enabled, updatedAt: r.updated_at.toISOString() })) }
  })
  app.put('/api/sms/uses/:code', {
    schema: { params: Type.Object({ code: StringEnum(SMS_USES) }), body: Type.Object({ enabled: Type.Boolean() }, { additionalProperties: false }), response: { 200: UseRow, ...errors } },
  }, async (request) => {
    const row = await sdb.updateTable('sms_use').set({ enabled: request.body.enabled, updated_by: request.user!.id, updated_at: new Date() })
      .where('code', '=', request.params.code).returningAll().executeTakeFirstOrThrow()
    await audit(db, request, 'sms_use', `sms_use:${row.code}`, { enabled: row.enabled })
    return { code: row.code, enabled: row.enabled, updatedAt: row.updated_at.toISOString() }
  })

  app.get('/api/sms/templates', {
    schema: { response: { 200: Type.Object({ items: Type.Array(Template), placeholders: Type.Array(Type.String()) }), ...errors } },
  }, async () => {
    const rows = await listTemplates(db)
    return {
      items: rows.map((t) => { const p = preview(t.body); return { ...t, preview: { encoding: p.encoding, characters: p.characters, parts: p.parts, perPart: p.perPart } } }),
      placeholders: [...PLACEHOLDERS],
    }
  })

  app.post('/api/sms/templates', {
    schema: {
      body: Type.Object({ code: Type.String({ pattern: '^[a-z][a-z0-9_.-]{0,49}$' }), lang: StringEnum(['zh', 'en'] as const), category: Category, name: Type.String({ minLength: 1, maxLength: 100 }), body: Body, sender: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 20 }))) }, { additionalProperties: false }),
      response: { 201: Type.Object({ id: Type.Integer() }), ...errors },
    },
  }, async (request, reply) => {
    const b = request.body
    const unknown = unknownPlaceholders(b.body)
    if (unknown.length) throw new HttpError(422, 'unknown_placeholder', `unknown placeholders: ${unknown.map((u) => `{${u}}`).join(' ')}`, 'body')
    const row = await sdb.insertInto('sms_template').values({ code: b.code, lang: b.lang, category: b.category, name: b.name, body: b.body, sender: b.sender ?? null })
      .onConflict((oc) => oc.columns(['code', 'lang']).doNothing()).returning('id').executeTakeFirst()
    if (!row) throw conflict(`template ${b.code} (${b.lang}) exists already`)
    await audit(db, request, 'sms_template_create', `sms_template:${row.id}`, { code: b.code, lang: b.lang })
    return reply.status(201).send(row)
  })

  app.put('/api/sms/templates/:id', {
    schema: {
      params: IdParams,
      body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }), body: Body, category: Category, sender: Nullable(Type.String({ minLength: 1, maxLength: 20 })), active: Type.Boolean(), version: Type.Integer({ minimum: 1, maximum: 2147483647 }) }, { additionalProperties: false }),
      response: { 200: Type.Object({ id: Type.Integer(), version: Type.Integer() }), ...errors },
    },
  }, async (request) => {
    const b = request.body
    const unknown = unknownPlaceholders(b.body)
    if (unknown.length) throw new HttpError(422, 'unknown_placeholder', `unknown placeholders: ${unknown.map((u) => `{${u}}`).join(' ')}`, 'body')
    const row = await sdb.updateTable('sms_template').set({ name: b.name, body: b.body, category: b.category, sender: b.sender, active: b.active, version: b.version + 1, updated_at: new Date() })
      .where('id', '=', request.params.id).where('version', '=', b.version).returning(['id', 'version']).executeTakeFirst()
    if (!row) {
      const exists = await sdb.selectFrom('sms_template').select('version').where('id', '=', request.params.id).executeTakeFirst()
      if (!exists) throw notFound(`SMS template ${request.params.id}`)
      throw conflict(`the template was changed by someone else (version ${exists.version}); reload it`, { currentVersion: exists.version })
    }
    await audit(db, request, 'sms_template_update', `sms_template:${row.id}`, { version: row.version })
    return row
  })

  app.post('/api/sms/preview', {
    schema: {
      body: Type.Object({ body: Body, values: Type.Optional(Values) }, { additionalProperties: false }),
      response: { 200: Type.Object({ text: Type.String(), encoding: Type.String(), characters: Type.Integer(), parts: Type.Integer(), perPart: Type.Integer(), unknown: Type.Array(Type.String()) }), ...errors },
    },
  }, async (request) => {
    const values = request.body.values ?? {}
    const text = request.body.body.replace(/\{([^{}]{1,20})\}/g, (whole, name: string) => values[name] ?? whole)
    return { ...preview(text), unknown: unknownPlaceholders(request.body.body) }
  })

  app.get('/api/sms/messages', {
    schema: {
      querystring: Type.Object({ status: Type.Optional(Status), to: Type.Optional(Phone), subject: Type.Optional(Type.String({ maxLength: 60, pattern: '^[a-z_]+:[0-9A-Za-z-]+$' })), before: Type.Optional(Type.Integer({ minimum: 1, maximum: 9007199254740991 })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) }, { additionalProperties: false }),
      response: { 200: Type.Object({ items: Type.Array(Message), nextCursor: Nullable(Type.Integer()), counts: Type.Record(Type.String(), Type.Integer()) }), ...errors },
    },
  }, async (request) => {
    const q = request.query
    const limit = q.limit ?? 100
    let query = sdb.selectFrom('sms_message').selectAll()
    if (q.status) query = query.where('status', '=', q.status)
    if (q.to) query = query.where('recipient', '=', normaliseMobile(q.to) ?? q.to)
    if (q.subject) { const [kind, id] = q.subject.split(':'); query = query.where('subject_kind', '=', kind as never).where('subject_id', '=', id!) }
    if (q.before) query = query.where('id', '<', q.before)
    const rows = await query.orderBy('id', 'desc').limit(limit + 1).execute()
    const page = rows.slice(0, limit)
    const counts = Object.fromEntries((await sdb.selectFrom('sms_message').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute()).map((r) => [r.status, Number(r.n)]))
    const full = seesPhones(request.user!.role)
    if (full && page.length) await audit(db, request, 'view_sms_recipients', 'sms_messages', { ids: page.map((m) => m.id) })
    return { items: page.map((m) => toMessage(m, full)), nextCursor: rows.length > limit ? page[page.length - 1]!.id : null, counts }
  })

  app.get('/api/sms/messages/:id', {
    schema: {
      params: IdParams,
      response: { 200: Type.Object({ message: Message, events: Type.Array(Type.Object({ at: Type.String(), kind: Type.String(), detail: Nullable(Type.String()) })), parts: Type.Array(Type.Object({ part: Type.Integer(), gatewayMessageId: Type.String(), state: Type.String() })) }), ...errors },
    },
  }, async (request) => {
    const row = await sdb.selectFrom('sms_message').selectAll().where('id', '=', request.params.id).executeTakeFirst()
    if (!row) throw notFound(`SMS ${request.params.id}`)
    const full = seesPhones(request.user!.role)
    if (full) await audit(db, request, 'view_sms_recipient', `sms_message:${row.id}`)
    const events = await sdb.selectFrom('sms_event').selectAll().where('message_id', '=', row.id).orderBy('id').execute()
    const parts = await sdb.selectFrom('sms_part').selectAll().where('message_id', '=', row.id).orderBy('part').execute()
    return {
      message: toMessage(row, full), events: events.map((e) => ({ at: e.at.toISOString(), kind: e.kind, detail: e.detail })),
      parts: parts.map((p) => ({ part: p.part, gatewayMessageId: p.gateway_message_id, state: p.state })),
    }
  })

  app.post('/api/sms/messages', {
    schema: {
      body: Type.Object({ to: Phone, template: Type.String({ minLength: 1, maxLength: 50 }), lang: Type.Optional(StringEnum(['zh', 'en'] as const)), values: Type.Optional(Values) }, { additionalProperties: false }),
      response: { 201: Message, ...errors },
    },
  }, async (request, reply) => {
    const b = request.body
    const row = await runtime().messaging.send({ to: b.to, template: b.template, lang: b.lang, values: b.values, createdBy: request.user!.id })
    return reply.status(201).send(toMessage(row, seesPhones(request.user!.role)))
  })

  app.get('/api/sms/inbox', {
    schema: {
      querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) }, { additionalProperties: false }),
      response: { 200: Type.Object({ items: Type.Array(Type.Object({ id: Type.Integer(), sender: Type.String(), text: Type.String(), receivedAt: Type.String(), handledAs: Type.String(), messageId: Nullable(Type.Integer()), detail: Type.Unknown() })) }), ...errors },
    },
  }, async (request) => {
    const rows = await sdb.selectFrom('sms_inbound').selectAll().orderBy('id', 'desc').limit(request.query.limit ?? 100).execute()
    const full = seesPhones(request.user!.role)
    if (full && rows.length) await audit(db, request, 'view_sms_senders', 'sms_inbound', { ids: rows.map((r) => r.id) })
    return { items: rows.map((r) => ({ id: r.id, sender: full ? r.sender : maskPhone(r.sender)!, text: r.text, receivedAt: r.received_at.toISOString(), handledAs: r.handled_as, messageId: r.message_id, detail: r.detail })) }
  })

  app.get('/api/sms/consent', {
    schema: {
      querystring: Type.Object({ phone: Phone }, { additionalProperties: false }),
      response: { 200: Type.Object({ phone: Type.String(), items: Type.Array(Type.Object({ category: Type.String(), state: Type.String(), source: Type.String(), at: Type.String() })) }), ...errors },
    },
  }, async (request) => {
    const phone = normaliseMobile(request.query.phone)
    if (!phone) throw badRequest('phone', 'not a mobile number')
    const full = seesPhones(request.user!.role)
    if (full) await audit(db, request, 'view_sms_consent', `phone:${maskPhone(phone)}`)
    const rows = await consentOf(db, phone)
    return { phone: full ? phone : maskPhone(phone)!, items: rows.map((r) => ({ category: r.category, state: r.state, source: r.source, at: r.at.toISOString() })) }
  })

  app.put('/api/sms/consent', {
    schema: {
      body: Type.Object({ phone: Phone, category: StringEnum(['survey', 'notice'] as const), state: StringEnum(['granted', 'opted_out'] as const), source: StringEnum(['desk', 'form', 'admin'] as const) }, { additionalProperties: false }),
      response: { 200: Type.Object({ changed: Type.Boolean() }), ...errors },
    },
  }, async (request) => {
    const b = request.body
    const phone = normaliseMobile(b.phone)
    if (!phone) throw badRequest('phone', 'not a mobile number')
    const changed = await setConsent(db, phone, b.category, b.state, b.source, new Date(), request.user!.id)
    await audit(db, request, 'sms_consent', `phone:${maskPhone(phone)}`, { category: b.category, state: b.state, source: b.source })
    return { changed }
  })

  // the demo's reply box: with the log gateway, a reply typed on the outbox screen comes in as if from the phone
  app.post('/api/sms/demo-reply', {
    schema: { body: Type.Object({ from: Phone, text: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false }), response: { 200: Type.Object({ id: Type.Integer(), handledAs: Type.String() }), ...errors } },
  }, async (request) => {
    const sms = runtime()
    if (sms.gateway.name !== 'log') throw conflict('replies come from the gateway; the reply box is for the log gateway only')
    return sms.messaging.inbound({ from: request.body.from, to: config.sms.sender, text: request.body.text, gateway: 'log' })
  })

  // Kannel: dlr-url (we build it, with the outbox id) and the sms-service get-url for replies
  const Secret = Type.String({ minLength: 1, maxLength: 200 })
  app.get('/api/sms/kannel/dlr', {
    schema: {
      querystring: Type.Object({ secret: Secret, id: Type.Integer({ minimum: 1, maximum: 9007199254740991 }), type: Type.Integer({ minimum: 0, maximum: 255 }), answer: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: true }),
      response: { 200: Type.Object({ result: Type.String() }), ...errors },
    },
  }, async (request) => {
    const q = request.query
    if (!secretMatches(config.sms.callbackSecret, q.secret)) throw new HttpError(403, 'forbidden', 'wrong callback secret')
    const state = stateOfKannelType(q.type)
    const result = await runtime().messaging.report({ messageId: q.id, state, detail: `kannel type ${q.type}${q.answer ? ` ${q.answer.slice(0, 200)}` : ''}` })
    return { result }
  })

  app.get('/api/sms/kannel/mo', {
    schema: {
      querystring: Type.Object({ secret: Secret, from: Type.String({ minLength: 1, maxLength: 32 }), to: Type.Optional(Type.String({ maxLength: 32 })), text: Type.String({ maxLength: 1000 }) }, { additionalProperties: true }),
      response: { 200: Type.Object({ id: Type.Integer(), handledAs: Type.String() }), ...errors },
    },
  }, async (request, reply) => {
    const q = request.query
    if (!secretMatches(config.sms.callbackSecret, q.secret)) throw new HttpError(403, 'forbidden', 'wrong callback secret')
    const stored = await runtime().messaging.inbound({ from: q.from, to: q.to ?? '', text: q.text, gateway: 'http' })
    // Kannel sends a non-empty answer back to the phone as an SMS: say nothing
    return reply.status(200).send(stored)
  })
}
