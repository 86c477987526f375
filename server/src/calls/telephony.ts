// Connects the desk to the phone system: Asterisk when ASTERISK_HOST is set, else the built-in
// simulator (the embedded demo). The telephony module knows nothing of the desk; this is the seam.
import type { Config } from '../config.ts'
import type { TelephonyPort } from './port.ts'
import { Telephony, type CalleeBehaviour } from '../../../telephony/src/index.ts'

/**
 * The demo's discharged patients, as the simulator plays them: by the number's last digit, 0–6 pick up
 * after a few rings and talk a while, 7 rings out, 8 is busy, 9 does not exist. Extensions behave as before.
 */
export function demoCallee(number: string): CalleeBehaviour | undefined {
  if (number.length < 7) return undefined
  const d = Number(number.at(-1))
  if (d === 7) return { kind: 'no_answer' }
  if (d === 8) return { kind: 'busy' }
  if (d === 9) return { kind: 'invalid' }
  return { kind: 'answer', answerAfterMs: 2000 + d * 500, talkMs: 15_000 + d * 2500 }
}

export async function startTelephony(config: Config, warn: (err: unknown) => void, options: { demoPatients?: boolean } = {}): Promise<TelephonyPort & { raw: Telephony }> {
  const t = await Telephony.start({
    asterisk: config.asterisk, hotlineExten: config.hotlineExten, hotlineContext: config.hotlineContext, outboundContext: config.outboundContext,
    recordingsDir: config.recordingsDir, recordingMode: config.recordingMode,
    // the embedded demo: the operator's and the callback agent's phones are registered; patients answer as demoCallee says
    simulator: { registered: ['PJSIP/8001', 'PJSIP/8002'], ...(options.demoPatients ? { callee: demoCallee } : {}) },
  })
  t.on('warning', warn)
  const sim = t.simulator
  return {
    raw: t,
    status: () => t.status(),
    onStatus: (listener) => t.on('status', listener),
    onCall: (listener) => t.onCall(listener),
    originate: (r) => t.originate(r),
    activeLinkedids: () => t.activeLinkedids(),
    simulateIncomingCall: sim
      // the demo's button rings the phone of whoever pressed it, as if only that phone were registered
      ? async (from, options) => { sim.simulateIncomingCall({ from, answerBy: options?.answerBy, talkMs: options?.talkMs, answerAfterMs: 1500, ...(options?.answerBy ? { registered: [options.answerBy] } : {}) }) }
      : undefined,
    close: () => t.close(),
  }
}
