// Every CSV the app writes goes through here. A cell a spreadsheet would read as a formula (it
// starts with = + - @, a tab or a carriage return) gets a leading ' so a staff name such as
// =HYPERLINK(…) stays text when a manager opens the file.
// The XLSX reports apply the same rule through neutralise().
const FORMULA_START = /^[=+\-@\t\r]/

/** The text as a spreadsheet should show it: never run as a formula. */
export function neutralise(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text
}

export function csvCell(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value)
  return `"${neutralise(text).replace(/"/g, '""')}"`
}

/** Rows to CSV text, with a BOM so Excel opens Chinese text as UTF-8. */
export function toCsv(rows: unknown[][]): string {
  return '\ufeff' + rows.map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n'
}
