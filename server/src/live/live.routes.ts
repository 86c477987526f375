// WebSocket /ws: every signed-in screen gets the live events it may see, one connection per tab.
// Each instance LISTENs on the database, so a change made through any instance reaches all.
import type { WebSocket } from 'ws'
import type { App } from '../http/types.ts'
import type { Services } from '../services.ts'
import type { SessionUser } from '../accounts/sessions.ts'
import type { LiveMessage } from './events.ts'

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

  get size() { return this.clients.size }

  add(socket: WebSocket, user: SessionUser) {
    const client = { socket, user }
    this.clients.add(client)
    socket.on('close', () => this.clients.delete(client))
    socket.on('error', () => this.clients.delete(client))
    socket.send(JSON.stringify({ type: 'hello', data: { seq: this.seq, user: user.username }, at: new Date().toISOString() }))
  }

  /** Payload as it came from NOTIFY: parsed once, serialised once per seq, sent to whoever may see it. */
  deliver(payload: string) {
    let message: LiveMessage
    try { message = JSON.parse(payload) } catch { return }
    const text = JSON.stringify({ ...message, seq: ++this.seq })
    for (const client of this.clients) {
      if (client.socket.readyState === 1 && mayReceive(client.user, message)) client.socket.send(text)
    }
  }

  /** Events that do not come from a database change (PBX status, screen pops). */
  broadcast(message: LiveMessage | { type: string; data: unknown; at: string }, filter: (user: SessionUser) => boolean = () => true) {
    const text = JSON.stringify({ ...message, seq: ++this.seq })
    for (const client of this.clients) if (client.socket.readyState === 1 && filter(client.user)) client.socket.send(text)
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
