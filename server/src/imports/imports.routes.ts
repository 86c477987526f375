import { Type } from 'typebox'
import type { Readable } from 'node:stream'
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { App } from '../http/types.ts'
import { errors, Nullable } from '../http/types.ts'
import { HttpError } from '../http/errors.ts'
import type { Services } from '../services.ts'
import { ImportTooLarge, readRows } from './parse.ts'
import { ImportCheck } from './imports.service.ts'
import { undoInterruptedImports, writeImport } from './imports.apply.ts'

// per request: a file is read as it arrives and refused as soon as it passes either
export const MAX_IMPORT_BYTES = 64 * 1024 * 1024
export const MAX_IMPORT_ROWS = 100_000
// rows checked between turns for other requests
const CHECK_BATCH = 500

const FORMATS: Record<string, 'csv' | 'jsonl'> = { 'text/csv': 'csv', 'application/x-ndjson': 'jsonl', 'application/jsonl': 'jsonl' }

function tooLarge(limit: 'bytes' | 'rows') {
  return limit === 'bytes'
    ? new HttpError(413, 'too_large', `导入文件不能超过 ${MAX_IMPORT_BYTES / 1024 / 1024} MB，请拆分后分批导入`, 'body', {
      messageEn: `an import is at most ${MAX_IMPORT_BYTES / 1024 / 1024} MB (${MAX_IMPORT_BYTES} bytes): split the file`, limit: MAX_IMPORT_BYTES,
    })
    : new HttpError(413, 'too_many_rows', `一次最多导入 ${MAX_IMPORT_ROWS} 行，请拆分后分批导入`, 'body', {
      messageEn: `an import is at most ${MAX_IMPORT_ROWS} rows: split the file`, limit: MAX_IMPORT_ROWS,
    })
}

export async function importRoutes(app: App, { db, database, config }: Services) {
  // the body reaches the handler unread, as a stream
  for (const type of Object.keys(FORMATS)) app.addContentTypeParser(type, (_req, payload, done) => done(null, payload))
  // a batched import the process did not finish is taken back out (embedded database only)
  if (database.kind === 'pglite') await undoInterruptedImports(db)
  // one import at a time per instance: each holds up to MAX_IMPORT_ROWS checked rows in memory
  let running = false

  app.post('/api/work-orders/import', {
    bodyLimit: MAX_IMPORT_BYTES,
    schema: {
      response: {
        201: Type.Object({ imported: Type.Integer(), first: Nullable(Type.String()), last: Nullable(Type.String()) }),
        ...errors,
      },
    },
  }, async (request, reply) => {
    const format = FORMATS[(request.headers['content-type'] ?? '').split(';')[0]!.trim()]
    const body = request.body as Readable | undefined
    if (!format || !body || typeof body[Symbol.asyncIterator] !== 'function') throw new HttpError(415, 'unsupported_media_type', 'send text/csv or application/x-ndjson (JSON lines)', 'body')
    if (Number(request.headers['content-length'] ?? 0) > MAX_IMPORT_BYTES) throw tooLarge('bytes')
    if (running) throw new HttpError(503, 'busy', '另一个导入正在进行，请稍后重试', undefined, { messageEn: 'another import is running; retry when it is done', retryAfter: 5 })
    running = true
    try {
      const check = await ImportCheck.start(db)
      try {
        for await (const batch of readRows(body, format, { maxBytes: MAX_IMPORT_BYTES, maxRows: MAX_IMPORT_ROWS, batchRows: CHECK_BATCH })) {
          await check.add(batch)
          // 200 errors are the answer: the rest of the file is not read
          if (check.full) break
          await nextTurn()
        }
      } catch (err) {
        if (err instanceof ImportTooLarge) throw tooLarge(err.limit)
        throw err
      }
      const result = check.finish()
      if (!result.ok) {
        throw new HttpError(422, 'invalid_rows', `${result.errors.length} row error(s); nothing was imported`, result.errors[0]?.field, { rows: result.errors })
      }
      const user = request.user!
      const numbers = await writeImport(database, result.rows, { timeZone: config.timeZone, userId: user.id, userName: user.displayName })
      return reply.status(201).send({ imported: numbers.length, first: numbers[0] ?? null, last: numbers[numbers.length - 1] ?? null })
    } finally {
      running = false
    }
  })
}
