// Forward-only migrations from sql/NNNN_name.sql, each in its own transaction. An advisory lock
// serialises instances that start together against one database, so each file runs exactly once.
// They run as the owner (DATABASE_OWNER_URL, else DATABASE_URL's login); then every table, sequence
// and function there is, whichever migration made it, is granted to the app's role (sql/0050).
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import type { Database } from './db.ts'

export const SQL_DIR = fileURLToPath(new URL('../../../sql/', import.meta.url))
const LOCK_KEY = 100_100_100

export async function migrate(database: Database, dir = SQL_DIR): Promise<string[]> {
  const files = readdirSync(dir).filter((f) => /^\d{4}_.+\.sql$/.test(f)).sort()
  return database.withScriptRunner(async (run) => {
    await run(`SELECT pg_advisory_lock(${LOCK_KEY})`)
    try {
      await run(`CREATE TABLE IF NOT EXISTS schema_migration (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`)
      const applied = new Set((await run('SELECT name FROM schema_migration')).map((r) => r.name as string))
      const done: string[] = []
      for (const file of files) {
        if (applied.has(file)) continue
        const body = readFileSync(join(dir, file), 'utf8')
        const name = file.replace(/'/g, "''")
        await run(`BEGIN;\n${body}\n;INSERT INTO schema_migration (name) VALUES ('${name}');\nCOMMIT;`)
        done.push(file)
      }
      await run('SELECT grant_app_role()')
      return done
    } catch (err) {
      await run('ROLLBACK').catch(() => {})
      throw err
    } finally {
      await run(`SELECT pg_advisory_unlock(${LOCK_KEY})`)
    }
  })
}
