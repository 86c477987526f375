// HL7 v2 ADT to a discharge record, and the ACK back. Parsing (segments, fields, repetitions,
// components, escapes) is node-hl7-client's; which field means what for a stay is ours.
import { Message } from 'node-hl7-client'
import { checkDate, EVENTS, type RawDischarge } from './record.ts'

export interface Hl7Header { controlId: string; event: string; type: string; version: string; sendingApp: string; sendingFacility: string; receivingApp: string; receivingFacility: string; charset: string }
export class Hl7Refusal extends Error {
  /** AR: not HL7, or a message we do not take; AE: understood but not processable */
  constructor(readonly code: 'AR' | 'AE', readonly hl7Error: string, message: string, readonly location = '') { super(message) }
}

type Node = ReturnType<Message['get']>
/** A field's repetitions, each a list of components (first subcomponent, escapes decoded). */
const reps = (node: Node): string[][] => node.toArray().map((r) => r.toArray().map((c) => c.toString()))
const first = (node: Node, component = 1) => reps(node)[0]?.[component - 1] ?? ''
const person = (c: string[] | undefined) => {
  if (!c) return ''
  const family = c[1] ?? '', given = c[2] ?? ''
  const name = /[\u3400-\u9fff]/.test(family + given) ? `${family}${given}` : [given, family].filter(Boolean).join(' ')
  return name || (c[0] ?? '')
}

/** MSH-18 to an encoding TextDecoder knows. Unknown names are refused rather than guessed. */
export function charsetOf(msh18: string): string {
  const name = msh18.trim().toUpperCase()
  if (name === '' || name === 'ASCII' || name === 'UNICODE UTF-8' || name === 'UTF-8' || name === 'UTF8') return 'utf-8'
  if (name.startsWith('GB') && /18030|GBK|2312/.test(name.replace(/\s/g, ''))) return 'gb18030'
  if (name === '8859/1') return 'latin1'
  throw new Hl7Refusal('AR', '203', `character set ${msh18} is not supported (UNICODE UTF-8, GB 18030-2000 or ASCII)`, 'MSH^1^18')
}

/** The MSH fields needed before the message can even be decoded, read from the raw bytes. */
export function peekHeader(bytes: Buffer): { fields: string[]; charset: string | null } {
  const end = bytes.findIndex((b) => b === 0x0d || b === 0x0a)
  const line = bytes.subarray(0, end === -1 ? Math.min(bytes.length, 2048) : end).toString('latin1')
  if (!line.startsWith('MSH') || line.length < 8) return { fields: [], charset: null }
  const fields = line.split(line[3]!)
  // fields[0] is "MSH": MSH-1 is the separator itself, so MSH-n is fields[n - 1]
  let charset: string | null = null
  try { charset = charsetOf(fields[17] ?? '') } catch { charset = null }
  return { fields, charset }
}

/** HL7 DTM (YYYY[MM[DD[HHMM[SS[.S]]]]][+/-ZZZZ]) to the REST shape; a date that does not exist is refused. */
export function hl7Time(value: string, where: string): string | null {
  if (!value) return null
  const m = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.\d+)?([+-]\d{4})?$/.exec(value)
  // ERR-2 names the place as SEG^1^FIELD; the text keeps the way people write it (PV1-45)
  const location = where.replace(/^(\w{3})(?:\((\d+)\))?-(\d+)$/, (_, seg: string, n: string | undefined, field: string) => `${seg}^${n ?? 1}^${field}`)
  if (!m) throw new Hl7Refusal('AE', '102', `${where} is not an HL7 date-time: ${value}`, location)
  const [y, mo = '01', d = '01', h = '00', mi = '00', s = '00'] = m.slice(1, 7).map((x) => x ?? undefined) as string[]
  if (!checkDate(Number(y), Number(mo), Number(d)) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) throw new Hl7Refusal('AE', '102', `${where} is a date that does not exist: ${value}`, location)
  const offset = m[7] ? `${m[7].slice(0, 3)}:${m[7].slice(3)}` : ''
  return `${y}-${mo}-${d}T${h}:${mi}:${s}${offset}`
}

const USE_OF: Record<string, 'mobile' | 'home' | 'work' | 'relative'> = { CP: 'mobile', BP: 'mobile', PRN: 'home', ORN: 'home', VHN: 'home', WPN: 'work' }

function phonesOf(msg: Message): { use: string; number: string }[] {
  const out: { use: string; number: string }[] = []
  const add = (node: Node, fallback: 'home' | 'work' | 'relative') => {
    for (const c of reps(node)) {
      // XTN-1 is the formatted number; from 2.5 on it may be empty with XTN-12 (unformatted) or 6/7 (area, local)
      const number = (c[0] || c[11] || `${c[5] ?? ''}${c[6] ?? ''}`).trim()
      if (!number || c[2] === 'Internet' || c[2] === 'X.400' || c[1] === 'NET') continue
      out.push({ use: fallback === 'relative' ? 'relative' : USE_OF[c[2] ?? ''] ?? USE_OF[c[1] ?? ''] ?? fallback, number })
    }
  }
  add(msg.get('PID.13'), 'home')
  add(msg.get('PID.14'), 'work')
  for (const nk1 of msg.get('NK1').toArray()) add(nk1.get(5), 'relative')
  return out.slice(0, 5)
}

/** Parses one decoded message: its header and the record intake checks. Throws Hl7Refusal. */
export function readAdt(text: string): { header: Hl7Header; raw: RawDischarge } {
  // segments end in \r on the wire; \r\n and \n are taken too
  const normalised = text.replace(/\r\n|\n/g, '\r').replace(/\r+$/, '')
  if (!normalised.startsWith('MSH')) throw new Hl7Refusal('AR', '100', 'not an HL7 v2 message: it does not begin with MSH')
  let msg: Message
  try { msg = new Message({ text: normalised }) } catch (err) { throw new Hl7Refusal('AR', '100', `not an HL7 v2 message: ${(err as Error).message}`) }
  const header: Hl7Header = {
    controlId: first(msg.get('MSH.10')), type: first(msg.get('MSH.9'), 1), event: first(msg.get('MSH.9'), 2), version: first(msg.get('MSH.12')),
    sendingApp: first(msg.get('MSH.3')), sendingFacility: first(msg.get('MSH.4')), receivingApp: first(msg.get('MSH.5')), receivingFacility: first(msg.get('MSH.6')),
    charset: first(msg.get('MSH.18')),
  }
  if (!header.controlId) throw new Hl7Refusal('AR', '101', 'MSH-10 (message control id) is empty', 'MSH^1^10')
  if (!/^2\.[1-8](\.\d)?$/.test(header.version)) throw new Hl7Refusal('AR', '203', `HL7 version ${header.version || '(none)'} is not supported (2.1–2.8)`, 'MSH^1^12')
  if (header.type !== 'ADT') throw new Hl7Refusal('AR', '200', `message type ${header.type || '(none)'} is not accepted: only ADT`, 'MSH^1^9')
  if (!(EVENTS as readonly string[]).includes(header.event)) throw new Hl7Refusal('AR', '201', `event ${header.event || '(none)'} is not accepted: ADT ${EVENTS.join(', ')}`, 'MSH^1^9^2')
  if (!msg.exists('PID')) throw new Hl7Refusal('AE', '100', 'PID segment missing', 'PID')
  if (!msg.exists('PV1')) throw new Hl7Refusal('AE', '100', 'PV1 segment missing', 'PV1')

  const ids = reps(msg.get('PID.3'))
  const mrn = (ids.find((c) => c[4] === 'MR' || c[4] === 'PI') ?? ids.find((c) => c[0]))?.[0] ?? ''
  const pv1 = (n: number, c = 1) => first(msg.get(`PV1.${n}`), c)
  const location = reps(msg.get('PV1.3'))[0] ?? []
  const sex = first(msg.get('PID.8')).toUpperCase()
  const nurse = msg.get('ROL').toArray().find((rol) => /NUR|RN/i.test(first(rol.get(3))))
  const raw: RawDischarge = {
    source: header.sendingApp || 'HIS',
    event: header.event,
    visitNumber: pv1(19),
    mrn,
    name: person([mrn, ...(reps(msg.get('PID.5'))[0] ?? [])]),
    sex: ['F', 'M', 'O', 'U'].includes(sex) ? sex : 'U',
    birthDate: hl7Time(first(msg.get('PID.7')), 'PID-7')?.slice(0, 10) ?? null,
    deceased: first(msg.get('PID.30')).toUpperCase() === 'Y',
    phones: phonesOf(msg),
    department: pv1(10) || location[8] || location[0] || '',
    ward: location[0] || null,
    bed: location[2] || null,
    attendingDoctor: person(reps(msg.get('PV1.7'))[0]) || null,
    responsibleNurse: nurse ? person(reps(nurse.get(4))[0]) || null : null,
    patientClass: pv1(2) || null,
    admittedAt: hl7Time(pv1(44), 'PV1-44'),
    dischargedAt: hl7Time(pv1(45), 'PV1-45'),
    disposition: pv1(36) || null,
    diagnoses: msg.get('DG1').toArray().map((dg1) => { const c = reps(dg1.get(3))[0] ?? []; return { code: c[0] ?? '', text: c[1] || first(dg1.get(4)) } }).filter((d) => d.code),
    procedures: msg.get('PR1').toArray().map((pr1, i) => {
      const c = reps(pr1.get(3))[0] ?? []
      return { code: c[0] ?? '', text: c[1] || first(pr1.get(4)), performedAt: hl7Time(first(pr1.get(5)), `PR1(${i + 1})-5`) ?? '' }
    }).filter((p) => p.code),
  }
  return { header, raw }
}

let sequence = 0
const instance = Math.random().toString(36).slice(2, 6).toUpperCase()

const hl7Now = () => new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)
/** Escapes text for a field; the ACK's own text is ASCII so it reads the same in any MSH-18. */
const esc = (s: string) => s.replace(/\\/g, '\\E\\').replace(/\|/g, '\\F\\').replace(/\^/g, '\\S\\').replace(/&/g, '\\T\\').replace(/~/g, '\\R\\').replace(/[\r\n]/g, ' ').replace(/[^\x20-\x7e]/g, '?')

export function buildAck(code: 'AA' | 'AE' | 'AR', header: Partial<Hl7Header> | null, text: string, error?: { code: string; location: string }): string {
  const id = `H100${instance}${Date.now().toString(36).toUpperCase()}${(++sequence).toString(36).toUpperCase()}`
  const h = header ?? {}
  const version = h.version && /^2\.[1-8]/.test(h.version) ? h.version : '2.5'
  const segments = [
    ['MSH', '^~\\&', 'HOTLINE100', esc(h.receivingFacility ?? ''), esc(h.sendingApp ?? ''), esc(h.sendingFacility ?? ''), hl7Now(), '', `ACK^${esc(h.event ?? '')}^ACK`, id, 'P', version, '', '', '', '', '', esc(h.charset ?? '')].join('|').replace(/\|+$/, ''),
    ['MSA', code, esc(h.controlId ?? ''), esc(text).slice(0, 80)].join('|'),
  ]
  if (error) segments.push(['ERR', '', error.location.replace(/[^A-Z0-9^()-]/g, ''), `${error.code}^${esc(text).slice(0, 60)}^HL70357`, code === 'AR' ? 'E' : 'E', '', '', '', esc(text).slice(0, 250)].join('|'))
  return segments.join('\r') + '\r'
}
