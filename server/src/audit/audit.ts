// The audit log (sql/0002_audit.sql): append-only, refused UPDATE and DELETE by the database.
import { Type } from 'typebox'
import type { Kysely } from 'kysely'
import type { FastifyRequest } from 'fastify'
import type { DB } from '../db/types.ts'
import type { App } from '../http/types.ts'
import { errors, IsoDate, Nullable } from '../http/types.ts'
import type { Services } from '../services.ts'

export async function audit(db: Kysely<DB>, request: FastifyRequest, action: string, subject: string, detail?: unknown) {
  await db.insertInto('audit_log').values({
    user_id: request.user?.id ?? null, username: request.user?.username ?? null, action, subject,
    detail: detail === undefined ? null : JSON.stringify(detail), ip: request.ip,
  }).execute()
}

export async function auditRoutes(app: App, { db }: Services) {
  app.get('/api/audit', {
    schema: {
      querystring: Type.Object({
        from: Type.Optional(IsoDate), to: Type.Optional(IsoDate), username: Type.Optional(Type.String({ maxLength: 50 })),
        action: Type.Optional(Type.String({ maxLength: 50 })), subject: Type.Optional(Type.String({ maxLength: 100 })),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
      }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          items: Type.Array(Type.Object({
            id: Type.Integer(), at: Type.String(), username: Nullable(Type.String()), action: Type.String(), subject: Type.String(), detail: Type.Unknown(), ip: Nullable(Type.String()),
          })),
        }),
        ...errors,
      },
    },
  }, async (request) => {
    const q = request.query
    let query = db.selectFrom('audit_log').selectAll()
    if (q.from) query = query.where('at', '>=', new Date(q.from))
    if (q.to) query = query.where('at', '<', new Date(q.to))
    if (q.username) query = query.where('username', '=', q.username)
    if (q.action) query = query.where('action', '=', q.action)
    if (q.subject) query = query.where('subject', '=', q.subject)
    const rows = await query.orderBy('id', 'desc').limit(q.limit ?? 200).execute()
    return { items: rows.map((r) => ({ id: r.id, at: r.at.toISOString(), username: r.username, action: r.action, subject: r.subject, detail: r.detail, ip: r.ip })) }
  })
}
