import { Type } from 'typebox'
import type { App } from '../http/types.ts'
import { errors, Nullable } from '../http/types.ts'
import type { Services } from '../services.ts'
import { logOut, SESSION_COOKIE } from './sessions.ts'
import { createUnknownNameLocks, logIn, unlockUser } from './sign-in.ts'
import { createThrottle } from './throttle.ts'
import { HttpError, notFound } from '../http/errors.ts'
import { audit } from '../audit/audit.ts'

const User = Type.Object({
  id: Type.Integer(), username: Type.String(), displayName: Type.String(),
  role: Type.String(), staffId: Nullable(Type.Integer()), teamId: Nullable(Type.Integer()), phoneDevice: Nullable(Type.String()),
})

export async function accountRoutes(app: App, { db, config }: Services) {
  const allowAttempt = createThrottle()
  const failUnknown = createUnknownNameLocks()
  app.post('/api/session', {
    schema: {
      body: Type.Object({ username: Type.String({ minLength: 1, maxLength: 100 }), password: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
      response: { 200: Type.Object({ user: User }), ...errors },
    },
  }, async (request, reply) => {
    if (!allowAttempt(`${request.ip} ${request.body.username}`)) throw new HttpError(429, 'too_many_attempts', 'too many sign-in attempts from this address; wait a minute', 'password')
    const { token, expiresAt, user } = await logIn(db, request.body.username, request.body.password, { sessionHours: config.sessionHours, timeZone: config.timeZone, failUnknown })
    reply.setCookie(SESSION_COOKIE, token, { path: '/', httpOnly: true, sameSite: 'strict', expires: expiresAt, secure: config.publicUrl.startsWith('https:') })
    return { user }
  })

  app.post('/api/users/:id/unlock', {
    schema: {
      params: Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2147483647 }) }),
      response: { 200: Type.Object({ id: Type.Integer(), wasLocked: Type.Boolean() }), ...errors },
    },
  }, async (request) => {
    const unlocked = await unlockUser(db, request.params.id)
    if (!unlocked) throw notFound(`user ${request.params.id}`)
    await audit(db, request, 'unlock_user', `app_user:${request.params.id}`, unlocked)
    return { id: request.params.id, wasLocked: unlocked.wasLocked }
  })

  app.get('/api/session', { schema: { response: { 200: Type.Object({ user: User }), ...errors } } }, async (request) => ({ user: request.user! }))

  app.delete('/api/session', { schema: { response: { 204: Type.Null(), ...errors } } }, async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE]
    if (token) await logOut(db, token)
    reply.clearCookie(SESSION_COOKIE, { path: '/' })
    return reply.status(204).send(null)
  })

  app.get('/api/notifications', {
    schema: {
      response: {
        200: Type.Object({
          items: Type.Array(Type.Object({
            id: Type.Integer(), kind: Type.String(), message: Type.String(), workOrderId: Nullable(Type.Integer()), createdAt: Type.String(),
          })),
        }),
        ...errors,
      },
    },
  }, async (request) => {
    const rows = await db.selectFrom('notification').selectAll().where('user_id', '=', request.user!.id).orderBy('id', 'desc').limit(50).execute()
    return { items: rows.map((r) => ({ id: r.id, kind: r.kind, message: r.message, workOrderId: r.work_order_id, createdAt: r.created_at.toISOString() })) }
  })
}
