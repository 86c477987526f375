// One WebSocket per tab for every live screen. It reconnects with backoff (0.5 s → 10 s) and, after
// every (re)connect, tells the screens to re-fetch, so nothing that happened while away is missed.
export interface LiveMessage { type: string; data: any; at: string; seq?: number }

type Listener = (m: LiveMessage) => void
const listeners = new Set<Listener>()
const resyncs = new Set<() => void>()
export const live = $state<{ connected: boolean; pbx: string }>({ connected: false, pbx: 'none' })

let socket: WebSocket | null = null
let delay = 500
let started = false

function open() {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`
  socket = new WebSocket(url)
  socket.onopen = () => {
    live.connected = true
    delay = 500
    for (const r of resyncs) r()
  }
  socket.onmessage = (e) => {
    const message = JSON.parse(e.data) as LiveMessage
    if (message.type === 'pbx.status') live.pbx = message.data.status
    for (const l of listeners) l(message)
  }
  socket.onclose = () => {
    live.connected = false
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

/** Subscribe to live messages; `resync` runs after every (re)connect. Returns an unsubscribe. */
export function onLive(listener: Listener, resync?: () => void) {
  listeners.add(listener)
  if (resync) resyncs.add(resync)
  return () => { listeners.delete(listener); if (resync) resyncs.delete(resync) }
}
