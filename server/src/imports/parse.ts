// Reading historical orders from spreadsheets: CSV (RFC 4180, header row) or JSON lines.

/** CSV to records keyed by the header row. Quoted fields may hold commas, quotes ("") and newlines. */
export function parseCsv(text: string): Record<string, string>[] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text // Excel writes a BOM
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!
    if (quoted) {
      if (ch === '"' && body[i + 1] === '"') { field += '"'; i++ }
      else if (ch === '"') quoted = false
      else field += ch
    } else if (ch === '"' && field === '') quoted = true
    else if (ch === ',') { row.push(field); field = '' }
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && body[i + 1] === '\n') i++
      row.push(field); field = ''
      if (row.some((f) => f !== '')) rows.push(row)
      row = []
    } else field += ch
  }
  row.push(field)
  if (row.some((f) => f !== '')) rows.push(row)
  const [header, ...data] = rows
  if (!header) return []
  const names = header.map((h) => h.trim())
  return data.map((values) => Object.fromEntries(names.map((n, i) => [n, values[i]?.trim() ?? ''])))
}

export type RawRow = Record<string, unknown>

/** JSON lines: one object per line; a line that is not an object becomes a row error. */
export function parseJsonLines(text: string): (RawRow | { __error: string })[] {
  return text.split(/\r?\n/).filter((l) => l.trim() !== '').map((line) => {
    try {
      const value = JSON.parse(line)
      return value && typeof value === 'object' && !Array.isArray(value) ? value : { __error: 'line is not a JSON object' }
    } catch {
      return { __error: 'line is not valid JSON' }
    }
  })
}
