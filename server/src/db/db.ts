// One way to reach the database whichever it is: real PostgreSQL through `pg`, or the embedded
// PGlite in DATA_DIR when no DATABASE_URL is set. Queries, migrations and live events are the same.
import { Kysely, PGliteDialect, PostgresDialect, sql, type Compilable, type RawBuilder } from 'kysely'
import pg from 'pg'
import { PGlite, type PGliteInterface, type Transaction } from '@electric-sql/pglite'
import { mkdirSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import type { DB } from './types.ts'

// int8 (ids, counts) as numbers and numeric as floats, as PGlite already returns them
pg.types.setTypeParser(20, (v) => Number(v))
pg.types.setTypeParser(1700, (v) => Number(v))

export const LIVE_CHANNEL = 'hotline_live'

/**
 * The role the app's queries run as (sql/0050_app_role.sql): every table's rows, but only SELECT and
 * INSERT on audit_log, and nothing it owns, so it cannot alter, disable, truncate or drop it.
 * Migrations run as the owner. The app's login becomes it at the start of every session; a login
 * that may not (neither a superuser nor a member) is refused at connect, not left with more rights.
 */
export const APP_ROLE = 'hotline_app'

/** Whether NOTIFYs can reach this instance: `reconnecting` while its LISTEN connection is lost. */
export type LiveStatus = 'up' | 'reconnecting'

type Row = Record<string, unknown>

export interface Database {
  db: Kysely<DB>
  kind: 'pglite' | 'postgres'
  /**
   * Runs multi-statement SQL scripts on one connection as the owner, not as the app's role
   * (migrations); `run` answers the rows of the script's last statement.
   */
  withScriptRunner<T>(fn: (run: (script: string) => Promise<Row[]>) => Promise<T>): Promise<T>
  /**
   * Receives every NOTIFY on the live channel, from this instance and every other one. A lost
   * LISTEN connection is reopened with backoff; `onStatus` hears it go and come back (NOTIFYs
   * sent in between are gone, so whoever shows them must re-read).
   */
  listen(onPayload: (payload: string) => void, onStatus?: (status: LiveStatus) => void): Promise<() => Promise<void>>
  close(): Promise<void>
}

// SQLSTATEs of a connection that is gone or cannot be had yet: admin_shutdown, crash_shutdown,
// cannot_connect_now, too_many_connections, and class 08 (connection exception)
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300'])
const UNAVAILABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'])
// what pg and PGlite say when the connection broke under a query or the database is shut
const UNAVAILABLE_MESSAGES = /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect|PGlite is clos)/

/**
 * A fault of the way to the database, not of the request: the request may be retried as it was
 * (with its Idempotency-Key, a create is never filed twice) once a connection is back.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false
  const { code, message, cause } = err as { code?: unknown; message?: unknown; cause?: unknown }
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08') || UNAVAILABLE_NODE_CODES.has(code))) return true
  if (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)) return true
  // an AggregateError (a host whose every address refused) or an error wrapping its cause
  const { errors } = err as { errors?: unknown }
  if (Array.isArray(errors)) return errors.some(isDatabaseUnavailable)
  return cause !== err && isDatabaseUnavailable(cause)
}

// The SQL texts of the hot queries (the session by token, an order by id, intake, a transition, a
// row lock, a live event) and their statement names. PostgreSQL spent far longer planning the order
// view's seven-table join than running it (0.7 ms against 0.1 ms here), so these run as named
// prepared statements: each connection plans them once. Only fixed-shape queries are registered
// (a transition has one shape per action and role), so the set stays small, and nothing else gets
// a generic plan.
const preparedNames = new Map<string, string>()

/** Runs a fixed-shape query that every request makes, planned once per connection on PostgreSQL. */
export async function executePrepared<O>(db: Kysely<DB>, query: Compilable<O> | RawBuilder<O>): Promise<O[]> {
  const compiled = 'isRawBuilder' in query ? query.compile(db) : query.compile()
  if (!preparedNames.has(compiled.sql)) preparedNames.set(compiled.sql, `hotline_${preparedNames.size + 1}`)
  return (await db.executeQuery(compiled)).rows
}

/**
 * Connections: about two per core (PostgreSQL's own rule of thumb). More only queue inside the
 * database: on two cores, eight busy connections made intake 15% slower than four, as backends
 * waiting on the day's counter row took turns on the CPU with the one holding it.
 */
export const defaultPoolSize = () => Math.max(4, 2 * availableParallelism())

// A database that does not answer a connection attempt is unavailable after this, not forever.
// For the pool it counts the wait for a free connection too: a request queued 5 s behind the
// others is answered 503 to retry, rather than left hanging.
const CONNECT_TIMEOUT_MS = 5000

/**
 * The same connection string with every session started as `role`: PostgreSQL applies the startup
 * option before the first query, on each pool and LISTEN connection alike (`SET ROLE` at connect).
 * Options the string already carries are kept.
 */
export function sessionAsRole(url: string, role: string): string {
  const parsed = new URL(url)
  parsed.searchParams.set('options', [parsed.searchParams.get('options'), `-c role=${role}`].filter(Boolean).join(' '))
  return parsed.toString()
}

/** `url`: the app's login (DATABASE_URL); `ownerUrl`: the login migrations run as, by default the same. */
export async function openPostgres(url: string, poolSize = defaultPoolSize(), ownerUrl = url): Promise<Database> {
  const appUrl = sessionAsRole(url, APP_ROLE)
  const pool = new pg.Pool({ connectionString: appUrl, max: poolSize, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true })
  // a dropped idle connection must not take the process down; the pool replaces it
  pool.on('error', () => {})
  pool.on('connect', (client) => {
    // The pool listens for errors on idle connections only. One checked out by a query that breaks
    // (the backend terminated, the network cut) emits 'error' too, and an 'error' nobody listens
    // for ends the process. The query on it has already failed with the same error, and the pool
    // drops the connection when it comes back, so here there is nothing left to do.
    client.on('error', () => {})
    // Kysely calls client.query(text, values); a registered text goes as a named statement
    const query = client.query.bind(client) as (...args: unknown[]) => unknown
    client.query = ((text: unknown, ...rest: unknown[]) => {
      const name = typeof text === 'string' ? preparedNames.get(text) : undefined
      return name && Array.isArray(rest[0]) ? query({ name, text, values: rest[0] }, ...rest.slice(1)) : query(text, ...rest)
    }) as typeof client.query
  })
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
  const listeners = new Set<() => Promise<void>>()
  return {
    db,
    kind: 'postgres',
    async withScriptRunner(fn) {
      // the owner's own connection, outside the pool, whose sessions are all the app's role
      const client = new pg.Client({ connectionString: ownerUrl, connectionTimeoutMillis: CONNECT_TIMEOUT_MS })
      client.on('error', () => {})
      await client.connect()
      try {
        return await fn(async (script) => {
          const result = (await client.query(script)) as pg.QueryResult | pg.QueryResult[]
          return (Array.isArray(result) ? result.at(-1)?.rows : result.rows) ?? []
        })
      } finally {
        await client.end().catch(() => {})
      }
    },
    async listen(onPayload, onStatus) {
      const stop = await listenWithReconnect(appUrl, onPayload, onStatus ?? (() => {}))
      const unlisten = async () => { listeners.delete(unlisten); await stop() }
      listeners.add(unlisten)
      return unlisten
    },
    async close() {
      await Promise.all([...listeners].map((unlisten) => unlisten()))
      await db.destroy()
    },
  }
}

// doubling from a quarter second; at most 2 s apart, so that screens have their events again
// within about 2 s of the database coming back, and one attempt every 2 s costs it nothing
const RECONNECT_FIRST_MS = 250
const RECONNECT_MAX_MS = 2000
// a LISTEN connection silently cut (no reset, no FIN) is found by a query that gets no answer
const HEARTBEAT_MS = 15_000
const HEARTBEAT_TIMEOUT_MS = 5000

/**
 * One LISTEN connection that comes back: after any error or end it is replaced, 0.25 s after the
 * loss and then doubling up to 2 s between attempts. The first connection must succeed (a
 * server that cannot reach its database at start should say so); later ones are retried forever.
 */
async function listenWithReconnect(url: string, onPayload: (payload: string) => void, onStatus: (status: LiveStatus) => void) {
  let current: pg.Client | null = null
  let stopped = false
  let delay = RECONNECT_FIRST_MS
  let retry: ReturnType<typeof setTimeout> | undefined
  let heartbeat: ReturnType<typeof setInterval> | undefined

  const lost = (client: pg.Client) => {
    if (client !== current || stopped) return
    current = null
    clearInterval(heartbeat)
    client.end().catch(() => {})
    onStatus('reconnecting')
    schedule()
  }
  const schedule = () => {
    retry = setTimeout(() => {
      connect().then(() => { if (current) { delay = RECONNECT_FIRST_MS; onStatus('up') } }, () => {
        delay = Math.min(delay * 2, RECONNECT_MAX_MS)
        schedule()
      })
    }, delay)
    retry.unref()
  }
  async function connect() {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true })
    client.on('error', () => lost(client))
    client.on('end', () => lost(client))
    client.on('notification', (msg) => { if (msg.payload) onPayload(msg.payload) })
    try {
      await client.connect()
      await client.query(`LISTEN ${LIVE_CHANNEL}`)
    } catch (err) {
      client.end().catch(() => {})
      throw err
    }
    if (stopped) { await client.end().catch(() => {}); return }
    current = client
    heartbeat = setInterval(() => {
      let timer: ReturnType<typeof setTimeout> | undefined
      const silent = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('no answer')), HEARTBEAT_TIMEOUT_MS) })
      Promise.race([client.query('SELECT 1'), silent]).catch(() => lost(client)).finally(() => clearTimeout(timer))
    }, HEARTBEAT_MS)
    heartbeat.unref()
  }

  await connect()
  return async () => {
    stopped = true
    clearTimeout(retry)
    clearInterval(heartbeat)
    const client = current
    current = null
    await client?.end().catch(() => {})
  }
}

/**
 * Kysely's PGlite driver begins a transaction inside `pglite.transaction(…)` and waits for it to
 * start. If PGlite refuses at once (it is closed, or it failed), that wait never ends and the
 * refusal is left unhandled, which ends a Node process. Here such a transaction starts anyway on
 * a stand-in that fails every statement with PGlite's error, so the caller hears of it and rolls back.
 */
function withFailingTransactions(pglite: PGlite): PGlite {
  return new Proxy(pglite, {
    get(target, property) {
      if (property === 'transaction') {
        return <T>(fn: (tx: Transaction) => Promise<T>) => {
          let began = false
          return target.transaction((tx) => { began = true; return fn(tx) }).catch((err: unknown) => {
            if (began) throw err
            const refuse = () => Promise.reject(err)
            return fn({ query: refuse, sql: refuse, exec: refuse, rollback: refuse, get closed() { return true } } as unknown as Transaction)
          })
        }
      }
      const value = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

// PGlite is one session of its superuser: the app's queries run in it as the app's role once the
// migrations have made the role (before, there is nothing for them to read).
const EMBEDDED_AS_APP_ROLE = `SELECT set_config('role', rolname, false) FROM pg_roles WHERE rolname = '${APP_ROLE}'`

export async function openEmbedded(dataDir: string | null, existing?: PGlite | PGliteInterface): Promise<Database> {
  if (dataDir) mkdirSync(dataDir, { recursive: true })
  const pglite = (existing ?? (await PGlite.create(dataDir ?? undefined))) as PGlite
  await pglite.exec(EMBEDDED_AS_APP_ROLE)
  const db = new Kysely<DB>({ dialect: new PGliteDialect({ pglite: withFailingTransactions(pglite) }) })
  return {
    db,
    kind: 'pglite',
    async withScriptRunner(fn) {
      // The one session is the owner's for the script and the app's role again after it, in one
      // exec, so no app query runs between. A script that fails is rolled back here (a BEGIN of its
      // own would leave the session aborted, and the owner's, until someone did).
      return fn(async (script) => {
        try {
          const results = await pglite.exec(`RESET ROLE;\n${script};\n${EMBEDDED_AS_APP_ROLE}`)
          return results.at(-2)?.rows ?? []
        } catch (err) {
          await pglite.exec(`ROLLBACK;\n${EMBEDDED_AS_APP_ROLE}`).catch(() => {})
          throw err
        }
      })
    },
    async listen(onPayload) {
      // PGlite is one connection inside this process: LISTEN/NOTIFY works here and only here
      const unsubscribe = await pglite.listen(LIVE_CHANNEL, onPayload)
      // a closed database has nobody left to unsubscribe from
      return async () => { if (!pglite.closed) await unsubscribe() }
    },
    async close() {
      await db.destroy()
      if (!pglite.closed) await pglite.close()
    },
  }
}

export function openDatabase(config: { databaseUrl: string | null; databaseOwnerUrl?: string | null; dataDir: string; databasePoolSize?: number }): Promise<Database> {
  return config.databaseUrl
    ? openPostgres(config.databaseUrl, config.databasePoolSize, config.databaseOwnerUrl ?? config.databaseUrl)
    : openEmbedded(config.dataDir)
}

export async function ping(db: Kysely<DB>): Promise<boolean> {
  try {
    await sql`SELECT 1`.execute(db)
    return true
  } catch {
    return false
  }
}
