// Preventive maintenance over HTTP: the asset register, PM schedules (an RRULE on local dates),
// the calendar of what is due, skipping one occurrence with a reason, and the PM KPIs. Managers
// and the administrator write; team leads read. Refusals are 400s naming the field, in Chinese
// with messageEn.
import { Type } from 'typebox'
import type { App } from '../http/types.ts'
import { errors, Nullable, StringEnum } from '../http/types.ts'
import type { Services } from '../services.ts'
import { assetLabel } from './maintenance.label.ts'
import { HttpError } from '../http/errors.ts'
import { ASSET_KINDS } from '../db/types.maintenance.ts'
import { calendar, createAsset, createSchedule, listAssets, listSchedules, pmKpi, skipOccurrence, updateSchedule } from './maintenance.service.ts'

const Id = Type.Integer({ minimum: 1, maximum: 2147483647 })
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })
const Clock = Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$' })
const Range = Type.Object({ from: Day, to: Day }, { additionalProperties: false })

const Ref = Type.Object({ id: Type.Integer(), name: Type.String() })
const AssetRef = Type.Object({ id: Type.Integer(), code: Type.String(), name: Type.String() })
const Asset = Type.Object({
  id: Type.Integer(), code: Type.String(), name: Type.String(), kind: Type.String(), active: Type.Boolean(), createdAt: Type.String(),
  location: Ref, schedules: Type.Integer(),
})
const Schedule = Type.Object({
  id: Type.Integer(), title: Type.String(), rrule: Type.String(), startDay: Type.String(), timeOfDay: Type.String(), leadDays: Type.Integer(),
  checklist: Type.Array(Type.String()), active: Type.Boolean(), asset: Nullable(AssetRef), location: Ref,
  item: Type.Object({ id: Type.Integer(), name: Type.String(), nameEn: Type.String() }), nextDueAt: Nullable(Type.String()), createdAt: Type.String(),
})
const Entry = Type.Object({
  id: Nullable(Type.Integer()), dueAt: Type.String(), day: Type.String(), time: Type.String(), status: Type.String(), onTime: Nullable(Type.Boolean()),
  schedule: Type.Object({ id: Type.Integer(), title: Type.String() }), asset: Nullable(AssetRef), location: Ref,
  workOrder: Nullable(Type.Object({ id: Type.Integer(), number: Type.String(), status: Type.String(), completedAt: Nullable(Type.String()) })),
  skippedReason: Nullable(Type.String()),
})
const Kpi = Type.Object({
  from: Type.String(), to: Type.String(), due: Type.Integer(), doneOnTime: Type.Integer(), doneLate: Type.Integer(), skipped: Type.Integer(),
  missed: Type.Integer(), open: Type.Integer(), onTimeRate: Nullable(Type.Number()),
})
const ScheduleFields = {
  title: Type.String({ maxLength: 200 }),
  assetId: Type.Optional(Nullable(Id)),
  locationId: Type.Optional(Nullable(Id)),
  itemId: Id,
  rrule: Type.String({ maxLength: 500 }),
  startDay: Day,
  timeOfDay: Type.Optional(Clock),
  leadDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 90 })),
  checklist: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 50 })),
}

export async function maintenanceRoutes(app: App, { db, config, now }: Services) {
  const tz = config.timeZone

  app.get('/api/assets', { schema: { response: { 200: Type.Object({ items: Type.Array(Asset) }), ...errors } } }, async () => ({ items: await listAssets(db) }))

  app.post('/api/assets', {
    schema: {
      body: Type.Object({ code: Type.String({ maxLength: 40 }), name: Type.String({ maxLength: 100 }), kind: StringEnum(ASSET_KINDS), locationId: Id }, { additionalProperties: false }),
      response: { 201: Asset, ...errors },
    },
  }, async (request, reply) => reply.status(201).send(await createAsset(db, request.body, now())))

  // a label to stick on the asset: its QR (the asset's page in the app), name, code and place, as an
  // SVG that prints at 60 × 40 mm from any browser
  app.get('/api/assets/:id/label.svg', { schema: { params: Type.Object({ id: Id }) } }, async (request, reply) => {
    const asset = (await listAssets(db)).find((a) => a.id === request.params.id)
    if (!asset) throw new HttpError(404, 'not_found', `没有编号为 ${request.params.id} 的设备`, undefined, { messageEn: `no asset ${request.params.id}` })
    const url = `${config.publicUrl.replace(/\/$/, '')}/maintenance?asset=${encodeURIComponent(asset.code)}`
    return reply.header('content-type', 'image/svg+xml; charset=utf-8').header('content-disposition', `inline; filename*=UTF-8''${encodeURIComponent(`${asset.code}.svg`)}`)
      .send(await assetLabel({ code: asset.code, name: asset.name, place: asset.location.name, url }))
  })

  app.get('/api/pm-schedules', { schema: { response: { 200: Type.Object({ items: Type.Array(Schedule) }), ...errors } } }, async () => ({ items: await listSchedules(db, now(), tz) }))

  app.post('/api/pm-schedules', {
    schema: { body: Type.Object(ScheduleFields, { additionalProperties: false }), response: { 201: Schedule, ...errors } },
  }, async (request, reply) => reply.status(201).send(await createSchedule(db, request.body, request.user!, now(), tz)))

  app.put('/api/pm-schedules/:id', {
    schema: {
      params: Type.Object({ id: Id }),
      body: Type.Object({
        title: Type.Optional(ScheduleFields.title), assetId: ScheduleFields.assetId, locationId: ScheduleFields.locationId, itemId: Type.Optional(Id),
        rrule: Type.Optional(ScheduleFields.rrule), startDay: Type.Optional(Day), timeOfDay: ScheduleFields.timeOfDay, leadDays: ScheduleFields.leadDays,
        checklist: ScheduleFields.checklist, active: Type.Optional(Type.Boolean()),
      }, { additionalProperties: false, minProperties: 1 }),
      response: { 200: Schedule, ...errors },
    },
  }, async (request) => updateSchedule(db, request.params.id, request.body, now(), tz))

  app.get('/api/pm-calendar', {
    schema: { querystring: Range, response: { 200: Type.Object({ items: Type.Array(Entry) }), ...errors } },
  }, async (request) => ({ items: await calendar(db, request.query.from, request.query.to, now(), tz) }))

  app.post('/api/pm-occurrences/:id/skip', {
    schema: { params: Type.Object({ id: Id }), body: Type.Object({ reason: Type.String({ maxLength: 500 }) }, { additionalProperties: false }), response: { 200: Type.Object({ id: Type.Integer(), status: Type.String(), skippedReason: Nullable(Type.String()) }), ...errors } },
  }, async (request) => {
    const o = await skipOccurrence(db, request.params.id, request.body.reason, request.user!, now())
    return { id: o.id, status: o.status, skippedReason: o.skipped_reason }
  })

  app.get('/api/pm-kpi', {
    schema: { querystring: Range, response: { 200: Kpi, ...errors } },
  }, async (request) => pmKpi(db, request.query.from, request.query.to, now(), tz))
}
