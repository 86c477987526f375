// PostgreSQL cannot store a NUL character in text: a %00 in a query string, a path parameter or a
// header would fail deep inside a query as a 500. Refused here once for every route, as a 400
// naming the field; JSON bodies are checked by the parser (errors.ts), imports row by row.
import type { FastifyInstance } from 'fastify'
import { HttpError } from './errors.ts'

const NUL = '\u0000'

/** The name of the first field of `values` (a string, or a list of them) holding a NUL. */
export function fieldWithNul(values: unknown): string | undefined {
  if (!values || typeof values !== 'object') return undefined
  for (const [name, value] of Object.entries(values)) {
    if (name.includes(NUL)) return name.replaceAll(NUL, '\\0')
    const list = Array.isArray(value) ? value : [value]
    if (list.some((v) => typeof v === 'string' && v.includes(NUL))) return name
  }
  return undefined
}

export function installNulGuard(app: FastifyInstance) {
  app.addHook('preValidation', async (request) => {
    for (const [where, values] of [['path', request.params], ['query', request.query], ['header', request.headers]] as const) {
      const field = fieldWithNul(values)
      if (field !== undefined) throw new HttpError(400, 'bad_request', `${where} ${field} contains a NUL character`, field)
    }
  })
}
