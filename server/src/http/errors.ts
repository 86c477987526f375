// Every error leaves as JSON {error, message, field?}. Bad input is a 4xx naming the field at
// fault; a database that cannot be reached is a 503 to retry; only a fault of ours is a 500, and
// then without details.
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify'
import { isDatabaseUnavailable } from '../db/db.ts'

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly error: string,
    message: string,
    readonly field?: string,
    readonly extra?: Record<string, unknown>,
  ) {
    super(message)
  }
}

export const badRequest = (field: string, message: string) => new HttpError(400, 'bad_request', message, field)
/** 400 naming the field, in Chinese with the English beside it (as the screens show refusals). */
export const refuseField = (field: string, message: string, messageEn: string) => new HttpError(400, 'bad_request', message, field, { messageEn })
/** Any refusal with its status and code, in Chinese with the English beside it. */
export const refuse = (status: number, error: string, zh: string, en: string, field?: string, extra: Record<string, unknown> = {}) => new HttpError(status, error, zh, field, { messageEn: en, ...extra })
export const notFound = (what: string) => new HttpError(404, 'not_found', `${what} not found`)
export const conflict = (message: string, extra?: Record<string, unknown>) => new HttpError(409, 'conflict', message, undefined, extra)
export const forbidden = (message = 'your role may not do this') => new HttpError(403, 'forbidden', message)

/** Seconds a client should wait before retrying a request the database could not take. */
const RETRY_AFTER_SECONDS = 1

/**
 * The database connection broke under this request, or none could be made: only this request
 * failed, and the same request sent again (a create with its Idempotency-Key) is safe.
 */
function sendUnavailable(reply: FastifyReply) {
  return reply.status(503).header('retry-after', String(RETRY_AFTER_SECONDS)).send({
    error: 'unavailable',
    message: '数据库暂时无法连接，请稍后重试',
    messageEn: 'the database cannot be reached right now; please retry shortly',
    retryAfter: RETRY_AFTER_SECONDS,
  })
}

interface AjvIssue { instancePath?: string; keyword?: string; params?: Record<string, unknown>; message?: string }

function fieldOf(issue: AjvIssue, context: string | undefined): string {
  const path = (issue.instancePath ?? '').split('/').filter(Boolean)
  const extra = issue.params?.missingProperty ?? issue.params?.additionalProperty
  if (typeof extra === 'string') path.push(extra)
  return path.join('.') || context || 'body'
}

/** A schema refusal as the screens show it: Chinese first (the English goes beside it as messageEn). */
function validationZh(field: string, issue: AjvIssue): string {
  const p = issue.params ?? {}
  switch (issue.keyword) {
    case 'required': return `缺少必填项 ${field}`
    case 'additionalProperties': return `${field} 不是可接受的字段`
    case 'minLength': return `${field} 至少 ${p.limit} 个字符`
    case 'maxLength': return `${field} 最多 ${p.limit} 个字符`
    case 'minimum': case 'exclusiveMinimum': return `${field} 不能小于 ${p.limit}`
    case 'maximum': case 'exclusiveMaximum': return `${field} 不能大于 ${p.limit}`
    case 'minItems': return `${field} 至少 ${p.limit} 项`
    case 'maxItems': return `${field} 最多 ${p.limit} 项`
    case 'maxProperties': return `${field} 最多 ${p.limit} 项`
    case 'pattern': return `${field} 的格式不对`
    case 'format': return `${field} 不是有效的${p.format === 'date-time' ? '时间' : p.format === 'date' ? '日期' : ` ${String(p.format)}`}`
    case 'type': return `${field} 的类型不对（应为 ${String(p.type)}）`
    case 'enum': case 'const': case 'anyOf': case 'oneOf': return `${field} 不是可选的值`
    default: return `${field} 无效`
  }
}

// PostgreSQL errors that can only come from input we let through (a value out of a column's range)
const INPUT_SQLSTATES: Record<string, number> = { '22001': 400, '22003': 400, '22007': 400, '22008': 400, '22P02': 400, '23503': 400 }

/**
 * JSON bodies, parsed once: PostgreSQL cannot store a NUL character in text, so a string holding
 * one is refused here as a 400 naming its field instead of failing deep inside a query.
 */
export function installJsonParser(app: FastifyInstance) {
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    if (body === '') return done(new HttpError(400, 'bad_request', 'the body is empty', 'body'))
    try {
      done(null, JSON.parse(body as string, (key, value) => {
        if (typeof value === 'string' && value.includes('\u0000')) throw new HttpError(400, 'bad_request', `${key || 'body'} contains a NUL character`, key || 'body')
        return value
      }))
    } catch (err) {
      done(err instanceof HttpError ? err : new HttpError(400, 'bad_json', `the body is not valid JSON: ${(err as Error).message}`, 'body'))
    }
  })
}

export function installErrorHandling(app: FastifyInstance) {
  app.setErrorHandler((err: FastifyError & { validation?: AjvIssue[]; validationContext?: string; code?: string }, request, reply) => {
    if (err instanceof HttpError) {
      return reply.status(err.statusCode).send({ error: err.error, message: err.message, ...(err.field ? { field: err.field } : {}), ...err.extra })
    }
    if (err.validation) {
      const issue = err.validation[0] ?? {}
      const field = fieldOf(issue, err.validationContext)
      const detail = issue.keyword === 'additionalProperties' ? 'is not a known field' : issue.message ?? 'is invalid'
      return reply.status(400).send({ error: 'validation', message: validationZh(field, issue), messageEn: `${field} ${detail}`, field })
    }
    if (isDatabaseUnavailable(err)) {
      request.log.warn({ err: { message: err.message, code: err.code } }, 'database unavailable')
      return sendUnavailable(reply)
    }
    const pgState = typeof err.code === 'string' ? INPUT_SQLSTATES[err.code] : undefined
    if (pgState) {
      return reply.status(pgState).send({ error: 'bad_request', message: err.message })
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      // fastify's own: body too large (413), bad JSON (400), unsupported media type (415)
      const error = err.statusCode === 413 ? 'too_large' : err.statusCode === 415 ? 'unsupported_media_type' : 'bad_request'
      return reply.status(err.statusCode).send({ error, message: err.message, field: 'body' })
    }
    request.log.error({ err }, 'unhandled error')
    return reply.status(500).send({ error: 'internal', message: 'internal error' })
  })
}
