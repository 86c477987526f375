// Each test suite gets its own database, already migrated and holding the demo hospital:
//   postgres: CREATE DATABASE … TEMPLATE of one migrated template (made once per test run)
//   pglite:   a clone of one migrated in-memory PGlite (made once per process)
import pg from 'pg'
import { PGlite } from '@electric-sql/pglite'
import { randomBytes } from 'node:crypto'
import { openEmbedded, openPostgres, type Database } from '../../server/src/db/db.ts'
import { migrate } from '../../server/src/db/migrate.ts'
import { seedDemo } from '../../server/src/demo/seed.ts'

export const TEST_DB = (process.env.TEST_DB ?? 'pglite') as 'pglite' | 'postgres'
const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const TEMPLATE = `hotline_test_template_${process.pid}`

function urlFor(name: string) {
  const url = new URL(ADMIN_URL)
  url.pathname = `/${name}`
  return url.toString()
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL })
  await client.connect()
  try { return await fn(client) } finally { await client.end() }
}

let templateReady: Promise<void> | null = null
function postgresTemplate() {
  templateReady ??= (async () => {
    await admin(async (c) => {
      await c.query(`DROP DATABASE IF EXISTS ${TEMPLATE}`)
      await c.query(`CREATE DATABASE ${TEMPLATE}`)
    })
    const db = await openPostgres(urlFor(TEMPLATE), 2)
    await migrate(db)
    await seedDemo(db.db, 'demo')
    await db.close()
    // the template is dropped when the test process ends
    process.once('beforeExit', () => { void admin((c) => c.query(`DROP DATABASE IF EXISTS ${TEMPLATE}`)).catch(() => {}) })
  })()
  return templateReady
}

let pgliteBase: Promise<PGlite> | null = null
function pgliteTemplate() {
  pgliteBase ??= (async () => {
    const base = await PGlite.create()
    const db = await openEmbedded(null, base)
    await migrate(db)
    await seedDemo(db.db, 'demo')
    return base
  })()
  return pgliteBase
}

export interface TestDatabase extends Database { url: string | null; drop(): Promise<void> }

export async function createTestDatabase(): Promise<TestDatabase> {
  if (TEST_DB === 'postgres') {
    await postgresTemplate()
    const name = `hotline_test_${randomBytes(4).toString('hex')}`
    await admin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE}`))
    const url = urlFor(name)
    const database = await openPostgres(url)
    return {
      ...database, url,
      async drop() {
        await database.close()
        await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
      },
    }
  }
  const base = await pgliteTemplate()
  const database = await openEmbedded(null, await base.clone())
  return { ...database, url: null, drop: () => database.close() }
}
