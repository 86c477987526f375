// WebSocket /ws: every signed-in screen gets the live events it may see, one connection per tab.
// Each instance LISTENs on the database, so a change made through any instance reaches all.
import type { WebSocket } from 'ws'
import type { FastifyRequest } from 'fastify'
import type { App } from '../http/types.ts'
import type { Services } from '../services.ts'
import { SESSION_COOKIE, liveSessions, type SessionUser } from '../accounts/sessions.ts'
import { hashToken } from '../accounts/password.ts'
import { HttpError } from '../http/errors.ts'
import type { LiveEvents, LiveMessage, OrderEventData } from './events.ts'
import type { WorkOrder } from '../workorders/workorders.schemas.ts'
import { forViewer } from '../accounts/privacy.ts'

interface Client {
  socket: WebSocket
  user: SessionUser
  /** the hash of the session token the socket was opened with */
  session?: string
  /** checks under way after the session was revoked: nothing is sent to the socket meanwhile */
  held: number
  expiry?: ReturnType<typeof setTimeout>
}

/** Who each session (by token hash) is now; a session missing from the answer has ended. */
export type SessionLookup = (tokenHashes: string[]) => Promise<Map<string, { user: SessionUser; expiresAt: Date }>>

/** the close code of a socket whose session ended (signed out, expired, account locked or changed) */
export const SESSION_ENDED = 4401
/** a revocation missed while the LISTEN connection was down, or a session ended in the database by hand */
const SESSION_SWEEP_MS = 30_000

function mayReceive(user: SessionUser, message: LiveMessage): boolean {
  if (message.type === 'notification' || message.type === 'report.job') return (message.data as { userId: number | null }).userId === user.id
  if (message.type.startsWith('feedback.')) return ['dept_handler', 'callback_agent', 'manager', 'admin'].includes(user.role)
  if (message.type.startsWith('workorder.')) {
    if (user.role === 'callback_agent' || user.role === 'dept_handler') return false
    // a technician sees the orders of their own team (their own and the team's pool)
    if (user.role === 'technician') return (message.data as { teamId: number }).teamId === user.teamId
  }
  return true
}

export class LiveHub {
  private clients = new Set<Client>()
  private seq = 0
  /** the events being given their cards, one after another */
  private pending: Promise<void> = Promise.resolve()
  private sessions: SessionLookup | null = null
  private sweep: ReturnType<typeof setInterval> | undefined

  get size() { return this.clients.size }

  /** @param session the hash of the socket's session token: the socket lives as long as the session */
  add(socket: WebSocket, user: SessionUser, session?: string) {
    const client: Client = { socket, user, session, held: 0 }
    this.clients.add(client)
    const drop = () => { clearTimeout(client.expiry); this.clients.delete(client) }
    socket.on('close', drop)
    socket.on('error', drop)
    socket.send(JSON.stringify({ type: 'hello', data: { seq: this.seq, user: user.username }, at: new Date().toISOString() }))
    // reads when the session expires
    if (session) void this.checkSessions((c) => c === client, false)
  }

  /**
   * Sockets follow their session: a revocation (logout, an account locked, demoted or changed, on
   * any instance) has them checked at once, and every socket is checked again now and then.
   */
  useSessions(lookup: SessionLookup, sweepMs = SESSION_SWEEP_MS) {
    this.sessions = lookup
    clearInterval(this.sweep)
    let sweeping = false
    this.sweep = setInterval(() => {
      if (sweeping) return
      sweeping = true
      void this.checkSessions(() => true, false).finally(() => { sweeping = false })
    }, sweepMs)
    this.sweep.unref()
  }

  /**
   * A session that ended closes its socket; one that goes on takes its user as they are now (their
   * role, team and phone), so the next events are filtered for them. After a revocation nothing
   * reaches the socket until the check answers, and a check that fails closes it (the screen
   * reconnects, signed in or not); the periodic sweep leaves sockets alone while the database is away.
   */
  private async checkSessions(which: (c: Client) => boolean, revoked: boolean) {
    const lookup = this.sessions
    const clients = [...this.clients].filter((c) => c.session && which(c))
    if (!lookup || clients.length === 0) return
    if (revoked) for (const c of clients) c.held++
    const now = await lookup(clients.map((c) => c.session!)).catch(() => null)
    for (const c of clients) {
      if (revoked) c.held--
      if (!this.clients.has(c) || (!now && !revoked)) continue
      const session = now?.get(c.session!)
      if (!session) { this.end(c, now ? 'session ended' : 'session could not be checked'); continue }
      c.user = session.user
      clearTimeout(c.expiry)
      // setTimeout waits at most 24.8 days; a check then arms the next one
      c.expiry = setTimeout(() => { void this.checkSessions((x) => x === c, true) }, Math.min(session.expiresAt.getTime() - Date.now() + 50, 2_147_483_647))
      c.expiry.unref()
    }
  }

  private end(client: Client, reason: string) {
    clearTimeout(client.expiry)
    this.clients.delete(client)
    try { client.socket.close(SESSION_ENDED, reason) } catch { client.socket.terminate() }
  }

  private static reachable(client: Client) {
    return client.socket.readyState === 1 && client.held === 0
  }

  /**
   * @param cardFor the order as a list shows it. A change to an order goes out with its card, read
   * once here for every screen of this instance: a thousand boards each fetching the order they
   * were told about took 0.3–0.6 s to all show a change, and loaded the database a thousand times.
   */
  constructor(private readonly cardFor: (id: number) => Promise<WorkOrder | undefined> = async () => undefined) {}

  /**
   * Payload as it came from NOTIFY: parsed once, given the order's card, serialised once per seq,
   * sent to whoever may see it. Events leave in the order PostgreSQL delivered them.
   */
  deliver(payload: string) {
    let message: LiveMessage
    try { message = JSON.parse(payload) } catch { return }
    // not for screens; acted on at once, ahead of the events waiting for their cards
    if (message.type === 'session.revoked') {
      const { userId } = message.data as LiveEvents['session.revoked']
      void this.checkSessions((c) => c.user.id === userId, true)
      return
    }
    this.pending = this.pending.then(async () => {
      // nobody to tell (no screen open, or none that may see it): no card to read either
      if (![...this.clients].some((c) => mayReceive(c.user, message))) return
      const withCard = await this.attachCard(message)
      const text = JSON.stringify({ ...withCard, seq: ++this.seq })
      for (const client of this.clients) {
        if (LiveHub.reachable(client) && mayReceive(client.user, withCard)) this.send(client, text)
      }
    }).catch(() => {
      // one event that failed to go out must not stop the ones after it
    })
  }

  /** A socket that fails is dropped; the screens behind the others still get the event. */
  private send(client: Client, text: string) {
    try { client.socket.send(text) } catch { this.clients.delete(client) }
  }

  /** The card carries no full phone number: it goes to every screen that may see the order. */
  private async attachCard(message: LiveMessage): Promise<LiveMessage> {
    if (!message.type.startsWith('workorder.')) return message
    const data = message.data as OrderEventData
    // a slow or unreachable database must not hold up the live events behind this one: after a
    // second the event goes without its card, and the screens fetch the order themselves
    let timer: ReturnType<typeof setTimeout> | undefined
    const late = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), 1000) })
    try {
      const order = await Promise.race([this.cardFor(data.id), late])
      return order ? { ...message, data: { ...data, order: forViewer(order, undefined) } } as LiveMessage : message
    } catch {
      return message
    } finally {
      clearTimeout(timer)
    }
  }

  /** Events that do not come from a database change (PBX status, screen pops). */
  broadcast(message: LiveMessage | { type: string; data: unknown; at: string }, filter: (user: SessionUser) => boolean = () => true) {
    const text = JSON.stringify({ ...message, seq: ++this.seq })
    for (const client of this.clients) if (LiveHub.reachable(client) && filter(client.user)) this.send(client, text)
  }

  closeAll() {
    clearInterval(this.sweep)
    for (const client of this.clients) {
      clearTimeout(client.expiry)
      client.socket.close(1001, 'server shutting down')
    }
    this.clients.clear()
  }
}

/**
 * A page on another site must not open a socket with the cookie the browser sends along: the
 * upgrade comes from this origin or PUBLIC_URL's. Clients that send no Origin (not browsers) may connect.
 */
function refuseForeignOrigin(publicUrl: string) {
  const configured = new URL(publicUrl).origin
  return async (request: FastifyRequest) => {
    const origin = request.headers.origin
    if (!origin || origin === configured || origin === `http://${request.headers.host}` || origin === `https://${request.headers.host}`) return
    throw new HttpError(403, 'bad_origin', `live connections from ${origin} are not accepted`)
  }
}

export async function liveRoutes(app: App, { live, db, config }: Services) {
  live.useSessions((tokenHashes) => liveSessions(db, tokenHashes))
  app.get('/ws', { websocket: true, onRequest: refuseForeignOrigin(config.publicUrl) }, (socket, request) => {
    const token = request.cookies[SESSION_COOKIE]
    live.add(socket, request.user!, token ? hashToken(token) : undefined)
  })
}
