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
  const allowAttempt = createThrottle(config.signInPerMinute)
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

  // the bell: the latest notices with whether each was read, and how many are unread in all
  const Notice = Type.Object({
    id: Type.Integer(), kind: Type.String(), message: Type.String(), workOrderId: Nullable(Type.Integer()),
    number: Nullable(Type.String()), urgency: Nullable(Type.String()), createdAt: Type.String(), readAt: Nullable(Type.String()),
    // a report to download (the weekly summary): GET /api/report-jobs/:id/file
    reportJobId: Nullable(Type.Integer()),
  })
  app.get('/api/notifications', {
    schema: { response: { 200: Type.Object({ items: Type.Array(Notice), unread: Type.Integer() }), ...errors } },
  }, async (request) => {
    const userId = request.user!.id
    const [rows, count] = await Promise.all([
      db.selectFrom('notification').leftJoin('work_order', 'work_order.id', 'notification.work_order_id')
        .select(['notification.id', 'notification.kind', 'notification.message', 'notification.work_order_id', 'notification.created_at', 'notification.read_at', 'notification.report_job_id', 'work_order.number', 'work_order.urgency'])
        .where('notification.user_id', '=', userId).orderBy('notification.id', 'desc').limit(50).execute(),
      db.selectFrom('notification').select((eb) => eb.fn.countAll<string>().as('n')).where('user_id', '=', userId).where('read_at', 'is', null).executeTakeFirstOrThrow(),
    ])
    return {
      items: rows.map((r) => ({
        id: r.id, kind: r.kind, message: r.message, workOrderId: r.work_order_id, number: r.number, urgency: r.urgency,
        createdAt: r.created_at.toISOString(), readAt: r.read_at ? r.read_at.toISOString() : null, reportJobId: r.report_job_id,
      })),
      unread: Number(count.n),
    }
  })

  // marks the person's own notices read (someone else's ids change nothing); `all` clears the bell
  app.post('/api/notifications/read', {
    schema: {
      body: Type.Object({ ids: Type.Optional(Type.Array(Type.Integer({ minimum: 1 }), { maxItems: 500 })), all: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
      response: { 200: Type.Object({ read: Type.Integer(), unread: Type.Integer() }), ...errors },
    },
  }, async (request) => {
    const userId = request.user!.id
    const { ids, all } = request.body
    let read = 0
    if (all || ids?.length) {
      let update = db.updateTable('notification').set({ read_at: new Date() }).where('user_id', '=', userId).where('read_at', 'is', null)
      if (!all) update = update.where('id', 'in', ids!)
      read = Number((await update.executeTakeFirst()).numUpdatedRows)
    }
    const count = await db.selectFrom('notification').select((eb) => eb.fn.countAll<string>().as('n')).where('user_id', '=', userId).where('read_at', 'is', null).executeTakeFirstOrThrow()
    return { read, unread: Number(count.n) }
  })
}
