// A typed AMI client built on the npm `asterisk-manager` package (0.2.0), with its known faults
// worked around here (see tests/fixtures/ami/SOURCE.md, the notes on the captures from Asterisk 22):
//  - it replaces a caller's `ActionID` (it only honours a lower-case `actionid`): we always pass our
//    own lower-case id and match responses and list events by it ourselves;
//  - it lower-cases every header name of what it receives: we restore Asterisk's spelling;
//  - it expects `Response: Follows` for Command, Asterisk 22 answers `Success` with `Output:`
//    lines: we read those;
//  - it swallows socket errors and login failures unless given callbacks: we pass callbacks and
//    report both;
//  - it reconnects only after 10–60 s and re-queues actions silently: we never use its reconnect;
//    a dropped link fails every pending action at once and we reconnect in 0.5–4 s with a new
//    connection and a new login;
//  - it sends no keepalive: we Ping, and a Ping that goes unanswered counts as a dead link.
import { EventEmitter } from 'node:events'
import { createRequire } from 'node:module'
import type { AmiMessage } from './ami-parser.ts'

const require = createRequire(import.meta.url)
interface Manager {
  options: { port: number; host: string; username: string; password: string; events: boolean }
  on(event: string, listener: (...args: any[]) => void): void
  removeAllListeners(event?: string): void
  connect(port: number, host: string, callback: (err: Error | null) => void): void
  login(callback: (err?: unknown) => void): void
  action(action: Record<string, unknown>, callback: (err: unknown, res: Record<string, unknown>) => void): string
  disconnect(): void
  isConnected(): boolean
}
const createManager = require('asterisk-manager') as () => Manager

export class AmiError extends Error {
  constructor(message: string, readonly response?: AmiMessage) { super(message) }
}
export class AmiLoginError extends AmiError {}

export type LinkStatus = 'connecting' | 'up' | 'down'

export interface AmiClientOptions {
  host: string
  port: number
  username: string
  secret: string
  /** default timeout of an action */
  actionTimeoutMs?: number
  /** keepalive period; 0 turns it off */
  pingIntervalMs?: number
  reconnectMinMs?: number
  reconnectMaxMs?: number
}

// the header names Asterisk sends, restored from the lower case the package turns them into
const CANONICAL = new Map([
  'Event', 'Response', 'ActionID', 'Message', 'Privilege', 'Channel', 'ChannelState', 'ChannelStateDesc', 'CallerIDNum', 'CallerIDName',
  'ConnectedLineNum', 'ConnectedLineName', 'Language', 'AccountCode', 'Context', 'Exten', 'Priority', 'Uniqueid', 'Linkedid',
  'DestChannel', 'DestChannelState', 'DestChannelStateDesc', 'DestCallerIDNum', 'DestCallerIDName', 'DestConnectedLineNum',
  'DestConnectedLineName', 'DestLanguage', 'DestAccountCode', 'DestContext', 'DestExten', 'DestPriority', 'DestUniqueid', 'DestLinkedid',
  'DialString', 'DialStatus', 'Cause', 'Cause-txt', 'Variable', 'Value', 'Reason', 'EventList', 'ListItems', 'Output', 'Ping', 'Timestamp',
  'Application', 'ApplicationData', 'AppData', 'Duration', 'BridgeId', 'BridgeUniqueid', 'BridgeType', 'Status', 'Seconds', 'Device', 'State',
  'Uptime', 'LastReload', 'EventTV', 'Severity', 'Service', 'EventVersion', 'AccountID', 'SessionID', 'LocalAddress', 'RemoteAddress',
  'UsingPassword', 'SessionTV', 'Extension', 'Data', 'Linkedid', 'CoreCurrentCalls', 'Events', 'Filename',
].map((name) => [name.toLowerCase(), name]))

/** The package's event/response object back into Asterisk's own header names. */
export function canonical(raw: Record<string, unknown>): AmiMessage {
  const out: AmiMessage = {}
  for (const [key, value] of Object.entries(raw)) {
    const name = CANONICAL.get(key) ?? key.charAt(0).toUpperCase() + key.slice(1)
    if (key === 'variable' && value && typeof value === 'object' && !Array.isArray(value)) {
      // "Variable: NAME" arrives as { NAME: '' }, "Variable: A=1" lines as { A: '1' }
      const entries = Object.entries(value as Record<string, string>)
      out.Variable = entries.length === 1 && entries[0]![1] === '' ? entries[0]![0] : entries.map(([k, v]) => `${k}=${v}`)
    } else if (Array.isArray(value)) out[name] = value.map(String)
    else if (value !== undefined) out[name] = String(value)
  }
  return out
}

interface Pending {
  resolve(value: any): void
  reject(err: Error): void
  timer: NodeJS.Timeout
  list?: AmiMessage[]
}

export interface AmiClient extends EventEmitter {
  on(event: 'status', listener: (status: LinkStatus) => void): this
  on(event: 'event', listener: (event: AmiMessage) => void): this
  on(event: 'error', listener: (err: Error) => void): this
  on(event: 'connected', listener: (info: { reconnect: boolean }) => void): this
}

export class AmiClient extends EventEmitter {
  linkStatus: LinkStatus = 'down'
  lastError: Error | null = null
  private manager: Manager | null = null
  private generation = 0
  private seq = 0
  private pending = new Map<string, Pending>()
  private pingTimer: NodeJS.Timeout | null = null
  private retryTimer: NodeJS.Timeout | null = null
  private backoff: number
  private closed = false
  private everConnected = false
  private readonly o: Required<AmiClientOptions>

  constructor(options: AmiClientOptions) {
    super()
    this.o = { actionTimeoutMs: 5000, pingIntervalMs: 15000, reconnectMinMs: 500, reconnectMaxMs: 4000, ...options }
    this.backoff = this.o.reconnectMinMs
    this.on('error', () => {}) // errors are reported through `lastError` and 'status' too; never crash the host
  }

  /** Connects and logs in; rejects on the first failure (a bad login is an AmiLoginError) but keeps retrying in the background. */
  connect(): Promise<void> {
    this.closed = false
    return new Promise((resolve, reject) => {
      const onStatus = (s: LinkStatus) => {
        if (s === 'up') { this.off('status', onStatus); this.off('error', onError); resolve() }
      }
      const onError = (err: Error) => { this.off('status', onStatus); this.off('error', onError); reject(err) }
      this.on('status', onStatus)
      this.on('error', onError)
      this.open()
    })
  }

  private setStatus(status: LinkStatus) {
    if (this.linkStatus === status) return
    this.linkStatus = status
    this.emit('status', status)
  }

  private open() {
    const generation = ++this.generation
    const m = createManager()
    m.options = { port: this.o.port, host: this.o.host, username: this.o.username, password: this.o.secret, events: true }
    this.manager = m
    this.setStatus('connecting')
    const current = () => generation === this.generation && !this.closed
    m.on('error', (err: Error) => { if (current()) this.lastError = err })
    m.on('close', () => { if (current()) this.dropped(new AmiError(`AMI connection to ${this.o.host}:${this.o.port} closed${this.lastError ? `: ${this.lastError.message}` : ''}`)) })
    m.on('managerevent', (raw: Record<string, unknown>) => { if (current()) this.onEvent(canonical(raw)) })
    m.connect(this.o.port, this.o.host, () => {
      if (!current()) return
      // a peer that never answers the Login (not Asterisk, or hung) is given up on and retried
      const loginTimer = setTimeout(() => {
        if (!current()) return
        const failure = new AmiError(`no answer to Login from ${this.o.host}:${this.o.port} within ${this.o.actionTimeoutMs} ms`)
        this.lastError = failure
        this.emit('error', failure)
        this.generation++
        m.disconnect()
        this.dropped(failure)
      }, this.o.actionTimeoutMs)
      m.login((err?: unknown) => {
        clearTimeout(loginTimer)
        if (!current()) return
        if (err) {
          const res = canonical(err as Record<string, unknown>)
          const failure = new AmiLoginError(`AMI login as ${this.o.username} refused: ${res.Message ?? 'unknown reason'}`, res)
          this.lastError = failure
          this.emit('error', failure)
          return // Asterisk closes the connection itself; 'close' schedules the retry
        }
        this.backoff = this.o.reconnectMinMs
        this.lastError = null
        this.setStatus('up')
        this.emit('connected', { reconnect: this.everConnected })
        this.everConnected = true
        this.startPing()
      })
    })
  }

  private dropped(reason: Error) {
    this.stopPing()
    for (const [id, p] of this.pending) { clearTimeout(p.timer); p.reject(reason); this.pending.delete(id) }
    this.setStatus('down')
    if (this.closed) return
    this.retryTimer = setTimeout(() => this.open(), this.backoff)
    this.backoff = Math.min(this.backoff * 2, this.o.reconnectMaxMs)
  }

  private startPing() {
    this.stopPing()
    if (!this.o.pingIntervalMs) return
    this.pingTimer = setInterval(() => {
      this.ping().catch(() => {
        // no Pong: the link is dead even if TCP has not noticed; start over on a new connection
        const m = this.manager
        this.generation++
        m?.disconnect()
        this.dropped(new AmiError('AMI keepalive Ping went unanswered'))
      })
    }, this.o.pingIntervalMs)
    this.pingTimer.unref()
  }

  private stopPing() {
    if (this.pingTimer) clearInterval(this.pingTimer)
    this.pingTimer = null
  }

  private onEvent(event: AmiMessage) {
    const id = typeof event.ActionID === 'string' ? event.ActionID : undefined
    const p = id ? this.pending.get(id) : undefined
    if (p?.list) {
      const name = String(event.Event)
      if (/Complete$/.test(name)) {
        clearTimeout(p.timer)
        this.pending.delete(id!)
        p.resolve(p.list)
      } else p.list.push(event)
      return
    }
    this.emit('event', event)
  }

  /** Sends an action and resolves with its response (and, for list actions, the events until …Complete). */
  action(name: string, fields: Record<string, string | number | Record<string, string> | undefined> = {}, options: { timeoutMs?: number; actionId?: string } = {}): Promise<AmiMessage> {
    return this.send(name, fields, options, false)
  }

  /** A list action: resolves with the events that follow its response, up to the …Complete event. */
  list(name: string, fields: Record<string, string | undefined> = {}, options: { timeoutMs?: number } = {}): Promise<AmiMessage[]> {
    return this.send(name, fields, options, true)
  }

  private send(name: string, fields: Record<string, string | number | Record<string, string> | undefined>, options: { timeoutMs?: number; actionId?: string }, list: boolean): Promise<any> {
    const m = this.manager
    if (!m || this.linkStatus !== 'up') return Promise.reject(new AmiError(`AMI is ${this.linkStatus}: ${name} not sent`))
    const id = options.actionId ?? `h100-${process.pid}-${++this.seq}`
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.pending.delete(id); reject(new AmiError(`AMI ${name} timed out after ${options.timeoutMs ?? this.o.actionTimeoutMs} ms`)) }, options.timeoutMs ?? this.o.actionTimeoutMs)
      const p: Pending = { resolve, reject, timer }
      this.pending.set(id, p)
      const body: Record<string, unknown> = { action: name, actionid: id }
      for (const [k, v] of Object.entries(fields)) if (v !== undefined) body[k] = v
      m.action(body, (err: unknown, raw: Record<string, unknown>) => {
        if (!this.pending.has(id)) return
        const res = canonical((err ?? raw) as Record<string, unknown>)
        if (err || res.Response === 'Error') {
          clearTimeout(timer)
          this.pending.delete(id)
          return reject(new AmiError(`AMI ${name} failed: ${res.Message ?? 'error'}`, res))
        }
        if (list && res.EventList === 'start') { p.list = []; return }
        clearTimeout(timer)
        this.pending.delete(id)
        resolve(res)
      })
    })
  }

  ping() { return this.action('Ping', {}, { timeoutMs: 5000 }) }

  async command(command: string): Promise<string[]> {
    const res = await this.action('Command', { command })
    const out = res.Output
    return out === undefined ? [] : Array.isArray(out) ? out : [out]
  }

  async coreShowChannels(): Promise<AmiMessage[]> {
    return this.list('CoreShowChannels')
  }

  async channelStatus(channel?: string): Promise<AmiMessage[]> {
    return this.list('Status', { channel })
  }

  originate(o: { channel: string; context: string; exten: string; priority?: number; callerId?: string; variables?: Record<string, string>; async?: boolean; timeoutMs?: number; actionId?: string }) {
    return this.action('Originate', {
      channel: o.channel, context: o.context, exten: o.exten, priority: o.priority ?? 1, callerid: o.callerId,
      timeout: o.timeoutMs ?? 30000, async: o.async === false ? 'false' : 'true', variable: o.variables,
    }, { timeoutMs: o.async === false ? (o.timeoutMs ?? 30000) + 5000 : undefined, actionId: o.actionId })
  }

  hangup(channel: string) { return this.action('Hangup', { channel }) }
  mixMonitor(channel: string, file: string, options?: string) { return this.action('MixMonitor', { channel, file, options }) }
  stopMixMonitor(channel: string) { return this.action('StopMixMonitor', { channel }) }

  async close() {
    this.closed = true
    this.generation++
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.stopPing()
    const m = this.manager
    if (m && this.linkStatus === 'up') await this.action('Logoff', {}, { timeoutMs: 500 }).catch(() => {})
    m?.disconnect()
    this.dropped(new AmiError('AMI client closed'))
  }
}
