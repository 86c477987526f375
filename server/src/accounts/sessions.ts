// Cookie sessions kept server-side: the cookie holds a random token, the database its hash.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { sql, type Kysely } from 'kysely'
import type { DB, Role } from '../db/types.ts'
import { hashToken } from './password.ts'
import { accessFor, allows } from './permissions.ts'
import { HttpError } from '../http/errors.ts'
import { LIVE_CHANNEL, executePrepared } from '../db/db.ts'

export const SESSION_COOKIE = 'hotline_sid'

export interface SessionUser {
  id: number
  username: string
  displayName: string
  role: Role
  staffId: number | null
  teamId: number | null
  phoneDevice: string | null
}

declare module 'fastify' {
  interface FastifyRequest { user: SessionUser | null }
}

const userColumns = ['app_user.id', 'username', 'display_name', 'role', 'staff_id', 'app_user.team_id', 'phone_device'] as const

export function toSessionUser(row: { id: number; username: string; display_name: string; role: Role; staff_id: number | null; team_id: number | null; phone_device: string | null }): SessionUser {
  return { id: row.id, username: row.username, displayName: row.display_name, role: row.role, staffId: row.staff_id, teamId: row.team_id, phoneDevice: row.phone_device }
}

export async function userForToken(db: Kysely<DB>, token: string): Promise<SessionUser | null> {
  const [row] = await executePrepared(db, db.selectFrom('user_session')
    .innerJoin('app_user', 'app_user.id', 'user_session.user_id')
    .select(userColumns)
    .where('token_hash', '=', hashToken(token))
    .where('expires_at', '>', new Date())
    .where('app_user.active', '=', true))
  return row ? toSessionUser(row) : null
}

/** Which of these sessions (by token hash) are still on, and whose they are now: open sockets check theirs. */
export async function liveSessions(db: Kysely<DB>, tokenHashes: string[]) {
  const sessions = new Map<string, { user: SessionUser; expiresAt: Date }>()
  for (let i = 0; i < tokenHashes.length; i += 1000) {
    const rows = await db.selectFrom('user_session')
      .innerJoin('app_user', 'app_user.id', 'user_session.user_id')
      .select([...userColumns, 'token_hash', 'expires_at'])
      .where('token_hash', 'in', tokenHashes.slice(i, i + 1000))
      .where('expires_at', '>', new Date())
      .where('app_user.active', '=', true)
      .execute()
    for (const row of rows) sessions.set(row.token_hash, { user: toSessionUser(row), expiresAt: row.expires_at })
  }
  return sessions
}

/**
 * Tells every instance that this user's sessions changed (signed out, locked, demoted): their open
 * sockets check their session again and close or take the new role. A NOTIFY on the live channel,
 * so it leaves with the transaction that made the change.
 */
export async function announceSessionChange(db: Kysely<DB>, userId: number) {
  const message = { type: 'session.revoked', data: { userId }, at: new Date().toISOString() }
  await sql`SELECT pg_notify(${LIVE_CHANNEL}, ${JSON.stringify(message)})`.execute(db)
}

export async function logOut(db: Kysely<DB>, token: string) {
  await db.transaction().execute(async (trx) => {
    const ended = await trx.deleteFrom('user_session').where('token_hash', '=', hashToken(token)).returning('user_id').executeTakeFirst()
    if (ended) await announceSessionChange(trx, ended.user_id)
  })
}

/** A locked, demoted or re-passworded account is signed out everywhere, its sockets included. */
export async function signOutEverywhere(db: Kysely<DB>, userId: number) {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('user_session').where('user_id', '=', userId).execute()
    await announceSessionChange(trx, userId)
  })
}

/** Loads the session for every request and enforces the permission table before any handler. */
export function installAccessControl(app: FastifyInstance, db: Kysely<DB>, registered: string[]) {
  app.decorateRequest('user', null)
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    const guarded = route.url.startsWith('/api/') || route.url === '/ws'
    for (const method of methods) {
      if (!guarded || method === 'HEAD') continue
      if (!accessFor(method, route.url)) throw new Error(`route ${method} ${route.url} has no entry in accounts/permissions.ts`)
      registered.push(`${method} ${route.url}`)
    }
  })
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const url = request.routeOptions.url
    if (!url || !(url.startsWith('/api/') || url === '/ws')) return
    const method = request.method === 'HEAD' ? 'GET' : request.method
    const access = accessFor(method, url)
    if (!access) return
    const token = request.cookies[SESSION_COOKIE]
    request.user = token ? await userForToken(db, token) : null
    if (access === 'public') return
    if (!request.user) throw new HttpError(401, 'unauthenticated', 'sign in first')
    if (!allows(access, request.user.role)) throw new HttpError(403, 'forbidden', `role ${request.user.role} may not ${method} ${url}`)
  })
}
