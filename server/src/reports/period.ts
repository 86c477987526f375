// What a report request is, checked once for both ways of asking (GET /api/reports/:file and
// POST /api/report-jobs): the period, the team (a team lead's is their own), the language, and the
// header block the file carries.
import type { Kysely } from 'kysely'
import type { DB } from '../db/types.ts'
import type { Config } from '../config.ts'
import { refuseField } from '../http/errors.ts'
import { checkDay } from '../kpi/kpi.routes.ts'
import type { KpiQuery } from '../kpi/kpi.queries.ts'
import { findTeam } from './reports.queries.ts'
import { REPORT_LABELS } from './labels.ts'
import type { ReportHeader } from './reports.document.ts'

export const MAX_DAYS = 366

export interface ReportAsk { from: string; to: string; teamId?: number; lang?: 'zh' | 'en' }
export interface Asker { role: string; teamId: number | null; displayName: string }

/** A 400 naming the field, in Chinese with the English beside it, as the screens show messages. */
export const refuse = refuseField

export function localStamp(timeZone: string, at = new Date()) {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    .formatToParts(at).map((x) => [x.type, x.value]))
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`
}

/** The period checked and the team resolved; refusals name the field. */
export async function checkAsk(db: Kysely<DB>, config: Config, asker: Asker, ask: ReportAsk) {
  const start = checkDay('from', ask.from)
  const end = checkDay('to', ask.to)
  if (end < start) throw refuse('to', '结束日期早于开始日期', 'to is before from')
  if ((end.getTime() - start.getTime()) / 86_400_000 + 1 > MAX_DAYS) throw refuse('to', `报表期间最长 ${MAX_DAYS} 天`, `a report covers at most ${MAX_DAYS} days`)
  // a team lead's reports are their own team's, as on the KPI page
  const teamId = asker.role === 'team_lead' ? asker.teamId ?? undefined : ask.teamId
  const team = teamId ? await findTeam(db, teamId) : undefined
  if (teamId && !team) throw refuse('teamId', `没有编号为 ${teamId} 的班组`, `no team ${teamId}`)
  const lang = ask.lang ?? 'zh'
  const query: KpiQuery = { from: ask.from, to: ask.to, teamId, timeZone: config.timeZone }
  return { query, team, lang }
}

/** The header block of a file: hospital, period, team, generated at and by whom. */
export function headerOf(config: Config, ask: { from: string; to: string; lang: 'zh' | 'en' }, team: { name: string; name_en: string | null } | undefined, by: string, at = new Date()) {
  const L = REPORT_LABELS[ask.lang]
  return {
    hospital: config.hospitalName, period: `${ask.from} — ${ask.to}`, team: team ? (ask.lang === 'en' && team.name_en) || team.name : L.allTeams,
    generatedAt: `${localStamp(config.timeZone, at)} (${config.timeZone})`, generatedBy: by,
  } satisfies Omit<ReportHeader, 'title' | 'labels'>
}
