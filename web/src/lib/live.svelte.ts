// One WebSocket per tab for every live screen. It reconnects with backoff (0.5 s → 10 s) and, after
// every (re)connect, tells the screens to re-fetch, so nothing that happened while away is missed.
// The server's own way to the events (its LISTEN connection to the database) can break too: it
// says `live.status` reconnecting, then `resync` when it is back, and the screens re-fetch again.
export interface LiveMessage { type: string; data: any; at: string; seq?: number }

type Listener = (m: LiveMessage) => void
const listeners = new Set<Listener>()
const resyncs = new Set<() => void>()
/**
 * `lost`: the socket closed and is being reopened (not merely still opening at page load);
 * `server`: whether the server itself gets events from the database ('up') or is reconnecting.
 */
export const live = $state<{ connected: boolean; lost: boolean; pbx: string; server: string }>({ connected: false, lost: false, pbx: 'none', server: 'up' })
/** Events reach this tab, or will as soon as its first socket opens. */
export const liveFlowing = () => !live.lost && live.server === 'up'

let socket: WebSocket | null = null
let delay = 500
let started = false
/** a live.status came on this socket: newer than what /api/health said when it opened */
let statusHeard = false

function open() {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`
  socket = new WebSocket(url)
  socket.onopen = () => {
    live.connected = true
    live.lost = false
    delay = 500
    // a socket opened while the server is reconnecting to the database hears no live.status
    statusHeard = false
    fetch('/api/health').then((res) => res.json()).then((health) => { if (health.live && !statusHeard) live.server = health.live }, () => {})
    for (const r of resyncs) r()
  }
  socket.onmessage = (e) => {
    const message = JSON.parse(e.data) as LiveMessage
    if (message.type === 'pbx.status') live.pbx = message.data.status
    if (message.type === 'live.status') { live.server = message.data.status; statusHeard = true }
    if (message.type === 'resync') for (const r of resyncs) r()
    for (const l of listeners) l(message)
  }
  socket.onclose = () => {
    live.connected = false
    live.lost = true
    socket = null
    setTimeout(open, delay)
    delay = Math.min(delay * 2, 10_000)
  }
}

export function startLive() {
  if (started) return
  started = true
  open()
}

/** Subscribe to live messages; `resync` runs after every (re)connect and when the server says so. Returns an unsubscribe. */
export function onLive(listener: Listener, resync?: () => void) {
  listeners.add(listener)
  if (resync) resyncs.add(resync)
  return () => { listeners.delete(listener); if (resync) resyncs.delete(resync) }
}
