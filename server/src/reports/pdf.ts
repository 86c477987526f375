// PDF reports with pdfmake and the job sheets' Noto Sans SC: a header block, the charts as vector
// graphics (ECharts rendered to SVG on the server, drawn by pdfmake with the same font), the
// tables with their header row repeated on each page, and page numbers.
import * as echarts from 'echarts'
import { createRequire } from 'node:module'
import { pdfmake as jobSheetPdfmake } from '../jobsheets/render.ts'
import type { Cell, Chart, Column, Kind, ReportDocument, Table } from './reports.document.ts'

const require = createRequire(import.meta.url)
const FONT = (weight: string) => require.resolve(`@expo-google-fonts/noto-sans-sc/${weight}/NotoSansSC_${weight}.ttf`)
let fontsReady = false
/**
 * The job sheets' pdfmake. pdfmake hands an SVG's font to PDFKit by its file name, which PDFKit
 * would open on disk; the names are registered with each document first, pointing at the files.
 */
function pdfmake() {
  if (!fontsReady) {
    const files: Record<string, string> = { 'NotoSansSC-400Regular.ttf': FONT('400Regular'), 'NotoSansSC-700Bold.ttf': FONT('700Bold') }
    const proto = (require('pdfkit') as { prototype: { font(src: unknown, ...rest: unknown[]): unknown; registerFont(name: string, src: string): void; _registeredFonts?: Record<string, unknown> } }).prototype
    const font = proto.font
    proto.font = function (this: typeof proto, src: unknown, ...rest: unknown[]) {
      if (typeof src === 'string' && files[src] && !this._registeredFonts?.[src]) this.registerFont(src, files[src])
      return font.call(this, src, ...rest)
    }
    fontsReady = true
  }
  return jobSheetPdfmake()
}

const PALETTE = ['#1565c0', '#2e7d32', '#ef6c00', '#6a1b9a', '#c62828', '#00838f', '#5d4037']

export function chartSvg(chart: Chart, width: number): string {
  const instance = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height: chart.height })
  instance.setOption({ animation: false, color: PALETTE, textStyle: { fontFamily: 'NotoSansSC' }, ...chart.option })
  const svg = instance.renderToSVGString()
  instance.dispose()
  return svg
}

export function formatCell(cell: Cell, kind: Kind): string {
  const v = cell !== null && typeof cell === 'object' ? cell.value : cell
  const k = cell !== null && typeof cell === 'object' ? cell.kind : kind
  if (v === null || v === undefined) return '—'
  if (typeof v === 'string') return v
  if (k === 'pct') return `${(v * 100).toFixed(1)}%`
  if (k === 'num') return v.toFixed(2)
  return v.toLocaleString('en')
}

function tableNode(table: Table) {
  const right = (c: Column) => (c.kind === 'text' ? 'left' : 'right')
  return [
    { text: table.title, style: 'h2' },
    ...(table.note ? [{ text: table.note, fontSize: 7.5, color: '#555', margin: [0, 0, 0, 4] }] : []),
    {
      table: {
        headerRows: 1, dontBreakRows: true,
        widths: table.columns.map((c) => (c.kind === 'text' ? '*' : 'auto')),
        body: [
          table.columns.map((c) => ({ text: c.label, bold: true, fillColor: '#e8eef4', alignment: right(c) })),
          ...table.rows.map((r) => r.map((cell, i) => ({ text: formatCell(cell, table.columns[i]!.kind), alignment: right(table.columns[i]!) }))),
        ],
      },
      layout: { hLineWidth: () => 0.4, vLineWidth: () => 0.4, hLineColor: () => '#bbb', vLineColor: () => '#bbb', paddingTop: () => 2, paddingBottom: () => 2 },
      fontSize: 8.5, margin: [0, 0, 0, 12],
    },
  ]
}

export async function renderPdf(doc: ReportDocument): Promise<Buffer> {
  const h = doc.header
  const width = doc.landscape ? 770 : 515
  const definition = {
    pageSize: 'A4', pageOrientation: doc.landscape ? 'landscape' : 'portrait', pageMargins: [36, 40, 36, 40],
    info: { title: `${h.title} ${h.period}`, creator: 'Hotline 100' },
    defaultStyle: { font: 'NotoSansSC', fontSize: 9, lineHeight: 1.15 },
    styles: { h1: { fontSize: 16, bold: true, margin: [0, 0, 0, 4] }, h2: { fontSize: 11, bold: true, margin: [0, 4, 0, 4] } },
    content: [
      { text: h.hospital, fontSize: 9, color: '#444' },
      { text: h.title, style: 'h1' },
      {
        columns: [[[h.labels.period, h.period], [h.labels.team, h.team]], [[h.labels.generatedAt, h.generatedAt], [h.labels.generatedBy, h.generatedBy]]].map((lines) => ({
          width: '*', stack: lines.map(([label, text]) => ({ text: [{ text: `${label}  `, color: '#666' }, { text: text!, bold: true }] })),
        })),
        columnGap: 18, margin: [0, 0, 0, 10],
      },
      // the first table (the figures a meeting starts with), then the charts, then the detail
      ...doc.tables.slice(0, 1).flatMap(tableNode),
      // a chart and its title stay on one page
      ...doc.charts.map((c) => ({ unbreakable: true, stack: [{ text: c.title, style: 'h2' }, { svg: chartSvg(c, width), width, font: 'NotoSansSC', margin: [0, 0, 0, 8] }] })),
      ...doc.tables.slice(1).flatMap(tableNode),
    ],
    footer: (page: number, pages: number) => ({
      columns: [{ text: `${h.hospital} · ${h.title}`, color: '#777' }, { text: h.labels.page.replace('{page}', String(page)).replace('{pages}', String(pages)), alignment: 'right', color: '#777' }],
      fontSize: 7, margin: [36, 14, 36, 0],
    }),
  }
  return pdfmake().createPdf(definition).getBuffer()
}
