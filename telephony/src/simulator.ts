// A PBX simulator that speaks AMI over TCP the way Asterisk 22.10.1 with chan_pjsip and our shipped
// dialplan (telephony/asterisk/*.conf) does. Each scenario — a ward calling 100 (ring group or queue
// with Local members), click-to-dial answered / 404 / ringing out / busy, an operator phone that does
// not answer — emits the events, order, headers, contexts and channel shapes of the real captures in
// shared/ami/real-phones; the older Local/NNN@hotline originate of shared/ami keeps its shape.
// Left out on purpose (noise a client must ignore anyway): RTCPSent/RTCPReceived, RTPAUDIOQOS VarSets,
// DeviceStateChange, PeerStatus, ContactStatus.
import { createServer, type Server, type Socket } from 'node:net'
import { mkdirSync, writeFileSync } from 'node:fs'
import { randomUUID } from 'node:crypto'
import { AmiParser, header, serializeMessage, type AmiMessage } from './ami-parser.ts'
import { chimeWav, recordingPath } from './wav.ts'

export interface SimulatorOptions {
  port?: number
  host?: string
  users?: Record<string, string>
  recordingsDir: string
  hotlineExten?: string
  /** the context holding the hotline extension (the phones reach it through `include`) */
  hotlineContext?: string
  /** the context the ward phones dial from, as pjsip.conf sets it */
  phoneContext?: string
  /** 2 runs every delay twice as fast */
  speed?: number
  /** 'ringGroup': Dial(PJSIP/8001&PJSIP/8002&PJSIP/8003,60,tT); 'queue': Queue(hotline,tT,,,60) with Local members */
  mode?: 'ringGroup' | 'queue'
  /** the ring group, in Dial order */
  operators?: string[]
  /** queue members (devices; each is rung as Local/NNNN@from-queue/n), in the order the queue rings them */
  queueMembers?: string[]
  /** devices registered on the PBX: only these ring */
  registered?: string[]
  /** extensions or numbers that ring and are never picked up (an operator device here: Reason 3) */
  noAnswer?: string[]
  /** numbers that answer busy (486, cause 17) */
  busy?: string[]
  /** numbers the carrier does not know (404, cause 1) */
  unknownNumbers?: string[]
  /** how long an answered click-to-dial callee talks before hanging up */
  outboundTalkMs?: number
  /** how long a click-to-dial callee rings before answering */
  outboundAnswerMs?: number
  /** Local/NNN@ctx originates: NNN that exist (another fails at once, as on a real PBX) */
  knownExtens?: string[]
  /**
   * How a click-to-dial callee behaves, number by number (the callback demo's patients), for numbers
   * the lists above do not name; undefined: answers as outboundAnswerMs/outboundTalkMs say. `answer` rings answerAfterMs, talks talkMs, then hangs up.
   */
  callee?: (number: string) => CalleeBehaviour | undefined
}

export type CalleeBehaviour = { kind: 'answer'; answerAfterMs: number; talkMs: number } | { kind: 'busy' } | { kind: 'no_answer' } | { kind: 'invalid' }

interface Channel {
  name: string; uniqueid: string; linkedid: string; state: number; callerNum: string; callerName: string
  connectedNum: string; connectedName: string; context: string; exten: string; priority: number; created: number
  recording?: string; answeredAt?: number; call?: Call
}
/** A running scenario: external hangups (AMI Hangup) wake it up with the channels they hit. */
interface Call { hungUp: Channel[]; wake: (() => void) | null; over: boolean }
interface Session { socket: Socket; authed: boolean; events: boolean; username: string }
type Fields = Record<string, string | number | undefined>

const STATE_DESC: Record<number, string> = { 0: 'Down', 4: 'Ring', 5: 'Ringing', 6: 'Up' }
const CAUSE_TEXT: Record<number, string> = {
  0: 'Unknown', 1: 'Unallocated (unassigned) number', 3: 'No route to destination', 16: 'Normal Clearing', 17: 'User busy',
  19: 'User alerting, no answer', 26: 'Answered elsewhere', 34: 'Circuit/channel congestion',
}
const SPOOL = '/var/spool/asterisk/monitor'
/** SoftHangupRequest carries the soft-hangup flag, not a Q.850 cause: 32 explicit (AMI/CLI), 16 the dialplan ending */
const SOFT_EXPLICIT = 32
const SOFT_END = 16
const DIAL_VARS = ['DIALSTATUS', 'DIALEDPEERNUMBER', 'DIALEDPEERNAME', 'ANSWEREDTIME', 'ANSWEREDTIME_MS', 'DIALEDTIME', 'DIALEDTIME_MS', 'RINGTIME', 'RINGTIME_MS', 'PROGRESSTIME', 'PROGRESSTIME_MS']
const num = (device: string) => device.replace(/^[A-Za-z0-9]+\//, '')

export class PbxSimulator {
  private server: Server | null = null
  private sessions = new Set<Session>()
  private channels = new Map<string, Channel>()
  private timers = new Set<NodeJS.Timeout>()
  private seq = 0
  private chanSeq = 0
  private localSeq = 0
  private startedAt = Date.now()
  readonly o: Required<SimulatorOptions>
  port = 0

  constructor(options: SimulatorOptions) {
    this.o = {
      port: 0, host: '127.0.0.1', users: { hotline: 'hotline-secret' }, hotlineExten: '100', hotlineContext: 'hotline', phoneContext: 'internal',
      speed: 1, mode: 'ringGroup', operators: ['PJSIP/8001', 'PJSIP/8002', 'PJSIP/8003'], queueMembers: [], registered: ['PJSIP/8001'],
      noAnswer: ['300', '13700003333'], busy: ['400', '13600004444'], unknownNumbers: ['13900002222'], outboundTalkMs: 2000, outboundAnswerMs: 700,
      knownExtens: ['100', '101', '200', '300', '400'], callee: () => undefined, ...options,
    }
    if (!this.o.queueMembers.length) this.o.queueMembers = this.o.operators
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
    for (const c of this.channels.values()) if (c.call) c.call.over = true
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

  /** Waits `ms`, or less if an AMI Hangup hits one of the call's channels: answers which were hit. */
  private wait(call: Call, ms: number): Promise<Channel[]> {
    return new Promise((resolve) => {
      if (call.hungUp.length) return resolve(call.hungUp.splice(0))
      const t = setTimeout(() => { this.timers.delete(t); call.wake = null; resolve([]) }, ms / this.o.speed)
      this.timers.add(t)
      call.wake = () => { clearTimeout(t); this.timers.delete(t); call.wake = null; resolve(call.hungUp.splice(0)) }
    })
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

  private event(fields: Fields) {
    for (const s of this.sessions) if (s.authed && s.events) this.send(s, fields)
  }

  private uid() { return `${Math.floor(this.startedAt / 1000)}.${this.seq++}` }
  private nextTag() { return (this.chanSeq++).toString(16).padStart(8, '0') }

  private channelFields(c: Channel, prefix = ''): Fields {
    return {
      [`${prefix}Channel`]: c.name, [`${prefix}ChannelState`]: c.state, [`${prefix}ChannelStateDesc`]: STATE_DESC[c.state] ?? 'Unknown',
      [`${prefix}CallerIDNum`]: c.callerNum, [`${prefix}CallerIDName`]: c.callerName, [`${prefix}ConnectedLineNum`]: c.connectedNum,
      [`${prefix}ConnectedLineName`]: c.connectedName, [`${prefix}Language`]: 'en', [`${prefix}AccountCode`]: '', [`${prefix}Context`]: c.context,
      [`${prefix}Exten`]: c.exten, [`${prefix}Priority`]: c.priority, [`${prefix}Uniqueid`]: c.uniqueid, [`${prefix}Linkedid`]: c.linkedid,
    }
  }

  private on(event: string, c: Channel, extra: Fields = {}, privilege = 'call,all') {
    this.event({ Event: event, Privilege: privilege, ...this.channelFields(c), ...extra })
  }

  private newChannel(name: string, opts: Partial<Channel> & { linkedid?: string }): Channel {
    const uniqueid = this.uid()
    const c: Channel = {
      name, uniqueid, linkedid: opts.linkedid ?? uniqueid, state: opts.state ?? 0, callerNum: opts.callerNum ?? '<unknown>', callerName: opts.callerName ?? '<unknown>',
      connectedNum: '<unknown>', connectedName: '<unknown>', context: opts.context ?? this.o.hotlineContext,
      exten: opts.exten ?? 's', priority: 1, created: Date.now(), call: opts.call,
    }
    this.channels.set(c.name, c)
    this.on('Newchannel', c)
    return c
  }

  private setState(c: Channel, state: number) {
    c.state = state
    if (state === 6) c.answeredAt ??= Date.now()
    this.on('Newstate', c)
  }
  private varSet(c: Channel, variable: string, value: string | number) { this.on('VarSet', c, { Variable: variable, Value: value }, 'dialplan,all') }
  private newExten(c: Channel, priority: number, application: string, data: string) {
    c.priority = priority
    this.on('Newexten', c, { Extension: c.exten, Application: application, AppData: data }, 'dialplan,all')
  }
  private callerId(c: Channel, number: string) {
    c.callerNum = number
    this.on('NewCallerid', c, { 'CID-CallingPres': '0 (Presentation Allowed, Not Screened)' })
  }
  private connectedLine(c: Channel, number?: string) {
    if (number !== undefined) c.connectedNum = number
    this.on('NewConnectedLine', c)
  }
  private hangupRequest(c: Channel, cause?: number, techCause?: number) {
    this.on('HangupRequest', c, { Cause: cause, TechCause: techCause })
  }
  private softHangup(c: Channel, cause: number, techCause?: number) { this.on('SoftHangupRequest', c, { Cause: cause, TechCause: techCause }) }

  private startRecording(c: Channel, file = `${SPOOL}/${c.uniqueid}.wav`) {
    c.recording = file
    this.varSet(c, 'MIXMONITOR_FILENAME', file)
    this.on('MixMonitorStart', c)
  }

  private hangup(c: Channel | undefined, cause = 16, techCause?: number) {
    if (!c || !this.channels.has(c.name)) return
    this.channels.delete(c.name)
    if (c.recording) {
      // the file appears where the app's RECORDINGS_DIR expects Asterisk's spool to be shared
      const path = recordingPath(this.o.recordingsDir, c.recording, SPOOL)
      const seconds = Math.max(1, Math.min(5, (Date.now() - c.created) / 1000))
      if (path) try { writeFileSync(path, chimeWav(seconds)) } catch { /* a full or read-only disk must not stop the PBX */ }
    }
    this.on('Hangup', c, { Cause: cause, 'Cause-txt': CAUSE_TEXT[cause] ?? 'Unknown', TechCause: techCause })
  }

  /** DialBegin/DialState/DialEnd; `from` null for an originate's first leg (Asterisk sends only Dest* then). */
  private dialEvent(event: 'DialBegin' | 'DialState' | 'DialEnd', from: Channel | null, to: Channel, extra: Fields) {
    this.event({ Event: event, Privilege: 'call,all', ...(from ? this.channelFields(from) : {}), ...this.channelFields(to, 'Dest'), ...extra })
  }
  private dialVarsReset(c: Channel) { for (const v of DIAL_VARS) this.varSet(c, v, '') }
  private answeredVars(c: Channel, since: number) {
    const answered = Date.now() - since
    this.varSet(c, 'ANSWEREDTIME', Math.floor(answered / 1000))
    this.varSet(c, 'ANSWEREDTIME_MS', answered)
    this.varSet(c, 'DIALEDTIME', Math.floor((Date.now() - c.created) / 1000))
    this.varSet(c, 'DIALEDTIME_MS', Date.now() - c.created)
  }

  private bridge() {
    let members = 0
    const id = randomUUID()
    const fields = (): Fields => ({ BridgeUniqueid: id, BridgeType: 'basic', BridgeTechnology: 'simple_bridge', BridgeCreator: '<unknown>', BridgeName: '<unknown>', BridgeNumChannels: members, BridgeVideoSourceMode: 'none' })
    const emit = (event: string, c?: Channel) => this.event({ Event: event, Privilege: 'call,all', ...fields(), ...(c ? this.channelFields(c) : {}) })
    return {
      create: () => emit('BridgeCreate'),
      enter: (c: Channel) => { members++; emit('BridgeEnter', c) },
      leave: (c: Channel) => { members--; emit('BridgeLeave', c) },
      destroy: () => emit('BridgeDestroy'),
    }
  }

  private newCall(): Call { return { hungUp: [], wake: null, over: false } }
  /** the endpoint context pjsip.conf gives a device: operators' phones `outbound`, the others the phones' context */
  private deviceContext(device: string) { return this.o.operators.includes(device) || this.o.queueMembers.includes(device) ? 'outbound' : this.o.phoneContext }

  /**
   * A hotline call: extension `from` dials 100 from the phones' context (which includes the hotline's);
   * the dialplan marks it (HOTLINE_CALL=1), answers, records, then rings the registered operators'
   * phones (ring group) or the queue's Local members. `answerBy` picks up after `answerAfterMs` and the
   * ward hangs up after `talkMs`; without `answerBy` the ward gives up after `ringMs`.
   */
  simulateIncomingCall(o: { from: string; callerName?: string; answerBy?: string; answerAfterMs?: number; talkMs?: number; ringMs?: number; registered?: string[]; mode?: 'ringGroup' | 'queue' }) {
    const call = this.newCall()
    const caller = this.newChannel(`PJSIP/${o.from}-${this.nextTag()}`, { state: 4, callerNum: o.from, callerName: o.callerName, context: this.o.phoneContext, exten: this.o.hotlineExten, call })
    this.varSet(caller, 'SIPDOMAIN', this.o.host)
    this.newExten(caller, 1, 'NoOp', `Hotline ${this.o.hotlineExten} call from ${o.from}`)
    // the shipped dialplan's marker: `same => n,Set(HOTLINE_CALL=1)` right after the NoOp
    this.newExten(caller, 2, 'Set', 'HOTLINE_CALL=1')
    this.varSet(caller, 'HOTLINE_CALL', '1')
    this.newExten(caller, 3, 'Answer', '')
    this.setState(caller, 6)
    this.newExten(caller, 4, 'MixMonitor', `${caller.uniqueid}.wav,b`)
    this.startRecording(caller)
    const scenario = (o.mode ?? this.o.mode) === 'queue' ? this.queueCall(call, caller, o) : this.ringGroupCall(call, caller, o)
    scenario.catch(() => undefined).finally(() => { call.over = true })
    return { linkedid: caller.linkedid, channel: caller.name }
  }

  private async ringGroupCall(call: Call, caller: Channel, o: { answerBy?: string; answerAfterMs?: number; talkMs?: number; ringMs?: number; registered?: string[] }) {
    const registered = o.registered ?? this.o.registered
    this.newExten(caller, 5, 'Dial', `${this.o.operators.join('&')},60,tT`)
    this.dialVarsReset(caller)
    // an unregistered endpoint has no contact: Dial skips it without a channel
    const legs = this.o.operators.filter((d) => registered.includes(d)).map((device) => {
      const op = this.newChannel(`${device}-${this.nextTag()}`, { context: 'outbound', linkedid: caller.linkedid, call })
      this.varSet(op, 'DIALEDPEERNUMBER', num(device))
      Object.assign(op, { callerNum: caller.exten, connectedNum: caller.callerNum, exten: caller.exten })
      this.newExten(op, 1, 'AppDial', '(Outgoing Line)')
      this.callerId(op, caller.exten)
      this.connectedLine(op)
      this.dialEvent('DialBegin', caller, op, { DialString: num(device) })
      return { device, op }
    })
    if (!legs.length) {
      this.varSet(caller, 'DIALSTATUS', 'CHANUNAVAIL')
      this.newExten(caller, 6, 'Hangup', '')
      this.softHangup(caller, SOFT_END)
      return this.hangup(caller, 16)
    }
    this.connectedLine(caller, caller.exten)
    legs.forEach(({ op }, i) => {
      this.setState(op, 5)
      if (i === 0) { this.varSet(caller, 'RINGTIME', 0); this.varSet(caller, 'RINGTIME_MS', 1) }
      this.dialEvent('DialState', caller, op, { DialStatus: 'RINGING' })
    })
    const winner = legs.find((l) => l.device === o.answerBy)
    const hit = await this.wait(call, winner ? (o.answerAfterMs ?? 800) : (o.ringMs ?? 3000))
    if (call.over) return
    if (!winner || hit.length) {
      // the ward gives up while it rings (its phone's CANCEL arrives as cause 3 / 404, as captured)
      const tech = hit.length ? undefined : 404
      if (!hit.length) this.hangupRequest(caller, 3, tech)
      for (const { op } of legs) this.dialEvent('DialEnd', caller, op, { DialStatus: 'CANCEL' })
      this.varSet(caller, 'DIALSTATUS', 'CANCEL')
      this.softHangup(caller, SOFT_END, tech)
      for (const { op } of legs) this.hangup(op, hit.length ? 16 : 3, tech)
      return this.hangup(caller, hit.length ? 16 : 3, tech)
    }
    const op = winner.op
    this.setState(op, 6)
    this.varSet(caller, 'DIALSTATUS', 'ANSWER')
    this.varSet(caller, 'DIALEDPEERNAME', op.name)
    this.varSet(caller, 'DIALEDPEERNUMBER', num(winner.device))
    this.dialEvent('DialEnd', caller, op, { DialStatus: 'ANSWER' })
    for (const other of legs) if (other !== winner) { this.dialEvent('DialEnd', caller, other.op, { DialStatus: 'CANCEL' }); this.hangup(other.op, 26) }
    await this.bridgeAndTalk(call, caller, op, o.talkMs ?? 3000, 'dialer')
  }

  /** Dial's bridge of the dialling channel and the answered one, until one side hangs up. */
  private async bridgeAndTalk(call: Call, dialer: Channel, peer: Channel, talkMs: number, endsFirst: 'dialer' | 'peer') {
    const b = this.bridge()
    b.create()
    peer.exten = ''
    this.newExten(peer, 1, 'AppDial', '(Outgoing Line)')
    b.enter(peer)
    b.enter(dialer)
    this.varSet(peer, 'BRIDGEPEER', dialer.name)
    this.varSet(peer, 'BRIDGEPVTCALLID', randomUUID())
    this.varSet(dialer, 'BRIDGEPEER', peer.name)
    this.varSet(dialer, 'BRIDGEPVTCALLID', randomUUID())
    const since = Date.now()
    const hit = await this.wait(call, talkMs)
    if (call.over) return
    const dialerFirst = hit.length ? hit.includes(dialer) && !hit.includes(peer) : endsFirst === 'dialer'
    if (!hit.length) this.hangupRequest(dialerFirst ? dialer : peer, 16)
    for (const c of [dialer, peer]) { this.varSet(c, 'BRIDGEPEER', ''); this.varSet(c, 'BRIDGEPVTCALLID', '') }
    if (dialerFirst) {
      b.leave(dialer)
      this.answeredVars(dialer, since)
      b.leave(peer)
      b.destroy()
    } else {
      b.leave(peer)
      b.leave(dialer)
      b.destroy()
      this.answeredVars(dialer, since)
    }
    this.varSet(dialer, 'DIALSTATUS', 'ANSWER')
    this.softHangup(dialer, SOFT_END)
    this.hangup(peer, 16)
    this.hangup(dialer, 16)
  }

  private queueMemberStatus(device: string, iface: string, status: number, callsTaken: number) {
    this.event({
      Event: 'QueueMemberStatus', Privilege: 'agent,all', Queue: 'hotline', MemberName: `Operator ${num(device)}`, Interface: iface, StateInterface: device,
      Membership: 'static', Penalty: 0, CallsTaken: callsTaken, LastCall: 0, LastPause: 0, LoginTime: Math.floor(this.startedAt / 1000), InCall: 0,
      Status: status, Paused: 0, PausedReason: '', Ringinuse: 1, Wrapuptime: 0,
    })
  }

  /**
   * Queue(hotline,tT,,,60) with members Local/NNNN@from-queue/n, as FreePBX makes them (capture 06): each
   * member is a Local pair whose ;2 half runs [from-queue] `Dial(PJSIP/NNNN,30)`. The interleaving of the
   * queue's thread with the Local halves' is the captured one for an unregistered and a registered member.
   */
  private async queueCall(call: Call, caller: Channel, o: { answerBy?: string; answerAfterMs?: number; talkMs?: number; ringMs?: number; registered?: string[] }) {
    const registered = o.registered ?? this.o.registered
    const joined = Date.now()
    this.newExten(caller, 5, 'Queue', 'hotline,tT,,,60')
    for (const v of ['ANSWEREDTIME', 'ANSWEREDTIME_MS', 'DIALEDTIME', 'DIALEDTIME_MS', 'QUEUEWAIT', 'QUEUEWAIT_MS']) this.varSet(caller, v, '')
    this.on('QueueCallerJoin', caller, { Queue: 'hotline', Position: 1, Count: 1 }, 'agent,all')
    const linkedid = caller.linkedid
    const members = this.o.queueMembers.map((device) => {
      const n = num(device)
      return { device, n, iface: `Local/${n}@from-queue/n`, up: registered.includes(device), l1: null as unknown as Channel, l2: null as unknown as Channel, op: null as Channel | null }
    })
    type Member = (typeof members)[number]
    // the channels exist from here on; their events follow in the order the PBX's threads produce them
    const agent = (event: string, m: Member, extra: Fields = {}) => this.event({ Event: event, Privilege: 'agent,all', ...this.channelFields(caller), ...this.channelFields(m.l1, 'Dest'), Queue: 'hotline', Interface: m.iface, MemberName: `Operator ${m.n}`, ...extra })
    const request = (m: Member) => {
      const base = `Local/${m.n}@from-queue-${(this.localSeq++).toString(16).padStart(8, '0')}`
      m.l1 = this.newChannel(`${base};1`, { context: 'from-queue', exten: m.n, linkedid, call })
      m.l2 = this.newChannel(`${base};2`, { state: 4, context: 'from-queue', exten: m.n, linkedid, call })
      m.l1.callerNum = caller.exten
      this.newExten(m.l1, 1, 'AppQueue', '(Outgoing Line)')
      this.callerId(m.l1, caller.exten)
      this.varSet(m.l1, 'DIALEDPEERNUMBER', `${m.n}@from-queue/n`)
    }
    const startLocal = (m: Member) => {
      this.varSet(m.l2, 'DIALEDPEERNUMBER', `${m.n}@from-queue/n`)
      m.l2.connectedNum = caller.exten
      this.callerId(m.l2, caller.callerNum)
      this.connectedLine(m.l2)
      this.event({ Event: 'LocalBridge', Privilege: 'call,all', ...this.channelFields(m.l1, 'LocalOne'), ...this.channelFields(m.l2, 'LocalTwo'), Context: 'from-queue', Exten: m.n, LocalOptimization: 'No' })
    }
    const offer = (m: Member) => {
      // the queue's snapshot of the member channel already shows the caller's extension; the channel itself
      // keeps its own until it hangs up or rings
      Object.assign(m.l1, { connectedNum: caller.callerNum, exten: caller.exten })
      agent('AgentCalled', m)
      this.dialEvent('DialBegin', caller, m.l1, { DialString: m.iface })
      m.l1.exten = m.n
    }
    const localDial = (m: Member) => { this.newExten(m.l2, 1, 'Dial', `PJSIP/${m.n},30`); this.dialVarsReset(m.l2) }
    const [first, ...rest] = members
    if (!first) return this.endQueueCall(call, caller, [], joined, o.ringMs ?? 3000)
    request(first); startLocal(first); offer(first)
    for (const m of rest) request(m)
    localDial(first)
    for (const m of rest) { startLocal(m); localDial(m) }
    const down = members.filter((m) => !m.up)
    const up = members.filter((m) => m.up)
    for (const m of down) {
      this.varSet(m.l2, 'DIALSTATUS', 'CHANUNAVAIL')
      this.newExten(m.l2, 2, 'Hangup', '')
      this.softHangup(m.l2, SOFT_END)
      this.varSet(m.l1, 'CHANLOCALSTATUS', 'CHANUNAVAIL')
      this.hangupRequest(m.l1, 3)
      this.hangup(m.l2, 3)
    }
    for (const m of rest) offer(m)
    for (const m of down) this.dialEvent('DialEnd', caller, m.l1, { DialStatus: 'NOANSWER' })
    for (const m of up) {
      m.op = this.newChannel(`${m.device}-${this.nextTag()}`, { context: this.deviceContext(m.device), linkedid, call })
      this.varSet(m.op, 'DIALEDPEERNUMBER', m.n)
    }
    for (const m of down) agent('AgentRingNoAnswer', m, { RingTime: 0 })
    for (const m of up) {
      Object.assign(m.op!, { callerNum: m.n, connectedNum: caller.callerNum, exten: m.n })
      this.newExten(m.op!, 1, 'AppDial', '(Outgoing Line)')
      this.callerId(m.op!, m.n)
      this.connectedLine(m.op!)
    }
    for (const m of down) { m.l1.exten = caller.exten; this.hangup(m.l1, 3); this.connectedLine(m.l1) }
    for (const m of up) {
      const op = m.op!
      this.dialEvent('DialBegin', m.l2, op, { DialString: m.n })
      this.connectedLine(m.l2, m.n)
      this.setState(op, 5)
      this.queueMemberStatus(m.device, m.iface, 6, 0)
      Object.assign(m.l1, { callerNum: m.n, exten: caller.exten })
      this.setState(m.l1, 5)
      this.newExten(m.l1, 1, 'AppQueue', '(Outgoing Line)')
      this.callerId(m.l1, m.n)
      this.connectedLine(m.l1)
      this.varSet(m.l2, 'RINGTIME', 0)
      this.varSet(m.l2, 'RINGTIME_MS', 1)
      this.dialEvent('DialState', m.l2, op, { DialStatus: 'RINGING' })
      this.dialEvent('DialState', caller, m.l1, { DialStatus: 'RINGING' })
    }
    const winner = up.find((m) => m.device === o.answerBy)
    if (!winner) return this.endQueueCall(call, caller, up, joined, o.ringMs ?? 3000)
    const hit = await this.wait(call, o.answerAfterMs ?? 800)
    if (call.over) return
    if (hit.length) return this.endQueueCall(call, caller, up, joined, 0)
    const { l1, l2 } = winner
    const op = winner.op!
    this.setState(op, 6)
    this.varSet(l2, 'DIALSTATUS', 'ANSWER')
    this.varSet(l2, 'DIALEDPEERNAME', op.name)
    this.varSet(l2, 'DIALEDPEERNUMBER', winner.n)
    this.dialEvent('DialEnd', l2, op, { DialStatus: 'ANSWER' })
    this.queueMemberStatus(winner.device, winner.iface, 2, 0)
    this.setState(l2, 6)
    const member = this.bridge()
    member.create()
    this.setState(l1, 6)
    this.dialEvent('DialEnd', caller, l1, { DialStatus: 'ANSWER' })
    for (const m of up) if (m !== winner) this.dropMember(caller, m, 26)
    op.exten = ''
    this.newExten(op, 1, 'AppDial', '(Outgoing Line)')
    this.connectedLine(caller, winner.n)
    member.enter(op)
    const waited = Date.now() - joined
    this.on('QueueCallerLeave', caller, { Queue: 'hotline', Position: 1, Count: 0 }, 'agent,all')
    this.varSet(caller, 'QUEUEPOSITION', 1)
    this.varSet(caller, 'QUEUEWAIT', Math.floor(waited / 1000))
    this.varSet(caller, 'QUEUEWAIT_MS', waited)
    agent('AgentConnect', winner, { HoldTime: Math.floor(waited / 1000), RingTime: Math.floor((o.answerAfterMs ?? 800) / 1000) })
    const queue = this.bridge()
    queue.create()
    queue.enter(l1)
    queue.enter(caller)
    this.varSet(l1, 'BRIDGEPEER', caller.name)
    this.varSet(l1, 'BRIDGEPVTCALLID', randomUUID())
    this.varSet(caller, 'BRIDGEPEER', l1.name)
    member.enter(l2)
    this.varSet(op, 'BRIDGEPEER', l2.name)
    this.varSet(l2, 'BRIDGEPEER', op.name)
    this.varSet(l2, 'BRIDGEPVTCALLID', randomUUID())
    const since = Date.now()
    const ended = await this.wait(call, o.talkMs ?? 3000)
    if (call.over) return
    // the ward hangs up (AgentComplete Reason caller), or an AMI Hangup ends it from the operator's side
    const byAgent = ended.length > 0 && !ended.includes(caller)
    if (!ended.length) this.hangupRequest(caller)
    agent('AgentComplete', winner, { HoldTime: Math.floor(waited / 1000), TalkTime: Math.round((Date.now() - since) / 1000), Reason: byAgent ? 'agent' : 'caller' })
    this.varSet(caller, 'BRIDGEPEER', '')
    this.varSet(l1, 'BRIDGEPEER', '')
    this.varSet(l1, 'BRIDGEPVTCALLID', '')
    queue.leave(caller)
    this.answeredVars(caller, since)
    this.softHangup(caller, SOFT_END)
    queue.leave(l1)
    this.hangupRequest(l2, 16)
    this.hangup(l1, 16)
    this.varSet(l2, 'BRIDGEPEER', '')
    this.varSet(l2, 'BRIDGEPVTCALLID', '')
    this.varSet(op, 'BRIDGEPEER', '')
    member.leave(l2)
    this.answeredVars(l2, since)
    this.varSet(l2, 'DIALSTATUS', 'ANSWER')
    member.leave(op)
    this.hangup(op, 16)
    this.softHangup(l2, SOFT_END)
    this.hangup(l2, 16)
    this.queueMemberStatus(winner.device, winner.iface, 1, 1)
    queue.destroy()
    member.destroy()
    this.hangup(caller, 16)
  }

  /** A member's Local pair and phone leave the call (answered elsewhere, or the caller went away). */
  private dropMember(caller: Channel, m: { l1: Channel; l2: Channel; op: Channel | null }, cause: number) {
    this.dialEvent('DialEnd', caller, m.l1, { DialStatus: 'CANCEL' })
    if (m.op) this.dialEvent('DialEnd', m.l2, m.op, { DialStatus: 'CANCEL' })
    this.hangup(m.op ?? undefined, cause)
    this.hangup(m.l2, cause)
    this.hangup(m.l1, cause)
  }

  /** Nobody takes the queued call: the ward gives up (QueueCallerAbandon) after `ringMs`. */
  private async endQueueCall(call: Call, caller: Channel, ringing: { l1: Channel; l2: Channel; op: Channel | null }[], joined: number, ringMs: number) {
    const hit = ringMs ? await this.wait(call, ringMs) : []
    if (call.over) return
    if (!hit.length) this.hangupRequest(caller)
    const held = Math.floor((Date.now() - joined) / 1000)
    this.on('QueueCallerAbandon', caller, { Queue: 'hotline', Position: 1, OriginalPosition: 1, HoldTime: held }, 'agent,all')
    for (const m of ringing) this.dropMember(caller, m, 16)
    this.softHangup(caller, SOFT_END)
    this.hangup(caller, 16)
  }

  /** AMI Hangup: the channels it hits get SoftHangupRequest 32 now; their scenario plays out the rest. */
  private hangupByAction(targets: Channel[]) {
    for (const c of targets) this.softHangup(c, SOFT_EXPLICIT)
    for (const c of targets) {
      const call = c.call
      if (call && !call.over) {
        call.hungUp.push(c)
        // hangups sent together (a regex, or two actions in one packet) reach the scenario together
        setImmediate(() => call.wake?.())
      } else {
        // a channel with no scenario (a Local originate): the other legs of the same call follow
        for (const other of [...this.channels.values()]) if (other.linkedid === c.linkedid) this.hangup(other, 16)
      }
    }
  }

  private onAction(s: Session, m: AmiMessage) {
    const action = (header(m, 'Action') ?? '').toLowerCase()
    const id = header(m, 'ActionID')
    const withId = id !== undefined ? { ActionID: id } : {}
    const reply = (fields: Fields) => this.send(s, { Response: 'Success', ...withId, ...fields })
    const error = (message: string) => this.send(s, { Response: 'Error', ...withId, Message: message })
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
        const up = Math.floor((Date.now() - this.startedAt) / 1000)
        const tv = new Date().toISOString().replace('Z', '+0000')
        this.send(s, { Event: 'FullyBooted', Privilege: 'system,all', Uptime: up, LastReload: up, Status: 'Fully Booted' })
        this.send(s, { Event: 'SuccessfulAuth', Privilege: 'security,all', EventTV: tv, Severity: 'Informational', Service: 'AMI', EventVersion: 1, AccountID: user, SessionID: `0x${(this.seq + 1).toString(16)}`, LocalAddress: `IPV4/TCP/${this.o.host}/${this.port}`, RemoteAddress: `IPV4/TCP/${s.socket.remoteAddress}/${s.socket.remotePort}`, UsingPassword: 0, SessionTV: tv })
      }
      return
    }
    if (!s.authed) return error('Permission denied')
    switch (action) {
      case 'ping': return reply({ Ping: 'Pong', Timestamp: (Date.now() / 1000).toFixed(6) })
      case 'logoff':
        this.send(s, { Response: 'Goodbye', ...withId, Message: 'Thanks for all the fish.' })
        return void setTimeout(() => s.socket.end(), 5)
      case 'events':
        s.events = (header(m, 'EventMask') ?? 'on').toLowerCase() !== 'off'
        return reply({ Events: s.events ? 'On' : 'Off' })
      case 'command': {
        const cmd = header(m, 'Command') ?? ''
        const output = cmd === 'core show version' ? ['Asterisk 22.10.1 (Hotline 100 simulator)'] : cmd === 'core show channels count'
          ? [`${this.channels.size} active channels`, `${Math.ceil(this.channels.size / 2)} active calls`] : [`No such command '${cmd}' (type 'core show help ${cmd}' for other possible commands)`]
        return this.send(s, { Response: 'Success', ...withId, Message: 'Command output follows', Output: output })
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
        const wanted = header(m, 'Channel') ?? ''
        const regex = /^\/(.*)\/$/.exec(wanted)
        if (regex) {
          // as Asterisk: `/regex/` hangs up every channel whose name matches, listed back
          let pattern: RegExp
          try { pattern = new RegExp(regex[1]!) } catch { return error('Invalid regex') }
          const hit = [...this.channels.values()].filter((c) => pattern.test(c.name))
          reply({ EventList: 'start', Message: 'Channels hung up will follow' })
          for (const c of hit) this.send(s, { Event: 'ChannelHungup', Channel: c.name, ...withId })
          this.send(s, { Event: 'ChannelsHungupListComplete', EventList: 'Complete', ListItems: hit.length, ...withId })
          return this.hangupByAction(hit)
        }
        const c = this.channels.get(wanted)
        if (!c) return error('No such channel')
        reply({ Message: 'Channel Hungup' })
        return this.hangupByAction([c])
      }
      case 'mixmonitor': {
        const c = this.channels.get(header(m, 'Channel') ?? '')
        if (!c) return error('No such channel')
        const file = header(m, 'File') ?? `${c.uniqueid}.wav`
        // Asterisk writes relative names into its spool; we only ever write inside recordingsDir
        if (!recordingPath(this.o.recordingsDir, file, SPOOL)) return error('Cannot record to that file')
        reply({})
        return this.startRecording(c, file.startsWith('/') ? file : `${SPOOL}/${file}`)
      }
      case 'stopmixmonitor': {
        const c = this.channels.get(header(m, 'Channel') ?? '')
        if (!c?.recording) return error('No MixMonitor found')
        reply({})
        this.on('MixMonitorStop', c)
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
    const timeout = Number(header(m, 'Timeout') ?? 30000) || 30000
    const [callerName, callerNum] = /^(.*?)\s*<(.+)>$/.exec(header(m, 'CallerID') ?? header(m, 'Callerid') ?? '')?.slice(1) ?? ['<unknown>', '<unknown>']
    const respond = (ok: boolean, reason: number, first?: Channel) => {
      const fields = { Event: 'OriginateResponse', Privilege: 'call,all', ActionID: id, Response: ok ? 'Success' : 'Failure', Channel: ok && first ? first.name : channel, Context: context, Exten: exten, Reason: reason, Uniqueid: first && ok ? first.uniqueid : '<unknown>', CallerIDNum: ok ? callerNum : '<unknown>', CallerIDName: ok ? callerName : '<unknown>' }
      if (isAsync) this.event(fields)
      else if (ok) this.send(s, { Response: 'Success', ActionID: id, Message: 'Originate successfully queued' })
      else this.send(s, { Response: 'Error', ActionID: id, Message: 'Originate failed' })
    }
    if (!channel) return this.send(s, { Response: 'Error', ActionID: id, Message: 'Channel not specified' })
    if (isAsync) this.send(s, { Response: 'Success', ActionID: id, Message: 'Originate successfully queued' })
    if (/^Local\//.test(channel)) return this.localOriginate(channel, context, exten, timeout, callerNum, callerName, respond)
    // chan_pjsip refuses an unknown technology or an endpoint with no registered contact: no channel at all
    if (!/^PJSIP\/[^-\s]+$/.test(channel) || !this.o.registered.includes(channel)) return this.later(1, () => respond(false, 0))
    this.clickToDial(channel, context, exten, timeout, callerNum, callerName, respond).catch(() => undefined)
  }

  /**
   * Click-to-dial (captures 03–05): the operator's phone is rung first (its Dial* events carry only the
   * Dest* half), OriginateResponse, then [outbound] records and dials the number through the trunk.
   */
  private async clickToDial(device: string, context: string, exten: string, timeout: number, callerNum: string, callerName: string, respond: (ok: boolean, reason: number, first?: Channel) => void) {
    const call = this.newCall()
    try {
      const op = this.newChannel(`${device}-${this.nextTag()}`, { context: this.deviceContext(device), call })
      this.newExten(op, 1, 'AppDial2', '(Outgoing Line)')
      op.callerName = callerName
      this.callerId(op, callerNum)
      this.connectedLine(op, callerNum)
      this.dialEvent('DialBegin', null, op, { DialString: num(device) })
      this.setState(op, 5)
      this.dialEvent('DialState', null, op, { DialStatus: 'RINGING' })
      const operatorAway = this.o.noAnswer.includes(num(device))
      const hit = await this.wait(call, operatorAway ? timeout : 400)
      if (call.over) return
      if (operatorAway || hit.length) {
        this.hangup(op, hit.length ? 16 : 19)
        return respond(false, hit.length ? 1 : 3)
      }
      this.setState(op, 6)
      this.dialEvent('DialEnd', null, op, { DialStatus: 'ANSWER' })
      respond(true, 4, op)
      Object.assign(op, { context, exten })
      this.newExten(op, 1, 'MixMonitor', `${op.uniqueid}.wav,b`)
      this.startRecording(op)
      const internal = /^[2-5]\d{3}$/.test(exten)
      const dialString = internal ? exten : `${exten}@trunk`
      this.newExten(op, 2, 'Dial', internal ? `PJSIP/${exten},30` : `PJSIP/${exten}@trunk,45`)
      this.dialVarsReset(op)
      const callee = this.newChannel(internal ? `PJSIP/${exten}-${this.nextTag()}` : `PJSIP/trunk-${this.nextTag()}`, { context: this.o.phoneContext, linkedid: op.linkedid, call })
      this.varSet(callee, 'DIALEDPEERNUMBER', dialString)
      Object.assign(callee, { callerNum: exten, connectedNum: op.callerNum, exten })
      this.newExten(callee, 1, 'AppDial', '(Outgoing Line)')
      this.callerId(callee, exten)
      this.connectedLine(callee)
      this.dialEvent('DialBegin', op, callee, { DialString: dialString })
      this.connectedLine(op, exten)
      // the lists name particular numbers; `callee` decides the rest
      const behaves: CalleeBehaviour = this.o.unknownNumbers.includes(exten) ? { kind: 'invalid' } : this.o.busy.includes(exten) ? { kind: 'busy' }
        : this.o.noAnswer.includes(exten) ? { kind: 'no_answer' } : this.o.callee(exten) ?? { kind: 'answer', answerAfterMs: this.o.outboundAnswerMs, talkMs: this.o.outboundTalkMs }
      const refused = behaves.kind === 'invalid' ? { cause: 1, sip: 404, status: 'NOANSWER', dialStatus: 'CHANUNAVAIL' }
        : behaves.kind === 'busy' ? { cause: 17, sip: 486, status: 'BUSY', dialStatus: 'BUSY' } : null
      if (refused) {
        // the far end refuses at once (404 unallocated number, 486 busy here): Dial ends, the dialplan hangs up
        this.hangupRequest(callee, refused.cause, refused.sip)
        this.dialEvent('DialEnd', op, callee, { DialStatus: refused.status })
        this.varSet(op, 'DIALSTATUS', refused.dialStatus)
        this.newExten(op, 3, 'Hangup', '')
        this.softHangup(op, SOFT_END)
        this.hangup(callee, refused.cause, refused.sip)
        return this.hangup(op, refused.cause, refused.sip)
      }
      this.setState(callee, 5)
      this.varSet(op, 'RINGTIME', 0)
      this.varSet(op, 'RINGTIME_MS', 3)
      this.dialEvent('DialState', op, callee, { DialStatus: 'RINGING' })
      const ringsOut = behaves.kind === 'no_answer'
      const ended = await this.wait(call, ringsOut ? (internal ? 30_000 : 45_000) : behaves.kind === 'answer' ? behaves.answerAfterMs : 0)
      if (call.over) return
      if (ended.includes(callee)) {
        // both legs hung up while it rings (capture 05: the operator gives up)
        this.dialEvent('DialEnd', op, callee, { DialStatus: 'NOANSWER' })
        this.varSet(op, 'DIALSTATUS', 'CHANUNAVAIL')
        if (!ended.includes(op)) this.newExten(op, 3, 'Hangup', '')
        this.softHangup(op, SOFT_END)
        this.hangup(callee, 0)
        return this.hangup(op, 0)
      }
      if (ended.includes(op)) {
        this.dialEvent('DialEnd', op, callee, { DialStatus: 'CANCEL' })
        this.varSet(op, 'DIALSTATUS', 'CANCEL')
        this.softHangup(op, SOFT_END)
        this.hangup(callee, 16)
        return this.hangup(op, 16)
      }
      if (ringsOut) {
        // Dial's own timeout
        this.dialEvent('DialEnd', op, callee, { DialStatus: 'NOANSWER' })
        this.varSet(op, 'DIALSTATUS', 'NOANSWER')
        this.newExten(op, 3, 'Hangup', '')
        this.softHangup(op, SOFT_END)
        this.hangup(callee, 16)
        return this.hangup(op, 16)
      }
      this.setState(callee, 6)
      this.varSet(op, 'DIALSTATUS', 'ANSWER')
      this.varSet(op, 'DIALEDPEERNAME', callee.name)
      this.varSet(op, 'DIALEDPEERNUMBER', dialString)
      this.dialEvent('DialEnd', op, callee, { DialStatus: 'ANSWER' })
      await this.bridgeAndTalk(call, op, callee, behaves.kind === 'answer' ? behaves.talkMs : this.o.outboundTalkMs, 'peer')
    } finally { call.over = true }
  }

  /** The older captures' Local/NNN@ctx originate (shared/ami 03–06, 09): two legs ;1 and ;2, one Linkedid. */
  private localOriginate(channel: string, context: string, exten: string, timeout: number, callerNum: string, callerName: string, respond: (ok: boolean, reason: number, first?: Channel) => void) {
    const local = /^Local\/([^@]+)@(.+)$/.exec(channel)
    const target = local?.[1] ?? ''
    if (!local || !this.o.knownExtens.includes(target)) return this.later(1, () => respond(false, 0))
    const n = this.nextTag()
    const first = this.newChannel(`${channel}-${n};1`, { context: local[2], exten: target })
    const second = this.newChannel(`${channel}-${n};2`, { linkedid: first.linkedid, context: local[2], exten: target, state: 4 })
    this.newExten(first, 1, 'AppDial2', '(Outgoing Line)')
    if (callerNum !== '<unknown>') {
      first.callerName = callerName
      this.callerId(first, callerNum)
      this.connectedLine(first, callerNum)
      second.callerName = callerName
      second.connectedNum = callerNum
      this.callerId(second, callerNum)
      this.connectedLine(second)
    }
    this.dialEvent('DialBegin', null, first, { DialString: `${target}@${local[2]}` })
    if (this.o.noAnswer.includes(target)) {
      return this.later(Math.min(timeout, 4000), () => {
        this.hangupRequest(second, 19)
        this.hangup(first, 19)
        respond(false, 3)
        this.softHangup(second, SOFT_END)
        this.hangup(second, 19)
      })
    }
    if (this.o.busy.includes(target)) return this.later(300, () => { respond(false, 5); this.hangup(second, 17); this.hangup(first, 17) })
    this.later(1, () => {
      this.newExten(second, 1, 'NoOp', `hotline ${target}`)
      this.newExten(second, 2, 'Answer', '')
      this.setState(second, 6)
      this.setState(first, 6)
      this.dialEvent('DialEnd', null, first, { DialStatus: 'ANSWER' })
      Object.assign(first, { context, exten })
      respond(true, 4, first)
      // the hotline extension records, as that dialplan does: on the ;2 leg, named after its Uniqueid
      if (target === this.o.hotlineExten) {
        this.newExten(second, 3, 'MixMonitor', `${SPOOL}/${second.uniqueid}.wav`)
        this.startRecording(second)
      }
      const answered = !this.o.noAnswer.includes(exten) && !this.o.busy.includes(exten)
      this.later(answered ? 2000 : 2500, () => {
        this.softHangup(first, SOFT_END)
        this.hangupRequest(second, 16)
        this.softHangup(second, SOFT_END)
        this.hangup(first, answered ? 16 : 19)
        this.hangup(second, answered ? 16 : 19)
      })
    })
  }
}
