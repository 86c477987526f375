// Job sheets (工作单): the paper a porter or technician carries to the job. pdfmake with Noto Sans SC
// from npm, embedded as a subset so Chinese text prints anywhere and stays extractable.
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { labels, type SheetLabels } from './labels.ts'

const require = createRequire(import.meta.url)
// pdfmake 0.3 ships CommonJS without types; this is the part of it we use
interface PdfMake {
  virtualfs: { writeFileSync(name: string, content: Buffer): void }
  setFonts(fonts: Record<string, Record<string, string>>): void
  setUrlAccessPolicy(policy: (url: string) => boolean): void
  setLocalAccessPolicy(policy: (path: string) => boolean): void
  createPdf(doc: object): { getBuffer(): Promise<Buffer> }
}

export interface JobSheet {
  number: string
  hospitalName: string
  orderUrl: string
  category: string; item: string
  location: string
  requesterName: string; requesterPhone: string | null; requesterExtension: string | null
  description: string
  requestedAt: Date; booked: boolean
  urgency: 'routine' | 'urgent' | 'critical'
  tools: string[]
  team: string; servicePoint: string | null; assignee: string | null
  dispatchedAt: Date | null; responseDueAt: Date; dueAt: Date
  createdAt: Date; chaseCount: number
}
export interface RenderOptions { paper?: 'A5' | 'A4'; locale?: 'zh' | 'en'; timeZone?: string; printedAt?: Date }

let engine: PdfMake | null = null
/** pdfmake and the two font files load once per process (or worker), on the first sheet or report printed. */
export function pdfmake(): PdfMake {
  if (engine) return engine
  const pm = require('pdfmake') as PdfMake
  // into pdfmake's in-memory file system: read from disk once, never again
  for (const weight of ['400Regular', '700Bold']) {
    pm.virtualfs.writeFileSync(`NotoSansSC-${weight}.ttf`, readFileSync(require.resolve(`@expo-google-fonts/noto-sans-sc/${weight}/NotoSansSC_${weight}.ttf`)))
  }
  const regular = 'NotoSansSC-400Regular.ttf'
  const bold = 'NotoSansSC-700Bold.ttf'
  pm.setFonts({ NotoSansSC: { normal: regular, bold, italics: regular, bolditalics: bold } })
  // a job sheet never needs the network or the disk
  pm.setUrlAccessPolicy(() => false)
  pm.setLocalAccessPolicy(() => false)
  engine = pm
  return pm
}

function formatter(timeZone: string) {
  const f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
  return (d: Date | null) => {
    if (!d) return '—'
    const p = Object.fromEntries(f.formatToParts(d).map((x) => [x.type, x.value]))
    return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`
  }
}

const LINE = { hLineWidth: () => 0.6, vLineWidth: () => 0.6, hLineColor: () => '#444', vLineColor: () => '#444', paddingTop: () => 2.5, paddingBottom: () => 2.5, paddingLeft: () => 4, paddingRight: () => 4 }

// a sheet is one page: a long description gets smaller type, and past that is cut with a pointer
// to the full text behind the QR code
function description(text: string, wide: boolean, L: SheetLabels) {
  const max = wide ? 600 : 150
  if (!text) return { text: '—' }
  const cut = text.length > max ? `${text.slice(0, max)}… ${L.more}` : text
  return { text: cut, fontSize: text.length > max / 2 ? 8 : undefined }
}

function sheetContent(s: JobSheet, L: SheetLabels, time: (d: Date | null) => string, printedAt: Date, wide: boolean, last: boolean) {
  const size = wide ? 1.25 : 1
  const urgent = s.urgency !== 'routine'
  const row = (label: string, value: string | object) => [{ text: label, bold: true, fillColor: '#f0f0f0' }, typeof value === 'string' ? { text: value } : value]
  const phone = [s.requesterPhone && `${L.phone} ${s.requesterPhone}`, s.requesterExtension && `${L.extension} ${s.requesterExtension}`].filter(Boolean).join('  ')
  const sign = (label: string) => ({ stack: [{ text: label, fontSize: 8 * size, color: '#333' }, { text: ' ', fontSize: 18 * size }] })
  return [
    {
      columns: [
        {
          width: '*',
          stack: [
            { text: s.hospitalName, fontSize: 9 * size, color: '#333' },
            { text: L.title, fontSize: 15 * size, bold: true, margin: [0, 2, 0, 4] },
            { text: s.number, fontSize: 20 * size, bold: true, characterSpacing: 0.5 },
            {
              table: { body: [[{ text: L.urgency[s.urgency], bold: true, fontSize: 11 * size, color: urgent ? '#fff' : '#000', fillColor: urgent ? (s.urgency === 'critical' ? '#b00020' : '#000') : '#fff' }]] },
              layout: LINE, margin: [0, 4, 0, 0],
            },
          ],
        },
        { width: 'auto', stack: [{ qr: s.orderUrl, fit: 72 * size, eccLevel: 'M' }, { text: L.scan, fontSize: 6.5 * size, alignment: 'center', margin: [0, 2, 0, 0] }] },
      ],
      columnGap: 8,
      margin: [0, 0, 0, 8],
    },
    {
      table: {
        widths: [wide ? 90 : 66, '*'],
        body: [
          row(L.item, `${s.category} / ${s.item}`),
          row(L.location, { text: s.location, bold: true }),
          row(L.requester, `${s.requesterName}${phone ? `  ${phone}` : ''}`),
          row(L.description, description(s.description, wide, L)),
          row(L.requestedAt, `${time(s.requestedAt)}${s.booked ? `  (${L.booked})` : ''}`),
          row(L.tools, s.tools.length ? s.tools.join('、') : '—'),
          row(L.team, [s.team, s.servicePoint, s.assignee ? `${L.assignee} ${s.assignee}` : L.pool].filter(Boolean).join(' / ')),
          row(L.dispatchedAt, time(s.dispatchedAt)),
          row(L.deadlines, { text: `${L.responseBy} ${time(s.responseDueAt)}    ${L.completeBy} ${time(s.dueAt)}`, bold: true }),
          ...(s.chaseCount > 0 ? [row(L.chases, { text: String(s.chaseCount), bold: true, color: '#b00020' })] : []),
        ],
      },
      layout: LINE,
      fontSize: 9.5 * size,
    },
    {
      table: { widths: ['*', '*', '*'], body: [[sign(L.signTechnician), sign(L.signRequester), sign(L.checked)], [sign(L.arrivedTime), sign(L.completedTime), sign(L.notes)]] },
      layout: LINE,
      margin: [0, 10, 0, 0],
    },
    { text: `${L.printedAt} ${time(printedAt)}`, fontSize: 7 * size, color: '#555', margin: [0, 6, 0, 0], ...(last ? {} : { pageBreak: 'after' }) },
  ]
}

export async function renderJobSheets(sheets: JobSheet[], options: RenderOptions = {}): Promise<Buffer> {
  const L = labels(options.locale ?? 'zh')
  const time = formatter(options.timeZone ?? 'Asia/Shanghai')
  const printedAt = options.printedAt ?? new Date()
  const wide = options.paper === 'A4'
  const doc = {
    pageSize: options.paper ?? 'A5',
    pageMargins: wide ? [40, 36, 40, 40] : [24, 22, 24, 30],
    info: { title: sheets.length === 1 ? sheets[0]!.number : `${L.title} ×${sheets.length}`, creator: 'Hotline 100' },
    defaultStyle: { font: 'NotoSansSC', fontSize: 9.5, lineHeight: 1.15 },
    content: sheets.flatMap((s, i) => sheetContent(s, L, time, printedAt, wide, i === sheets.length - 1)),
    footer: (page: number, pages: number) => ({ text: `${page} / ${pages}`, alignment: 'right', fontSize: 7, color: '#777', margin: [0, 8, wide ? 40 : 24, 0] }),
  }
  return pdfmake().createPdf(doc).getBuffer()
}
