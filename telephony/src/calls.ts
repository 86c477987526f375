// The call model: AMI events folded into calls keyed by Linkedid (shared by every leg of a call),
// reported in the desk's terms — ringing (at which operator's phone), answered, ended or missed,
// recorded, and the outcome of a click-to-dial.
import { EventEmitter } from 'node:events'
import { header, type AmiMessage } from './ami-parser.ts'

export type CallEvent =
  | { type: 'ringing'; linkedid: string; callerNumber: string; callerName: string | null; exten: string; operatorDevice: string | null; at: Date }
  | { type: 'answered'; linkedid: string; operatorDevice: string | null; at: Date }
  | { type: 'ended'; linkedid: string; durationSec: number; cause: number; causeText: string; missed: boolean; at: Date }
  | { type: 'recording'; linkedid: string; file: string }
  | { type: 'originate'; reference: string; linkedid: string | null; outcome: 'answered' | 'busy' | 'no_answer' | 'failed'; at: Date }

interface Call {
  linkedid: string
  hotline: boolean
  callerNumber: string
  callerName: string | null
  exten: string
  rang: boolean
  answeredAt: number | null
  originate: string | null
  recording: string | null
  channels: Set<string>
}

/** `PJSIP/8001-0000001a` → `PJSIP/8001`: the device behind a channel. */
export const deviceOf = (channel: string) => channel.replace(/-[0-9a-f]{8}(;\d)?$/i, '')
const unknown = (v: string | undefined) => (!v || v === '<unknown>' ? null : v)

export class CallModel extends EventEmitter {
  private calls = new Map<string, Call>()
  private pendingOriginates = new Set<string>()

  constructor(private readonly o: { hotlineExten: string; hotlineContext: string }) { super() }

  onCall(listener: (e: CallEvent) => void) { this.on('call', listener) }
  private report(e: CallEvent) { this.emit('call', e) }

  /** Click-to-dial: the reference is the Originate's ActionID, echoed in OriginateResponse. */
  trackOriginate(reference: string) { this.pendingOriginates.add(reference) }

  get active(): string[] { return [...this.calls.keys()] }

  handle(e: AmiMessage) {
    const linkedid = header(e, 'Linkedid') ?? ''
    const now = new Date()
    switch (header(e, 'Event')) {
      case 'Newchannel': {
        let call = this.calls.get(linkedid)
        if (!call && header(e, 'Uniqueid') === linkedid) {
          call = {
            linkedid, hotline: header(e, 'Exten') === this.o.hotlineExten && header(e, 'Context') === this.o.hotlineContext,
            callerNumber: unknown(header(e, 'CallerIDNum')) ?? '', callerName: unknown(header(e, 'CallerIDName')), exten: header(e, 'Exten') ?? '',
            rang: false, answeredAt: null, originate: null, recording: null, channels: new Set(),
          }
          this.calls.set(linkedid, call)
        }
        call?.channels.add(header(e, 'Channel') ?? '')
        return
      }
      case 'DialBegin': {
        const call = this.calls.get(linkedid)
        if (call?.hotline && !call.originate && !call.rang) this.ring(call, deviceOf(header(e, 'DestChannel') ?? '') || null, now)
        return
      }
      case 'DialEnd': {
        const call = this.calls.get(linkedid)
        if (!call) return
        const status = header(e, 'DialStatus')
        if (call.originate) {
          const outcome = status === 'ANSWER' ? 'answered' : status === 'BUSY' ? 'busy' : status === 'NOANSWER' ? 'no_answer' : 'failed'
          if (outcome === 'answered') call.answeredAt = now.getTime()
          this.report({ type: 'originate', reference: call.originate, linkedid, outcome, at: now })
          call.originate = `${call.originate}:reported`
          return
        }
        if (status === 'ANSWER' && call.hotline && call.answeredAt === null) {
          call.answeredAt = now.getTime()
          this.report({ type: 'answered', linkedid, operatorDevice: deviceOf(header(e, 'DestChannel') ?? '') || null, at: now })
        }
        return
      }
      case 'VarSet': {
        const call = this.calls.get(linkedid)
        if (header(e, 'Variable') !== 'MIXMONITOR_FILENAME' || !call) return
        call.recording = header(e, 'Value') ?? ''
        // the desk hears of a call first, then of its recording
        if (call.rang || !call.hotline || call.originate) this.report({ type: 'recording', linkedid, file: call.recording })
        return
      }
      case 'OriginateResponse': {
        const reference = header(e, 'ActionID') ?? ''
        if (!this.pendingOriginates.delete(reference)) return
        const reason = Number(header(e, 'Reason'))
        const call = this.calls.get(header(e, 'Uniqueid') ?? '')
        if (header(e, 'Response') === 'Success' && call) { call.originate = reference; return }
        // the user's own phone was not picked up (3), was busy (5), or could not be rung at all
        this.report({ type: 'originate', reference, linkedid: null, outcome: reason === 3 ? 'no_answer' : reason === 5 ? 'busy' : 'failed', at: now })
        return
      }
      case 'Hangup': {
        const call = this.calls.get(linkedid)
        if (!call) return
        call.channels.delete(header(e, 'Channel') ?? '')
        if (header(e, 'Uniqueid') !== linkedid && call.channels.size > 0) return
        this.calls.delete(linkedid)
        const cause = Number(header(e, 'Cause') ?? 0)
        if (call.originate && !call.originate.endsWith(':reported')) {
          this.report({ type: 'originate', reference: call.originate, linkedid, outcome: cause === 17 ? 'busy' : cause === 19 ? 'no_answer' : 'failed', at: now })
        }
        if (!call.hotline || call.originate) return
        if (!call.rang) this.ring(call, null, now)
        this.report({
          type: 'ended', linkedid, cause, causeText: header(e, 'Cause-txt') ?? '', missed: call.answeredAt === null,
          durationSec: call.answeredAt === null ? 0 : Math.round((now.getTime() - call.answeredAt) / 1000), at: now,
        })
        return
      }
    }
  }

  private ring(call: Call, operatorDevice: string | null, at: Date) {
    call.rang = true
    this.report({ type: 'ringing', linkedid: call.linkedid, callerNumber: call.callerNumber, callerName: call.callerName, exten: call.exten, operatorDevice, at })
    if (call.recording) this.report({ type: 'recording', linkedid: call.linkedid, file: call.recording })
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
}
