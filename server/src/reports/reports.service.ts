// Builds each report as a ReportDocument from the KPI definitions of kpi/ (computeKpis is the one
// place a KPI is defined) and the few cuts reports.queries.ts adds. Rendering happens elsewhere.
import type { Kysely } from 'kysely'
import type { DB } from '../db/types.ts'
import { computeKpis, type KpiQuery } from '../kpi/kpi.queries.ts'
import { chasesBy, complaintsByPlace, staffExtras } from './reports.queries.ts'
import { REPORT_LABELS, type ReportLabels } from './labels.ts'
import { feedbackReport } from '../feedback/feedback.report.ts'
import type { Cell, Chart, Column, ReportDocument, ReportHeader, ReportName, Table } from './reports.document.ts'

export interface ReportContext { db: Kysely<DB>; query: KpiQuery; lang: 'zh' | 'en'; header: Omit<ReportHeader, 'title' | 'labels'> }
type Kpis = Awaited<ReturnType<typeof computeKpis>>

const ratio = (num: number, den: number) => (den === 0 ? null : num / den)
const pct = (value: number | null): Cell => ({ value, kind: 'pct' })
const col = (label: string, kind: Column['kind'], width = 12): Column => ({ label, kind, width })

/** The calendar months a period touches, each cut to the period. */
export function monthsOf(from: string, to: string): { month: string; from: string; to: string }[] {
  const out: { month: string; from: string; to: string }[] = []
  let y = Number(from.slice(0, 4)), m = Number(from.slice(5, 7))
  for (;;) {
    const month = `${y}-${String(m).padStart(2, '0')}`
    if (month > to.slice(0, 7)) break
    const last = new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10)
    out.push({ month, from: `${month}-01` < from ? from : `${month}-01`, to: last > to ? to : last })
    if (++m > 12) { m = 1; y++ }
  }
  return out
}

function summaryTable(k: Kpis, L: ReportLabels): Table {
  const c = k.counts
  return {
    sheet: L.sheets.summary, title: L.titles.kpi,
    columns: [col(L.metric, 'text', 22), col(L.value, 'num', 12), col(L.numerator, 'int', 12), col(L.denominator, 'int', 12)],
    rows: [
      [L.timeliness, pct(k.timelinessRate), c.completedOnTime, c.completed],
      [L.response, pct(k.responseOnTimeRate), c.arrivedOnTime, c.arrived],
      [L.completion, pct(k.completionRate), c.createdCompleted, c.created],
      [L.chase, pct(k.chaseRate), c.createdChased, c.created],
      [L.satisfaction, { value: k.satisfaction.mean, kind: 'num' }, null, k.satisfaction.rated],
      [L.goodShare, pct(k.satisfaction.goodShare), null, k.satisfaction.rated],
      [L.perStaff, { value: k.volumePerStaff, kind: 'num' }, c.completed, k.perStaff.length],
      [L.complaints, { value: c.complaints, kind: 'int' }, null, c.created],
    ],
  }
}

async function trendTable(ctx: ReportContext, L: ReportLabels): Promise<{ table: Table; chart: Chart }> {
  const months: { month: string; k: Kpis }[] = []
  for (const m of monthsOf(ctx.query.from, ctx.query.to)) months.push({ month: m.month, k: await computeKpis(ctx.db, { ...ctx.query, from: m.from, to: m.to }) })
  const table: Table = {
    sheet: L.sheets.trend, title: L.sheets.trend, note: L.trendNote,
    columns: [col(L.month, 'text', 10), col(L.created, 'int'), col(L.completed, 'int'), col(L.timeliness, 'pct'), col(L.completion, 'pct'), col(L.chase, 'pct'), col(L.satisfaction, 'num', 16), col(L.complaints, 'int')],
    rows: months.map(({ month, k }) => [month, k.counts.created, k.counts.completed, k.timelinessRate, k.completionRate, k.chaseRate, k.satisfaction.mean, k.counts.complaints]),
  }
  const percent = (v: number | null) => (v === null ? null : +(v * 100).toFixed(1))
  const chart: Chart = {
    title: L.monthTrend, height: 230,
    option: {
      legend: { top: 0 }, grid: { left: 44, right: 16, top: 34, bottom: 28 },
      xAxis: { type: 'category', data: months.map((m) => m.month) }, yAxis: { type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value}%' } },
      series: [[L.timeliness, 'timelinessRate'], [L.completion, 'completionRate'], [L.chase, 'chaseRate']].map(([name, key]) => ({
        name, type: 'line', data: months.map((m) => percent(m.k[key as 'chaseRate'])),
      })),
    },
  }
  return { table, chart }
}

async function kpiReport(ctx: ReportContext, k: Kpis, L: ReportLabels) {
  const trend = await trendTable(ctx, L)
  const daily: Chart = {
    title: L.dailyTimeliness, height: 200,
    option: {
      grid: { left: 44, right: 16, top: 16, bottom: 28 }, xAxis: { type: 'category', data: k.dailyTimeliness.map((d) => d.day) },
      yAxis: { type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value}%' } },
      series: [{ type: 'line', name: L.timeliness, showSymbol: false, data: k.dailyTimeliness.map((d) => (d.rate === null ? null : +(d.rate * 100).toFixed(1))) }],
    },
  }
  return { tables: [summaryTable(k, L), trend.table], charts: [daily, trend.chart] }
}

function weeklyReport(k: Kpis, L: ReportLabels, en: boolean) {
  const weeks = [...new Set(k.weeklyByCategory.map((w) => w.week))]
  const cats = [...new Map(k.weeklyByCategory.map((w) => [w.categoryId, en ? w.categoryEn : w.category])).entries()].sort((a, b) => a[0] - b[0])
  const count = (week: string, cat: number) => k.weeklyByCategory.find((w) => w.week === week && w.categoryId === cat)?.orders ?? 0
  const table: Table = {
    sheet: L.sheets.weekly, title: L.titles['weekly-volume'],
    columns: [col(L.week, 'text', 14), ...cats.map(([, name]) => col(name, 'int', 10)), col(L.total, 'int', 10)],
    rows: weeks.map((w) => [w, ...cats.map(([id]) => count(w, id)), cats.reduce((s, [id]) => s + count(w, id), 0)]),
  }
  const chart: Chart = {
    title: L.titles['weekly-volume'], height: 260,
    option: {
      legend: { top: 0 }, grid: { left: 48, right: 16, top: 40, bottom: 28 }, xAxis: { type: 'category', data: weeks }, yAxis: { type: 'value' },
      series: cats.map(([id, name]) => ({ name, type: 'bar', stack: 'all', data: weeks.map((w) => count(w, id)) })),
    },
  }
  return { tables: [table], charts: [chart] }
}

async function chasesReport(ctx: ReportContext, k: Kpis, L: ReportLabels, en: boolean) {
  const { byTeam, byItem } = await chasesBy(ctx.db, ctx.query)
  const head = [col(L.created, 'int'), col(L.chased, 'int'), col(L.chase, 'pct')]
  const tables: Table[] = [
    summaryTable(k, L),
    { sheet: L.sheets.byTeam, title: `${L.chase} · ${L.sheets.byTeam}`, columns: [col(L.team, 'text', 18), ...head],
      rows: byTeam.map((r) => [(en && r.team_en) || r.team, r.created, r.chased, ratio(r.chased, r.created)]) },
    { sheet: L.sheets.byItem, title: `${L.chase} · ${L.sheets.byItem}`, columns: [col(L.category, 'text', 12), col(L.item, 'text', 22), ...head],
      rows: byItem.map((r) => [(en && r.category_en) || r.category, (en && r.item_en) || r.item, r.created, r.chased, ratio(r.chased, r.created)]) },
  ]
  tables[0]!.rows = tables[0]!.rows.filter((r) => r[0] === L.chase)
  const top = byItem.filter((r) => r.chased > 0).slice(0, 10).reverse()
  const chart: Chart = {
    title: L.topChased, height: 40 + 22 * Math.max(top.length, 3),
    option: {
      grid: { left: 150, right: 24, top: 10, bottom: 24 }, xAxis: { type: 'value' },
      yAxis: { type: 'category', data: top.map((r) => (en && r.item_en) || r.item) },
      series: [{ type: 'bar', data: top.map((r) => r.chased), itemStyle: { color: '#e65100' }, label: { show: true, position: 'right' } }],
    },
  }
  return { tables, charts: [chart] }
}

async function complaintsReport(ctx: ReportContext, k: Kpis, L: ReportLabels, en: boolean) {
  const places = await complaintsByPlace(ctx.db, ctx.query)
  const byClass: Table = {
    sheet: L.sheets.byClass, title: L.titles.complaints, columns: [col(L.item, 'text', 22), col(L.orders, 'int')],
    rows: [...k.complaintsByCategory.map((c) => [en ? c.itemEn : c.item, c.orders]), [L.total, k.counts.complaints]],
  }
  const byPlace: Table = {
    sheet: L.sheets.byPlace, title: L.sheets.byPlace, columns: [col(L.item, 'text', 22), col(L.place, 'text', 24), col(L.orders, 'int')],
    rows: places.map((p) => [en ? p.item_en : p.item, (en && p.place_en) || p.place, p.orders]),
  }
  const list = [...k.complaintsByCategory].reverse()
  const chart: Chart = {
    title: L.complaintsChart, height: 40 + 24 * Math.max(list.length, 3),
    option: {
      grid: { left: 150, right: 24, top: 10, bottom: 24 }, xAxis: { type: 'value' }, yAxis: { type: 'category', data: list.map((c) => (en ? c.itemEn : c.item)) },
      series: [{ type: 'bar', data: list.map((c) => c.orders), itemStyle: { color: '#c62828' }, label: { show: true, position: 'right' } }],
    },
  }
  return { tables: [byClass, byPlace], charts: [chart] }
}

async function staffReport(ctx: ReportContext, k: Kpis, L: ReportLabels, en: boolean) {
  const extras = await staffExtras(ctx.db, ctx.query)
  const table: Table = {
    sheet: L.sheets.staff, title: L.titles.staff, note: L.staffNote,
    columns: [col(L.staff, 'text', 12), col(L.team, 'text', 14), col(L.completed, 'int', 9), col(L.onTime, 'int', 9), col(L.onTimeRate, 'pct', 11),
      col(L.meanResponse, 'num', 13), col(L.meanCompletion, 'num', 13), col(L.chasesReceived, 'int', 11), col(L.rated, 'int', 8), col(L.meanRating, 'num', 10), col(L.goodShare, 'pct', 12)],
    rows: k.perStaff.map((s) => {
      const x = extras.get(s.staffId)
      return [s.name, x ? (en && x.team_en) || x.team : '', s.completed, s.completedOnTime, ratio(s.completedOnTime, s.completed), s.meanResponseMinutes, s.meanCompletionMinutes,
        x?.chases ?? 0, x?.rated ?? 0, x?.mean_rating ?? null, x ? ratio(x.rated_good, x.rated) : null]
    }),
  }
  return { tables: [table], charts: [] }
}

/** 回访与反馈: the quality office's figures (feedback/feedback.report.ts), one sheet each. */
async function callbackFeedbackReport(ctx: ReportContext, L: ReportLabels, en: boolean) {
  const r = await feedbackReport(ctx.db, ctx.query.from, ctx.query.to, ctx.query.timeZone)
  const F = L.fb
  const share = (n: number, d: number): Cell => pct(ratio(n, d))
  const tables: Table[] = [
    {
      sheet: F.satisfaction, title: F.satisfaction, note: F.note,
      columns: [col(F.month, 'text', 10), col(F.department, 'text', 16), col(F.answered, 'int', 10), col(F.satisfied, 'int', 12), col(F.rate, 'pct', 11)],
      rows: r.satisfaction.map((s) => [s.month, s.hospital ? F.hospital : s.department, s.answered, s.satisfied, share(s.satisfied, s.answered)]),
    },
    {
      sheet: F.problems, title: F.problems,
      columns: [col(F.department, 'text', 16), col(F.cls, 'text', 14), col(F.text, 'text', 40), col(F.count, 'int', 8)],
      rows: r.topProblems.flatMap((d) => d.items.map((i) => [d.department, F.classes[i.class as keyof typeof F.classes] ?? i.class, i.text, i.count])),
    },
    {
      sheet: F.handling, title: F.handling,
      columns: [col(F.office, 'text', 16), col(F.received, 'int', 9), col(F.resolved, 'int', 9), col(F.processing, 'pct', 10), col(F.timely, 'int', 12), col(F.timeliness, 'pct', 10)],
      rows: r.handling.map((h) => [h.department, h.received, h.resolved, share(h.resolved, h.received), h.timely, share(h.timely, h.resolved)]),
    },
    {
      sheet: F.coverage, title: F.coverage,
      columns: [col(F.department, 'text', 16), col(F.planned, 'int', 9), col(F.completed, 'int', 9), col(F.coverageRate, 'pct', 10)],
      rows: r.coverage.departments.map((c) => [c.department, c.planned, c.completed, share(c.completed, c.planned)]),
    },
    {
      sheet: F.coverageAgents, title: F.coverageAgents,
      columns: [col(F.agent, 'text', 16), col(F.planned, 'int', 9), col(F.completed, 'int', 9), col(F.coverageRate, 'pct', 10)],
      rows: r.coverage.agents.map((c) => [c.agent, c.planned, c.completed, share(c.completed, c.planned)]),
    },
    {
      sheet: F.completeness, title: F.completeness,
      columns: [col(F.completed, 'int', 10), col(F.whole, 'int', 18), col(F.rate, 'pct', 10)],
      rows: [[r.completeness.completed, r.completeness.whole, share(r.completeness.whole, r.completeness.completed)]],
    },
  ]
  void en
  return { tables, charts: [] as Chart[] }
}

export async function buildReport(report: Exclude<ReportName, 'orders'>, ctx: ReportContext): Promise<ReportDocument> {
  const L = REPORT_LABELS[ctx.lang]
  const en = ctx.lang === 'en'
  const k = await computeKpis(ctx.db, ctx.query)
  const body = report === 'kpi' ? await kpiReport(ctx, k, L)
    : report === 'weekly-volume' ? weeklyReport(k, L, en)
      : report === 'chases' ? await chasesReport(ctx, k, L, en)
        : report === 'complaints' ? await complaintsReport(ctx, k, L, en)
          : report === 'feedback' ? await callbackFeedbackReport(ctx, L, en)
            : await staffReport(ctx, k, L, en)
  return {
    report, lang: ctx.lang, landscape: report === 'staff' || report === 'weekly-volume',
    header: { ...ctx.header, title: L.titles[report], labels: L.header },
    ...body,
  }
}
