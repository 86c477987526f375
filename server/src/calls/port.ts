// What the desk needs from a phone system, in the desk's words. telephony/ implements it over
// Asterisk AMI (or its simulator); the server never sees AMI itself.
export type PbxStatus = 'up' | 'down' | 'connecting' | 'none'

// the call model's events, as telephony/ reports them
export type { CallEvent } from '../../../telephony/src/calls.ts'
import type { CallEvent } from '../../../telephony/src/calls.ts'

export interface OriginateRequest {
  /** our reference, echoed back in the 'originate' event */
  reference: string
  /** the operator's own phone, rung first */
  device: string
  number: string
  context: string
  callerId?: string
}

export interface TelephonyPort {
  status(): PbxStatus
  onStatus(listener: (status: PbxStatus) => void): void
  onCall(listener: (event: CallEvent) => void): void
  originate(request: OriginateRequest): Promise<void>
  /** calls still up on the PBX after a reconnect: the others ended while we were away */
  activeLinkedids(): Promise<string[]>
  /** the simulator only: make a hotline call ring from this extension */
  simulateIncomingCall?(from: string, options?: { answerBy?: string; talkMs?: number }): Promise<void>
  close(): Promise<void>
}

/** A caller or callee number as the desk writes it (no +86, no trunk 0 before a mobile). */
export { normaliseNumber } from '../../../telephony/src/calls.ts'
