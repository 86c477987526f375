// Signing in: the failure counter moves in one statement, so sign-ins racing each other all count;
// a locked account and an unknown name get the same answer after the same work (one password hash).
import { sql, type Kysely } from 'kysely'
import type { DB } from '../db/types.ts'
import { HttpError } from '../http/errors.ts'
import { hashPassword, hashToken, newSessionToken, verifyPassword } from './password.ts'
import { toSessionUser } from './sessions.ts'

const MAX_FAILED_LOGINS = 5
const LOCK_MINUTES = 15

const clock = (locale: string, at: Date, timeZone: string) =>
  new Intl.DateTimeFormat(locale, { timeZone, month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false }).format(at)

/** The refusal, in Chinese with English beside it (messageEn) like every message a person reads. */
function refusal(lockedUntil: Date | null, timeZone: string): HttpError {
  if (!lockedUntil) return new HttpError(401, 'bad_credentials', '用户名或密码错误', 'password', { messageEn: 'wrong username or password' })
  return new HttpError(401, 'locked', `登录失败次数过多，请于 ${clock('zh-CN', lockedUntil, timeZone)} 之后再试`, 'password', {
    messageEn: `too many failed sign-ins: try again after ${clock('en-GB', lockedUntil, timeZone)}`,
  })
}

// compared against when the name is unknown, so an unknown name costs the same hash as a known one
let decoyHash: Promise<string> | undefined

/**
 * Failures for names that are no account, per instance: they lock like an account does, so five
 * wrong tries tell nobody whether the name exists.
 */
export function createUnknownNameLocks() {
  const names = new Map<string, { failed: number; lockedUntil: number | null }>()
  return function fail(username: string, now = Date.now()): Date | null {
    if (names.size > 10_000) for (const [k, v] of names) if (!v.lockedUntil || v.lockedUntil <= now) names.delete(k)
    const entry = names.get(username)
    if (entry?.lockedUntil && entry.lockedUntil > now) return new Date(entry.lockedUntil)
    const failed = (entry?.lockedUntil ? 0 : entry?.failed ?? 0) + 1
    const lockedUntil = failed >= MAX_FAILED_LOGINS ? now + LOCK_MINUTES * 60_000 : null
    names.set(username, { failed, lockedUntil })
    return lockedUntil ? new Date(lockedUntil) : null
  }
}

export interface SignInOptions { sessionHours: number; timeZone: string; failUnknown: ReturnType<typeof createUnknownNameLocks> }

export async function logIn(db: Kysely<DB>, username: string, password: string, opts: SignInOptions) {
  const row = await db.selectFrom('app_user').selectAll().where('username', '=', username).where('active', '=', true).executeTakeFirst()
  if (!row) {
    await verifyPassword(password, await (decoyHash ??= hashPassword(newSessionToken())))
    throw refusal(opts.failUnknown(username), opts.timeZone)
  }
  // the hash runs for a locked account too: its answer takes as long as any other
  const matches = await verifyPassword(password, row.password_hash)
  if (row.locked_until && row.locked_until > new Date()) throw refusal(row.locked_until, opts.timeZone)
  if (!matches) {
    // one statement: concurrent failures each add one; a lock that has run out starts the count again
    const { rows: [counted] } = await sql<{ locked_until: Date | null }>`
      UPDATE app_user SET
        failed_logins = CASE WHEN locked_until <= now() THEN 1 ELSE failed_logins + 1 END,
        locked_until = CASE
          WHEN locked_until > now() THEN locked_until
          WHEN (CASE WHEN locked_until <= now() THEN 1 ELSE failed_logins + 1 END) >= ${MAX_FAILED_LOGINS}::int
            THEN now() + make_interval(mins => ${LOCK_MINUTES}::int)
        END
      WHERE id = ${row.id}::int
      RETURNING locked_until`.execute(db)
    throw refusal(counted?.locked_until ?? null, opts.timeZone)
  }
  const token = newSessionToken()
  const expiresAt = new Date(Date.now() + opts.sessionHours * 3_600_000)
  await db.transaction().execute(async (trx) => {
    // a lock taken by failures racing this sign-in wins: the counter is cleared only if none holds
    const cleared = await trx.updateTable('app_user').set({ failed_logins: 0, locked_until: null })
      .where('id', '=', row.id).where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', new Date())]))
      .returning('locked_until').executeTakeFirst()
    if (!cleared) {
      const now = await trx.selectFrom('app_user').select('locked_until').where('id', '=', row.id).executeTakeFirst()
      throw refusal(now?.locked_until ?? new Date(), opts.timeZone)
    }
    await trx.insertInto('user_session').values({ token_hash: hashToken(token), user_id: row.id, expires_at: expiresAt }).execute()
  })
  return { token, expiresAt, user: toSessionUser(row) }
}

/** An administrator lifts a lock (and forgets the failures that led to it). */
export async function unlockUser(db: Kysely<DB>, id: number) {
  const before = await db.selectFrom('app_user').select(['username', 'locked_until', 'failed_logins']).where('id', '=', id).executeTakeFirst()
  if (!before) return null
  await db.updateTable('app_user').set({ failed_logins: 0, locked_until: null }).where('id', '=', id).execute()
  return { username: before.username, wasLocked: Boolean(before.locked_until && before.locked_until > new Date()), failedLogins: before.failed_logins }
}
