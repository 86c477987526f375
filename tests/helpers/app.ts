// A real server on a random port over a fresh test database, with helpers to sign in as the demo
// users and to talk HTTP and WebSocket the way the screens do.
import WebSocket from 'ws'
import { buildApp } from '../../server/src/app.ts'
import { loadConfig, type Config } from '../../server/src/config.ts'
import { createTestDatabase, type TestDatabase } from './db.ts'
import type { TelephonyPort } from '../../server/src/calls/port.ts'
import type { MessagingOptions } from '../../server/src/messaging/messaging.ts'

export type DemoUser = 'admin' | 'operator' | 'lead' | 'tech' | 'manager' | 'agent' | 'handler'

export interface Answer<T = any> { status: number; body: T; headers: Record<string, string> }

export async function startTestApp(overrides: Partial<Config> = {}, database?: TestDatabase, options: { telephony?: TelephonyPort; sms?: MessagingOptions; dialer?: { now?: () => Date; timer?: boolean }; now?: () => Date } = {}) {
  const db = database ?? (await createTestDatabase())
  const config = loadConfig({ DATA_DIR: '/nonexistent', WEB_DIR: '/nonexistent' }, { port: 0, host: '127.0.0.1', ...overrides })
  // the SMS worker runs only where a test asks for it (or calls worker.tick() itself)
  const app = await buildApp(config, db, { escalationTimer: false, telephony: options.telephony, sms: options.sms ?? { worker: false }, dialer: options.dialer ?? { timer: false }, now: options.now })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  const base = `http://127.0.0.1:${port}`
  const cookies = new Map<DemoUser, string>()
  const sockets: WebSocket[] = []

  async function login(user: DemoUser, password = 'demo'): Promise<string> {
    const res = await app.inject({ method: 'POST', url: '/api/session', payload: { username: user, password } })
    if (res.statusCode !== 200) throw new Error(`login ${user}: ${res.statusCode} ${res.body}`)
    const cookie = String(res.headers['set-cookie']).split(';')[0]!
    cookies.set(user, cookie)
    return cookie
  }

  async function call<T = any>(user: DemoUser | null, method: string, url: string, payload?: unknown, headers: Record<string, string> = {}): Promise<Answer<T>> {
    const cookie = user ? cookies.get(user) ?? (await login(user)) : undefined
    const res = await app.inject({
      method: method as 'GET', url, headers: { ...(cookie ? { cookie } : {}), ...headers },
      ...(payload === undefined ? {} : typeof payload === 'string' ? { payload } : { payload: payload as object }),
    })
    const isJson = String(res.headers['content-type'] ?? '').includes('json')
    return { status: res.statusCode, body: isJson ? res.json() : (res.rawPayload as unknown as T), headers: res.headers as Record<string, string> }
  }

  /** A live connection as a screen opens it; `next(type)` waits for the next message of that type. */
  async function connect(user: DemoUser) {
    const cookie = cookies.get(user) ?? (await login(user))
    const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers: { cookie } })
    sockets.push(socket)
    const messages: any[] = []
    const waiters: { match: (m: any) => boolean; resolve: (m: any) => void }[] = []
    socket.on('message', (raw) => {
      const message = { ...JSON.parse(String(raw)), receivedAt: performance.now() }
      messages.push(message)
      for (const w of [...waiters]) if (w.match(message)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(message) }
    })
    await new Promise<void>((resolve, reject) => { socket.once('open', () => resolve()); socket.once('error', reject) })
    await next((m) => m.type === 'hello')
    function next(match: (m: any) => boolean, timeoutMs = 3000): Promise<any> {
      const seen = messages.find(match)
      if (seen) { messages.splice(messages.indexOf(seen), 1); return Promise.resolve(seen) }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no live message matched within ${timeoutMs} ms`)), timeoutMs)
        waiters.push({ match: (m) => { const ok = match(m); if (ok) messages.splice(messages.indexOf(m), 1); return ok }, resolve: (m) => { clearTimeout(timer); resolve(m) } })
      })
    }
    return { socket, messages, next }
  }

  async function close() {
    for (const s of sockets) s.terminate()
    await app.close()
    await db.drop()
  }

  return { app, db, config, base, port, login, call, connect, close }
}
export type TestApp = Awaited<ReturnType<typeof startTestApp>>

/** A catalogue item and a location by their codes/extensions in the demo hospital. */
export async function demoRefs(t: TestApp) {
  const items = await t.db.db.selectFrom('item').select(['id', 'code']).execute()
  const exts = await t.db.db.selectFrom('extension').select(['number', 'location_id']).execute()
  return {
    item: (code: string) => items.find((i) => i.code === code)!.id,
    locationOf: (ext: string) => exts.find((e) => e.number === ext)!.location_id,
  }
}
