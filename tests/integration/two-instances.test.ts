// Two server instances on one database: a screen on either sees every live event, and each
// escalation level fires exactly once however many sweeps race for it.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startTestApp, demoRefs, type TestApp } from '../helpers/app.ts'
import { createTestDatabase, TEST_DB, type TestDatabase } from '../helpers/db.ts'
import { openPostgres } from '../../server/src/db/db.ts'
import { escalateOverdue } from '../../server/src/escalation/escalation.ts'

let shared: TestDatabase
let a: TestApp
let b: TestApp
test.before(async () => {
  shared = await createTestDatabase()
  // on PostgreSQL the second instance has its own pool and LISTEN connection; PGlite is one
  // in-process database, so there both instances share it, as they would share a data folder
  const second = TEST_DB === 'postgres' ? await openPostgres(shared.url!) : shared
  a = await startTestApp({}, { ...shared, drop: async () => {} })
  b = await startTestApp({}, { ...second, url: shared.url, drop: async () => { if (second !== shared) await second.close() } })
})
test.after(async () => { await a.close(); await b.close(); await shared.drop() })

test('an order filed on instance A reaches a board connected to instance B', async () => {
  const refs = await demoRefs(a)
  const board = await b.connect('manager')
  const res = await a.call('operator', 'POST', '/api/work-orders', {
    itemId: refs.item('catering.missing'), locationId: refs.locationOf('3801'), urgency: 'routine', requester: { name: '护士' },
  })
  assert.is(res.status, 201)
  const seen = await board.next((m) => m.type === 'workorder.created' && m.data.id === res.body.id, 2000)
  assert.is(seen.data.number, res.body.number)
  // and a change made on B reaches a desk on A
  const desk = await a.connect('operator')
  await b.call('operator', 'POST', `/api/work-orders/${res.body.id}/chases`, {})
  await desk.next((m) => m.type === 'workorder.chased' && m.data.id === res.body.id, 2000)
})

test('racing escalation sweeps from both instances fire each level once', async () => {
  const refs = await demoRefs(a)
  const ids: number[] = []
  for (let i = 0; i < 30; i++) {
    const res = await a.call('operator', 'POST', '/api/work-orders', {
      itemId: refs.item('cleaning.waste'), locationId: refs.locationOf('3010'), urgency: 'routine', requester: { name: `保洁 ${i}` },
    })
    ids.push(res.body.id)
  }
  // all 30 are overdue by an hour: both levels (0 and 30 minutes after) are due
  await a.db.db.updateTable('work_order').set({ response_due_at: new Date(Date.now() - 3_600_000), due_at: new Date(Date.now() - 3_500_000) }).where('id', 'in', ids).execute()
  const sweeps = await Promise.all(Array.from({ length: 6 }, (_, i) => escalateOverdue((i % 2 ? b : a).db.db, a.config.escalation)))
  const more = await Promise.all(Array.from({ length: 4 }, (_, i) => escalateOverdue((i % 2 ? b : a).db.db, a.config.escalation)))
  const fired = [...sweeps, ...more].reduce((s, n) => s + n, 0)
  assert.is(fired, 60, `30 orders × 2 levels, fired ${fired}`)
  const events = await a.db.db.selectFrom('work_order_event').select(['work_order_id', 'data']).where('kind', '=', 'escalated').where('work_order_id', 'in', ids).execute()
  assert.is(events.length, 60)
  const levels = await a.db.db.selectFrom('work_order').select('escalation_level').where('id', 'in', ids).execute()
  assert.ok(levels.every((l) => l.escalation_level === 2))
})

test.run()
