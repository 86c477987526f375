// SMPP 3.4 PDUs, the few an ESME needs: bind_transceiver, submit_sm, deliver_sm, enquire_link,
// unbind, generic_nack and their responses. Written here rather than taken from npm: the codec is
// a couple of hundred lines, and the `smpp` package's latest release (0.5.1) declares node >=0.10
// with no statement of support for Node 20, and leaves splitting long messages to its caller anyway.

export const CMD = {
  generic_nack: 0x80000000,
  bind_transceiver: 0x00000009, bind_transceiver_resp: 0x80000009,
  submit_sm: 0x00000004, submit_sm_resp: 0x80000004,
  deliver_sm: 0x00000005, deliver_sm_resp: 0x80000005,
  enquire_link: 0x00000015, enquire_link_resp: 0x80000015,
  unbind: 0x00000006, unbind_resp: 0x80000006,
} as const

export const STATUS = {
  ESME_ROK: 0x00, ESME_RINVMSGLEN: 0x01, ESME_RINVCMDID: 0x03, ESME_RSYSERR: 0x08, ESME_RINVSRCADR: 0x0a, ESME_RINVDSTADR: 0x0b,
  ESME_RBINDFAIL: 0x0d, ESME_RINVPASWD: 0x0e, ESME_RINVSYSID: 0x0f, ESME_RMSGQFUL: 0x14, ESME_RTHROTTLED: 0x58, ESME_RX_T_APPN: 0x64,
} as const

/** Answers after which the same submit may succeed later; everything else is final for the message. */
export const TEMPORARY_STATUSES: ReadonlySet<number> = new Set([STATUS.ESME_RSYSERR, STATUS.ESME_RMSGQFUL, STATUS.ESME_RTHROTTLED, STATUS.ESME_RX_T_APPN])

export const TLV = { receipted_message_id: 0x001e, message_state: 0x0427, message_payload: 0x0424, sar_msg_ref_num: 0x020c } as const

export interface Pdu { command: number; status: number; sequence: number; body: Buffer }

export const HEADER = 16
/** the largest PDU we accept from a peer; a submit is never near it */
export const MAX_PDU = 64 * 1024

export function encodePdu(command: number, sequence: number, body: Buffer = Buffer.alloc(0), status = 0): Buffer {
  const head = Buffer.alloc(HEADER)
  head.writeUInt32BE(HEADER + body.length, 0)
  head.writeUInt32BE(command >>> 0, 4)
  head.writeUInt32BE(status >>> 0, 8)
  head.writeUInt32BE(sequence >>> 0, 12)
  return Buffer.concat([head, body])
}

/** Takes whole PDUs off the front of a stream buffer; throws on a length no SMPP peer would send. */
export function takePdus(buffer: Buffer): { pdus: Pdu[]; rest: Buffer } {
  const pdus: Pdu[] = []
  let offset = 0
  while (buffer.length - offset >= HEADER) {
    const length = buffer.readUInt32BE(offset)
    if (length < HEADER || length > MAX_PDU) throw new Error(`SMPP: impossible PDU length ${length}`)
    if (buffer.length - offset < length) break
    pdus.push({
      command: buffer.readUInt32BE(offset + 4), status: buffer.readUInt32BE(offset + 8),
      sequence: buffer.readUInt32BE(offset + 12), body: buffer.subarray(offset + HEADER, offset + length),
    })
    offset += length
  }
  return { pdus, rest: buffer.subarray(offset) }
}

const cstring = (s: string) => Buffer.concat([Buffer.from(s, 'latin1'), Buffer.from([0])])

export function bindTransceiver(systemId: string, password: string, systemType = ''): Buffer {
  return Buffer.concat([cstring(systemId), cstring(password), cstring(systemType), Buffer.from([0x34, 0, 0]), cstring('')])
}

export interface SubmitFields {
  source: string
  destination: string
  esmClass: number
  dataCoding: number
  registeredDelivery: number
  shortMessage: Buffer
}

/** source/destination TON and NPI: alphanumeric senders are TON 5, numbers unknown/ISDN */
export function submitSm(f: SubmitFields): Buffer {
  const alpha = /[^\d+]/.test(f.source)
  return Buffer.concat([
    cstring(''), // service_type
    Buffer.from([alpha ? 5 : 0, alpha ? 0 : 1]), cstring(f.source),
    Buffer.from([f.destination.startsWith('+') ? 1 : 0, 1]), cstring(f.destination.replace(/^\+/, '')),
    Buffer.from([f.esmClass, 0, 0]), // esm_class, protocol_id, priority_flag
    cstring(''), cstring(''), // schedule_delivery_time, validity_period
    Buffer.from([f.registeredDelivery, 0, f.dataCoding, 0, f.shortMessage.length]),
    f.shortMessage,
  ])
}

export interface DeliverSm {
  source: string
  destination: string
  esmClass: number
  dataCoding: number
  shortMessage: Buffer
  tlvs: Map<number, Buffer>
}

class Reader {
  offset = 0
  constructor(private readonly buf: Buffer) {}
  byte(): number {
    if (this.offset >= this.buf.length) throw new Error('SMPP: PDU body ends early')
    return this.buf[this.offset++]!
  }
  cstring(max = 256): string {
    const end = this.buf.indexOf(0, this.offset)
    if (end < 0 || end - this.offset > max) throw new Error('SMPP: unterminated C-octet string')
    const s = this.buf.subarray(this.offset, end).toString('latin1')
    this.offset = end + 1
    return s
  }
  bytes(n: number): Buffer {
    if (this.offset + n > this.buf.length) throw new Error('SMPP: PDU body ends early')
    const b = this.buf.subarray(this.offset, this.offset + n)
    this.offset += n
    return b
  }
  get left() { return this.buf.length - this.offset }
}

export function parseDeliverSm(body: Buffer): DeliverSm {
  const r = new Reader(body)
  r.cstring() // service_type
  r.byte(); r.byte(); const source = r.cstring()
  r.byte(); r.byte(); const destination = r.cstring()
  const esmClass = r.byte()
  r.byte(); r.byte() // protocol_id, priority_flag
  r.cstring(); r.cstring() // schedule_delivery_time, validity_period
  r.byte(); r.byte() // registered_delivery, replace_if_present_flag
  const dataCoding = r.byte()
  r.byte() // sm_default_msg_id
  const length = r.byte()
  let shortMessage = r.bytes(length)
  const tlvs = new Map<number, Buffer>()
  while (r.left >= 4) {
    const tag = (r.byte() << 8) | r.byte()
    const len = (r.byte() << 8) | r.byte()
    tlvs.set(tag, r.bytes(len))
  }
  // a long text may come as message_payload with an empty short_message
  if (shortMessage.length === 0 && tlvs.has(TLV.message_payload)) shortMessage = tlvs.get(TLV.message_payload)!
  return { source, destination, esmClass, dataCoding, shortMessage, tlvs }
}

export function readCString(body: Buffer): string {
  const end = body.indexOf(0)
  return body.subarray(0, end < 0 ? body.length : end).toString('latin1')
}

/** The concatenation header we put before each part: IEI 0x00, 8-bit reference, total, index. */
export function concatUdh(reference: number, total: number, index: number): Buffer {
  return Buffer.from([0x05, 0x00, 0x03, reference & 0xff, total, index])
}

/** Strips a UDH (esm_class 0x40) from a received short message. */
export function stripUdh(message: Buffer): Buffer {
  const udhl = message[0] ?? 0
  return message.subarray(Math.min(message.length, udhl + 1))
}
