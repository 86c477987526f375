// Reading historical orders from spreadsheets: CSV (RFC 4180, header row) or JSON lines, whole
// or as a stream read in pieces, so a file of tens of megabytes is never held as one string.
import { StringDecoder } from 'node:string_decoder'

/** UTF-8 (with or without a BOM) or, failing that, GB18030 (which covers GBK), as Excel in China saves. */
export function decodeCsv(bytes: Buffer): { text: string; encoding: string } {
  try { return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' } } catch {
    return { text: new TextDecoder('gb18030').decode(bytes), encoding: 'gb18030' }
  }
}

export type RawRow = Record<string, unknown>
export type ParsedRow = RawRow | { __error: string }

/** CSV records keyed by the header row, fed text in pieces of any size. Quoted fields may hold commas, quotes ("") and newlines. */
export class CsvReader {
  private names: string[] | null = null
  private row: string[] = []
  private field = ''
  private quoted = false
  // a quote seen inside a quoted field: the end of the field, or the first of a doubled ""
  private quoteSeen = false
  private afterCr = false
  private started = false

  /** The records completed by this piece of text. */
  push(text: string): RawRow[] {
    const out: RawRow[] = []
    let i = 0
    // Excel writes a BOM
    if (!this.started && text.length > 0) { this.started = true; if (text.charCodeAt(0) === 0xfeff) i = 1 }
    for (; i < text.length; i++) {
      const ch = text[i]!
      if (this.afterCr) { this.afterCr = false; if (ch === '\n') continue }
      if (this.quoteSeen) {
        this.quoteSeen = false
        if (ch === '"') { this.field += '"'; continue }
        this.quoted = false
      }
      if (this.quoted) {
        if (ch === '"') this.quoteSeen = true
        else this.field += ch
      } else if (ch === '"' && this.field === '') this.quoted = true
      else if (ch === ',') { this.row.push(this.field); this.field = '' }
      else if (ch === '\n' || ch === '\r') {
        this.afterCr = ch === '\r'
        this.endRow(out)
      } else this.field += ch
    }
    return out
  }

  /** The last record, when the text does not end with a newline. */
  end(): RawRow[] {
    const out: RawRow[] = []
    this.endRow(out)
    return out
  }

  private endRow(out: RawRow[]) {
    this.row.push(this.field)
    this.field = ''
    this.quoted = false
    this.quoteSeen = false
    const values = this.row
    this.row = []
    if (!values.some((f) => f !== '')) return
    if (!this.names) { this.names = values.map((h) => h.trim()); return }
    const names = this.names
    out.push(Object.fromEntries(names.map((n, i) => [n, values[i]?.trim() ?? ''])))
  }
}

/** JSON lines fed in pieces: one object per line; a line that is not an object becomes a row error. */
export class JsonLinesReader {
  private rest = ''

  push(text: string): ParsedRow[] {
    const lines = (this.rest + text).split('\n')
    this.rest = lines.pop()!
    return lines.flatMap(toRow)
  }

  end(): ParsedRow[] {
    const last = this.rest
    this.rest = ''
    return toRow(last)
  }
}

function toRow(line: string): ParsedRow[] {
  if (line.trim() === '') return []
  try {
    const value = JSON.parse(line)
    return [value && typeof value === 'object' && !Array.isArray(value) ? value : { __error: 'line is not a JSON object' }]
  } catch {
    return [{ __error: 'line is not valid JSON' }]
  }
}

export function parseCsv(text: string): Record<string, string>[] {
  const reader = new CsvReader()
  return [...reader.push(text), ...reader.end()] as Record<string, string>[]
}

export function parseJsonLines(text: string): ParsedRow[] {
  const reader = new JsonLinesReader()
  return [...reader.push(text), ...reader.end()]
}

export interface ReadLimits { maxBytes: number; maxRows: number; batchRows: number }
export class ImportTooLarge extends Error {
  constructor(readonly limit: 'bytes' | 'rows', readonly max: number) { super(`more than ${max} ${limit}`) }
}

// text is parsed this much at a time, whatever size of chunk the socket delivers
const SLICE = 64 * 1024

/**
 * The rows of an upload, in batches of at most `batchRows`, read as the bytes arrive. Past
 * `maxBytes` bytes or `maxRows` rows it throws ImportTooLarge and reads no further.
 */
export async function* readRows(body: AsyncIterable<Buffer | string>, format: 'csv' | 'jsonl', limits: ReadLimits): AsyncGenerator<ParsedRow[]> {
  const reader = format === 'csv' ? new CsvReader() : new JsonLinesReader()
  const decoder = new StringDecoder('utf8')
  let bytes = 0
  let rows = 0
  let batch: ParsedRow[] = []
  function* take(found: ParsedRow[]): Generator<ParsedRow[]> {
    rows += found.length
    if (rows > limits.maxRows) throw new ImportTooLarge('rows', limits.maxRows)
    for (const r of found) {
      batch.push(r)
      if (batch.length >= limits.batchRows) { yield batch; batch = [] }
    }
  }
  for await (const chunk of body) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    bytes += buffer.length
    if (bytes > limits.maxBytes) throw new ImportTooLarge('bytes', limits.maxBytes)
    for (let i = 0; i < buffer.length; i += SLICE) yield* take(reader.push(decoder.write(buffer.subarray(i, i + SLICE))))
  }
  yield* take(reader.push(decoder.end()))
  yield* take(reader.end())
  if (batch.length) yield batch
}
