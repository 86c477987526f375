// The call model: AMI events folded into calls keyed by Linkedid (shared by every leg of a call),
// reported in the desk's terms — ringing (at which operator's phone), answered, ended or missed,
// recorded, and the outcome of a click-to-dial taken from the callee's leg, not the operator's.
//
// What a real Asterisk 22 sends for each case is in tests/fixtures/ami/real-phones (README there):
//  - a hotline call is recognised on the caller's channel (the one whose Uniqueid is the Linkedid):
//    the dialplan's marker `Set(HOTLINE_CALL=1)` (a VarSet), or the hotline extension reached in the
//    hotline context (a Goto), or the hotline extension dialled from any context but the outbound one
//    (an `include => hotline` is reported under the including context's name);
//  - an operator's phone rings when a Dial of the call reaches a device channel (PJSIP/8001-…); Local
//    channels (queue members as FreePBX makes them) are looked through: their `;2` leg dials the device;
//  - a click-to-dial rings the operator first (a DialBegin/DialEnd pair with no `Channel`), then the
//    dialplan dials the number from the operator's channel: that second pair, and the callee channel's
//    hang-up cause, say what happened.
import { EventEmitter } from 'node:events'
import { header, type AmiMessage } from './ami-parser.ts'

export type OriginateOutcome =
  | 'answered' | 'no_answer' | 'busy' | 'invalid_number' | 'unreachable' | 'operator_no_answer' | 'cancelled'

export type CallEvent =
  | { type: 'ringing'; linkedid: string; callerNumber: string; callerName: string | null; exten: string; operatorDevice: string | null; at: Date }
  | { type: 'answered'; linkedid: string; operatorDevice: string | null; at: Date }
  | { type: 'ended'; linkedid: string; direction: 'in' | 'out'; durationSec: number; cause: number; causeText: string; missed: boolean; reason?: string; at: Date }
  | { type: 'recording'; linkedid: string; file: string }
  /** click-to-dial: the operator's phone answered, the number is being dialled */
  | { type: 'dialing'; reference: string; linkedid: string; at: Date }
  | { type: 'originate'; reference: string; linkedid: string | null; outcome: OriginateOutcome; cause: number | null; at: Date }

/** The number being dialled for a click-to-dial, and what its channel has told us so far. */
interface Callee { uniqueid: string; rang: boolean; cause: number | null; causeText: string }

interface Call {
  linkedid: string
  hotline: boolean
  callerNumber: string
  callerName: string | null
  exten: string
  /** devices already told of this call */
  rung: Set<string>
  answeredAt: number | null
  originate: string | null
  outcome: OriginateOutcome | null
  callee: Callee | null
  /** the caller's side asked to hang up (the operator gave up, the ward put the phone down) */
  hangupRequested: boolean
  recording: string | null
  channels: Set<string>
  startedAt: number
  /** the PBX's own count of seconds talked (ANSWEREDTIME), better than our clock when it comes */
  talkSec: number | null
}

/** `PJSIP/8001-0000001a` → `PJSIP/8001`: the device behind a channel. */
export const deviceOf = (channel: string) => channel.replace(/-[0-9a-f]{8}(;\d)?$/i, '')
const isLocal = (channel: string) => channel.startsWith('Local/')
const unknown = (v: string | undefined) => (!v || v === '<unknown>' ? null : v)

/** The variable our dialplan sets on entry to the hotline extension (telephony/asterisk/extensions.conf). */
export const HOTLINE_MARKER = 'HOTLINE_CALL'

/**
 * A caller number as a person would write it: outside numbers lose the country code (+86, 0086, 86
 * before a mobile number) and a trunk's leading 0 before a mobile number; internal extensions and
 * landlines stay as they are. Not a number at all: ''.
 */
export function normaliseNumber(raw: string | null | undefined): string {
  if (!raw || raw === '<unknown>') return ''
  let n = raw.replace(/[\s().-]/g, '')
  if (!/^\+?[0-9*#]+$/.test(n)) return ''
  if (n.startsWith('+86')) n = n.slice(3)
  else if (n.startsWith('0086')) n = n.slice(4)
  else if (/^861[3-9]\d{9}$/.test(n)) n = n.slice(2)
  if (/^01[3-9]\d{9}$/.test(n)) n = n.slice(1)
  return n
}

/** Hang-up causes (Q.850) in a dialer's words. */
function outcomeOf(status: string, callee: Callee | null, hangupRequested: boolean): OriginateOutcome {
  if (status === 'ANSWER') return 'answered'
  const cause = callee?.cause ?? null
  if (status === 'BUSY' || cause === 17 || cause === 21) return 'busy'
  if (cause === 1 || cause === 3 || cause === 22 || cause === 28) return 'invalid_number'
  if (cause === 18 || cause === 19) return 'no_answer'
  if (cause !== null && [20, 27, 31, 34, 38, 41, 42, 44, 47].includes(cause)) return 'unreachable'
  if (callee?.rang) return 'no_answer'
  if (status === 'CHANUNAVAIL' || status === 'CONGESTION') return 'unreachable'
  // the number never rang and the operator put the phone down: they cancelled it
  return hangupRequested || status === 'CANCEL' ? 'cancelled' : 'no_answer'
}

export class CallModel extends EventEmitter {
  private calls = new Map<string, Call>()
  private pendingOriginates = new Set<string>()
  private readonly o: { hotlineExten: string; hotlineContext: string; outboundContext: string }
  private readonly now: () => number

  /** `now`: the clock (tests move it) */
  constructor(o: { hotlineExten: string; hotlineContext: string; outboundContext?: string; now?: () => number }) {
    super()
    this.o = { outboundContext: o.outboundContext ?? 'outbound', hotlineExten: o.hotlineExten, hotlineContext: o.hotlineContext }
    this.now = o.now ?? Date.now
  }

  onCall(listener: (e: CallEvent) => void) { this.on('call', listener) }
  private report(e: CallEvent) { this.emit('call', e) }

  /** Click-to-dial: the reference is the Originate's ActionID, echoed in OriginateResponse. */
  trackOriginate(reference: string) { this.pendingOriginates.add(reference) }

  get active(): string[] { return [...this.calls.keys()] }

  handle(e: AmiMessage) {
    // the whole hospital's calls come through here: decide on the event name first, then on the call
    const event = header(e, 'Event')
    switch (event) {
      case 'Newchannel': return this.newChannel(e)
      case 'Newexten': case 'NewCallerid': return this.onCallerChannel(e, event)
      case 'VarSet': {
        const variable = header(e, 'Variable')
        if (variable === 'MIXMONITOR_FILENAME') return this.recording(e)
        if (variable === HOTLINE_MARKER) return this.onCallerChannel(e, event)
        if (variable === 'ANSWEREDTIME') return this.talkTime(e)
        return
      }
      case 'DialBegin': return this.dialBegin(e)
      case 'DialState': case 'Newstate': return this.ringState(e, event)
      case 'DialEnd': return this.dialEnd(e)
      case 'HangupRequest': case 'SoftHangupRequest': return this.hangupRequest(e, event)
      case 'OriginateResponse': return this.originateResponse(e)
      case 'Hangup': return this.hangup(e)
    }
  }

  private call(e: AmiMessage) { return this.calls.get(header(e, 'Linkedid') ?? '') }

  private newChannel(e: AmiMessage) {
    const linkedid = header(e, 'Linkedid') ?? ''
    const uniqueid = header(e, 'Uniqueid') ?? ''
    let call = this.calls.get(linkedid)
    if (!call && uniqueid === linkedid) {
      call = {
        linkedid, hotline: false, callerNumber: '', callerName: null, exten: header(e, 'Exten') ?? '',
        rung: new Set(), answeredAt: null, originate: null, outcome: null, callee: null, hangupRequested: false, recording: null, channels: new Set(), startedAt: this.now(), talkSec: null,
      }
      this.calls.set(linkedid, call)
      this.onCallerChannel(e, 'Newchannel')
    }
    call?.channels.add(uniqueid)
  }

  /** What the caller's own channel says: its number, and whether this is a hotline call. */
  private onCallerChannel(e: AmiMessage, event: string) {
    const call = this.call(e)
    if (!call || header(e, 'Uniqueid') !== call.linkedid || call.originate) return
    if (!call.callerNumber) {
      call.callerNumber = normaliseNumber(header(e, 'CallerIDNum'))
      call.callerName = unknown(header(e, 'CallerIDName'))
    }
    if (call.hotline) return
    const exten = header(e, 'Exten')
    const context = header(e, 'Context')
    if (event === 'VarSet' || (exten === this.o.hotlineExten && (context === this.o.hotlineContext || context !== this.o.outboundContext))) {
      call.hotline = true
      call.exten = this.o.hotlineExten
    }
  }

  private dialBegin(e: AmiMessage) {
    const call = this.call(e)
    if (!call) return
    const from = header(e, 'Uniqueid')
    if (call.originate) {
      // the operator's own leg has no dialling channel; the dialplan's Dial from the operator's channel is the callee
      if (from === call.linkedid && !call.callee) call.callee = { uniqueid: header(e, 'DestUniqueid') ?? '', rang: false, cause: null, causeText: '' }
      return
    }
    if (!call.hotline) return
    if (!call.callerNumber && from === call.linkedid) call.callerNumber = normaliseNumber(header(e, 'CallerIDNum'))
    const dest = header(e, 'DestChannel') ?? ''
    if (!dest || isLocal(dest)) return
    const device = deviceOf(dest)
    if (call.rung.has(device)) return
    this.ring(call, device, new Date(this.now()))
  }

  private ringState(e: AmiMessage, event: string) {
    const callee = this.call(e)?.callee
    if (!callee) return
    if (event === 'DialState' ? header(e, 'DestUniqueid') === callee.uniqueid && header(e, 'DialStatus') === 'RINGING'
      : header(e, 'Uniqueid') === callee.uniqueid && header(e, 'ChannelStateDesc') === 'Ringing') callee.rang = true
  }

  private hangupRequest(e: AmiMessage, event: string) {
    const call = this.call(e)
    if (!call) return
    const uniqueid = header(e, 'Uniqueid')
    if (uniqueid === call.linkedid) call.hangupRequested = true
    // the network's reason is on the callee's HangupRequest; a SoftHangupRequest is ours (32, 16)
    if (event === 'HangupRequest' && call.callee && uniqueid === call.callee.uniqueid) this.calleeCause(call.callee, e)
  }

  private calleeCause(callee: Callee, e: AmiMessage) {
    const cause = Number(header(e, 'Cause') ?? 0)
    if (cause && callee.cause === null) { callee.cause = cause; callee.causeText = header(e, 'Cause-txt') ?? '' }
  }

  private dialEnd(e: AmiMessage) {
    const call = this.call(e)
    if (!call) return
    const status = header(e, 'DialStatus') ?? ''
    const now = new Date(this.now())
    if (call.originate) {
      if (!call.callee || header(e, 'DestUniqueid') !== call.callee.uniqueid || call.outcome) return
      this.decide(call, outcomeOf(status, call.callee, call.hangupRequested), now)
      return
    }
    const dest = header(e, 'DestChannel') ?? ''
    if (status === 'ANSWER' && call.hotline && call.answeredAt === null && !isLocal(dest)) {
      call.answeredAt = now.getTime()
      this.report({ type: 'answered', linkedid: call.linkedid, operatorDevice: deviceOf(dest) || null, at: now })
    }
  }

  private decide(call: Call, outcome: OriginateOutcome, at: Date) {
    call.outcome = outcome
    if (outcome === 'answered') call.answeredAt = at.getTime()
    this.report({ type: 'originate', reference: call.originate!, linkedid: call.linkedid, outcome, cause: call.callee?.cause ?? null, at })
  }

  private talkTime(e: AmiMessage) {
    const call = this.call(e)
    const seconds = Number(header(e, 'Value') || NaN)
    if (call && header(e, 'Uniqueid') === call.linkedid && Number.isFinite(seconds)) call.talkSec = seconds
  }

  private durationOf(call: Call, now: number) {
    if (call.answeredAt === null) return 0
    return call.talkSec ?? Math.round((now - call.answeredAt) / 1000)
  }

  private recording(e: AmiMessage) {
    const call = this.call(e)
    if (!call) return
    call.recording = header(e, 'Value') ?? ''
    // the desk hears of a call first, then of its recording
    if (call.rung.size > 0 || call.originate) this.report({ type: 'recording', linkedid: call.linkedid, file: call.recording })
  }

  private originateResponse(e: AmiMessage) {
    const reference = header(e, 'ActionID') ?? ''
    if (!this.pendingOriginates.delete(reference)) return
    const now = new Date(this.now())
    const call = this.calls.get(header(e, 'Uniqueid') ?? '')
    if (header(e, 'Response') === 'Success' && call) {
      call.originate = reference
      call.hotline = false
      this.report({ type: 'dialing', reference, linkedid: call.linkedid, at: now })
      if (call.recording) this.report({ type: 'recording', linkedid: call.linkedid, file: call.recording })
      return
    }
    // the operator's own phone was not picked up (Reason 3), was busy (5) or could not be rung (0, 1, 8)
    this.report({ type: 'originate', reference, linkedid: null, outcome: 'operator_no_answer', cause: null, at: now })
  }

  private hangup(e: AmiMessage) {
    const call = this.call(e)
    if (!call) return
    const uniqueid = header(e, 'Uniqueid') ?? ''
    if (call.callee?.uniqueid === uniqueid) this.calleeCause(call.callee, e)
    call.channels.delete(uniqueid)
    if (uniqueid !== call.linkedid && call.channels.size > 0) return
    this.calls.delete(call.linkedid)
    const now = new Date(this.now())
    const cause = call.callee?.cause ?? Number(header(e, 'Cause') ?? 0)
    const causeText = call.callee?.cause ? call.callee.causeText : header(e, 'Cause-txt') ?? ''
    const durationSec = this.durationOf(call, now.getTime())
    if (call.originate) {
      if (!call.outcome) this.decide(call, outcomeOf('', call.callee, call.hangupRequested), now)
      this.report({ type: 'ended', linkedid: call.linkedid, direction: 'out', cause, causeText, missed: false, durationSec, at: now })
      return
    }
    if (!call.hotline) return
    if (call.rung.size === 0) this.ring(call, null, now)
    this.report({ type: 'ended', linkedid: call.linkedid, direction: 'in', cause, causeText, missed: call.answeredAt === null, durationSec, at: now })
  }

  private ring(call: Call, operatorDevice: string | null, at: Date) {
    const first = call.rung.size === 0
    call.rung.add(operatorDevice ?? '')
    this.report({ type: 'ringing', linkedid: call.linkedid, callerNumber: call.callerNumber, callerName: call.callerName, exten: call.exten, operatorDevice, at })
    if (first && call.recording) this.report({ type: 'recording', linkedid: call.linkedid, file: call.recording })
  }

  /**
   * After a reconnect: calls we knew of before it (`known`) that the PBX no longer has ended while
   * we were away. Calls that began after the snapshot was asked for are left alone.
   */
  reconcile(channels: AmiMessage[], known: Iterable<string>): string[] {
    const alive = new Set(channels.map((c) => header(c, 'Linkedid')))
    const gone = [...known].filter((id) => this.calls.has(id) && !alive.has(id))
    for (const id of gone) this.calls.delete(id)
    return gone
  }

  /**
   * Calls that never reported their end (a lost Hangup, a PBX restarted under us) are closed after
   * `maxAgeMs`, with the reason, so no call stays "ringing" or "dialing" in the log for ever.
   */
  expire(maxAgeMs: number, now = this.now()): string[] {
    const gone: string[] = []
    for (const call of this.calls.values()) {
      if (now - call.startedAt <= maxAgeMs) continue
      this.calls.delete(call.linkedid)
      gone.push(call.linkedid)
      if (!call.hotline && !call.originate) continue
      const at = new Date(now)
      if (call.originate && !call.outcome) this.decide(call, outcomeOf('', call.callee, call.hangupRequested), at)
      this.report({
        type: 'ended', linkedid: call.linkedid, direction: call.originate ? 'out' : 'in', cause: 0, causeText: '', missed: !call.originate && call.answeredAt === null,
        durationSec: this.durationOf(call, now), reason: 'no_end_reported', at,
      })
    }
    return gone
  }
}
