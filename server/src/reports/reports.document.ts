// A report as both renderers take it: language already chosen, figures as numbers, no database.
// It crosses into the render worker as a plain object (structured clone), so it holds no classes.
export type ReportName = 'kpi' | 'weekly-volume' | 'chases' | 'complaints' | 'staff' | 'orders' | 'feedback'
export type Kind = 'text' | 'int' | 'num' | 'pct'
/** a cell; a number may carry its own kind where a column mixes rates and counts */
export type Cell = string | number | null | { value: number | null; kind: Kind }

export interface Column { label: string; kind: Kind; width: number }
export interface Table { sheet: string; title: string; columns: Column[]; rows: Cell[][]; note?: string }
export interface Chart { title: string; option: Record<string, unknown>; height: number }

export interface ReportHeader {
  hospital: string
  title: string
  period: string
  team: string
  generatedAt: string
  generatedBy: string
  labels: { hospital: string; period: string; team: string; generatedAt: string; generatedBy: string; page: string }
}

export interface ReportDocument {
  report: ReportName
  lang: 'zh' | 'en'
  landscape: boolean
  header: ReportHeader
  tables: Table[]
  charts: Chart[]
}

/** One order row of the long export; times are local wall-clock text (YYYY-MM-DDTHH:MM:SS). */
export type OrderRow = [number: string, createdAt: string, category: string, item: string, location: string, team: string, assignee: string | null,
  status: string, urgency: string, chases: number, responseOnTime: boolean | null, completionOnTime: boolean | null, completedAt: string | null, rating: number | null]
