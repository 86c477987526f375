// One way to reach the database whichever it is: real PostgreSQL through `pg`, or the embedded
// PGlite in DATA_DIR when no DATABASE_URL is set. Queries, migrations and live events are the same.
import { Kysely, PGliteDialect, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { PGlite, type PGliteInterface } from '@electric-sql/pglite'
import { mkdirSync } from 'node:fs'
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

export async function openPostgres(url: string, poolSize = 10): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize })
  // a dropped idle connection must not take the process down; the pool replaces it
  pool.on('error', () => {})
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

export function openDatabase(config: { databaseUrl: string | null; dataDir: string }): Promise<Database> {
  return config.databaseUrl ? openPostgres(config.databaseUrl) : openEmbedded(config.dataDir)
}

export async function ping(db: Kysely<DB>): Promise<boolean> {
  try {
    await sql`SELECT 1`.execute(db)
    return true
  } catch {
    return false
  }
}
