// Whether this instance's screens can get live events at all: they come through one LISTEN
// connection, which db.ts reopens after a loss. While it is gone nothing reaches the screens, and
// the events sent meanwhile are lost for good, so when it is back every screen is told to re-read.
import type { LiveStatus } from '../db/db.ts'
import type { LiveHub } from './live.routes.ts'

export class LiveLink {
  private current: LiveStatus = 'up'

  constructor(private readonly hub: LiveHub) {}

  get status() { return this.current }

  /**
   * Told by the LISTEN connection; every screen of this instance hears `live.status` with it, and
   * `resync` (re-read what you show) when it is back.
   */
  set(status: LiveStatus) {
    if (status === this.current) return
    this.current = status
    const at = new Date().toISOString()
    this.hub.broadcast({ type: 'live.status', data: { status }, at })
    if (status === 'up') this.hub.broadcast({ type: 'resync', data: {}, at })
  }
}
