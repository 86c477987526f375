// The app's database role (sql/0050_app_role.sql): through the connection the app itself uses, the
// audit log cannot be altered, its trigger disabled, its rows changed, emptied or dropped — refused
// by privileges, before the append-only trigger is even reached — while the app's own work goes on.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import pg from 'pg'
import { sql, type Kysely } from 'kysely'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { startTestApp, demoRefs, type TestApp } from '../helpers/app.ts'
import { createTestDatabase, TEST_DB } from '../helpers/db.ts'
import { APP_ROLE, openPostgres } from '../../server/src/db/db.ts'
import { migrate } from '../../server/src/db/migrate.ts'
import type { DB } from '../../server/src/db/types.ts'

const TAMPERING = [
  'ALTER TABLE audit_log DISABLE TRIGGER ALL',
  "UPDATE audit_log SET action = 'edited'",
  'DELETE FROM audit_log',
  'TRUNCATE audit_log',
  'DROP TABLE audit_log',
  'DELETE FROM schema_migration',
]

/** Runs a statement in a transaction that is rolled back either way, so one let through cannot help the next. */
async function attempt(db: Kysely<DB>, statement: string): Promise<{ code?: string; message: string }> {
  try {
    await db.transaction().execute(async (trx) => {
      await sql.raw(statement).execute(trx)
      throw Object.assign(new Error(`${statement}: allowed`), { code: 'allowed' })
    })
    return { message: 'unreachable' }
  } catch (err) {
    return err as { code?: string; message: string }
  }
}

async function assertTamperingRefused(db: Kysely<DB>) {
  for (const statement of TAMPERING) {
    const err = await attempt(db, statement)
    // 42501 insufficient_privilege: "permission denied for table …" or "must be owner of table …"
    assert.is(err.code, '42501', `${statement}: ${err.message}`)
    assert.ok(!/append-only/.test(err.message), `${statement} reached the trigger instead of being refused by privileges`)
  }
  const trigger = await sql<{ tgenabled: string }>`SELECT tgenabled FROM pg_trigger WHERE tgname = 'audit_log_append_only'`.execute(db)
  assert.equal(trigger.rows.map((r) => r.tgenabled), ['O'])
}

/** Signs in, files an order, reads its full number (an audit row), and the board hears of it. */
async function assertNormalWork(t: TestApp) {
  const refs = await demoRefs(t)
  const board = await t.connect('manager')
  const created = await t.call('operator', 'POST', '/api/work-orders', {
    itemId: refs.item('repair.ac'), locationId: refs.locationOf('3512'), urgency: 'routine',
    requester: { name: '病房护士', phone: '13800001234' },
  })
  assert.is(created.status, 201, JSON.stringify(created.body))
  await board.next((m) => m.type === 'workorder.created' && m.data.id === created.body.id)
  assert.is((await t.call('operator', 'GET', `/api/work-orders/${created.body.id}`)).status, 200)
  const log = await t.call('admin', 'GET', `/api/audit?subject=work_order:${created.body.id}`)
  assert.equal(log.body.items.map((r: any) => [r.action, r.username]), [['view_requester', 'operator']])
}

async function currentRole(db: Kysely<DB>) {
  const { rows } = await sql<{ role: string; superuser: boolean }>`SELECT current_user AS role, rolsuper AS superuser FROM pg_roles WHERE rolname = current_user`.execute(db)
  return rows[0]
}

test(`the app's own connection runs as ${APP_ROLE}, not a superuser`, async () => {
  const database = await createTestDatabase()
  try {
    assert.equal(await currentRole(database.db), { role: APP_ROLE, superuser: false })
  } finally {
    await database.drop()
  }
})

test("through the app's own connection audit_log cannot be altered, its trigger disabled, updated, deleted, truncated or dropped", async () => {
  const t = await startTestApp()
  try {
    await t.call('operator', 'GET', '/api/work-orders/1')
    await assertTamperingRefused(t.db.db)
  } finally {
    await t.close()
  }
})

test('the app still signs in, files an order, writes audit rows and hears its live events', async () => {
  const t = await startTestApp()
  try {
    await assertNormalWork(t)
  } finally {
    await t.close()
  }
})

test("a table a later migration makes is granted to the app's role without the migration saying so", async () => {
  const database = await createTestDatabase()
  const dir = mkdtempSync(join(tmpdir(), 'hotline-migrations-'))
  try {
    writeFileSync(join(dir, '0049_handover_note.sql'), 'CREATE TABLE handover_note (id serial PRIMARY KEY, body text NOT NULL);')
    assert.equal(await migrate(database, dir), ['0049_handover_note.sql'])
    await sql`INSERT INTO handover_note (body) VALUES ('夜班交接')`.execute(database.db)
    const { rows } = await sql<{ body: string }>`SELECT body FROM handover_note`.execute(database.db)
    assert.equal(rows, [{ body: '夜班交接' }])
    assert.is((await attempt(database.db, 'TRUNCATE handover_note')).code, '42501')
  } finally {
    rmSync(dir, { recursive: true, force: true })
    await database.drop()
  }
})

if (TEST_DB === 'postgres') {
  const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
  const admin = async (text: string) => {
    const client = new pg.Client({ connectionString: ADMIN_URL })
    await client.connect()
    try { await client.query(text) } finally { await client.end() }
  }
  const asLogin = (url: string, login: string) => { const u = new URL(url); u.username = login; return u.toString() }

  test(`a separate login, member of ${APP_ROLE}, with the owner's for migrations: the same refusals, the same work`, async () => {
    const login = `hotline_test_login_${randomBytes(4).toString('hex')}`
    await admin(`CREATE ROLE ${login} LOGIN NOINHERIT; GRANT ${APP_ROLE} TO ${login}`)
    const owned = await createTestDatabase()
    const app = await openPostgres(asLogin(owned.url!, login), 4, owned.url!)
    try {
      assert.equal(await migrate(app), [])
      const t = await startTestApp({}, { ...app, url: asLogin(owned.url!, login), drop: () => app.close() })
      try {
        const { rows } = await sql<{ session: string; role: string }>`SELECT session_user AS session, current_user AS role`.execute(t.db.db)
        assert.equal(rows, [{ session: login, role: APP_ROLE }])
        await assertTamperingRefused(t.db.db)
        await assertNormalWork(t)
      } finally {
        await t.close()
      }
    } finally {
      await owned.drop()
      await admin(`DROP ROLE IF EXISTS ${login}`)
    }
  })

  test(`a login that may not become ${APP_ROLE} is refused at connect instead of running with its own rights`, async () => {
    const login = `hotline_test_login_${randomBytes(4).toString('hex')}`
    await admin(`CREATE ROLE ${login} LOGIN`)
    const owned = await createTestDatabase()
    const app = await openPostgres(asLogin(owned.url!, login), 1, owned.url!)
    try {
      const err = await sql`SELECT 1`.execute(app.db).then(() => null, (e: Error) => e)
      assert.match(String(err?.message), /permission denied to set role/)
    } finally {
      await app.close()
      await owned.drop()
      await admin(`DROP ROLE IF EXISTS ${login}`)
    }
  })
}

test.run()
