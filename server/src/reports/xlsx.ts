// XLSX with exceljs's streaming writer: every row is committed (serialised and handed to the zip)
// as soon as it is written, so a 100,000-row export never holds its rows in memory. Numbers are
// number cells, rates are number cells with a percent format, and any text a spreadsheet would
// run as a formula is neutralised by the same rule as the CSV export.
import ExcelJS from 'exceljs'
import { PassThrough } from 'node:stream'
import type { MessagePort } from 'node:worker_threads'
import { neutralise } from '../http/csv.ts'
import type { Cell, Column, Kind, OrderRow, ReportDocument, ReportHeader } from './reports.document.ts'

type Sheet = ExcelJS.Worksheet
const FORMATS: Record<Kind, string | undefined> = { text: undefined, int: '#,##0', num: '0.0#', pct: '0.0%' }
const HEADER_ROWS = 6 // title, hospital, period, team, generated, blank; the table's own header follows

function value(cell: Cell): { v: ExcelJS.CellValue; kind?: Kind } {
  if (cell === null || cell === undefined) return { v: null }
  if (typeof cell === 'object') return { v: cell.value, kind: cell.kind }
  if (typeof cell === 'string') return { v: neutralise(cell) }
  return { v: cell }
}

function newSheet(book: ExcelJS.stream.xlsx.WorkbookWriter, name: string, header: ReportHeader, title: string, columns: Column[], note?: string): Sheet {
  const extra = note ? 1 : 0
  // frozen: the header block and the column titles stay in view while scrolling
  const sheet = book.addWorksheet(name.replace(/[\\/?*[\]:]/g, ' ').slice(0, 31), { views: [{ state: 'frozen', ySplit: HEADER_ROWS + extra + 1, xSplit: 0 }] })
  sheet.columns = columns.map((c) => ({ width: c.width }))
  const L = header.labels
  const lines: [string, string][] = [[L.hospital, header.hospital], [L.period, header.period], [L.team, header.team], [L.generatedAt, `${header.generatedAt}  ${L.generatedBy} ${header.generatedBy}`]]
  const t = sheet.addRow([neutralise(title)])
  t.font = { bold: true, size: 14 }
  t.commit()
  for (const [label, text] of lines) {
    const row = sheet.addRow([neutralise(label), neutralise(text)])
    row.getCell(1).font = { bold: true }
    row.commit()
  }
  sheet.addRow([]).commit()
  if (note) sheet.addRow([neutralise(note)]).commit()
  const head = sheet.addRow(columns.map((c) => neutralise(c.label)))
  head.font = { bold: true }
  head.eachCell((cell) => { cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFE8EEF4' } }; cell.border = { bottom: { style: 'thin' } } })
  head.commit()
  return sheet
}

function addRow(sheet: Sheet, columns: Column[], cells: Cell[]) {
  const parsed = cells.map(value)
  const row = sheet.addRow(parsed.map((p) => p.v))
  parsed.forEach((p, i) => {
    const format = FORMATS[p.kind ?? columns[i]?.kind ?? 'text']
    if (format && typeof p.v === 'number') row.getCell(i + 1).numFmt = format
  })
  row.commit()
}

function writer(stream: PassThrough | undefined, filename?: string) {
  return new ExcelJS.stream.xlsx.WorkbookWriter({ ...(filename ? { filename } : { stream }), useStyles: true, useSharedStrings: false })
}

/** A summary report: one sheet per table. */
export async function renderXlsx(doc: ReportDocument): Promise<Buffer> {
  const out = new PassThrough()
  const chunks: Buffer[] = []
  out.on('data', (c: Buffer) => chunks.push(c))
  const done = new Promise((resolve) => out.on('end', resolve))
  const book = writer(out)
  book.creator = 'Hotline 100'
  for (const table of doc.tables) {
    const sheet = newSheet(book, table.sheet, doc.header, table.title, table.columns, table.note)
    for (const cells of table.rows) addRow(sheet, table.columns, cells)
    sheet.commit()
  }
  await book.commit()
  await done
  return Buffer.concat(chunks)
}

const ORDER_WIDTHS = [18, 18, 10, 18, 36, 12, 10, 10, 8, 8, 10, 10, 18, 6]

/**
 * The long order export, written to `filename` from pages of rows posted on `port`: each page is
 * written and acknowledged before the next is read from the database, so memory stays flat.
 */
export function writeOrderExport(port: MessagePort, filename: string, header: ReportHeader, columns: string[], yesNo: [string, string]): Promise<number> {
  const book = writer(undefined, filename)
  book.creator = 'Hotline 100'
  const cols: Column[] = columns.map((label, i) => ({ label, kind: i === 9 || i === 13 ? 'int' : 'text', width: ORDER_WIDTHS[i] ?? 12 }))
  const sheet = newSheet(book, header.title, header, header.title, cols)
  const localTime = (text: string | null) => (text ? new Date(`${text}Z`) : null)
  const flag = (b: boolean | null) => (b === null ? null : b ? yesNo[0] : yesNo[1])
  let written = 0
  return new Promise((resolve, reject) => {
    port.on('message', (message: { rows?: OrderRow[]; end?: boolean }) => {
      try {
        if (message.rows) {
          for (const r of message.rows) {
            // wall-clock local times as date cells: Excel has no time zones
            const row = sheet.addRow([neutralise(r[0]), localTime(r[1]), neutralise(r[2]), neutralise(r[3]), neutralise(r[4]), neutralise(r[5]), r[6] === null ? null : neutralise(r[6]),
              r[7], r[8], r[9], flag(r[10]), flag(r[11]), localTime(r[12]), r[13]])
            row.getCell(2).numFmt = 'yyyy-mm-dd hh:mm'
            row.getCell(13).numFmt = 'yyyy-mm-dd hh:mm'
            row.commit()
          }
          written += message.rows.length
          port.postMessage({ written })
        }
        if (message.end) {
          port.close()
          sheet.commit()
          book.commit().then(() => resolve(written), reject)
        }
      } catch (err) { port.close(); reject(err) }
    })
  })
}
