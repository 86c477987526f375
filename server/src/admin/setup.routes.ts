// Setting up the hospital: the administrator adds its places (campus → building → floor → room or
// ward), its teams with their service points, and the people of each team. Nothing is deleted:
// orders point at places and people for years, so a place is renamed or closed, and a person who
// leaves is marked so (admin.routes.ts), never removed.
import { Type } from 'typebox'
import type { App } from '../http/types.ts'
import { errors, Nullable, StringEnum } from '../http/types.ts'
import { sql, type Transaction } from 'kysely'
import { HttpError, badRequest, notFound } from '../http/errors.ts'
import type { Services } from '../services.ts'
import type { DB } from '../db/types.ts'

const Id = Type.Integer({ minimum: 1, maximum: 2147483647 })
const Name = (max: number) => Type.String({ minLength: 1, maxLength: max, pattern: '\\S' })
const KINDS = ['campus', 'building', 'floor', 'room', 'ward', 'area'] as const
type Kind = (typeof KINDS)[number]

/** Where each kind of place may hang. A campus is a root. */
const PARENT_KINDS: Record<Kind, readonly Kind[]> = {
  campus: [],
  building: ['campus'],
  floor: ['building'],
  room: ['building', 'floor'],
  ward: ['building', 'floor'],
  area: ['campus', 'building', 'floor'],
}

const Place = Type.Object({
  id: Type.Integer(), parentId: Nullable(Type.Integer()), kind: Type.String(), name: Type.String(), nameEn: Nullable(Type.String()),
  fullName: Type.String(), campusId: Nullable(Type.Integer()), buildingId: Nullable(Type.Integer()), zone: Nullable(Type.String()),
})
const Point = Type.Object({ id: Type.Integer(), teamId: Type.Integer(), name: Type.String(), nameEn: Nullable(Type.String()), locationId: Nullable(Type.Integer()) })
const PointInput = { name: Name(100), nameEn: Type.Optional(Nullable(Type.String({ maxLength: 100 }))), locationId: Type.Optional(Nullable(Id)) }

export async function setupRoutes(app: App, { db }: Services) {
  app.post('/api/locations', {
    schema: {
      body: Type.Object({
        parentId: Nullable(Id), kind: StringEnum(KINDS), name: Name(100),
        nameEn: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
        // routing rules match on it; a place below a building takes the building's unless given
        zone: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 50, pattern: '^[A-Za-z0-9_-]+$' }))),
      }, { additionalProperties: false }),
      response: { 201: Place, ...errors },
    },
  }, async (request, reply) => {
    const b = request.body
    const name = b.name.trim()
    const place = await db.transaction().execute(async (trx) => {
      const parent = b.parentId === null ? null
        : await trx.selectFrom('location').selectAll().where('id', '=', b.parentId).where('active', '=', true).executeTakeFirst()
      if (b.parentId !== null && !parent) throw badRequest('parentId', `no place ${b.parentId}`)
      if (b.kind === 'campus' && parent) throw badRequest('parentId', 'a campus has no parent place')
      if (b.kind !== 'campus' && !parent) throw badRequest('parentId', `a ${b.kind} belongs to a ${PARENT_KINDS[b.kind].join(' or ')}`)
      if (parent && !PARENT_KINDS[b.kind].includes(parent.kind as Kind)) {
        throw badRequest('parentId', `a ${b.kind} belongs to a ${PARENT_KINDS[b.kind].join(' or ')}, not a ${parent.kind}`)
      }
      const fullName = await freeFullName(trx, parent?.full_name ?? null, name)
      const row = await trx.insertInto('location').values({
        parent_id: parent?.id ?? null, kind: b.kind, name, name_en: b.nameEn?.trim() || null, full_name: fullName,
        campus_id: parent?.campus_id ?? null, building_id: parent?.building_id ?? null, zone: b.zone ?? parent?.zone ?? null,
      }).returningAll().executeTakeFirstOrThrow()
      // a campus is its own campus and a building its own building, as the seeded places are
      if (b.kind === 'campus' || b.kind === 'building') {
        return trx.updateTable('location').set(b.kind === 'campus' ? { campus_id: row.id } : { building_id: row.id })
          .where('id', '=', row.id).returningAll().executeTakeFirstOrThrow()
      }
      return row
    })
    return reply.status(201).send({
      id: place.id, parentId: place.parent_id, kind: place.kind, name: place.name, nameEn: place.name_en, fullName: place.full_name,
      campusId: place.campus_id, buildingId: place.building_id, zone: place.zone,
    })
  })

  // a typo corrected or a ward closed: the place and everything below it follow; orders keep pointing
  // at it and show the new name
  app.patch('/api/locations/:id', {
    schema: {
      params: Type.Object({ id: Id }),
      body: Type.Object({
        name: Type.Optional(Name(100)), nameEn: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
        // false: closed, with every place below it; their extensions no longer ring through to them
        active: Type.Optional(Type.Literal(false)),
      }, { additionalProperties: false, minProperties: 1 }),
      response: { 200: Type.Object({ id: Type.Integer(), fullName: Type.String(), active: Type.Boolean(), placesChanged: Type.Integer() }), ...errors },
    },
  }, async (request) => {
    const b = request.body
    return db.transaction().execute(async (trx) => {
      const place = await trx.selectFrom('location').selectAll().where('id', '=', request.params.id).where('active', '=', true).forUpdate().executeTakeFirst()
      if (!place) throw notFound(`place ${request.params.id}`)
      // the place and every place below it (a campus has a few hundred at most)
      const below = (await sql<{ id: number }>`WITH RECURSIVE below AS (SELECT id FROM location WHERE id = ${place.id}
        UNION ALL SELECT l.id FROM location l JOIN below ON l.parent_id = below.id) SELECT id FROM below`.execute(trx)).rows.map((r) => r.id)
      let fullName = place.full_name
      let changed = 0
      if (b.name !== undefined && b.name.trim() !== place.name) {
        const parent = place.parent_id ? await trx.selectFrom('location').select('full_name').where('id', '=', place.parent_id).executeTakeFirstOrThrow() : null
        fullName = await freeFullName(trx, parent?.full_name ?? null, b.name.trim())
        // the place's full name starts every full name below it: swap that prefix
        const res = await sql`UPDATE location SET full_name = ${fullName} || substr(full_name, length(${place.full_name}::text) + 1)
          WHERE id IN (${sql.join(below)})`.execute(trx)
        changed = Number(res.numAffectedRows ?? 0)
        await trx.updateTable('location').set({ name: b.name.trim() }).where('id', '=', place.id).execute()
      }
      if (b.nameEn !== undefined) await trx.updateTable('location').set({ name_en: b.nameEn?.trim() || null }).where('id', '=', place.id).execute()
      if (b.active === false) {
        await trx.deleteFrom('extension').where('location_id', 'in', below).execute()
        const res = await trx.updateTable('location').set({ active: false }).where('id', 'in', below).executeTakeFirst()
        changed = Math.max(changed, Number(res.numUpdatedRows))
      }
      return { id: place.id, fullName, active: b.active !== false, placesChanged: changed }
    })
  })

  app.post('/api/teams', {
    schema: {
      body: Type.Object({
        code: Type.String({ minLength: 1, maxLength: 40, pattern: '^[a-z][a-z0-9_-]*$' }), name: Name(50), nameEn: Name(100),
        // where the team's job sheets print; a team can work without one (the sheets wait in the pool)
        servicePoint: Type.Optional(Type.Object(PointInput, { additionalProperties: false })),
      }, { additionalProperties: false }),
      response: { 201: Type.Object({ id: Type.Integer(), code: Type.String(), name: Type.String(), nameEn: Type.String(), servicePoints: Type.Array(Point) }), ...errors },
    },
  }, async (request, reply) => {
    const b = request.body
    const created = await db.transaction().execute(async (trx) => {
      const team = await trx.insertInto('team').values({ code: b.code, name: b.name.trim(), name_en: b.nameEn.trim() })
        .onConflict((oc) => oc.column('code').doNothing()).returningAll().executeTakeFirst()
      if (!team) throw taken('code', `a team with code ${b.code} exists`)
      const points = b.servicePoint ? [await addPoint(trx, team.id, b.servicePoint, 'servicePoint.locationId')] : []
      return { id: team.id, code: team.code, name: team.name, nameEn: team.name_en, servicePoints: points }
    })
    return reply.status(201).send(created)
  })

  app.post('/api/service-points', {
    schema: {
      body: Type.Object({ teamId: Id, ...PointInput }, { additionalProperties: false }),
      response: { 201: Point, ...errors },
    },
  }, async (request, reply) => {
    const { teamId, ...point } = request.body
    const created = await db.transaction().execute(async (trx) => {
      if (!(await trx.selectFrom('team').select('id').where('id', '=', teamId).executeTakeFirst())) throw badRequest('teamId', `no team ${teamId}`)
      return addPoint(trx, teamId, point, 'locationId')
    })
    return reply.status(201).send(created)
  })

  app.post('/api/staff', {
    schema: {
      body: Type.Object({
        teamId: Id, name: Name(50),
        phone: Type.Optional(Nullable(Type.String({ maxLength: 30, pattern: '^[0-9+\\-() ]*$' }))),
        skills: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 30 }), { maxItems: 20 })),
        onDuty: Type.Optional(Type.Boolean()),
      }, { additionalProperties: false }),
      response: { 201: Type.Object({ id: Type.Integer(), teamId: Type.Integer(), name: Type.String(), skills: Type.Array(Type.String()), onDuty: Type.Boolean(), openOrders: Type.Integer() }), ...errors },
    },
  }, async (request, reply) => {
    const b = request.body
    if (!(await db.selectFrom('team').select('id').where('id', '=', b.teamId).executeTakeFirst())) throw badRequest('teamId', `no team ${b.teamId}`)
    const person = await db.insertInto('staff').values({
      team_id: b.teamId, name: b.name.trim(), phone: b.phone || null, skills: b.skills ?? [], on_duty: b.onDuty ?? false,
    }).returningAll().executeTakeFirstOrThrow()
    return reply.status(201).send({ id: person.id, teamId: person.team_id, name: person.name, skills: person.skills, onDuty: person.on_duty, openOrders: 0 })
  })
}

/** A 409 that names the field whose value is already taken. */
const taken = (field: string, message: string) => new HttpError(409, 'conflict', message, field)

/** "南院区 / 住院楼 / 5F / 心内科病区": the parent's full name and this name, if no open place has it. */
async function freeFullName(trx: Transaction<DB>, parentFullName: string | null, name: string) {
  const fullName = parentFullName ? `${parentFullName} / ${name}` : name
  const exists = await trx.selectFrom('location').select('id').where('full_name', '=', fullName).where('active', '=', true).executeTakeFirst()
  if (exists) throw taken('name', `${fullName} already exists`)
  return fullName
}

async function addPoint(trx: Transaction<DB>, teamId: number, p: { name: string; nameEn?: string | null; locationId?: number | null }, field: string) {
  if (p.locationId && !(await trx.selectFrom('location').select('id').where('id', '=', p.locationId).executeTakeFirst())) throw badRequest(field, `no place ${p.locationId}`)
  const row = await trx.insertInto('service_point').values({ team_id: teamId, name: p.name.trim(), name_en: p.nameEn?.trim() || null, location_id: p.locationId ?? null })
    .returningAll().executeTakeFirstOrThrow()
  return { id: row.id, teamId: row.team_id, name: row.name, nameEn: row.name_en, locationId: row.location_id }
}
