// What a message costs and how it is cut: GSM-7 when every character is in the GSM 03.38 table
// (160 alone, 153 a part), otherwise UCS-2 (70 alone, 67 a part) — any Chinese character makes it
// UCS-2. Parts are cut here, not by the gateway, so the count we show is the count we pay for.

// GSM 03.38 default alphabet, by septet value
const GSM_BASIC = '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà'
// the extension table: each costs two septets (escape + code)
const GSM_EXTENDED: Record<string, number> = { '\f': 0x0a, '^': 0x14, '{': 0x28, '}': 0x29, '\\': 0x2f, '[': 0x3c, '~': 0x3d, ']': 0x3e, '|': 0x40, '€': 0x65 }
const BASIC_INDEX = new Map([...GSM_BASIC].map((c, i) => [c, i] as const))

export type Encoding = 'gsm7' | 'ucs2'
export const MAX_PARTS = 10

export function encodingOf(text: string): Encoding {
  for (const c of text) if (c !== '\x1b' && !BASIC_INDEX.has(c) && !(c in GSM_EXTENDED)) return 'ucs2'
  return 'gsm7'
}

/** GSM septets, one a byte (SMPP carries the default alphabet unpacked). */
export function toGsm7(text: string): Buffer {
  const out: number[] = []
  for (const c of text) {
    if (c in GSM_EXTENDED) out.push(0x1b, GSM_EXTENDED[c]!)
    else out.push(BASIC_INDEX.get(c) ?? 0x3f)
  }
  return Buffer.from(out)
}

export function fromGsm7(bytes: Buffer): string {
  const ext = Object.fromEntries(Object.entries(GSM_EXTENDED).map(([c, v]) => [v, c]))
  let out = ''
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!
    if (b === 0x1b && i + 1 < bytes.length) out += ext[bytes[++i]!] ?? ' '
    else out += GSM_BASIC[b] ?? '?'
  }
  return out
}

export function toUcs2(text: string): Buffer {
  const le = Buffer.from(text, 'utf16le')
  return le.swap16()
}

export function fromUcs2(bytes: Buffer): string {
  const copy = Buffer.from(bytes.subarray(0, bytes.length - (bytes.length % 2)))
  return copy.swap16().toString('utf16le')
}

export interface Segments { encoding: Encoding; characters: number; parts: Buffer[]; perPart: number }

/**
 * The payloads of the parts, without UDH. A part never ends inside an escape pair (GSM-7) or a
 * surrogate pair (UCS-2), so each part decodes alone.
 */
export function segment(text: string): Segments {
  const encoding = encodingOf(text)
  if (encoding === 'gsm7') {
    const units = [...text].map((c) => toGsm7(c))
    const total = units.reduce((n, u) => n + u.length, 0)
    return { encoding, characters: [...text].length, perPart: total <= 160 ? 160 : 153, parts: pack(units, total <= 160 ? 160 : 153) }
  }
  const units = [...text].map((c) => toUcs2(c))
  const total = units.reduce((n, u) => n + u.length, 0) / 2
  // in UTF-16 code units, as a phone counts them
  return { encoding, characters: total, perPart: total <= 70 ? 70 : 67, parts: pack(units, (total <= 70 ? 70 : 67) * 2) }
}

function pack(units: Buffer[], size: number): Buffer[] {
  const parts: Buffer[] = []
  let current: Buffer[] = []
  let used = 0
  for (const u of units) {
    if (used + u.length > size) { parts.push(Buffer.concat(current)); current = []; used = 0 }
    current.push(u); used += u.length
  }
  if (current.length || parts.length === 0) parts.push(Buffer.concat(current))
  return parts
}

export interface Preview { text: string; encoding: Encoding; characters: number; parts: number; perPart: number }
export function preview(text: string): Preview {
  const s = segment(text)
  return { text, encoding: s.encoding, characters: s.characters, parts: s.parts.length, perPart: s.perPart }
}

/** The placeholders a template may use, and what fills them. */
export const PLACEHOLDERS = ['患者姓名', '姓名', '工单号', '时间', '地点', '项目', '医院', '链接', '退订'] as const

const PLACEHOLDER_RE = /\{([^{}]{1,20})\}/g

export function placeholdersOf(body: string): string[] {
  return [...new Set([...body.matchAll(PLACEHOLDER_RE)].map((m) => m[1]!))]
}

export function unknownPlaceholders(body: string): string[] {
  return placeholdersOf(body).filter((p) => !(PLACEHOLDERS as readonly string[]).includes(p))
}

/** Fills a template; a placeholder with no value is named in the error, never sent as "{时间}". */
export function render(body: string, values: Record<string, string>): { text: string; missing: string[] } {
  const missing: string[] = []
  const text = body.replace(PLACEHOLDER_RE, (whole, name: string) => {
    const v = values[name]
    if (v === undefined) { missing.push(name); return whole }
    return v
  })
  return { text, missing }
}

/** Mobile numbers: mainland 1[3-9]xxxxxxxxx, optionally +86/86, or any E.164 number of 8–15 digits. */
export function normaliseMobile(raw: string): string | null {
  const digits = raw.replace(/[\s\-()]/g, '')
  const cn = /^(?:\+?86)?(1[3-9]\d{9})$/.exec(digits)
  if (cn) return cn[1]!
  if (/^\+[1-9]\d{7,14}$/.test(digits)) return digits
  return null
}
