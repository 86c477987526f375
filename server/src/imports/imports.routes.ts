import { Type } from 'typebox'
import type { App } from '../http/types.ts'
import { errors, Nullable } from '../http/types.ts'
import { HttpError } from '../http/errors.ts'
import type { Services } from '../services.ts'
import { parseCsv, parseJsonLines } from './parse.ts'
import { importOrders } from './imports.service.ts'

const IMPORT_LIMIT = 64 * 1024 * 1024

export async function importRoutes(app: App, { db, config }: Services) {
  for (const type of ['text/csv', 'application/x-ndjson', 'application/jsonl']) {
    app.addContentTypeParser(type, { parseAs: 'string', bodyLimit: IMPORT_LIMIT }, (_req, body, done) => done(null, body))
  }

  app.post('/api/work-orders/import', {
    bodyLimit: IMPORT_LIMIT,
    schema: {
      response: {
        201: Type.Object({ imported: Type.Integer(), first: Nullable(Type.String()), last: Nullable(Type.String()) }),
        ...errors,
      },
    },
  }, async (request, reply) => {
    const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim()
    if (typeof request.body !== 'string') throw new HttpError(415, 'unsupported_media_type', 'send text/csv or application/x-ndjson (JSON lines)', 'body')
    const rows = type === 'text/csv' ? parseCsv(request.body) : parseJsonLines(request.body)
    const user = request.user!
    const result = await importOrders(db, rows, { timeZone: config.timeZone, userId: user.id, userName: user.displayName })
    if (!result.ok) {
      throw new HttpError(422, 'invalid_rows', `${result.errors.length} row error(s); nothing was imported`, result.errors[0]?.field, { rows: result.errors })
    }
    return reply.status(201).send({ imported: result.imported, first: result.first, last: result.last })
  })
}
