import { Type } from 'typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { App } from '../http/types.ts'
import { errors } from '../http/types.ts'
import { HttpError, badRequest, forbidden, notFound } from '../http/errors.ts'
import type { Services } from '../services.ts'
import type { SessionUser } from '../accounts/sessions.ts'
import { findWorkOrders, addEvents } from '../workorders/workorders.queries.ts'
import type { WorkOrder } from '../workorders/workorders.schemas.ts'
import { forViewer, seesPhones } from '../accounts/privacy.ts'
import { audit } from '../audit/audit.ts'
import type { JobSheet } from './render.ts'
import type { RenderInput } from './render.task.ts'
import { runInWorker } from '../workers/pool.ts'
import { checkOrdersPoints, checkPoint, confirmPrinted, findServicePoint, historyAt, markSent, waitingAt } from './print-queue.ts'

const PrintOptions = {
  paper: Type.Optional(Type.Union([Type.Literal('A5'), Type.Literal('A4')])),
  lang: Type.Optional(Type.Union([Type.Literal('zh'), Type.Literal('en')])),
}
const MAX_BATCH = 500
// sheets in one PDF: 200 take about 1.5 s on a worker; a longer run is several PDFs (the station
// lists 200 waiting at most)
export const MAX_SHEETS_PER_PDF = 200
const RENDER_TASK = new URL('./render.task.ts', import.meta.url)

export function toJobSheet(order: WorkOrder, hospitalName: string, publicUrl: string, lang: 'zh' | 'en'): JobSheet {
  const en = lang === 'en'
  return {
    number: order.number, hospitalName, orderUrl: `${publicUrl}/tech/orders/${order.id}`,
    category: (en && order.category.nameEn) || order.category.name, item: (en && order.item.nameEn) || order.item.name,
    location: order.location.fullName,
    requesterName: order.requester.name, requesterPhone: order.requester.phone, requesterExtension: order.requester.extension,
    description: order.description, requestedAt: new Date(order.requestedAt), booked: order.booked,
    urgency: order.urgency as JobSheet['urgency'], tools: order.tools,
    team: (en && order.team.nameEn) || order.team.name, servicePoint: order.servicePoint?.name ?? null, assignee: order.assignee?.name ?? null,
    dispatchedAt: order.dispatchedAt ? new Date(order.dispatchedAt) : null, responseDueAt: new Date(order.responseDueAt), dueAt: new Date(order.dueAt),
    createdAt: new Date(order.createdAt), chaseCount: order.chaseCount,
  }
}

function parseIds(text: string): number[] {
  const ids = text.split(',').map((s) => s.trim()).filter(Boolean).map(Number)
  if (ids.length === 0 || ids.some((n) => !Number.isSafeInteger(n) || n < 1)) throw badRequest('ids', 'ids must be a comma-separated list of order ids')
  const unique = [...new Set(ids)]
  if (unique.length > MAX_SHEETS_PER_PDF) {
    throw new HttpError(413, 'too_many_sheets', `一次最多打印 ${MAX_SHEETS_PER_PDF} 张工作单，本次 ${unique.length} 张，请分批打印`, 'ids', {
      messageEn: `at most ${MAX_SHEETS_PER_PDF} sheets in one PDF (${unique.length} asked): print them in batches`, limit: MAX_SHEETS_PER_PDF,
    })
  }
  return unique
}

function visible(user: SessionUser, orders: WorkOrder[]) {
  if (user.role !== 'technician') return
  if (orders.some((o) => o.team.id !== user.teamId)) throw forbidden("a technician prints their own team's sheets")
}

export async function jobSheetRoutes(app: App, { db, config }: Services) {
  async function send(ids: number[], query: { paper?: 'A5' | 'A4'; lang?: 'zh' | 'en' }, request: FastifyRequest, reply: FastifyReply, filename: string, toPrinter = false) {
    const user = request.user!
    const orders = await findWorkOrders(db, ids)
    const missing = ids.filter((id) => !orders.some((o) => o.id === id))
    if (missing.length) throw notFound(`work order ${missing.join(', ')}`)
    visible(user, orders)
    if (toPrinter) await checkOrdersPoints(db, user, orders)
    const lang = query.lang ?? 'zh'
    // on a worker thread, where pdfmake and the CJK font load on its first print
    const pdf = await runInWorker<RenderInput>(RENDER_TASK, {
      sheets: orders.map((o) => toJobSheet(forViewer(o, user.role), config.hospitalName, config.publicUrl, lang)),
      options: { paper: query.paper ?? 'A5', locale: lang, timeZone: config.timeZone },
    })
    // sheets printed with the requesters' full numbers: one row per PDF naming its orders
    const withPhones = seesPhones(user.role) ? orders.filter((o) => o.requester.phone) : []
    if (withPhones.length) {
      await audit(db, request, 'print_job_sheets', ids.length === 1 ? `work_order:${ids[0]}` : 'work_orders', { numbers: withPhones.map((o) => o.number) })
    }
    // a batch is the station's printer: "sent", and waiting until the station confirms it came out
    if (toPrinter) await markSent(db, orders, user)
    reply.header('content-type', 'application/pdf')
    reply.header('content-disposition', `inline; filename="${filename}"`)
    return reply.send(pdf)
  }

  app.get('/api/work-orders/:id/job-sheet.pdf', {
    schema: { params: Type.Object({ id: Type.Integer({ minimum: 1 }) }), querystring: Type.Object(PrintOptions, { additionalProperties: false }) },
  }, async (request, reply) => {
    const [order] = await findWorkOrders(db, [request.params.id])
    return send([request.params.id], request.query, request, reply, `${order?.number ?? request.params.id}.pdf`)
  })

  app.get('/api/job-sheets.pdf', {
    schema: { querystring: Type.Object({ ids: Type.String({ minLength: 1, maxLength: 10_000 }), ...PrintOptions }, { additionalProperties: false }) },
  }, async (request, reply) => send(parseIds(request.query.ids), request.query, request, reply, 'job-sheets.pdf', true))

  // the service point marks what it has printed, so "waiting to print" empties
  app.post('/api/job-sheets/printed', {
    schema: {
      body: Type.Object({ ids: Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: MAX_BATCH }) }, { additionalProperties: false }),
      response: { 200: Type.Object({ printed: Type.Integer() }), ...errors },
    },
  }, async (request) => {
    const user = request.user!
    const orders = await findWorkOrders(db, request.body.ids)
    if (orders.length !== new Set(request.body.ids).size) throw notFound('one of the work orders')
    visible(user, orders)
    await checkOrdersPoints(db, user, orders)
    await db.transaction().execute(async (trx) => {
      const now = new Date()
      await trx.updateTable('work_order').set({ printed_at: now }).where('id', 'in', request.body.ids).execute()
      await confirmPrinted(trx, orders, user, now)
      await addEvents(trx, orders.map((o) => ({ workOrderId: o.id, kind: 'printed', actorUserId: user.id, actorName: user.displayName })))
    })
    return { printed: orders.length }
  })

  // the station's screen: the point's waiting sheets (sent and unconfirmed ones marked) and its history
  app.get('/api/job-sheets/queue', {
    schema: { querystring: Type.Object({ servicePointId: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }) },
  }, async (request) => {
    const user = request.user!
    const point = await findServicePoint(db, request.query.servicePointId)
    checkPoint(user, point)
    const [waiting, history] = await Promise.all([waitingAt(db, point.id, MAX_SHEETS_PER_PDF), historyAt(db, point.id, 30)])
    const orders = new Map((await findWorkOrders(db, waiting.map((w) => w.id))).map((o) => [o.id, forViewer(o, user.role)]))
    return {
      servicePoint: { id: point.id, teamId: point.team_id, name: point.name, nameEn: point.name_en },
      waiting: waiting.flatMap((w) => {
        const order = orders.get(w.id)
        return order ? [{ order, sentAt: w.sent_at?.toISOString() ?? null, sentBy: w.sent_by_name }] : []
      }),
      history: history.map((h) => ({
        id: h.id, workOrderId: h.work_order_id, number: h.number, item: h.item_name, itemEn: h.item_name_en, location: h.location_name, reprint: h.reprint,
        sentAt: h.sent_at.toISOString(), sentBy: h.sent_by_name, printedAt: h.confirmed_at?.toISOString() ?? null, printedBy: h.confirmed_by_name,
      })),
    }
  })
}
