// A PBX simulator that speaks AMI over TCP the way Asterisk 22 does (banner, Login, Ping, Logoff,
// Originate sync and async, Hangup, MixMonitor, StopMixMonitor, CoreShowChannels, Status, Command)
// with the event names, header order and two-leg Local-channel shape of the captures in
// tests/fixtures/ami. The embedded default runs it so a newcomer sees calls pop without a phone system.
import { createServer, type Server, type Socket } from 'node:net'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AmiParser, header, serializeMessage, type AmiMessage } from './ami-parser.ts'
import { chimeWav } from './wav.ts'

export interface SimulatorOptions {
  port?: number
  host?: string
  users?: Record<string, string>
  recordingsDir: string
  hotlineExten?: string
  hotlineContext?: string
  /** 2 runs every delay twice as fast */
  speed?: number
  /** extensions or numbers that ring and are never picked up */
  noAnswer?: string[]
  busy?: string[]
  /** numbers that exist: Local/NNN@ctx with another NNN fails at once, as on a real PBX */
  knownExtens?: string[]
}

interface Channel {
  name: string; uniqueid: string; linkedid: string; state: number; callerNum: string; callerName: string
  connectedNum: string; connectedName: string; context: string; exten: string; priority: number; created: number; recording?: string
}
interface Session { socket: Socket; authed: boolean; events: boolean; username: string }

const STATE_DESC: Record<number, string> = { 0: 'Down', 4: 'Ring', 5: 'Ringing', 6: 'Up' }
const CAUSE_TEXT: Record<number, string> = { 16: 'Normal Clearing', 17: 'User busy', 19: 'User alerting, no answer', 0: 'Unknown' }
const SPOOL = '/var/spool/asterisk/monitor'

export class PbxSimulator {
  private server: Server | null = null
  private sessions = new Set<Session>()
  private channels = new Map<string, Channel>()
  private timers = new Set<NodeJS.Timeout>()
  private seq = 0
  private chanSeq = 0
  private startedAt = Date.now()
  readonly o: Required<SimulatorOptions>
  port = 0

  constructor(options: SimulatorOptions) {
    this.o = {
      port: 0, host: '127.0.0.1', users: { hotline: 'hotline-secret' }, hotlineExten: '100', hotlineContext: 'hotline', speed: 1,
      noAnswer: ['300'], busy: ['400'], knownExtens: ['100', '101', '200', '300', '400'], ...options,
    }
    mkdirSync(this.o.recordingsDir, { recursive: true })
  }

  start(port = this.port || this.o.port): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = createServer((socket) => this.accept(socket))
      server.once('error', reject)
      server.listen(port, this.o.host, () => {
        this.server = server
        const address = server.address()
        this.port = typeof address === 'object' && address ? address.port : port
        resolve(this.port)
      })
    })
  }

  /** Closes the listener and every connection: what a crashed or restarted PBX looks like. */
  async stop() {
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    for (const s of this.sessions) s.socket.destroy()
    this.sessions.clear()
    this.channels.clear()
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
    this.server = null
  }

  private later(ms: number, fn: () => void) {
    const t = setTimeout(() => { this.timers.delete(t); fn() }, ms / this.o.speed)
    this.timers.add(t)
  }

  private accept(socket: Socket) {
    const session: Session = { socket, authed: false, events: true, username: '' }
    this.sessions.add(session)
    socket.on('close', () => this.sessions.delete(session))
    socket.on('error', () => this.sessions.delete(session))
    socket.write('Asterisk Call Manager/11.0.0\r\n')
    const parser = new AmiParser({ message: (m) => this.onAction(session, m) }, { expectBanner: false })
    socket.on('data', (chunk) => parser.push(chunk))
  }

  private send(session: Session, fields: Record<string, string | number | string[] | undefined>) {
    if (!session.socket.destroyed) session.socket.write(serializeMessage(fields))
  }

  private event(fields: Record<string, string | number | undefined>) {
    for (const s of this.sessions) if (s.authed && s.events) this.send(s, fields)
  }

  private uid() { return `${Math.floor(this.startedAt / 1000)}.${this.seq++}` }

  private channelFields(c: Channel, prefix = '') {
    return {
      [`${prefix}Channel`]: c.name, [`${prefix}ChannelState`]: c.state, [`${prefix}ChannelStateDesc`]: STATE_DESC[c.state] ?? 'Unknown',
      [`${prefix}CallerIDNum`]: c.callerNum, [`${prefix}CallerIDName`]: c.callerName, [`${prefix}ConnectedLineNum`]: c.connectedNum,
      [`${prefix}ConnectedLineName`]: c.connectedName, [`${prefix}Language`]: 'en', [`${prefix}AccountCode`]: '', [`${prefix}Context`]: c.context,
      [`${prefix}Exten`]: c.exten, [`${prefix}Priority`]: c.priority, [`${prefix}Uniqueid`]: c.uniqueid, [`${prefix}Linkedid`]: c.linkedid,
    }
  }

  private newChannel(name: string, opts: Partial<Channel> & { linkedid?: string }): Channel {
    const uniqueid = this.uid()
    const c: Channel = {
      name, uniqueid, linkedid: opts.linkedid ?? uniqueid, state: opts.state ?? 0, callerNum: opts.callerNum ?? '<unknown>', callerName: opts.callerName ?? '<unknown>',
      connectedNum: opts.connectedNum ?? '<unknown>', connectedName: opts.connectedName ?? '<unknown>', context: opts.context ?? this.o.hotlineContext,
      exten: opts.exten ?? 's', priority: opts.priority ?? 1, created: Date.now(),
    }
    this.channels.set(c.name, c)
    this.event({ Event: 'Newchannel', Privilege: 'call,all', ...this.channelFields(c) })
    return c
  }

  private setState(c: Channel, state: number) {
    c.state = state
    this.event({ Event: 'Newstate', Privilege: 'call,all', ...this.channelFields(c) })
  }

  private startRecording(c: Channel, file = `${SPOOL}/${c.uniqueid}.wav`) {
    c.recording = file
    this.event({ Event: 'VarSet', Privilege: 'dialplan,all', ...this.channelFields(c), Variable: 'MIXMONITOR_FILENAME', Value: file })
    this.event({ Event: 'MixMonitorStart', Privilege: 'call,all', ...this.channelFields(c) })
  }

  private hangup(c: Channel | undefined, cause = 16) {
    if (!c || !this.channels.has(c.name)) return
    this.channels.delete(c.name)
    if (c.recording) {
      // the file appears where the app's RECORDINGS_DIR expects Asterisk's spool to be shared
      const seconds = Math.max(1, Math.min(5, (Date.now() - c.created) / 1000))
      writeFileSync(join(this.o.recordingsDir, c.recording.split('/').pop()!), chimeWav(seconds))
    }
    this.event({ Event: 'Hangup', Privilege: 'call,all', ...this.channelFields(c), Cause: cause, 'Cause-txt': CAUSE_TEXT[cause] ?? 'Unknown' })
  }

  private dial(from: Channel, to: Channel, dialString: string) {
    this.event({ Event: 'DialBegin', Privilege: 'call,all', ...this.channelFields(from), ...this.channelFields(to, 'Dest'), DialString: dialString })
  }
  private dialEnd(from: Channel, to: Channel, status: string) {
    this.event({ Event: 'DialEnd', Privilege: 'call,all', ...this.channelFields(from), ...this.channelFields(to, 'Dest'), DialStatus: status })
  }

  /** A hotline call: extension `from` dials 100; the dialplan records it and rings an operator's phone. */
  simulateIncomingCall(o: { from: string; callerName?: string; answerBy?: string; answerAfterMs?: number; talkMs?: number; ringMs?: number }) {
    const n = (++this.chanSeq).toString(16).padStart(8, '0')
    const caller = this.newChannel(`PJSIP/${o.from}-${n}`, { state: 4, callerNum: o.from, callerName: o.callerName ?? o.from, exten: this.o.hotlineExten, context: this.o.hotlineContext })
    this.startRecording(caller)
    const device = o.answerBy ?? 'PJSIP/8001'
    const op = this.newChannel(`${device}-${(++this.chanSeq).toString(16).padStart(8, '0')}`, {
      linkedid: caller.linkedid, callerNum: device.split('/')[1], callerName: 'Operator', connectedNum: o.from, connectedName: o.callerName ?? o.from, exten: this.o.hotlineExten,
    })
    this.dial(caller, op, device.split('/')[1]!)
    this.setState(op, 5)
    if (o.answerBy) {
      this.later(o.answerAfterMs ?? 800, () => {
        this.setState(op, 6)
        this.setState(caller, 6)
        this.dialEnd(caller, op, 'ANSWER')
        this.later(o.talkMs ?? 3000, () => { this.hangup(op); this.hangup(caller) })
      })
    } else {
      // nobody picks up: the caller gives up
      this.later(o.ringMs ?? 3000, () => { this.dialEnd(caller, op, 'CANCEL'); this.hangup(op, 16); this.hangup(caller, 16) })
    }
    return { linkedid: caller.linkedid, channel: caller.name }
  }

  private onAction(s: Session, m: AmiMessage) {
    const action = (header(m, 'Action') ?? '').toLowerCase()
    const id = header(m, 'ActionID')
    const reply = (fields: Record<string, string | number | undefined>) => this.send(s, { Response: 'Success', ...(id !== undefined ? { ActionID: id } : {}), ...fields })
    const error = (message: string) => this.send(s, { Response: 'Error', ...(id !== undefined ? { ActionID: id } : {}), Message: message })
    if (action === 'login') {
      const user = header(m, 'Username') ?? ''
      if (this.o.users[user] === undefined || this.o.users[user] !== header(m, 'Secret')) {
        error('Authentication failed')
        // as Asterisk does: a failed login ends the session
        setTimeout(() => s.socket.end(), 10)
        return
      }
      s.authed = true
      s.username = user
      s.events = (header(m, 'Events') ?? 'on').toLowerCase() !== 'off'
      reply({ Message: 'Authentication accepted' })
      if (s.events) {
        this.send(s, { Event: 'FullyBooted', Privilege: 'system,all', Uptime: Math.floor((Date.now() - this.startedAt) / 1000), LastReload: Math.floor((Date.now() - this.startedAt) / 1000), Status: 'Fully Booted' })
        this.send(s, { Event: 'SuccessfulAuth', Privilege: 'security,all', EventTV: new Date().toISOString().replace('Z', '+0000'), Severity: 'Informational', Service: 'AMI', EventVersion: 1, AccountID: user, SessionID: `0x${(this.seq + 1).toString(16)}`, LocalAddress: `IPV4/TCP/${this.o.host}/${this.port}`, RemoteAddress: `IPV4/TCP/${s.socket.remoteAddress}/${s.socket.remotePort}`, UsingPassword: 0, SessionTV: new Date().toISOString().replace('Z', '+0000') })
      }
      return
    }
    if (!s.authed) return error('Permission denied')
    switch (action) {
      case 'ping': return reply({ Ping: 'Pong', Timestamp: (Date.now() / 1000).toFixed(6) })
      case 'logoff':
        this.send(s, { Response: 'Goodbye', ...(id !== undefined ? { ActionID: id } : {}), Message: 'Thanks for all the fish.' })
        return void setTimeout(() => s.socket.end(), 5)
      case 'events':
        s.events = (header(m, 'EventMask') ?? 'on').toLowerCase() !== 'off'
        return reply({ Events: s.events ? 'On' : 'Off' })
      case 'command': {
        const cmd = header(m, 'Command') ?? ''
        const output = cmd === 'core show version' ? ['Asterisk 22.10.1 (Hotline 100 simulator)'] : cmd === 'core show channels count'
          ? [`${this.channels.size} active channels`, `${Math.ceil(this.channels.size / 2)} active calls`] : [`No such command '${cmd}' (type 'core show help ${cmd}' for other possible commands)`]
        return this.send(s, { Response: 'Success', ...(id !== undefined ? { ActionID: id } : {}), Message: 'Command output follows', Output: output })
      }
      case 'coreshowchannels':
      case 'status': {
        const wanted = header(m, 'Channel')
        const list = [...this.channels.values()].filter((c) => !wanted || c.name === wanted)
        reply({ EventList: 'start', Message: action === 'status' ? 'Channel status will follow' : 'Channels will follow' })
        for (const c of list) {
          const base = this.channelFields(c)
          if (action === 'status') this.send(s, { Event: 'Status', Privilege: 'Call', ...base, ActionID: id, Seconds: Math.floor((Date.now() - c.created) / 1000) })
          else this.send(s, { Event: 'CoreShowChannel', ActionID: id, ...base, Duration: new Date(Date.now() - c.created).toISOString().slice(11, 19) })
        }
        const complete = action === 'status' ? { Event: 'StatusComplete', ActionID: id, EventList: 'Complete', ListItems: list.length, Items: list.length } : { Event: 'CoreShowChannelsComplete', ActionID: id, EventList: 'Complete', ListItems: list.length }
        return this.send(s, complete)
      }
      case 'hangup': {
        const c = this.channels.get(header(m, 'Channel') ?? '')
        if (!c) return error('No such channel')
        reply({ Message: 'Channel Hungup' })
        // hanging up one leg ends the call: the other legs of the same call follow
        for (const other of [...this.channels.values()]) if (other.linkedid === c.linkedid) this.hangup(other)
        return
      }
      case 'mixmonitor': {
        const c = this.channels.get(header(m, 'Channel') ?? '')
        if (!c) return error('No such channel')
        reply({})
        return this.startRecording(c, header(m, 'File') ?? `${SPOOL}/${c.uniqueid}.wav`)
      }
      case 'stopmixmonitor': {
        const c = this.channels.get(header(m, 'Channel') ?? '')
        if (!c?.recording) return error('No MixMonitor found')
        reply({})
        this.event({ Event: 'MixMonitorStop', Privilege: 'call,all', ...this.channelFields(c) })
        return
      }
      case 'originate': return this.originate(s, m, id)
      default:
        return error(`Invalid/unknown command: ${header(m, 'Action')}. Use Action: ListCommands to show available commands.`)
    }
  }

  private originate(s: Session, m: AmiMessage, id: string | undefined) {
    const channel = header(m, 'Channel') ?? ''
    const context = header(m, 'Context') ?? 'default'
    const exten = header(m, 'Exten') ?? 's'
    const isAsync = (header(m, 'Async') ?? 'false').toLowerCase() === 'true'
    const timeout = Number(header(m, 'Timeout') ?? 30000)
    const [callerName, callerNum] = /^(.*?)\s*<(.+)>$/.exec(header(m, 'CallerID') ?? header(m, 'Callerid') ?? '')?.slice(1) ?? ['<unknown>', '<unknown>']
    const local = /^Local\/([^@]+)@(.+)$/.exec(channel)
    const target = local ? local[1]! : channel.split('/')[1] ?? ''
    const respond = (ok: boolean, reason: number, first?: Channel) => {
      const fields = { Event: 'OriginateResponse', Privilege: 'call,all', ActionID: id, Response: ok ? 'Success' : 'Failure', Channel: first?.name ?? channel, Context: context, Exten: exten, Reason: reason, Uniqueid: first && ok ? first.uniqueid : '<unknown>', CallerIDNum: ok ? callerNum : '<unknown>', CallerIDName: ok ? callerName : '<unknown>' }
      if (isAsync) this.event(fields)
      else if (ok) this.send(s, { Response: 'Success', ActionID: id, Message: 'Originate successfully queued' })
      else this.send(s, { Response: 'Error', ActionID: id, Message: 'Originate failed' })
    }
    if (isAsync) this.send(s, { Response: 'Success', ActionID: id, Message: 'Originate successfully queued' })
    if (local && !this.o.knownExtens.includes(target)) return this.later(1, () => respond(false, 0))
    if (!local && !/^(PJSIP|SIP|IAX2|DAHDI)\/./.test(channel)) return this.later(1, () => respond(false, 0))

    // first leg: the channel named in the action rings (a Local channel has two legs, ;1 and ;2)
    const n = (++this.chanSeq).toString(16).padStart(8, '0')
    const first = this.newChannel(local ? `${channel}-${n};1` : `${channel}-${n}`, { callerNum, callerName, context, exten })
    const second = local ? this.newChannel(`${channel}-${n};2`, { linkedid: first.linkedid, context: local[2], exten: target, state: 4 }) : null
    this.setState(first, 5)
    if (this.o.noAnswer.includes(target)) {
      return this.later(Math.min(timeout, 4000), () => { respond(false, 3); this.hangup(second ?? undefined, 19); this.hangup(first, 19) })
    }
    if (this.o.busy.includes(target)) return this.later(300, () => { respond(false, 5); this.hangup(second ?? undefined, 17); this.hangup(first, 17) })
    this.later(local ? 1 : 600, () => {
      this.setState(first, 6)
      if (second) this.setState(second, 6)
      // the hotline extension records, as our dialplan does: on the ;2 leg, named after its Uniqueid
      if (second && target === this.o.hotlineExten) this.startRecording(second)
      respond(true, 4, first)
      // second leg: the dialplan at context/exten dials the number
      const callee = this.newChannel(`PJSIP/trunk-${(++this.chanSeq).toString(16).padStart(8, '0')}`, { linkedid: first.linkedid, callerNum: exten, context, exten })
      this.dial(first, callee, exten)
      this.setState(callee, 5)
      const endAll = (cause: number) => { this.hangup(callee, cause); this.hangup(second ?? undefined, cause); this.hangup(first, cause) }
      if (this.o.noAnswer.includes(exten)) return this.later(2500, () => { this.dialEnd(first, callee, 'NOANSWER'); endAll(19) })
      if (this.o.busy.includes(exten)) return this.later(400, () => { this.dialEnd(first, callee, 'BUSY'); endAll(17) })
      this.later(700, () => {
        this.setState(callee, 6)
        this.dialEnd(first, callee, 'ANSWER')
        this.later(2000, () => endAll(16))
      })
    })
  }
}
