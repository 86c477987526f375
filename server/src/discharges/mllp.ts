// The HIS's ADT feed over MLLP (HL7 v2 minimal lower layer protocol): frames 0x0B … 0x1C 0x0D on a
// TCP connection, each answered by an ACK in order. A frame over 1 MiB is answered AR and the
// connection closed; bytes outside a frame are skipped; nothing a peer sends stops the listener.
import net from 'node:net'
import { buildAck, charsetOf, Hl7Refusal, peekHeader, readAdt, type Hl7Header } from './hl7.ts'
import { checkRecord, RecordError } from './record.ts'
import { applyRecords, type RecordResult, type StayPlanner } from './intake.ts'
import type { DischargeRecord } from './record.ts'
import type { Kysely } from 'kysely'
import type { DB } from '../db/types.ts'

const VT = 0x0b, FS = 0x1c, CR = 0x0d
export const MAX_FRAME = 1024 * 1024

export interface MllpOptions {
  db: Kysely<DB>; planner: StayPlanner; timeZone: string; log: (level: 'info' | 'warn' | 'error', message: string, err?: unknown) => void
  /** stores one checked record and answers what it did; by default its own transaction (startMllp: a GroupCommit) */
  apply?: (record: DischargeRecord) => Promise<RecordResult>
}

/**
 * Messages from several connections that are ready while a transaction is running go together in
 * the next one (intake's bulk path), each ACKed after that commit; one connection alone gets one
 * transaction per message as before. A group that fails in any way is rolled back whole and each of
 * its messages is then applied alone, so each answer (AA, or AE for the one that fails) is its own.
 * One connection's messages never share a group: each waits for its own ACK before the next. Two
 * groups may run at once (on two cores that kept both the server and the database busy).
 */
export class GroupCommit {
  private waiting: { record: DischargeRecord; resolve: (r: RecordResult) => void; reject: (err: unknown) => void }[] = []
  private running = 0
  constructor(private readonly opts: Pick<MllpOptions, 'db' | 'planner' | 'log'>, private readonly inFlight = 2, private readonly maxGroup = 100) {}

  apply = (record: DischargeRecord): Promise<RecordResult> => new Promise((resolve, reject) => {
    this.waiting.push({ record, resolve, reject })
    this.drain()
  })

  private drain() {
    while (this.running < this.inFlight && this.waiting.length) {
      const group = this.waiting.splice(0, this.maxGroup)
      this.running++
      void this.run(group).finally(() => { this.running--; this.drain() })
    }
  }

  private async run(group: GroupCommit['waiting']) {
    if (group.length > 1) {
      let results: RecordResult[] | null = null
      try {
        results = await applyRecords(this.opts.db, group.map((g, i) => ({ index: i, record: g.record })), this.opts.planner)
      } catch (err) {
        this.opts.log('warn', `HL7: a group of ${group.length} messages failed and was rolled back; each is applied alone`, err)
      }
      if (results) {
        const byIndex = new Map(results.map((r) => [r.index, r]))
        group.forEach((g, i) => g.resolve(byIndex.get(i)!))
        return
      }
    }
    for (const g of group) {
      try { g.resolve((await applyRecords(this.opts.db, [{ index: 1, record: g.record }], this.opts.planner))[0]!) } catch (err) { g.reject(err) }
    }
  }
}

/** One decoded frame to its ACK: the same intake as REST and CSV. */
export async function handleFrame(bytes: Buffer, opts: MllpOptions): Promise<string> {
  const peek = peekHeader(bytes)
  let header: Partial<Hl7Header> | null = peek.fields.length ? {
    controlId: peek.fields[9] ?? '', sendingApp: peek.fields[2]?.split('^')[0], sendingFacility: peek.fields[3]?.split('^')[0],
    receivingFacility: peek.fields[5]?.split('^')[0], event: peek.fields[8]?.split('^')[1] ?? '', version: peek.fields[11]?.split('^')[0], charset: peek.fields[17] ?? '',
  } : null
  try {
    if (!header) throw new Hl7Refusal('AR', '100', 'not an HL7 v2 message: it does not begin with MSH')
    const text = new TextDecoder(charsetOf(header.charset ?? ''), { fatal: true }).decode(bytes)
    const { header: full, raw } = readAdt(text)
    header = full
    let record
    try {
      record = checkRecord(raw, { source: full.sendingApp || 'HIS', origin: `hl7:${full.controlId}`, timeZone: opts.timeZone })
    } catch (err) {
      if (err instanceof RecordError) throw new Hl7Refusal('AE', err.message.includes('required') || err.message.includes('needs') ? '101' : '102', `${err.field}: ${err.message}`, hl7Location(err.field))
      throw err
    }
    const result = opts.apply ? await opts.apply(record) : (await applyRecords(opts.db, [{ index: 1, record }], opts.planner))[0]
    const plan = result!.plan
    const what = plan?.taskId && plan.dueDate ? `callback ${plan.taskId} due ${plan.dueDate}${plan.note.includes('无可拨打') ? ', no number' : ''}` : plan?.en ?? ''
    return buildAck('AA', header, `${result!.outcome} stay ${result!.stayId}${what ? `; ${what}` : ''}`)
  } catch (err) {
    if (err instanceof Hl7Refusal) return buildAck(err.code, header, err.message, { code: err.hl7Error, location: err.location })
    if ((err as { code?: string }).code === 'ERR_ENCODING_INVALID_ENCODED_DATA') return buildAck('AR', header, `bytes are not valid ${header?.charset || 'UTF-8'}`, { code: '102', location: 'MSH^1^18' })
    opts.log('error', 'HL7 message failed', err)
    return buildAck('AE', header, 'application error: the message was not stored, send it again', { code: '207', location: '' })
  }
}

const LOCATIONS: Record<string, string> = {
  visitNumber: 'PV1^1^19', mrn: 'PID^1^3', name: 'PID^1^5', sex: 'PID^1^8', birthDate: 'PID^1^7', department: 'PV1^1^10',
  attendingDoctor: 'PV1^1^7', admittedAt: 'PV1^1^44', dischargedAt: 'PV1^1^45', disposition: 'PV1^1^36', phones: 'PID^1^13', patientClass: 'PV1^1^2',
}
const hl7Location = (field: string) => LOCATIONS[field.split(/[.[]/)[0]!] ?? ''

function frame(ack: string): Buffer {
  const body = Buffer.from(ack, 'utf8')
  return Buffer.concat([Buffer.from([VT]), body, Buffer.from([FS, CR])])
}

export interface MllpListener { port: number; close(): Promise<void>; connections(): number }

export async function startMllp(port: number, host: string, options: MllpOptions): Promise<MllpListener> {
  const opts: MllpOptions = { ...options, apply: options.apply ?? new GroupCommit(options).apply }
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.setNoDelay(true)
    socket.setKeepAlive(true, 60_000)
    let chunks: Buffer[] = []
    let size = 0
    let inFrame = false
    let queue = Promise.resolve()
    let closing = false
    const reply = (work: () => Promise<string>) => {
      queue = queue.then(work).then((ack) => { if (!socket.destroyed) socket.write(frame(ack)) }, (err) => opts.log('error', 'MLLP reply failed', err))
    }
    socket.on('data', (data) => {
      if (closing) return
      let i = 0
      while (i < data.length) {
        if (!inFrame) {
          // bytes between frames are noise (a stray newline, a port scanner): skipped
          const start = data.indexOf(VT, i)
          if (start === -1) break
          inFrame = true
          i = start + 1
          continue
        }
        const end = data.indexOf(FS, i)
        const stop = end === -1 ? data.length : end
        size += stop - i
        if (size > MAX_FRAME) {
          const head = Buffer.concat([...chunks, data.subarray(i, Math.min(stop, i + 4096))]).subarray(0, 4096)
          closing = true
          reply(async () => buildAck('AR', headerOf(head), `frame larger than ${MAX_FRAME} bytes: refused, connection closed`, { code: '100', location: '' }))
          queue = queue.then(() => { socket.end() })
          return
        }
        chunks.push(data.subarray(i, stop))
        if (end === -1) break
        const message = Buffer.concat(chunks)
        chunks = []
        size = 0
        inFrame = false
        i = end + 1
        if (data[i] === CR) i++
        reply(() => handleFrame(message, opts))
      }
    })
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
    socket.setTimeout(10 * 60_000, () => socket.end())
  })
  server.on('error', (err) => opts.log('error', 'MLLP listener error', err))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => { server.off('error', reject); resolve() })
  })
  const address = server.address()
  return {
    port: typeof address === 'object' && address ? address.port : port,
    connections: () => sockets.size,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy()
      server.close(() => resolve())
    }),
  }
}

function headerOf(bytes: Buffer): Partial<Hl7Header> | null {
  const { fields } = peekHeader(bytes)
  if (!fields.length) return null
  return { controlId: fields[9] ?? '', sendingApp: fields[2]?.split('^')[0], event: fields[8]?.split('^')[1] ?? '', version: fields[11]?.split('^')[0], charset: fields[17] ?? '' }
}
