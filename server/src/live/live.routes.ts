// WebSocket /ws: every signed-in screen gets the live events it may see, one connection per tab.
// Each instance LISTENs on the database, so a change made through any instance reaches all.
import type { WebSocket } from 'ws'
import type { App } from '../http/types.ts'
import type { Services } from '../services.ts'
import type { SessionUser } from '../accounts/sessions.ts'
import type { LiveMessage, OrderEventData } from './events.ts'
import type { WorkOrder } from '../workorders/workorders.schemas.ts'
import { forViewer } from '../accounts/privacy.ts'

interface Client { socket: WebSocket; user: SessionUser }

function mayReceive(user: SessionUser, message: LiveMessage): boolean {
  if (message.type === 'notification') return (message.data as { userId: number }).userId === user.id
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

  get size() { return this.clients.size }

  add(socket: WebSocket, user: SessionUser) {
    const client = { socket, user }
    this.clients.add(client)
    socket.on('close', () => this.clients.delete(client))
    socket.on('error', () => this.clients.delete(client))
    socket.send(JSON.stringify({ type: 'hello', data: { seq: this.seq, user: user.username }, at: new Date().toISOString() }))
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
    this.pending = this.pending.then(async () => {
      // nobody to tell (no screen open, or none that may see it): no card to read either
      if (![...this.clients].some((c) => mayReceive(c.user, message))) return
      const withCard = await this.attachCard(message)
      const text = JSON.stringify({ ...withCard, seq: ++this.seq })
      for (const client of this.clients) {
        if (client.socket.readyState === 1 && mayReceive(client.user, withCard)) this.send(client, text)
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
    for (const client of this.clients) if (client.socket.readyState === 1 && filter(client.user)) this.send(client, text)
  }

  closeAll() {
    for (const client of this.clients) client.socket.close(1001, 'server shutting down')
    this.clients.clear()
  }
}

export async function liveRoutes(app: App, { live }: Services) {
  app.get('/ws', { websocket: true }, (socket, request) => {
    live.add(socket, request.user!)
  })
}
