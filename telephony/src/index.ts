// The telephony module's face: connect to Asterisk (or the built-in simulator), keep the link up,
// and report calls in the desk's terms. Imports nothing from the server.
import { EventEmitter } from 'node:events'
import { AmiClient, type LinkStatus } from './ami-client.ts'
import { CallModel, type CallEvent } from './calls.ts'
import { PbxSimulator, type SimulatorOptions } from './simulator.ts'
import { header } from './ami-parser.ts'

export { AmiClient, AmiError, AmiLoginError } from './ami-client.ts'
export { AmiParser, serializeAction } from './ami-parser.ts'
export { CallModel, deviceOf, normaliseNumber, type CallEvent, type OriginateOutcome } from './calls.ts'
export { PbxSimulator, type CalleeBehaviour } from './simulator.ts'

export interface TelephonyOptions {
  /** null: start the simulator on a free port and use it */
  asterisk: { host: string; port: number; user: string; secret: string } | null
  hotlineExten: string
  hotlineContext: string
  /** where click-to-dial sends the operator's phone; a hotline number dialled from here is not a hotline call */
  outboundContext?: string
  recordingsDir: string
  /** a call that never reports its end is closed after this long (default 4 h) */
  maxCallMs?: number
  pingIntervalMs?: number
  /** 'ami': start MixMonitor on answered hotline calls ourselves (when the dialplan does not) */
  recordingMode?: 'dialplan' | 'ami'
  /** the built-in simulator's extra settings (registered phones, how callees behave) */
  simulator?: Partial<SimulatorOptions>
}

export type TelephonyStatus = LinkStatus

/** The AMI event classes the app needs (docs/TELEPHONY.md): everything else is filtered at the PBX. */
export const EVENT_MASK = 'call,dialplan,agent'

export class Telephony extends EventEmitter {
  readonly client: AmiClient
  readonly calls: CallModel
  readonly simulator: PbxSimulator | null
  private expiry: NodeJS.Timeout | null = null

  private constructor(client: AmiClient, calls: CallModel, simulator: PbxSimulator | null) {
    super()
    this.client = client
    this.calls = calls
    this.simulator = simulator
  }

  static async start(o: TelephonyOptions): Promise<Telephony> {
    let simulator: PbxSimulator | null = null
    let target = o.asterisk
    if (!target) {
      simulator = new PbxSimulator({ ...o.simulator, recordingsDir: o.recordingsDir, hotlineExten: o.hotlineExten, hotlineContext: o.hotlineContext, users: { hotline: 'simulator' } })
      const port = await simulator.start()
      target = { host: '127.0.0.1', port, user: 'hotline', secret: 'simulator' }
    }
    const client = new AmiClient({ host: target.host, port: target.port, username: target.user, secret: target.secret, pingIntervalMs: o.pingIntervalMs })
    const calls = new CallModel({ hotlineExten: o.hotlineExten, hotlineContext: o.hotlineContext, outboundContext: o.outboundContext })
    const t = new Telephony(client, calls, simulator)
    // a lost Hangup must not leave a call open for ever
    const maxCallMs = o.maxCallMs ?? 4 * 3600_000
    t.expiry = setInterval(() => { const gone = calls.expire(maxCallMs); if (gone.length) t.emit('expired', gone) }, Math.min(60_000, maxCallMs))
    t.expiry.unref()
    client.on('event', (e) => {
      calls.handle(e)
      if (o.recordingMode === 'ami' && header(e, 'Event') === 'DialEnd' && header(e, 'DialStatus') === 'ANSWER' && header(e, 'Exten') === o.hotlineExten) {
        const channel = header(e, 'Channel') ?? ''
        client.mixMonitor(channel, `${header(e, 'Uniqueid')}.wav`).catch((err) => t.emit('warning', err))
      }
    })
    client.on('status', (s) => t.emit('status', s))
    // after a reconnect, calls that ended while the link was down are closed off
    client.on('connected', ({ reconnect }) => {
      // the AMI link carries every call in the hospital: ask only for the classes the call model reads
      // (call: channels, dials, hang-ups, originates; dialplan: Newexten and VarSet; agent: queues)
      client.action('Events', { eventmask: EVENT_MASK }).catch((err) => t.emit('warning', err))
      if (!reconnect) return
      const known = calls.active
      client.coreShowChannels().then((channels) => t.emit('reconciled', calls.reconcile(channels, known))).catch((err) => t.emit('warning', err))
    })
    // the first login is tried in the background too: a PBX that is down at start-up comes up later
    client.connect().catch((err) => t.emit('warning', err))
    return t
  }

  status(): TelephonyStatus { return this.client.linkStatus }

  onCall(listener: (e: CallEvent) => void) { this.calls.onCall(listener) }

  /** Rings `device` first; once picked up, the dialplan at context/number dials the number. */
  async originate(o: { reference: string; device: string; number: string; context: string; callerId?: string }) {
    this.calls.trackOriginate(o.reference)
    await this.client.originate({ channel: o.device, context: o.context, exten: o.number, callerId: o.callerId, async: true, actionId: o.reference })
  }

  async activeLinkedids(): Promise<string[]> {
    const channels = await this.client.coreShowChannels()
    return [...new Set(channels.map((c) => header(c, 'Linkedid') ?? '').filter(Boolean))]
  }

  async close() {
    if (this.expiry) clearInterval(this.expiry)
    await this.client.close()
    await this.simulator?.stop()
  }
}
