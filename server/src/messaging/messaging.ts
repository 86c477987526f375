// The SMS channel as the app starts it: the gateway SMS_GATEWAY names, the rules, the worker.
import type { Kysely } from 'kysely'
import type { DB } from '../db/types.ts'
import type { Config } from '../config.ts'
import { LogGateway, type SmsGateway } from './gateway.ts'
import { HttpGateway } from './http-gateway.ts'
import { SmppGateway } from './smpp/client.ts'
import { DEFAULT_OPT_OUT_KEYWORDS, Messaging } from './messaging.service.ts'
import { parseWindow } from './quiet-hours.ts'
import { SendingWorker } from './worker.ts'

export function createGateway(config: Config): SmsGateway {
  const spec = config.sms.gateway
  if (spec === 'log') return new LogGateway()
  if (spec.startsWith('smpp://')) return SmppGateway.fromUrl(spec)
  if (spec.startsWith('http://') || spec.startsWith('https://')) {
    return new HttpGateway({ url: spec, callbackBase: config.sms.callbackBase, callbackSecret: config.sms.callbackSecret ?? '' })
  }
  throw new Error(`SMS_GATEWAY: expected log, smpp://system_id:password@host:port or a Kannel sendsms http(s):// URL, got "${spec.replace(/\/\/[^@]*@/, '//…@')}"`)
}

export interface MessagingOptions {
  gateway?: SmsGateway
  /** the clock: tests move it */
  now?: () => Date
  /** false: no timer; tests call worker.tick() */
  worker?: boolean
  onError?: (err: unknown) => void
}

export function startMessaging(db: Kysely<DB>, config: Config, options: MessagingOptions = {}) {
  const gateway = options.gateway ?? createGateway(config)
  const messaging = new Messaging(db, {
    sender: config.sms.sender, window: parseWindow(config.sms.quietHours), timeZone: config.timeZone, hospitalName: config.hospitalName,
    optOutKeywords: [...DEFAULT_OPT_OUT_KEYWORDS, ...config.sms.optOutKeywords], now: options.now ?? (() => new Date()),
  })
  const worker = new SendingWorker(db, messaging, gateway, { intervalMs: config.sms.intervalMs, onError: options.onError })
  if (options.worker !== false) {
    if (gateway instanceof SmppGateway) gateway.start().catch((err) => options.onError?.(err))
    worker.start()
  }
  return {
    messaging, worker, gateway,
    async stop() { await worker.stop(); await gateway.close() },
  }
}
export type MessagingRuntime = ReturnType<typeof startMessaging>
