// Booked work: the free-slot finder, a team's booking settings, no-shows and the statistics. Booking
// itself is POST /api/work-orders with bookedFor (server/src/workorders). Refusals are 4xx naming the
// field, in Chinese with messageEn.
import { Type } from 'typebox'
import type { App } from '../http/types.ts'
import { errors, IsoDate, Nullable, StringEnum } from '../http/types.ts'
import { HttpError } from '../http/errors.ts'
import type { Services } from '../services.ts'
import { forViewer } from '../accounts/privacy.ts'
import { checkDay } from '../rosters/rosters.service.ts'
import { findWorkOrder } from '../workorders/workorders.queries.ts'
import { actorOf } from '../workorders/workorders.service.ts'
import { URGENCIES, WorkOrder } from '../workorders/workorders.schemas.ts'
import { findSlots, noShow, saveSettings, stats, sweepBookings } from './bookings.service.ts'

const Id = Type.Integer({ minimum: 1, maximum: 2147483647 })
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })
const Ref = Type.Object({ id: Type.Integer(), name: Type.String(), nameEn: Nullable(Type.String()) })
const Settings = Type.Object({
  teamId: Type.Integer(), slotMinutes: Type.Integer(), jobsPerPerson: Type.Integer(), reserve: Type.Integer(),
  releaseMinutes: Type.Integer(), leadMinutes: Type.Integer(), lateCancelMinutes: Type.Integer(),
})
const Slot = Type.Object({
  start: Type.String(), end: Type.String(), capacity: Type.Integer(), booked: Type.Integer(),
  /** places still kept for urgent and critical work (0 once released) */
  reserve: Type.Integer(), reserveReleased: Type.Boolean(),
  /** places a routine booking may take; an urgent or critical one */
  free: Type.Integer(), freeUrgent: Type.Integer(),
})
const Counts = { booked: Type.Integer(), completed: Type.Integer(), cancelled: Type.Integer(), lateCancelled: Type.Integer(), noShow: Type.Integer(), open: Type.Integer() }

export async function bookingRoutes(app: App, { db, config, now }: Services) {
  app.get('/api/booking-slots', {
    schema: {
      querystring: Type.Object({
        itemId: Id, locationId: Id, from: Type.Optional(IsoDate), urgency: Type.Optional(StringEnum(URGENCIES)),
        count: Type.Optional(Type.Integer({ minimum: 1, maximum: 48 })),
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ team: Ref, bookable: Type.Boolean(), settings: Nullable(Settings), slots: Type.Array(Slot) }), ...errors },
    },
  }, async (request) => findSlots(db, request.query, now(), config.timeZone))

  app.put('/api/teams/:id/booking', {
    schema: {
      params: Type.Object({ id: Id }),
      body: Type.Object({
        slotMinutes: Type.Integer({ minimum: 5, maximum: 240 }),
        jobsPerPerson: Type.Integer({ minimum: 1, maximum: 20 }),
        reserve: Type.Integer({ minimum: 0, maximum: 100 }),
        releaseMinutes: Type.Integer({ minimum: 0, maximum: 1440 }),
        leadMinutes: Type.Integer({ minimum: 0, maximum: 1440 }),
        lateCancelMinutes: Type.Optional(Type.Integer({ minimum: 0, maximum: 2880 })),
      }, { additionalProperties: false }),
      response: { 200: Settings, ...errors },
    },
  }, async (request) => saveSettings(db, request.params.id, request.body, request.user!, now(), config.timeZone))

  app.post('/api/work-orders/:id/no-show', {
    schema: {
      params: Type.Object({ id: Type.Integer({ minimum: 1, maximum: 9007199254740991 }) }),
      body: Type.Optional(Type.Object({ note: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false })),
      response: { 200: WorkOrder, ...errors },
    },
  }, async (request) => {
    await noShow(db, request.params.id, actorOf(request.user!), request.body?.note?.trim() || null, now(), config.timeZone)
    return forViewer((await findWorkOrder(db, request.params.id))!, request.user!.role)
  })

  app.get('/api/bookings/stats', {
    schema: {
      querystring: Type.Object({ from: Day, to: Day }, { additionalProperties: false }),
      response: { 200: Type.Object({ from: Type.String(), to: Type.String(), teams: Type.Array(Type.Object({ team: Ref, ...Counts })), total: Type.Object(Counts) }), ...errors },
    },
  }, async (request) => {
    const from = checkDay(request.query.from, 'from'), to = checkDay(request.query.to, 'to')
    if (to < from) throw new HttpError(400, 'bad_request', '结束日期早于开始日期', 'to', { messageEn: 'to is before from' })
    return stats(db, from, to, config.timeZone)
  })
}

/** The bookings sweep on the app's clock, for the background timer (app.ts) and the tests. */
export const runBookingSweep = ({ db, config, now }: Pick<Services, 'db' | 'config' | 'now'>) => sweepBookings(db, now(), config.timeZone)
