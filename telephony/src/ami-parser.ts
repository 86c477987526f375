// The AMI wire format: after a one-line banner, messages of "Key: Value" lines (CRLF), each ended
// by a blank line. This parser takes bytes as they come off a socket — split anywhere, LF or CRLF,
// with garbage in between — and never throws; an oversized message is dropped, not buffered.

export interface AmiMessage {
  /** header name → value as sent (real Asterisk spelling); a repeated header keeps every value */
  [header: string]: string | string[]
}

export interface ParserEvents {
  banner(text: string): void
  message(message: AmiMessage): void
  /** something that is not AMI was skipped, or a message exceeded the size limit */
  garbage(reason: string): void
}

export const MAX_MESSAGE_BYTES = 64 * 1024

export class AmiParser {
  private buffer = ''
  private lines: string[] = []
  private size = 0
  private bannerSeen: boolean
  private overflow = false

  constructor(private readonly on: Partial<ParserEvents>, options: { expectBanner?: boolean } = {}) {
    this.bannerSeen = !(options.expectBanner ?? true)
  }

  push(chunk: Buffer | string) {
    this.buffer += typeof chunk === 'string' ? chunk : chunk.toString('utf8')
    let newline: number
    while ((newline = this.buffer.indexOf('\n')) !== -1) {
      const line = this.buffer.slice(0, newline).replace(/\r$/, '')
      this.buffer = this.buffer.slice(newline + 1)
      this.line(line)
    }
    // a peer that never sends a newline must not make us hold its bytes forever
    if (this.buffer.length > MAX_MESSAGE_BYTES) {
      this.buffer = ''
      this.overflow = true
      this.on.garbage?.('line longer than the message limit dropped')
    }
  }

  private line(line: string) {
    if (!this.bannerSeen) {
      this.bannerSeen = true
      if (/^Asterisk Call Manager\//.test(line)) return this.on.banner?.(line)
    }
    if (line === '') return this.finish()
    if (this.overflow) return
    this.size += line.length + 2
    if (this.size > MAX_MESSAGE_BYTES) {
      this.overflow = true
      this.lines = []
      return this.on.garbage?.('message larger than the limit dropped')
    }
    this.lines.push(line)
  }

  private finish() {
    const lines = this.lines
    const dropped = this.overflow
    this.lines = []
    this.size = 0
    this.overflow = false
    if (dropped || lines.length === 0) return
    const message: AmiMessage = {}
    let bad = 0
    for (const line of lines) {
      const colon = line.indexOf(':')
      if (colon <= 0) { bad++; continue }
      const key = line.slice(0, colon).trim()
      const value = line.slice(colon + 1).replace(/^ /, '')
      const had = message[key]
      message[key] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [had, value]
    }
    if (bad) this.on.garbage?.(`${bad} line(s) without a header name skipped`)
    // a response or event from Asterisk, or an action sent to it (the simulator parses those)
    if (message.Response !== undefined || message.Event !== undefined || message.Action !== undefined) this.on.message?.(message)
    else if (Object.keys(message).length) this.on.garbage?.('message without Response, Event or Action skipped')
  }
}

/** One value of a header (the first, if repeated). */
export const header = (m: AmiMessage, name: string): string | undefined => {
  const v = m[name]
  return Array.isArray(v) ? v[0] : v
}

/** Serialises an action the way Asterisk expects it: CRLF lines, a blank line to end. */
export function serializeAction(fields: Record<string, string | number | string[] | undefined>): string {
  const lines: string[] = []
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue
    for (const v of Array.isArray(value) ? value : [value]) lines.push(`${key}: ${v}`)
  }
  return `${lines.join('\r\n')}\r\n\r\n`
}

export const serializeMessage = serializeAction
