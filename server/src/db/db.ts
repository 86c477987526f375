// One way to reach the database whichever it is: real PostgreSQL through `pg`, or the embedded
// PGlite in DATA_DIR when no DATABASE_URL is set. Queries, migrations and live events are the same.
import { Kysely, PGliteDialect, PostgresDialect, sql, type Compilable, type RawBuilder } from 'kysely'
import pg from 'pg'
import { PGlite, type PGliteInterface } from '@electric-sql/pglite'
import { mkdirSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import type { DB } from './types.ts'

// int8 (ids, counts) as numbers and numeric as floats, as PGlite already returns them
pg.types.setTypeParser(20, (v) => Number(v))
pg.types.setTypeParser(1700, (v) => Number(v))

export const LIVE_CHANNEL = 'hotline_live'

export interface Database {
  db: Kysely<DB>
  kind: 'pglite' | 'postgres'
  /** Runs a multi-statement SQL script on one connection (migrations). */
  withScriptRunner<T>(fn: (run: (script: string) => Promise<void>) => Promise<T>): Promise<T>
  /** Receives every NOTIFY on the live channel, from this instance and every other one. */
  listen(onPayload: (payload: string) => void): Promise<() => Promise<void>>
  close(): Promise<void>
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

export async function openPostgres(url: string, poolSize = defaultPoolSize()): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize })
  // a dropped idle connection must not take the process down; the pool replaces it
  pool.on('error', () => {})
  // Kysely calls client.query(text, values); a registered text goes as a named statement
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown
    client.query = ((text: unknown, ...rest: unknown[]) => {
      const name = typeof text === 'string' ? preparedNames.get(text) : undefined
      return name && Array.isArray(rest[0]) ? query({ name, text, values: rest[0] }, ...rest.slice(1)) : query(text, ...rest)
    }) as typeof client.query
  })
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
  let listener: pg.Client | null = null
  return {
    db,
    kind: 'postgres',
    async withScriptRunner(fn) {
      const client = await pool.connect()
      try {
        return await fn(async (script) => { await client.query(script) })
      } finally {
        client.release()
      }
    },
    async listen(onPayload) {
      listener = new pg.Client({ connectionString: url })
      listener.on('error', () => {})
      await listener.connect()
      listener.on('notification', (msg) => { if (msg.payload) onPayload(msg.payload) })
      await listener.query(`LISTEN ${LIVE_CHANNEL}`)
      return async () => { await listener?.end().catch(() => {}); listener = null }
    },
    async close() {
      await listener?.end().catch(() => {})
      await db.destroy()
    },
  }
}

export async function openEmbedded(dataDir: string | null, existing?: PGlite | PGliteInterface): Promise<Database> {
  if (dataDir) mkdirSync(dataDir, { recursive: true })
  const pglite = (existing ?? (await PGlite.create(dataDir ?? undefined))) as PGlite
  const db = new Kysely<DB>({ dialect: new PGliteDialect({ pglite }) })
  return {
    db,
    kind: 'pglite',
    async withScriptRunner(fn) {
      return fn(async (script) => { await pglite.exec(script) })
    },
    async listen(onPayload) {
      // PGlite is one connection inside this process: LISTEN/NOTIFY works here and only here
      const unsubscribe = await pglite.listen(LIVE_CHANNEL, onPayload)
      return unsubscribe
    },
    async close() {
      await db.destroy()
      if (!pglite.closed) await pglite.close()
    },
  }
}

export function openDatabase(config: { databaseUrl: string | null; dataDir: string; databasePoolSize?: number }): Promise<Database> {
  return config.databaseUrl ? openPostgres(config.databaseUrl, config.databasePoolSize) : openEmbedded(config.dataDir)
}

export async function ping(db: Kysely<DB>): Promise<boolean> {
  try {
    await sql`SELECT 1`.execute(db)
    return true
  } catch {
    return false
  }
}
