import { Type } from 'typebox'
import type { App } from '../http/types.ts'
import { errors } from '../http/types.ts'
import { badRequest, forbidden, notFound } from '../http/errors.ts'
import type { Services } from '../services.ts'
import { Chase, CreateWorkOrder, ListQuery, Rating, Transition, WorkOrder, WorkOrderWithTimeline } from './workorders.schemas.ts'
import { findWorkOrder, listWorkOrders, timeline } from './workorders.queries.ts'
import { actorOf, chase, createWorkOrder, rate, transition } from './workorders.service.ts'
import { classifyRequester, forViewer, seesPhones } from '../accounts/privacy.ts'
import { audit } from '../audit/audit.ts'

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 9007199254740991 }) })
const IdempotencyHeaders = Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) })

export async function workOrderRoutes(app: App, { db, config, now }: Services) {
  app.post('/api/work-orders', {
    schema: { body: CreateWorkOrder, headers: IdempotencyHeaders, response: { 200: WorkOrder, 201: WorkOrder, ...errors } },
  }, async (request, reply) => {
    const { order, replayed } = await createWorkOrder(db, classifyRequester(request.body), actorOf(request.user!), {
      timeZone: config.timeZone, idempotencyKey: request.headers['idempotency-key'], now: now(),
    })
    // a retry gets the first answer again: same order, same status code
    if (replayed) reply.header('idempotent-replayed', 'true')
    return reply.status(201).send(forViewer(order, request.user!.role))
  })

  app.get('/api/work-orders', {
    schema: { querystring: ListQuery, response: { 200: Type.Object({ items: Type.Array(WorkOrder), nextCursor: Type.Union([Type.Integer(), Type.Null()]) }), ...errors } },
  }, async (request) => {
    const user = request.user!
    if (request.query.from && request.query.to && request.query.from > request.query.to) throw badRequest('to', 'to is before from')
    const page = await listWorkOrders(db, { ...request.query, technician: user.role === 'technician' ? { teamId: user.teamId, staffId: user.staffId } : null, byPhone: seesPhones(user.role) })
    // a page with the requesters' full numbers is a look at each of them: one row naming the orders
    const withPhones = seesPhones(user.role) ? page.items.filter((o) => o.requester.phone) : []
    if (withPhones.length) await audit(db, request, 'view_requesters', 'work_orders', { numbers: withPhones.map((o) => o.number) })
    return { ...page, items: page.items.map((o) => forViewer(o, user.role)) }
  })

  app.get('/api/work-orders/:id', {
    // ?brief=true: the order as a list shows it, for screens refreshing one card after a live event
    schema: { params: IdParams, querystring: Type.Object({ brief: Type.Optional(Type.Boolean()) }, { additionalProperties: false }), response: { 200: WorkOrderWithTimeline, ...errors } },
  }, async (request) => {
    const order = await findWorkOrder(db, request.params.id)
    if (!order) throw notFound(`work order ${request.params.id}`)
    const user = request.user!
    if (user.role === 'technician' && order.team.id !== user.teamId && order.assignee?.id !== user.staffId) throw forbidden('this order is not for your team')
    // the order with the requester's full phone number, its page or its card, is a look at a person's details
    if (seesPhones(user.role) && order.requester.phone) await audit(db, request, 'view_requester', `work_order:${order.id}`, { number: order.number, ...(request.query.brief ? { brief: true } : {}) })
    if (request.query.brief) return { ...forViewer(order, user.role), timeline: [] }
    return { ...forViewer(order, user.role), timeline: await timeline(db, order.id) }
  })

  app.post('/api/work-orders/:id/transitions', {
    schema: { params: IdParams, body: Transition, response: { 200: WorkOrder, ...errors } },
  }, async (request) => forViewer(await transition(db, request.params.id, request.body, actorOf(request.user!)), request.user!.role))

  app.post('/api/work-orders/:id/chases', {
    schema: { params: IdParams, body: Type.Optional(Chase), response: { 201: WorkOrder, ...errors } },
  }, async (request, reply) => reply.status(201).send(forViewer(await chase(db, request.params.id, request.body ?? {}, actorOf(request.user!)), request.user!.role)))

  app.post('/api/work-orders/:id/rating', {
    schema: { params: IdParams, body: Rating, response: { 200: WorkOrder, ...errors } },
  }, async (request) => forViewer(await rate(db, request.params.id, request.body, actorOf(request.user!)), request.user!.role))
}
