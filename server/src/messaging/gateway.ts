// One interface for every way a text leaves the hospital, chosen by SMS_GATEWAY: an SMPP SMSC,
// a Kannel-style HTTP sendsms, or `log` (the demo: "delivered" at once, readable on the outbox screen).

export type FinalState = 'delivered' | 'failed' | 'expired' | 'rejected'

export interface OutgoingSms {
  /** our outbox id: the HTTP gateway puts it in the delivery-report URL */
  id: number
  from: string
  to: string
  text: string
  receipt: boolean
}

export type SubmitResult =
  | { ok: true; gatewayIds: string[] }
  /** temporary: the same message may be tried again later (throttled, queue full, gateway down) */
  | { ok: false; temporary: boolean; error: string; gatewayIds?: string[] }

export interface DeliveryReport {
  /** the id the gateway gave the part, or our own outbox id (HTTP dlr-url) */
  gatewayId?: string
  messageId?: number
  state: FinalState | 'pending'
  detail: string
}

export interface InboundSms { from: string; to: string; text: string; gateway: string }

export interface SmsGateway {
  readonly name: string
  submit(sms: OutgoingSms): Promise<SubmitResult>
  /** where the gateway sends what comes back; set once by the worker */
  onReport(handler: (report: DeliveryReport) => void): void
  onInbound(handler: (sms: InboundSms) => void): void
  status(): 'up' | 'down' | 'connecting'
  close(): Promise<void>
}

/** SMPP message_state (and receipt stat:) to our final states; ENROUTE/ACCEPTD say nothing yet. */
export function stateOfReceipt(stat: string | number): FinalState | 'pending' {
  const key = typeof stat === 'number' ? stat : stat.toUpperCase()
  switch (key) {
    case 2: case 'DELIVRD': case 'DELIVERED': return 'delivered'
    case 3: case 'EXPIRED': return 'expired'
    case 8: case 'REJECTD': case 'REJECTED': return 'rejected'
    case 4: case 5: case 7: case 'DELETED': case 'UNDELIV': case 'UNKNOWN': case 'UNDELIVERABLE': return 'failed'
    default: return 'pending'
  }
}

/** The demo gateway: every message is delivered at once, with a receipt, so the whole flow runs without an SMSC. */
export class LogGateway implements SmsGateway {
  readonly name = 'log'
  private reports: ((r: DeliveryReport) => void)[] = []
  private next = 1
  async submit(sms: OutgoingSms): Promise<SubmitResult> {
    const id = `log-${sms.id}-${this.next++}`
    if (sms.receipt) setImmediate(() => { for (const h of this.reports) h({ gatewayId: id, state: 'delivered', detail: 'log gateway' }) })
    return { ok: true, gatewayIds: [id] }
  }
  onReport(handler: (r: DeliveryReport) => void) { this.reports.push(handler) }
  onInbound() {}
  status() { return 'up' as const }
  async close() {}
}
