// The sending worker: claims due messages (FOR UPDATE SKIP LOCKED, so instances never share a
// row), hands them to the gateway, and records what it said. A database that blinks fails a
// round, never the process: each round's error is caught and the next round tries again, and an
// outcome the gateway already gave is kept in memory and recorded when the database is back, so
// a message that left is never sent a second time.
import type { Kysely } from 'kysely'
import type { DB } from '../db/types.ts'
import { heldUntil } from './quiet-hours.ts'
import type { SmsGateway, SubmitResult } from './gateway.ts'
import type { Messaging } from './messaging.service.ts'
import type { SmsMessageRow } from './messaging.types.ts'
import { claimDue, markFinal, markHeld, markRetry, markSubmitted } from './messaging.queries.ts'

export interface WorkerOptions {
  batch?: number
  intervalMs?: number
  /** a claimed message not recorded within this is taken again (its worker died mid-send) */
  leaseMs?: number
  maxAttempts?: number
  onError?: (err: unknown) => void
}

/** 30 s, 1 min, 2 min … at most 30 min between tries */
export const backoffMs = (attempt: number) => Math.min(30 * 60_000, 30_000 * 2 ** Math.max(0, attempt - 1))

export class SendingWorker {
  private timer: ReturnType<typeof setTimeout> | undefined
  private stopped = false
  private round: Promise<number> | null = null
  /** outcomes the gateway gave that the database has not taken yet */
  private unrecorded = new Map<number, { row: SmsMessageRow; result: SubmitResult }>()
  readonly batch: number
  readonly leaseMs: number
  readonly maxAttempts: number

  constructor(private readonly db: Kysely<DB>, private readonly messaging: Messaging, private readonly gateway: SmsGateway, private readonly options: WorkerOptions = {}) {
    this.batch = options.batch ?? 50
    this.leaseMs = options.leaseMs ?? 5 * 60_000
    this.maxAttempts = options.maxAttempts ?? 8
    gateway.onReport((report) => { void this.withRetry(() => messaging.report(report)) })
    gateway.onInbound((sms) => { void this.withRetry(() => messaging.inbound(sms)) })
  }

  get pendingRecords() { return this.unrecorded.size }

  start() {
    this.stopped = false
    const loop = () => {
      if (this.stopped) return
      this.timer = setTimeout(async () => { await this.tick(); loop() }, this.options.intervalMs ?? 1000)
      this.timer.unref()
    }
    loop()
  }

  async stop() {
    this.stopped = true
    clearTimeout(this.timer)
    await this.round?.catch(() => 0)
  }

  /** One round: record what is owed, claim, send, record. Never throws; answers how many were sent. */
  tick(): Promise<number> {
    if (this.round) return this.round
    this.round = this.runRound().catch((err) => { this.options.onError?.(err); return 0 }).finally(() => { this.round = null })
    return this.round
  }

  private async runRound(): Promise<number> {
    await this.recordOwed()
    if (this.unrecorded.size) return 0
    const now = this.messaging.settings.now()
    const rows = await claimDue(this.db, now, this.batch, this.leaseMs, this.gateway.name)
    if (rows.length === 0) return 0
    const settings = this.messaging.settings
    let sent = 0
    await Promise.all(rows.map(async (row) => {
      // the hours are checked again as it leaves: a retry may fall after the window closed
      const held = row.category === 'transactional' ? null : heldUntil(now, settings.window, settings.timeZone)
      if (held) { await this.record(row, null, held); return }
      const result = await this.gateway.submit({ id: row.id, from: row.sender, to: row.recipient, text: row.text, receipt: true })
        .catch((err: Error): SubmitResult => ({ ok: false, temporary: true, error: err.message }))
      if (result.ok) sent++
      this.unrecorded.set(row.id, { row, result })
      await this.record(row, result)
    }))
    await this.messaging.retryEarlyReports().catch((err) => this.options.onError?.(err))
    return sent
  }

  private async recordOwed() {
    for (const { row, result } of [...this.unrecorded.values()]) await this.record(row, result)
  }

  private async record(row: SmsMessageRow, result: SubmitResult | null, held?: Date) {
    const now = this.messaging.settings.now()
    try {
      if (held) await markHeld(this.db, row.id, now, held)
      else if (result!.ok) await markSubmitted(this.db, row.id, now, result!.gatewayIds)
      else if (result!.temporary && row.attempts < this.maxAttempts) await markRetry(this.db, row.id, now, new Date(now.getTime() + backoffMs(row.attempts)), result!.error)
      else await markFinal(this.db, row.id, now, result!.temporary ? 'failed' : 'rejected', result!.error)
      this.unrecorded.delete(row.id)
    } catch (err) {
      // kept for the next round; the row stays 'sending' under its lease meanwhile
      this.options.onError?.(err)
    }
  }

  /** A receipt or a reply the SMSC handed us, stored once the database answers (tried for two minutes). */
  private async withRetry(fn: () => Promise<unknown>) {
    const until = Date.now() + 120_000
    for (let delay = 250; ; delay = Math.min(4000, delay * 2)) {
      try { await fn(); return } catch (err) {
        this.options.onError?.(err)
        if (this.stopped || Date.now() > until) return
        await new Promise((r) => setTimeout(r, delay))
      }
    }
  }
}
