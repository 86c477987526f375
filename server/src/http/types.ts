import type { FastifyInstance, FastifyBaseLogger, RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type, type TSchema } from 'typebox'

export type App = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>

export const ErrorBody = Type.Object({ error: Type.String(), message: Type.String(), field: Type.Optional(Type.String()) }, { additionalProperties: true })
/** Standard error answers, so every route documents them the same way. */
export const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody, 429: ErrorBody }
// null first: Fastify coerces types, and a string branch tried first would turn null into ""
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([Type.Null(), schema])
export const IsoDate = Type.String({ format: 'date-time' })
/** A string that is one of a fixed list, typed as that union. */
export const StringEnum = <const T extends readonly string[]>(values: T) => Type.Unsafe<T[number]>({ type: 'string', enum: [...values] })
