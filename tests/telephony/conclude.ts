// What a correct client concludes from an AMI stream: the messages fed through the call model, as
// the app would have heard them (originates are the app's own: their ActionIDs are tracked).
import type { AmiMessage } from '../../telephony/src/ami-parser.ts'
import { CallModel, type CallEvent } from '../../telephony/src/calls.ts'

type Of<T extends CallEvent['type']> = Extract<CallEvent, { type: T }>

/** Replays a capture as the app would have heard it; originates are the app's own (their ActionIDs). */
export function conclude(messages: AmiMessage[], o: { hotlineContext?: string } = {}) {
  // a fixed clock: two replays of one capture conclude exactly the same, timestamps included
  const model = new CallModel({ hotlineExten: '100', hotlineContext: o.hotlineContext ?? 'hotline', outboundContext: 'outbound', now: () => 1_796_107_200_000 })
  const seen: CallEvent[] = []
  model.onCall((e) => seen.push(e))
  for (const m of messages) if (m.Event === 'OriginateResponse') model.trackOriginate(String(m.ActionID))
  for (const m of messages) model.handle(m)
  const of = <T extends CallEvent['type']>(type: T) => seen.filter((e) => e.type === type) as Of<T>[]
  return { seen, of, types: seen.map((e) => e.type), active: model.active }
}

/** The conclusions without what differs from one run to the next (ids, times, file names, seconds talked). */
export const gist = (seen: CallEvent[]) => seen.map((e) => {
  switch (e.type) {
    case 'ringing': return { type: e.type, callerNumber: e.callerNumber, operatorDevice: e.operatorDevice }
    case 'answered': return { type: e.type, operatorDevice: e.operatorDevice }
    case 'ended': return { type: e.type, direction: e.direction, missed: e.missed, cause: e.cause }
    case 'originate': return { type: e.type, outcome: e.outcome, cause: e.cause }
    default: return { type: e.type }
  }
})
