// The embedded database keeps everything across a clean shutdown and restart of the server.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openEmbedded } from '../../server/src/db/db.ts'
import { migrate } from '../../server/src/db/migrate.ts'
import { seedDemo } from '../../server/src/demo/seed.ts'
import { buildApp } from '../../server/src/app.ts'
import { loadConfig } from '../../server/src/config.ts'

const dataDir = mkdtempSync(join(tmpdir(), 'hotline-embedded-'))
test.after(() => rmSync(dataDir, { recursive: true, force: true }))

async function start() {
  const database = await openEmbedded(dataDir)
  const applied = await migrate(database)
  const seeded = await seedDemo(database.db, 'demo')
  const app = await buildApp(loadConfig({ DATA_DIR: dataDir, WEB_DIR: '/nonexistent' }), database, { escalationTimer: false })
  const login = await app.inject({ method: 'POST', url: '/api/session', payload: { username: 'operator', password: 'demo' } })
  const cookie = String(login.headers['set-cookie']).split(';')[0]!
  const stop = async () => { await app.close(); await database.close() }
  return { app, cookie, applied, seeded, stop }
}

test('an order filed before a restart is there after it, with its timeline; migrations and seed do not run twice', async () => {
  const first = await start()
  assert.ok(first.applied.length >= 2)
  assert.is(first.seeded, true)
  const exts = await first.app.inject({ method: 'GET', url: '/api/locations?extension=3512', headers: { cookie: first.cookie } })
  const catalogue = await first.app.inject({ method: 'GET', url: '/api/catalogue', headers: { cookie: first.cookie } })
  const item = catalogue.json().categories[0].items[0]
  const created = await first.app.inject({
    method: 'POST', url: '/api/work-orders', headers: { cookie: first.cookie },
    payload: { itemId: item.id, locationId: exts.json().items[0].id, urgency: 'routine', requester: { name: '重启测试' }, description: '重启前的工单' },
  })
  assert.is(created.statusCode, 201)
  await first.stop()

  const second = await start()
  assert.equal(second.applied, [])
  assert.is(second.seeded, false)
  const again = await second.app.inject({ method: 'GET', url: `/api/work-orders/${created.json().id}`, headers: { cookie: second.cookie } })
  assert.is(again.statusCode, 200)
  assert.is(again.json().number, created.json().number)
  assert.is(again.json().description, '重启前的工单')
  assert.equal(again.json().timeline.map((e: any) => e.kind), ['created', 'dispatched'])
  // the daily counter survived too: the next order continues the sequence
  const next = await second.app.inject({
    method: 'POST', url: '/api/work-orders', headers: { cookie: second.cookie },
    payload: { itemId: item.id, locationId: exts.json().items[0].id, urgency: 'routine', requester: { name: '重启测试' } },
  })
  assert.is(Number(next.json().number.slice(-4)), Number(created.json().number.slice(-4)) + 1)
  await second.stop()
})

test.run()
