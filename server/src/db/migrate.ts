// Forward-only migrations from sql/NNNN_name.sql, each in its own transaction. An advisory lock
// serialises instances that start together against one database, so each file runs exactly once.
// Then every file of sql/functions/ (one SQL function each, CREATE OR REPLACE) is applied again, in
// one transaction: a function's body lives in its one file, and a migration that changes a function's
// arguments or result drops the old one first. They run as the owner (DATABASE_OWNER_URL, else
// DATABASE_URL's login); then every table, sequence and function there is, whichever file made it,
// is granted to the app's role (sql/0050).
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import type { Database } from './db.ts'

export const SQL_DIR = fileURLToPath(new URL('../../../sql/', import.meta.url))
const LOCK_KEY = 100_100_100

export async function migrate(database: Database, dir = SQL_DIR): Promise<string[]> {
  const files = readdirSync(dir).filter((f) => /^\d{4}_.+\.sql$/.test(f)).sort()
  const functionsDir = join(dir, 'functions')
  const functions = existsSync(functionsDir) ? readdirSync(functionsDir).filter((f) => f.endsWith('.sql')).sort() : []
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
      // bodies are checked when called, not here, so the files need no order among themselves
      const bodies = functions.map((f) => readFileSync(join(functionsDir, f), 'utf8')).join('\n;\n')
      if (bodies) await run(`BEGIN;\nSET LOCAL check_function_bodies = off;\n${bodies}\n;COMMIT;`)
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
