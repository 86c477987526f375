// The live hub gives each change to an order its card before it goes to the screens; a database
// that does not answer must not hold the events up.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { WebSocket } from 'ws'
import { LiveHub } from '../../server/src/live/live.routes.ts'
import type { SessionUser } from '../../server/src/accounts/sessions.ts'

const manager: SessionUser = { id: 1, username: 'manager', displayName: '后勤主任', role: 'manager', staffId: null, teamId: null, phoneDevice: null }

function screen() {
  const received: any[] = []
  const socket = { readyState: 1, on() {}, send: (text: string) => received.push(JSON.parse(text)) } as unknown as WebSocket
  return { socket, received }
}

const change = (id: number) => JSON.stringify({ type: 'workorder.changed', data: { id, number: `WO-20261125-000${id}`, status: 'accepted', version: 2, teamId: 1, assigneeId: 3, chaseCount: 0 }, at: new Date().toISOString() })

test('a change goes out with the order\'s card, the phone masked, in the order the database sent them', async () => {
  const cards: Record<number, any> = { 1: { id: 1, version: 2, requester: { name: '护士', phone: '13912345678', extension: '3512' } }, 2: { id: 2, version: 2, requester: { name: '医生', phone: null, extension: null } } }
  // the first card is slow to read: the second event still waits its turn
  const hub = new LiveHub((id) => new Promise((resolve) => setTimeout(() => resolve(cards[id]), id === 1 ? 50 : 0)))
  const { socket, received } = screen()
  hub.add(socket, manager)
  hub.deliver(change(1))
  hub.deliver(change(2))
  await new Promise((r) => setTimeout(r, 150))
  const events = received.filter((m) => m.type === 'workorder.changed')
  assert.equal(events.map((m) => m.data.id), [1, 2])
  assert.is(events[0].data.order.requester.phone, '139****5678')
  assert.ok(events[0].seq < events[1].seq)
})

test('a database that does not answer delays the events by a second at most, and they go without cards', async () => {
  const hub = new LiveHub(() => new Promise(() => {}))
  const { socket, received } = screen()
  hub.add(socket, manager)
  const t0 = Date.now()
  hub.deliver(change(1))
  hub.deliver(JSON.stringify({ type: 'notification', data: { userId: 1, kind: 'chase', message: '催单 #1', workOrderId: 1 }, at: new Date().toISOString() }))
  while (received.length < 3 && Date.now() - t0 < 3000) await new Promise((r) => setTimeout(r, 20))
  assert.equal(received.map((m) => m.type), ['hello', 'workorder.changed', 'notification'])
  assert.is(received[1].data.order, undefined)
  assert.ok(Date.now() - t0 < 1500, `took ${Date.now() - t0} ms`)
})

test('a screen whose socket fails does not stop the events to the others, nor the next events', async () => {
  const hub = new LiveHub(async () => undefined)
  const broken = { readyState: 1, on() {}, send: (text: string) => { if (!text.includes('hello')) throw new Error('socket gone') } } as unknown as WebSocket
  const { socket, received } = screen()
  hub.add(broken, manager)
  hub.add(socket, manager)
  hub.deliver(change(1))
  hub.deliver(change(2))
  await new Promise((r) => setTimeout(r, 50))
  assert.equal(received.filter((m) => m.type === 'workorder.changed').map((m) => m.data.id), [1, 2])
  assert.is(hub.size, 1, 'the broken screen is dropped')
})

test('with no screen that may see the order, no card is read (intake on the embedded database pays nothing for it)', async () => {
  let reads = 0
  const hub = new LiveHub(async () => { reads++; return undefined })
  hub.deliver(change(1))
  const { socket, received } = screen()
  // a technician of another team does not see team 1's orders
  hub.add(socket, { ...manager, role: 'technician', teamId: 2, staffId: 9 })
  hub.deliver(change(2))
  await new Promise((r) => setTimeout(r, 50))
  assert.is(reads, 0)
  assert.equal(received.map((m) => m.type), ['hello'])
})

test.run()
