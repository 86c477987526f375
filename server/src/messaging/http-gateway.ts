// Kannel's sendsms over HTTP: GET /cgi-bin/sendsms?username&password&from&to&text&coding=2&charset=UTF-8
// &dlr-mask&dlr-url. Kannel answers 202 "0: Accepted for delivery" (or "3: Queued for later
// delivery"); a 4xx is a refusal of this message, a 5xx or no answer a gateway that may be back
// later. Kannel splits long texts itself. Its delivery reports come back to the dlr-url we give,
// which names our outbox id; replies come to the MO route its sms-service get-url points at.
import { encodingOf } from './text.ts'
import type { DeliveryReport, InboundSms, OutgoingSms, SmsGateway, SubmitResult } from './gateway.ts'

export interface HttpGatewayOptions {
  /** e.g. http://kannel:13013/cgi-bin/sendsms?username=hotline&password=… */
  url: string
  /** our own address as Kannel reaches it, e.g. http://app:3000 */
  callbackBase: string
  callbackSecret: string
  timeoutMs?: number
}

// 1 delivered, 2 not delivered, 4 queued on the SMSC, 8 delivered to the SMSC, 16 not delivered to the SMSC
export const DLR_MASK = 1 + 2 + 4 + 8 + 16

export class HttpGateway implements SmsGateway {
  readonly name = 'http'
  private healthy: 'up' | 'down' = 'up'
  constructor(private readonly options: HttpGatewayOptions) {}

  status() { return this.healthy }
  // reports and replies arrive on our HTTP routes, which hand them to the service directly
  onReport(_handler: (r: DeliveryReport) => void) {}
  onInbound(_handler: (m: InboundSms) => void) {}

  dlrUrl(id: number): string {
    const u = new URL('/api/sms/kannel/dlr', this.options.callbackBase)
    // Kannel fills %d (the report type) and %A (the SMSC's answer) when it calls
    return `${u.href}?secret=${encodeURIComponent(this.options.callbackSecret)}&id=${id}&type=%d&answer=%A`
  }

  async submit(sms: OutgoingSms): Promise<SubmitResult> {
    const u = new URL(this.options.url)
    if (!u.pathname || u.pathname === '/') u.pathname = '/cgi-bin/sendsms'
    u.searchParams.set('from', sms.from)
    u.searchParams.set('to', sms.to)
    u.searchParams.set('text', sms.text)
    u.searchParams.set('charset', 'UTF-8')
    // 0: the default GSM alphabet, 2: UCS-2
    u.searchParams.set('coding', encodingOf(sms.text) === 'ucs2' ? '2' : '0')
    if (sms.receipt) {
      u.searchParams.set('dlr-mask', String(DLR_MASK))
      u.searchParams.set('dlr-url', this.dlrUrl(sms.id))
    }
    let res: Response
    try {
      res = await fetch(u, { signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000) })
    } catch (err) {
      this.healthy = 'down'
      return { ok: false, temporary: true, error: `gateway down: ${(err as Error).message}` }
    }
    const body = (await res.text().catch(() => '')).trim().slice(0, 200)
    this.healthy = 'up'
    if (res.status === 202 || res.status === 200) {
      // "0: Accepted for delivery", "3: Queued for later delivery"; anything else is not Kannel's yes
      if (/^[03]:/.test(body)) return { ok: true, gatewayIds: [] }
      return { ok: false, temporary: false, error: `sendsms answered ${res.status} "${body}"` }
    }
    const temporary = res.status >= 500 || res.status === 429
    return { ok: false, temporary, error: `sendsms answered ${res.status} "${body}"` }
  }

  async close() {}
}

/** Kannel's report types to our states: final ones only; 4 and 8 say it is on its way. */
export function stateOfKannelType(type: number): DeliveryReport['state'] {
  if (type & 1) return 'delivered'
  if (type & 2 || type & 16) return 'failed'
  return 'pending'
}
