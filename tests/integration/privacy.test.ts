// Privacy that holds: open sockets follow their session (logout, expiry, an account locked,
// demoted or changed) and refuse another site's page; every view of a full phone number writes
// one audit row, and a recording's playback is audited once per listen.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import WebSocket from 'ws'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestApp, demoRefs, type TestApp } from '../helpers/app.ts'
import { hashToken } from '../../server/src/accounts/password.ts'
import { SESSION_ENDED } from '../../server/src/live/live.routes.ts'

const PUBLIC_URL = 'https://hotline.example.org'
const recordingsDir = mkdtempSync(join(tmpdir(), 'hotline-privacy-'))
let t: TestApp

test.before(async () => { t = await startTestApp({ recordingsDir, publicUrl: PUBLIC_URL }) })
test.after(async () => { await t.close() })

/** A session of its own (not the helper's shared one), as a second browser would have. */
async function signIn(username: string, password = 'demo') {
  const res = await t.app.inject({ method: 'POST', url: '/api/session', payload: { username, password } })
  assert.is(res.statusCode, 200, res.body)
  return String(res.headers['set-cookie']).split(';')[0]!
}

interface Socket { socket: WebSocket; messages: any[]; closed: Promise<{ code: number; at: number }> }

/** A live socket on this session; rejects with the HTTP status when the upgrade is refused. */
function openSocket(cookie: string, origin?: string): Promise<Socket> {
  const socket = new WebSocket(`ws://127.0.0.1:${t.port}/ws`, { headers: { cookie, ...(origin ? { origin } : {}) } })
  const messages: any[] = []
  const closed = new Promise<{ code: number; at: number }>((resolve) => socket.once('close', (code) => resolve({ code, at: Date.now() })))
  return new Promise((resolve, reject) => {
    socket.on('message', (raw) => {
      const message = JSON.parse(String(raw))
      messages.push(message)
      if (message.type === 'hello') resolve({ socket, messages, closed })
    })
    socket.once('unexpected-response', (_req, res) => { reject(new Error(`refused ${res.statusCode}`)); socket.terminate() })
    socket.once('error', reject)
  })
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>
  return Promise.race([promise, new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms) })]).finally(() => clearTimeout(timer))
}

/** Why the upgrade was refused ('refused 401'), or null when a socket opened. */
async function refusal(cookie: string, origin?: string) {
  try {
    (await openSocket(cookie, origin)).socket.close()
    return null
  } catch (err) {
    return (err as Error).message
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function newOperator(username: string, phoneDevice: string) {
  const created = await t.call('admin', 'POST', '/api/users', { username, displayName: `话务员 ${username}`, role: 'operator', password: 'password-1', phoneDevice })
  assert.is(created.status, 201, JSON.stringify(created.body))
  return { id: created.body.id as number, cookie: await signIn(username, 'password-1') }
}

/** A screen pop as the call handling sends it: to the desk's roles, the caller's full number in it. */
function ringDesk(callerNumber: string) {
  t.app.services.live.broadcast({ type: 'call.ringing', data: { callerNumber }, at: new Date().toISOString() }, (u) => u.role === 'operator')
}

async function lastAuditId() {
  const row = await t.db.db.selectFrom('audit_log').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst()
  return Number(row?.id ?? 0)
}
async function auditSince(id: number) {
  return t.db.db.selectFrom('audit_log').selectAll().where('id', '>', id).orderBy('id').execute()
}

test('signing out closes that session\'s socket within a second; another session of the same user keeps its socket and its events', async () => {
  const first = await signIn('operator')
  const second = await signIn('operator')
  const signedOut = await openSocket(first)
  const stays = await openSocket(second)
  const at = Date.now()
  const out = await t.app.inject({ method: 'DELETE', url: '/api/session', headers: { cookie: first } })
  assert.is(out.statusCode, 204)
  const closed = await within(signedOut.closed, 1000, 'the signed-out socket closes')
  assert.is(closed.code, SESSION_ENDED)
  assert.ok(closed.at - at < 1000, `closed after ${closed.at - at} ms`)

  const refs = await demoRefs(t)
  const order = await t.call('operator', 'POST', '/api/work-orders', { itemId: refs.item('repair.light'), locationId: refs.locationOf('3512'), urgency: 'routine', requester: { name: '护士 王丽', extension: '3512' } })
  assert.is(order.status, 201)
  for (let i = 0; i < 50 && !stays.messages.some((m) => m.type === 'workorder.created' && m.data.id === order.body.id); i++) await sleep(20)
  assert.ok(stays.messages.some((m) => m.type === 'workorder.created' && m.data.id === order.body.id), 'the other session still hears events')
  assert.is(stays.socket.readyState, WebSocket.OPEN)
  // the ended session cannot open a new one
  assert.is(await refusal(first), 'refused 401')
  stays.socket.close()
})

test('an account turned off has its socket closed within a second, and cannot reconnect', async () => {
  const { id, cookie } = await newOperator('privacy_off', 'PJSIP/8091')
  const desk = await openSocket(cookie)
  const at = Date.now()
  assert.is((await t.call('admin', 'PATCH', `/api/users/${id}`, { active: false })).status, 200)
  const closed = await within(desk.closed, 1000, 'the locked account\'s socket closes')
  assert.is(closed.code, SESSION_ENDED)
  assert.ok(closed.at - at < 1000)
  assert.is(await refusal(cookie), 'refused 401')
})

test('an operator made a technician has their socket closed within a second: no caller number reaches it after the change', async () => {
  const { id, cookie } = await newOperator('privacy_demoted', 'PJSIP/8092')
  const desk = await openSocket(cookie)
  ringDesk('13800001111')
  for (let i = 0; i < 50 && !desk.messages.some((m) => m.type === 'call.ringing'); i++) await sleep(20)
  assert.ok(desk.messages.some((m) => m.type === 'call.ringing' && m.data.callerNumber === '13800001111'), 'as an operator the pop arrives')
  const at = Date.now()
  assert.is((await t.call('admin', 'PATCH', `/api/users/${id}`, { role: 'technician' })).status, 200)
  const closed = await within(desk.closed, 1000, 'the demoted account\'s socket closes')
  assert.is(closed.code, SESSION_ENDED)
  assert.ok(closed.at - at < 1000)
  ringDesk('13800002222')
  await sleep(100)
  assert.not.ok(desk.messages.some((m) => m.type === 'call.ringing' && m.data.callerNumber === '13800002222'))
})

test('a change that keeps the session (a new phone device) re-scopes the open socket within a second', async () => {
  const { id, cookie } = await newOperator('privacy_moved', 'PJSIP/8093')
  const desk = await openSocket(cookie)
  assert.is((await t.call('admin', 'PATCH', `/api/users/${id}`, { phoneDevice: 'PJSIP/8094' })).status, 200)
  const at = Date.now()
  // a pop for whoever has the new device: the socket hears it once the hub knows the change
  while (!desk.messages.some((m) => m.type === 'call.outcome') && Date.now() - at < 1000) {
    t.app.services.live.broadcast({ type: 'call.outcome', data: { callId: 0, outcome: 'answered' }, at: new Date().toISOString() }, (u) => u.phoneDevice === 'PJSIP/8094')
    await sleep(20)
  }
  assert.ok(desk.messages.some((m) => m.type === 'call.outcome'), 'the socket follows the account\'s new phone device')
  assert.is(desk.socket.readyState, WebSocket.OPEN)
  desk.socket.close()
})

test('a session that expires closes its socket within a second of its end', async () => {
  const cookie = await signIn('manager')
  const token = decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1))
  const expiresAt = Date.now() + 800
  const res = await t.db.db.updateTable('user_session').set({ expires_at: new Date(expiresAt) }).where('token_hash', '=', hashToken(token)).executeTakeFirst()
  assert.is(Number(res.numUpdatedRows), 1)
  const board = await openSocket(cookie)
  const closed = await within(board.closed, 3000, 'the expired session\'s socket closes')
  assert.is(closed.code, SESSION_ENDED)
  assert.ok(closed.at >= expiresAt && closed.at - expiresAt < 1000, `closed ${closed.at - expiresAt} ms after the session ended`)
})

test('the live upgrade refuses another site\'s Origin; it accepts this origin, PUBLIC_URL\'s and clients that send none', async () => {
  const cookie = await signIn('operator')
  assert.is(await refusal(cookie, 'https://evil.example'), 'refused 403')
  assert.is(await refusal(cookie, 'http://hotline.example.org'), 'refused 403', 'the scheme is part of the origin')
  for (const origin of [`http://127.0.0.1:${t.port}`, PUBLIC_URL, undefined]) assert.is(await refusal(cookie, origin), null, String(origin))
})

test('a playback is audited once: `Range: bytes=0-` writes one play_recording row, later chunks none, the next listen one more', async () => {
  writeFileSync(join(recordingsDir, 'privacy-call.wav'), Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(3996)]))
  const call = await t.db.db.insertInto('call').values({ direction: 'in', caller_number: '13800138000', callee_number: '100', state: 'ended', recording_file: 'privacy-call.wav' }).returning('id').executeTakeFirstOrThrow()
  const plays = async () => (await t.db.db.selectFrom('audit_log').select('username').where('action', '=', 'play_recording').where('subject', '=', `call:${call.id}`).execute())
  const get = (user: 'operator' | 'tech', range: string) => t.call(user, 'GET', `/api/calls/${call.id}/recording`, undefined, { range })

  const first = await get('operator', 'bytes=0-')
  assert.is(first.status, 206)
  assert.is(first.headers['content-range'], 'bytes 0-3999/4000')
  assert.equal((await plays()).map((p) => p.username), ['operator'])
  for (const chunk of ['bytes=1000-', 'bytes=2000-2999', 'bytes=-500']) assert.is((await get('operator', chunk)).status, 206, chunk)
  assert.is((await plays()).length, 1, 'chunks after the first are the same listen')
  assert.is((await get('operator', 'bytes=0-')).status, 206)
  assert.is((await plays()).length, 2, 'playing it again is another listen')
  assert.is((await get('tech', 'bytes=0-')).status, 403)
  assert.is((await plays()).length, 2)
})

test('the list, a brief read, a job sheet and the call log with full numbers write one audit row each; masked views write none', async () => {
  const refs = await demoRefs(t)
  const order = (await t.call('operator', 'POST', '/api/work-orders', {
    itemId: refs.item('repair.ac'), locationId: refs.locationOf('3512'), urgency: 'routine', requester: { name: '家属 陈先生', phone: '13812341234' },
  })).body
  const other = (await t.call('operator', 'POST', '/api/work-orders', {
    itemId: refs.item('repair.ac'), locationId: refs.locationOf('3512'), urgency: 'routine', requester: { name: '家属 李女士', phone: '13912345678' },
  })).body

  /** the audit rows one request wrote */
  async function rowsOf(user: 'operator' | 'lead' | 'tech', url: string) {
    const before = await lastAuditId()
    const res = await t.call(user, 'GET', url)
    assert.is(res.status, 200, `${user} ${url}: ${res.status}`)
    return auditSince(before)
  }

  const list = await rowsOf('operator', '/api/work-orders?status=open')
  assert.is(list.length, 1, 'one row for a page of orders')
  assert.is(list[0]!.action, 'view_requesters')
  assert.is(list[0]!.username, 'operator')
  assert.ok((list[0]!.detail as any).numbers.includes(order.number) && (list[0]!.detail as any).numbers.includes(other.number), 'the row names the orders shown')
  assert.is((await rowsOf('tech', `/api/work-orders?status=open&teamId=${order.team.id}`)).length, 0, 'a technician\'s masked list')

  const brief = await rowsOf('operator', `/api/work-orders/${order.id}?brief=true`)
  assert.is(brief.length, 1)
  assert.is(brief[0]!.action, 'view_requester')
  assert.is(brief[0]!.subject, `work_order:${order.id}`)
  assert.equal(brief[0]!.detail, { number: order.number, brief: true })
  assert.is((await rowsOf('tech', `/api/work-orders/${order.id}?brief=true`)).length, 0, 'a technician\'s masked card')

  const sheet = await rowsOf('operator', `/api/work-orders/${order.id}/job-sheet.pdf`)
  assert.is(sheet.length, 1)
  assert.is(sheet[0]!.action, 'print_job_sheets')
  assert.equal((sheet[0]!.detail as any).numbers, [order.number])
  const batch = await rowsOf('lead', `/api/job-sheets.pdf?ids=${order.id},${other.id}`)
  assert.is(batch.length, 1, 'one row for a batch of sheets')
  assert.equal([...(batch[0]!.detail as any).numbers].sort(), [order.number, other.number].sort())
  assert.is((await rowsOf('tech', `/api/work-orders/${order.id}/job-sheet.pdf`)).length, 0, 'a technician\'s masked sheet')

  const outside = (await t.call('operator', 'POST', '/api/calls', { direction: 'in', number: '13700001234' })).body
  await t.call('operator', 'POST', '/api/calls', { direction: 'in', number: '3512' })
  const calls = await rowsOf('operator', '/api/calls')
  assert.is(calls.length, 1)
  assert.is(calls[0]!.action, 'view_calls')
  assert.ok((calls[0]!.detail as any).calls.includes(outside.id))
  assert.is((await rowsOf('operator', '/api/calls?number=3512')).length, 0, 'a page of extensions only shows nobody\'s number')
})

test.run()
