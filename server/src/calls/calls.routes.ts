import { Type } from 'typebox'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import type { Selectable } from 'kysely'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { App } from '../http/types.ts'
import { errors, IsoDate, Nullable } from '../http/types.ts'
import { HttpError, badRequest, notFound } from '../http/errors.ts'
import type { Services } from '../services.ts'
import type { CallTable, Role } from '../db/types.ts'
import { isExtension, maskPhone, seesPhones } from '../accounts/privacy.ts'
import { audit } from '../audit/audit.ts'
import { noPhoneDevice, pbxDown, placeCall } from './dial.ts'

const Id = Type.Integer({ minimum: 1, maximum: 9007199254740991 })
const Call = Type.Object({
  id: Type.Integer(), direction: Type.String(), callerNumber: Nullable(Type.String()), callerName: Nullable(Type.String()), calleeNumber: Nullable(Type.String()),
  operator: Nullable(Type.Object({ id: Type.Integer(), name: Type.String() })), state: Type.String(), outcome: Nullable(Type.String()),
  hangupCause: Nullable(Type.Integer()), hangupCauseText: Nullable(Type.String()), startedAt: Type.String(), answeredAt: Nullable(Type.String()),
  endedAt: Nullable(Type.String()), durationSec: Nullable(Type.Integer()), hasRecording: Type.Boolean(), manual: Type.Boolean(), note: Nullable(Type.String()),
  workOrderId: Nullable(Type.Integer()),
  /** a missed call: the call that got through to the number afterwards, if any */
  calledBackBy: Nullable(Type.Integer()),
  /** the caller's place, when the number is an extension we know */
  place: Type.Optional(Nullable(Type.String())),
  /** a missed call not yet called back: how many times this number called and found nobody */
  attempts: Type.Optional(Type.Integer()),
})
type CallRow = Selectable<CallTable> & { operator_name: string | null }

// an extension is not personal data; an outside number is
const showNumber = (n: string | null, role: Role) => (n && !isExtension(n) && !seesPhones(role) ? maskPhone(n) : n)
const iso = (d: Date | null) => (d ? d.toISOString() : null)
function toCall(c: CallRow, role: Role) {
  return {
    id: c.id, direction: c.direction, callerNumber: showNumber(c.caller_number, role), callerName: c.caller_name, calleeNumber: showNumber(c.callee_number, role),
    operator: c.operator_user_id ? { id: c.operator_user_id, name: c.operator_name ?? '' } : null, state: c.state, outcome: c.outcome,
    hangupCause: c.hangup_cause, hangupCauseText: c.hangup_cause_text, startedAt: c.started_at.toISOString(), answeredAt: iso(c.answered_at),
    endedAt: iso(c.ended_at), durationSec: c.duration_sec, hasRecording: Boolean(c.recording_file && !c.recording_deleted_at), manual: c.manual, note: c.note,
    workOrderId: c.work_order_id, calledBackBy: c.called_back_by,
  }
}

/**
 * A call's recording with byte ranges (the browser's player seeks with them). Every playback is
 * audited once: its first request starts at byte 0 (`<audio>` asks `bytes=0-`), the chunks and seeks
 * after it do not. The feedback case plays its call's recording through this too.
 */
export async function sendRecording(db: Services['db'], recordingsDir: string, request: FastifyRequest, reply: FastifyReply, callId: number) {
  const call = await db.selectFrom('call').select(['id', 'recording_file', 'recording_deleted_at']).where('id', '=', callId).executeTakeFirst()
  if (!call?.recording_file) throw notFound(`recording of call ${callId}`)
  if (call.recording_deleted_at) throw new HttpError(410, 'gone', `the recording was deleted on ${call.recording_deleted_at.toISOString()} (retention period)`)
  const path = join(recordingsDir, basename(call.recording_file))
  const size = await stat(path).then((s) => s.size, () => null)
  if (size === null) throw notFound(`recording file of call ${call.id}`)
  const range = /^bytes=(\d*)-(\d*)$/.exec(request.headers.range ?? '')
  const played = () => audit(db, request, 'play_recording', `call:${call.id}`, { range: request.headers.range ?? null })
  reply.header('accept-ranges', 'bytes').header('content-type', 'audio/wav')
  if (!range) {
    await played()
    return reply.header('content-length', size).send(createReadStream(path))
  }
  const start = range[1] ? Number(range[1]) : Math.max(0, size - Number(range[2]))
  const end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1
  if (start >= size || start > end) return reply.status(416).header('content-range', `bytes */${size}`).send({ error: 'range_not_satisfiable', message: `the recording has ${size} bytes`, field: 'range' })
  if (start === 0) await played()
  return reply.status(206).header('content-range', `bytes ${start}-${end}/${size}`).header('content-length', end - start + 1).send(createReadStream(path, { start, end }))
}

export async function callRoutes(app: App, { db, config, telephony }: Services) {
  const calls = () => db.selectFrom('call').leftJoin('app_user', 'app_user.id', 'call.operator_user_id').selectAll('call').select('app_user.display_name as operator_name')

  app.get('/api/calls', {
    schema: {
      querystring: Type.Object({ missed: Type.Optional(Type.Boolean()), pending: Type.Optional(Type.Boolean()), number: Type.Optional(Type.String({ maxLength: 30 })), from: Type.Optional(IsoDate), to: Type.Optional(IsoDate), cursor: Type.Optional(Id), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) }, { additionalProperties: false }),
      response: { 200: Type.Object({ items: Type.Array(Call), nextCursor: Nullable(Type.Integer()) }), ...errors },
    },
  }, async (request) => {
    const q = request.query
    const limit = q.limit ?? 100
    let query = calls()
    if (q.missed !== undefined) query = q.missed ? query.where('call.state', '=', 'missed') : query.where('call.state', '!=', 'missed')
    // ?missed=true&pending=true: the desk's list — missed calls nobody has got through to since
    if (q.pending) query = query.where('call.state', '=', 'missed').where('call.called_back_by', 'is', null)
    if (q.number) query = query.where((eb) => eb.or([eb('call.caller_number', '=', q.number!), eb('call.callee_number', '=', q.number!)]))
    if (q.from) query = query.where('call.started_at', '>=', new Date(q.from))
    if (q.to) query = query.where('call.started_at', '<', new Date(q.to))
    if (q.cursor) query = query.where('call.id', '<', q.cursor)
    const rows = await query.orderBy('call.id', 'desc').limit(limit + 1).execute()
    const role = request.user!.role
    const items: (ReturnType<typeof toCall> & { place?: string | null; attempts?: number })[] = rows.slice(0, limit).map((c) => toCall(c, role))
    if (q.pending && items.length) {
      // one line a number on the desk: where it is, and how often it has tried
      const numbers = [...new Set(rows.slice(0, limit).map((c) => c.caller_number).filter((n): n is string => !!n))]
      const places = new Map((await db.selectFrom('extension').innerJoin('location', 'location.id', 'extension.location_id')
        .select(['extension.number', 'location.full_name']).where('extension.number', 'in', numbers.length ? numbers : ['']).execute()).map((r) => [r.number, r.full_name]))
      const tries = new Map((await db.selectFrom('call').select(['caller_number', (eb) => eb.fn.countAll<number>().as('n')])
        .where('state', '=', 'missed').where('called_back_by', 'is', null).where('caller_number', 'in', numbers.length ? numbers : ['']).groupBy('caller_number').execute()).map((r) => [r.caller_number, Number(r.n)]))
      rows.slice(0, limit).forEach((c, i) => { items[i]!.place = places.get(c.caller_number ?? '') ?? null; items[i]!.attempts = tries.get(c.caller_number ?? '') ?? 1 })
    }
    // outside numbers shown in full (the ones a role that does not see phones gets masked): one row naming the calls
    const personal = (n: string | null) => showNumber(n, 'technician') !== n
    const withNumbers = seesPhones(role) ? items.filter((c) => personal(c.callerNumber) || personal(c.calleeNumber)) : []
    if (withNumbers.length) await audit(db, request, 'view_calls', 'calls', { calls: withNumbers.map((c) => c.id) })
    return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.id : null }
  })

  app.get('/api/calls/:id', {
    schema: {
      params: Type.Object({ id: Id }),
      response: {
        200: Type.Object({
          ...Call.properties,
          orders: Type.Array(Type.Object({ id: Type.Integer(), number: Type.String(), status: Type.String() })),
          chases: Type.Array(Type.Object({ workOrderId: Type.Integer(), number: Type.String(), at: Type.String() })),
        }),
        ...errors,
      },
    },
  }, async (request) => {
    const call = await calls().where('call.id', '=', request.params.id).executeTakeFirst()
    if (!call) throw notFound(`call ${request.params.id}`)
    const ref = String(call.id)
    const orders = await db.selectFrom('work_order').select(['id', 'number', 'status']).where('call_id', '=', ref).orderBy('id').execute()
    const chases = await db.selectFrom('work_order_event').innerJoin('work_order', 'work_order.id', 'work_order_event.work_order_id')
      .select(['work_order.id', 'work_order.number', 'work_order_event.at']).where('work_order_event.kind', '=', 'chase').where('work_order_event.call_id', '=', ref).execute()
    return { ...toCall(call, request.user!.role), orders, chases: chases.map((c) => ({ workOrderId: c.id, number: c.number, at: c.at.toISOString() })) }
  })

  // the player of the desk and the supervisors (sendRecording: ranges, audited once a playback)
  app.get('/api/calls/:id/recording', { schema: { params: Type.Object({ id: Id }) } }, async (request, reply) => sendRecording(db, config.recordingsDir, request, reply, request.params.id))

  // click-to-dial: the user's own phone rings first, then the number is dialled
  app.post('/api/calls/originate', {
    schema: {
      body: Type.Object({ number: Type.Optional(Type.String({ minLength: 1, maxLength: 30, pattern: '^[0-9*#+]+$' })), workOrderId: Type.Optional(Id) }, { additionalProperties: false }),
      response: { 202: Type.Object({ callId: Type.Integer(), state: Type.String() }), ...errors },
    },
  }, async (request, reply) => {
    const user = request.user!
    if (!telephony || telephony.status() !== 'up') throw pbxDown()
    if (!user.phoneDevice) throw noPhoneDevice()
    let number = request.body.number
    if (!number && request.body.workOrderId) {
      // the full number stays on the server: the screen may only have seen 138****1234
      const order = await db.selectFrom('work_order').select(['requester_phone', 'requester_extension']).where('id', '=', request.body.workOrderId).executeTakeFirst()
      if (!order) throw badRequest('workOrderId', `no work order ${request.body.workOrderId}`)
      number = order.requester_phone ?? order.requester_extension ?? undefined
    }
    if (!number) throw badRequest('number', 'number (or a work order with a phone number) is required')
    const call = await placeCall(db, telephony, config, { userId: user.id, device: user.phoneDevice, number, workOrderId: request.body.workOrderId })
    return reply.status(202).send({ callId: call.callId, state: 'dialing' })
  })

  // while the PBX is down the desk still keeps its log: a call noted by hand
  app.post('/api/calls', {
    schema: {
      body: Type.Object({
        direction: Type.Union([Type.Literal('in'), Type.Literal('out')]), number: Type.String({ minLength: 1, maxLength: 30, pattern: '^[0-9*#+ -]+$' }),
        startedAt: Type.Optional(IsoDate), durationSec: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400 })), note: Type.Optional(Type.String({ maxLength: 1000 })),
      }, { additionalProperties: false }),
      response: { 201: Call, ...errors },
    },
  }, async (request, reply) => {
    const b = request.body
    const user = request.user!
    const row = await db.insertInto('call').values({
      direction: b.direction, caller_number: b.direction === 'in' ? b.number : user.phoneDevice, callee_number: b.direction === 'out' ? b.number : config.hotlineExten,
      operator_user_id: user.id, state: 'ended', outcome: 'answered', started_at: b.startedAt ? new Date(b.startedAt) : new Date(),
      duration_sec: b.durationSec ?? null, manual: true, note: b.note ?? null, created_by: user.id, ended_at: new Date(),
    }).returningAll().executeTakeFirstOrThrow()
    return reply.status(201).send(toCall({ ...row, operator_name: user.displayName }, user.role))
  })

  app.get('/api/pbx', { schema: { response: { 200: Type.Object({ status: Type.String(), simulator: Type.Boolean() }), ...errors } } }, async () => ({
    status: telephony?.status() ?? 'none', simulator: Boolean(telephony?.simulateIncomingCall),
  }))

  // the demo's "simulate an incoming call from extension …" (simulator only)
  app.post('/api/pbx/simulate-call', {
    schema: { body: Type.Object({ extension: Type.String({ minLength: 1, maxLength: 20, pattern: '^[0-9]+$' }), talkSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 600 })) }, { additionalProperties: false }), response: { 202: Type.Object({ ok: Type.Boolean() }), ...errors } },
  }, async (request, reply) => {
    if (!telephony?.simulateIncomingCall) throw new HttpError(409, 'not_simulated', 'this server talks to a real PBX: call 100 from a phone')
    if (telephony.status() !== 'up') throw pbxDown()
    await telephony.simulateIncomingCall(request.body.extension, { answerBy: request.user!.phoneDevice ?? undefined, talkMs: (request.body.talkSeconds ?? 20) * 1000 })
    return reply.status(202).send({ ok: true })
  })
}
