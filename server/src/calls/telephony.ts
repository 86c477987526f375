// Connects the desk to the phone system: Asterisk when ASTERISK_HOST is set, else the built-in
// simulator (the embedded demo). The telephony module knows nothing of the desk; this is the seam.
import type { Config } from '../config.ts'
import type { TelephonyPort } from './port.ts'
import { Telephony } from '../../../telephony/src/index.ts'

export async function startTelephony(config: Config, warn: (err: unknown) => void): Promise<TelephonyPort & { raw: Telephony }> {
  const t = await Telephony.start({
    asterisk: config.asterisk, hotlineExten: config.hotlineExten, hotlineContext: config.hotlineContext, outboundContext: config.outboundContext,
    recordingsDir: config.recordingsDir, recordingMode: config.recordingMode,
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
