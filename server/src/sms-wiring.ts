// Who handles which SMS reply, and which lifecycle moments send one (floor 7: it may know both
// messaging and work orders). The done-survey is found by polling for completed orders, not by a
// live event: NOTIFYs sent while an instance's LISTEN link is down are gone, a row is not.
import type { Kysely } from 'kysely'
import type { DB } from './db/types.ts'
import type { Config } from './config.ts'
import { startMessaging, type MessagingOptions, type MessagingRuntime } from './messaging/messaging.ts'
import { ratingReplyHandler, sweepCompleted } from './workorders/rating-sms.ts'
import { sweepUses } from './sms-uses.ts'
import { smsUseEnabled } from './messaging/messaging.queries.ts'

/** how far back a completion still gets its survey (older ones are not news to the requester) */
const SURVEY_LOOKBACK_MS = 60 * 60_000

export function startSms(db: Kysely<DB>, config: Config, options: MessagingOptions = {}): MessagingRuntime & { sweep: () => Promise<number> } {
  const runtime = startMessaging(db, config, options)
  runtime.messaging.onReply('work_order', ratingReplyHandler(db))
  // the completion time is the database's, so the look-back is measured on the real clock
  const survey = async () => config.sms.ratingRequest && await smsUseEnabled(db, 'order.done')
    ? sweepCompleted(db, runtime.messaging, config.timeZone, new Date(Date.now() - SURVEY_LOOKBACK_MS)) : 0
  // the done survey, then the other uses the administrator switched on (sms-uses.ts)
  const sweep = async () => (await survey()) + (await sweepUses(db, runtime.messaging, config))
  let timer: ReturnType<typeof setInterval> | undefined
  if (options.worker !== false) {
    let busy = false
    timer = setInterval(() => {
      if (busy) return
      busy = true
      // a survey just queued goes now, not a worker interval later
      sweep().then((queued) => { if (queued > 0) return runtime.worker.tick() }).catch((err) => options.onError?.(err)).finally(() => { busy = false })
    }, config.sms.intervalMs)
    timer.unref()
  }
  return {
    ...runtime, sweep,
    async stop() { clearInterval(timer); await runtime.stop() },
  }
}
