import { Type } from 'typebox'
import { sql } from 'kysely'
import type { App } from '../http/types.ts'
import { errors, Nullable } from '../http/types.ts'
import type { Services } from '../services.ts'

export const LocationRef = Type.Object({
  id: Type.Integer(), kind: Type.String(), name: Type.String(), nameEn: Nullable(Type.String()), fullName: Type.String(),
  campusId: Nullable(Type.Integer()), buildingId: Nullable(Type.Integer()), zone: Nullable(Type.String()),
  extensions: Type.Array(Type.String()),
})

export async function placesRoutes(app: App, { db }: Services) {
  app.get('/api/locations', {
    schema: {
      querystring: Type.Object({
        extension: Type.Optional(Type.String({ maxLength: 20 })),
        q: Type.Optional(Type.String({ maxLength: 100 })),
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ items: Type.Array(LocationRef) }), ...errors },
    },
  }, async (request) => {
    const { extension, q } = request.query
    let query = db.selectFrom('location')
      .select(['location.id', 'kind', 'name', 'name_en', 'full_name', 'campus_id', 'building_id', 'zone',
        sql<string[]>`coalesce((SELECT array_agg(e.number ORDER BY e.number) FROM extension e WHERE e.location_id = location.id), '{}')`.as('extensions')])
      .where('active', '=', true)
    if (extension !== undefined) query = query.where('location.id', 'in', db.selectFrom('extension').select('location_id').where('number', '=', extension))
    if (q) query = query.where((eb) => eb.or([eb('full_name', 'ilike', `%${q}%`), eb('name_en', 'ilike', `%${q}%`)]))
    const rows = await query.orderBy('full_name').limit(1000).execute()
    return {
      items: rows.map((r) => ({
        id: r.id, kind: r.kind, name: r.name, nameEn: r.name_en, fullName: r.full_name,
        campusId: r.campus_id, buildingId: r.building_id, zone: r.zone, extensions: r.extensions,
      })),
    }
  })
}
