// Discharges in from the HIS over HTTP: JSON records for integration engines, CSV for the callback
// supervisor's upload. Both go through the same check and intake as the HL7 feed.
import { Type } from 'typebox'
import type { App } from '../http/types.ts'
import { errors } from '../http/types.ts'
import { decodeCsv } from '../imports/parse.ts'
import { HttpError } from '../http/errors.ts'
import type { Services } from '../services.ts'
import { parseCsv } from '../imports/parse.ts'
import { checkRecord, fieldLabel, RecordError, type DischargeRecord, type RawDischarge } from './record.ts'
import { applyRecords, type RecordResult, type StayPlanner } from './intake.ts'

export const MAX_BATCH = 1000
export const MAX_CSV_ROWS = 50_000
const CSV_LIMIT = 64 * 1024 * 1024
const PROGRESS_EVERY = 5000
const CSV_COLUMNS = ['source', 'event', 'visitNumber', 'mrn', 'name', 'sex', 'birthDate', 'mobile', 'homePhone', 'relativePhone', 'department', 'ward', 'bed', 'attendingDoctor', 'responsibleNurse', 'patientClass', 'admittedAt', 'dischargedAt', 'disposition', 'diagnoses', 'procedures', 'deceased', 'doNotCall']
const PHONE_COLUMNS = { mobile: 'mobile', homePhone: 'home', relativePhone: 'relative' } as const

const Result = Type.Object({
  index: Type.Integer(), visitNumber: Type.Union([Type.Null(), Type.String()]), event: Type.Union([Type.Null(), Type.String()]), outcome: Type.String(),
  stayId: Type.Optional(Type.Integer()), field: Type.Optional(Type.String()), reason: Type.Optional(Type.String()), reasonZh: Type.Optional(Type.String()),
  plan: Type.Optional(Type.Object({ taskId: Type.Union([Type.Null(), Type.Integer()]), dueDate: Type.Union([Type.Null(), Type.String()]), note: Type.String() })),
})
const Summary = Type.Object({ created: Type.Integer(), updated: Type.Integer(), unchanged: Type.Integer(), rejected: Type.Integer(), results: Type.Array(Result) })

export function summarise(results: RecordResult[]) {
  const count = (o: string) => results.filter((r) => r.outcome === o).length
  return { created: count('created'), updated: count('updated'), unchanged: count('unchanged'), rejected: count('rejected'), results }
}

/** "E11.9 2型糖尿病; I10 高血压" → [{code, text}] */
const codedList = (cell: string) => cell.split(/[;；]/).map((s) => s.trim()).filter(Boolean).map((s) => {
  const space = s.search(/\s/)
  return space === -1 ? { code: s, text: '' } : { code: s.slice(0, space), text: s.slice(space + 1).trim() }
})

// a cell Excel would run as a formula; a phone or a date may start with + or -
const FORMULA = /^(=|@|[+-][^\d\s]|\t|\r)/

/** One CSV row to the REST shape. */
export function csvRow(row: Record<string, string>): RawDischarge {
  for (const [k, v] of Object.entries(row)) {
    if (FORMULA.test(v)) throw new RecordError(k, `${k} looks like a spreadsheet formula: ${v.slice(0, 30)}`, `${fieldLabel(k)}像是表格公式，不导入：${v.slice(0, 30)}`)
  }
  const phones = Object.entries(PHONE_COLUMNS).filter(([col]) => row[col]).map(([col, use]) => ({ use, number: row[col]! }))
  const raw: Record<string, unknown> = {}
  for (const col of CSV_COLUMNS) if (row[col] && !(col in PHONE_COLUMNS)) raw[col] = row[col]
  return {
    ...raw, phones,
    diagnoses: row.diagnoses ? codedList(row.diagnoses) : [],
    procedures: row.procedures ? codedList(row.procedures).map((p) => ({ ...p, performedAt: '' })) : [],
  }
}


const yieldToOthers = () => new Promise<void>((resolve) => setImmediate(resolve))

/** each row error: `message` in English (as the API has always said), `messageZh` for the supervisor's screen */
export interface CsvReport { ok: boolean; rows: number; errors: { row: number; field: string; message: string; messageZh: string }[]; records: { index: number; record: DischargeRecord }[] }

/** Every row checked before anything is written; the work yields every 500 rows so other requests go on. */
export async function checkCsv(bytes: Buffer, timeZone: string, progress: (checked: number, total: number) => void = () => {}): Promise<CsvReport> {
  const { text } = decodeCsv(bytes)
  const rows = parseCsv(text)
  const errors: CsvReport['errors'] = []
  if (rows.length === 0) return { ok: false, rows: 0, errors: [{ row: 0, field: 'body', message: 'the file has no data rows under its header', messageZh: '文件的表头下面没有数据行' }], records: [] }
  const header = Object.keys(rows[0]!)
  const unknown = header.filter((h) => !CSV_COLUMNS.includes(h))
  if (unknown.length) return { ok: false, rows: rows.length, errors: [{ row: 0, field: unknown[0]!, message: `unknown column(s) ${unknown.join(', ')}; columns are ${CSV_COLUMNS.join(', ')}`, messageZh: `不认识的列：${unknown.join('、')}；可用的列：${CSV_COLUMNS.join('、')}` }], records: [] }
  if (rows.length > MAX_CSV_ROWS) return { ok: false, rows: rows.length, errors: [{ row: 0, field: 'body', message: `${rows.length} rows: a file takes at most ${MAX_CSV_ROWS}; split it`, messageZh: `${rows.length} 行：一个文件最多 ${MAX_CSV_ROWS} 行，请分成几个文件` }], records: [] }
  const records: CsvReport['records'] = []
  const seen = new Map<string, number>()
  for (let i = 0; i < rows.length; i++) {
    if (i % 500 === 499) await yieldToOthers()
    if (i % PROGRESS_EVERY === PROGRESS_EVERY - 1) progress(i + 1, rows.length)
    const row = i + 1
    try {
      const record = checkRecord(csvRow(rows[i]!), { source: 'upload', origin: 'upload', timeZone })
      const key = `${record.source}\u0000${record.visitNumber}\u0000${record.event}`
      const twice = seen.get(key)
      if (twice) throw new RecordError('visitNumber', `visit ${record.visitNumber} (${record.event}) is already in row ${twice}`, `住院号 ${record.visitNumber}（${record.event}）和第 ${twice} 行重复`)
      seen.set(key, row)
      records.push({ index: row, record })
    } catch (err) {
      if (!(err instanceof RecordError)) throw err
      if (errors.length < 500) errors.push({ row, field: err.field, message: err.message, messageZh: err.zh })
    }
  }
  return { ok: errors.length === 0, rows: rows.length, errors, records }
}

export async function dischargeRoutes(app: App, { db, config, live }: Services, planner: StayPlanner) {
  app.post('/api/discharges', {
    schema: {
      body: Type.Union([Type.Array(Type.Unknown(), { minItems: 1, maxItems: MAX_BATCH }), Type.Object({}, { additionalProperties: true })]),
      response: { 200: Summary, ...errors },
    },
  }, async (request, reply) => {
    const single = !Array.isArray(request.body)
    const items = (single ? [request.body] : request.body) as RawDischarge[]
    const rejected: RecordResult[] = []
    const accepted: { index: number; record: DischargeRecord }[] = []
    items.forEach((raw, i) => {
      try {
        accepted.push({ index: i + 1, record: checkRecord(raw, { source: 'api', origin: 'api', timeZone: config.timeZone }) })
      } catch (err) {
        if (!(err instanceof RecordError)) throw err
        const r = raw && typeof raw === 'object' ? raw : {}
        rejected.push({ index: i + 1, visitNumber: typeof r.visitNumber === 'string' ? r.visitNumber : null, event: typeof r.event === 'string' ? r.event : null, outcome: 'rejected', field: err.field, reason: err.message, reasonZh: err.zh })
      }
    })
    const applied = await applyRecords(db, accepted, planner)
    const results = [...applied, ...rejected].sort((a, b) => a.index - b.index)
    // one record refused is an error like any other request's, naming the field; a batch answers per record
    if (single && rejected[0]) throw new HttpError(422, 'invalid_record', rejected[0].reasonZh!, rejected[0].field, { ...summarise(results), messageEn: rejected[0].reason })
    return reply.status(200).send(summarise(results))
  })

  // CSV arrives as bytes: a file from Excel may be GBK, which a UTF-8 string parser would garble
  await app.register(async (scope) => {
    scope.removeContentTypeParser('text/csv')
    scope.addContentTypeParser('text/csv', { parseAs: 'buffer', bodyLimit: CSV_LIMIT }, (_req, body, done) => done(null, body))
    scope.post('/api/discharges/import', {
      bodyLimit: CSV_LIMIT,
      schema: { response: { 200: Summary, ...errors } },
    }, async (request, reply) => {
      if (!Buffer.isBuffer(request.body)) throw new HttpError(415, 'unsupported_media_type', 'send the file as text/csv with a header row', 'body')
      // a long file tells the uploader's screens how far the check has come, then that it is being applied
      const user = request.user!
      const tell = (phase: 'checking' | 'applying', checked: number, total: number) =>
        live.broadcast({ type: 'discharges.import', data: { phase, checked, total }, at: new Date().toISOString() }, (u) => u.id === user.id)
      const report = await checkCsv(request.body, config.timeZone, (checked, total) => tell('checking', checked, total))
      if (report.ok && report.rows >= PROGRESS_EVERY) tell('applying', report.rows, report.rows)
      if (!report.ok) {
        throw new HttpError(422, 'invalid_rows', `共 ${report.rows} 行，${report.errors.length} 处有误：整份未导入，改正后再上传`, report.errors[0]?.field,
          { rows: report.errors, messageEn: `${report.errors.length} row error(s) in ${report.rows} rows; nothing was applied` })
      }
      const results = await applyRecords(db, report.records, planner)
      return reply.status(200).send(summarise(results))
    })
  })
}
