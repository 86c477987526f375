// An SMPP 3.4 transceiver: one bound connection that submits, and hears receipts and replies.
// A window caps the submits awaiting their answer; a throttled or queue-full answer pauses the
// whole window and the same part is submitted again, so no part (and no receipt's record) is lost.
// enquire_link keeps the bind alive and finds a dead peer; a lost connection is re-bound with backoff.
import { Socket, connect } from 'node:net'
import { CMD, STATUS, TEMPORARY_STATUSES, TLV, bindTransceiver, concatUdh, encodePdu, parseDeliverSm, readCString, stripUdh, submitSm, takePdus, type Pdu } from './pdu.ts'
import { fromGsm7, fromUcs2, segment } from '../text.ts'
import { stateOfReceipt, type DeliveryReport, type InboundSms, type OutgoingSms, type SmsGateway, type SubmitResult } from '../gateway.ts'

export interface SmppOptions {
  host: string
  port: number
  systemId: string
  password: string
  systemType?: string
  /** submits awaiting submit_sm_resp at once */
  window?: number
  enquireLinkMs?: number
  /** an answer not come within this is a dead link */
  responseTimeoutMs?: number
  /** how long a part may keep being throttled before the message is handed back to retry later */
  throttleGiveUpMs?: number
}

interface Waiting { resolve: (pdu: Pdu) => void; reject: (err: Error) => void; timer: ReturnType<typeof setTimeout> }
interface Queued { run: () => void }

export class SmppGateway implements SmsGateway {
  readonly name = 'smpp'
  private socket: Socket | null = null
  private state: 'down' | 'connecting' | 'up' = 'down'
  private sequence = 0
  private buffer = Buffer.alloc(0)
  private waiting = new Map<number, Waiting>()
  private inFlight = 0
  private queue: Queued[] = []
  private pausedUntil = 0
  private reference = Math.floor(Math.random() * 256)
  private reports: ((r: DeliveryReport) => void)[] = []
  private inbound: ((m: InboundSms) => void)[] = []
  private keepalive: ReturnType<typeof setInterval> | undefined
  private reconnect: ReturnType<typeof setTimeout> | undefined
  private delay = 500
  private closed = false
  private ready: Promise<void> | null = null
  private readonly window: number
  /** counts for the bench and the tests */
  readonly stats = { submitted: 0, throttled: 0, reconnects: 0 }

  constructor(private readonly options: SmppOptions) {
    this.window = options.window ?? 10
  }

  static fromUrl(url: string, extra: Partial<SmppOptions> = {}): SmppGateway {
    const u = new URL(url)
    return new SmppGateway({
      host: u.hostname, port: Number(u.port || 2775), systemId: decodeURIComponent(u.username), password: decodeURIComponent(u.password),
      window: u.searchParams.has('window') ? Number(u.searchParams.get('window')) : undefined,
      systemType: u.searchParams.get('system_type') ?? undefined, ...extra,
    })
  }

  status() { return this.state }
  onReport(handler: (r: DeliveryReport) => void) { this.reports.push(handler) }
  onInbound(handler: (m: InboundSms) => void) { this.inbound.push(handler) }

  /** Binds now (the worker calls it at start; a submit while down binds too). */
  start(): Promise<void> {
    if (this.state === 'up') return Promise.resolve()
    if (!this.ready) this.ready = this.open().finally(() => { this.ready = null })
    return this.ready
  }

  private open(): Promise<void> {
    this.state = 'connecting'
    return new Promise<void>((resolve, reject) => {
      const socket = connect({ host: this.options.host, port: this.options.port })
      this.socket = socket
      socket.setNoDelay(true)
      let bound = false
      const fail = (err: Error) => {
        if (this.socket !== socket) return
        this.lost(err)
        if (!bound) reject(err)
      }
      socket.on('error', fail)
      socket.on('close', () => fail(new Error('SMPP connection closed')))
      socket.on('data', (chunk) => {
        this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk
        try {
          const { pdus, rest } = takePdus(this.buffer)
          this.buffer = Buffer.from(rest)
          for (const pdu of pdus) this.handle(pdu)
        } catch (err) {
          socket.destroy()
          fail(err as Error)
        }
      })
      socket.once('connect', () => {
        this.request(CMD.bind_transceiver, bindTransceiver(this.options.systemId, this.options.password, this.options.systemType)).then((resp) => {
          if (resp.status !== STATUS.ESME_ROK) {
            const err = new Error(`SMPP bind refused: status 0x${resp.status.toString(16)}`)
            socket.destroy()
            fail(err)
            return
          }
          bound = true
          this.state = 'up'
          this.delay = 500
          this.keepalive = setInterval(() => {
            this.request(CMD.enquire_link).catch(() => socket.destroy())
          }, this.options.enquireLinkMs ?? 30_000)
          this.keepalive.unref()
          resolve()
          this.pump()
        }, fail)
      })
    })
  }

  private lost(err: Error) {
    this.socket = null
    this.state = 'down'
    this.buffer = Buffer.alloc(0)
    clearInterval(this.keepalive)
    for (const [, w] of this.waiting) { clearTimeout(w.timer); w.reject(err) }
    this.waiting.clear()
    if (this.closed) return
    clearTimeout(this.reconnect)
    // re-bound with backoff, doubling from 0.5 s to 30 s
    this.reconnect = setTimeout(() => { this.stats.reconnects++; this.start().catch(() => {}) }, this.delay)
    this.reconnect.unref()
    this.delay = Math.min(30_000, this.delay * 2)
  }

  private request(command: number, body?: Buffer): Promise<Pdu> {
    const socket = this.socket
    if (!socket) return Promise.reject(new Error('SMPP not connected'))
    const sequence = this.sequence = (this.sequence % 0x7ffffffe) + 1
    return new Promise<Pdu>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(sequence)
        reject(new Error(`SMPP: no answer to 0x${command.toString(16)} in time`))
        // a peer that stops answering is as good as gone
        socket.destroy()
      }, this.options.responseTimeoutMs ?? 10_000)
      this.waiting.set(sequence, { resolve, reject, timer })
      socket.write(encodePdu(command, sequence, body))
    })
  }

  private handle(pdu: Pdu) {
    if (pdu.command & 0x80000000) {
      const w = this.waiting.get(pdu.sequence)
      if (!w) return
      this.waiting.delete(pdu.sequence)
      clearTimeout(w.timer)
      w.resolve(pdu)
      return
    }
    switch (pdu.command) {
      case CMD.enquire_link: this.answer(CMD.enquire_link_resp, pdu.sequence); return
      case CMD.unbind: this.answer(CMD.unbind_resp, pdu.sequence); this.socket?.end(); return
      case CMD.deliver_sm: {
        let parsed
        try { parsed = parseDeliverSm(pdu.body) } catch {
          this.answer(CMD.deliver_sm_resp, pdu.sequence, Buffer.from([0]), STATUS.ESME_RINVMSGLEN)
          return
        }
        // answered first: the SMSC must not resend because we were slow to store it
        this.answer(CMD.deliver_sm_resp, pdu.sequence, Buffer.from([0]))
        if (parsed.esmClass & 0x3c) this.receipt(parsed)
        else {
          const payload = parsed.esmClass & 0x40 ? stripUdh(parsed.shortMessage) : parsed.shortMessage
          const text = parsed.dataCoding === 8 ? fromUcs2(payload) : parsed.dataCoding === 0 ? fromGsm7(payload) : payload.toString('latin1')
          for (const h of this.inbound) h({ from: parsed.source, to: parsed.destination, text, gateway: 'smpp' })
        }
        return
      }
      default:
        this.answer(CMD.generic_nack, pdu.sequence, undefined, STATUS.ESME_RINVCMDID)
    }
  }

  private receipt(d: ReturnType<typeof parseDeliverSm>) {
    const text = d.shortMessage.toString('latin1')
    const idTlv = d.tlvs.get(TLV.receipted_message_id)
    const stateTlv = d.tlvs.get(TLV.message_state)
    const gatewayId = idTlv ? readCString(idTlv) : /\bid:(\S+)/i.exec(text)?.[1]
    const state = stateTlv?.length ? stateOfReceipt(stateTlv[0]!) : stateOfReceipt(/\bstat:(\w+)/i.exec(text)?.[1] ?? '')
    if (!gatewayId) return
    for (const h of this.reports) h({ gatewayId, state, detail: text.slice(0, 200) })
  }

  private answer(command: number, sequence: number, body?: Buffer, status = 0) {
    this.socket?.write(encodePdu(command, sequence, body, status))
  }

  /** Runs queued submits while the window has room and no throttle pause is on. */
  private pump() {
    while (this.state === 'up' && this.inFlight < this.window && this.queue.length) {
      const wait = this.pausedUntil - Date.now()
      if (wait > 0) { setTimeout(() => this.pump(), wait).unref(); return }
      this.inFlight++
      this.queue.shift()!.run()
    }
  }

  private slot<T>(fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run: () => fn().then(resolve, reject).finally(() => { this.inFlight--; this.pump() }) })
      this.pump()
    })
  }

  /** One part, submitted again while the SMSC says throttled or queue full (the window pauses meanwhile). */
  private async submitPart(fields: Parameters<typeof submitSm>[0]): Promise<{ id?: string; status: number }> {
    const giveUp = Date.now() + (this.options.throttleGiveUpMs ?? 10_000)
    let pause = 100
    for (;;) {
      const resp = await this.slot(() => this.request(CMD.submit_sm, submitSm(fields)))
      if (resp.status === STATUS.ESME_ROK) return { id: readCString(resp.body).toLowerCase(), status: 0 }
      if ((resp.status === STATUS.ESME_RTHROTTLED || resp.status === STATUS.ESME_RMSGQFUL) && Date.now() < giveUp) {
        this.stats.throttled++
        this.pausedUntil = Math.max(this.pausedUntil, Date.now() + pause)
        pause = Math.min(2000, pause * 2)
        continue
      }
      return { status: resp.status }
    }
  }

  async submit(sms: OutgoingSms): Promise<SubmitResult> {
    try {
      if (this.state !== 'up') await this.start()
    } catch (err) {
      return { ok: false, temporary: true, error: `gateway down: ${(err as Error).message}` }
    }
    const s = segment(sms.text)
    const dataCoding = s.encoding === 'ucs2' ? 8 : 0
    const total = s.parts.length
    const reference = this.reference = (this.reference + 1) % 256
    const ids: string[] = []
    for (let i = 0; i < total; i++) {
      const shortMessage = total > 1 ? Buffer.concat([concatUdh(reference, total, i + 1), s.parts[i]!]) : s.parts[i]!
      let answer
      try {
        answer = await this.submitPart({ source: sms.from, destination: sms.to, esmClass: total > 1 ? 0x40 : 0, dataCoding, registeredDelivery: sms.receipt ? 1 : 0, shortMessage })
      } catch (err) {
        // nothing of it left us yet: try the whole message again later; else the parts sent are kept
        return { ok: false, temporary: ids.length === 0, error: `SMPP: ${(err as Error).message}`, gatewayIds: ids }
      }
      if (answer.status !== 0) {
        const temporary = ids.length === 0 && TEMPORARY_STATUSES.has(answer.status)
        return { ok: false, temporary, error: `SMPP submit_sm status 0x${answer.status.toString(16).padStart(8, '0')}`, gatewayIds: ids }
      }
      ids.push(answer.id!)
      this.stats.submitted++
    }
    return { ok: true, gatewayIds: ids }
  }

  async close() {
    this.closed = true
    clearTimeout(this.reconnect)
    clearInterval(this.keepalive)
    const socket = this.socket
    if (!socket) return
    try {
      await Promise.race([this.request(CMD.unbind), new Promise((r) => setTimeout(r, 1000))])
    } catch { /* already gone */ }
    socket.destroy()
  }
}
