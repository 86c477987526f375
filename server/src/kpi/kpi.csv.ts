// The KPI report as the manager exports it: the figures the page shows, in the page's language.
import type { Static } from 'typebox'
import type { KpiReport } from './kpi.schemas.ts'
import { toCsv } from '../http/csv.ts'

const LABELS = {
  zh: {
    from: '从', to: '到', team: '班组', allTeams: '全部班组', timeliness: '及时率', response: '响应及时率', completion: '完成率', chase: '催单率',
    satisfaction: '满意度', goodShare: '满意(4–5分)占比', perStaff: '人均完成量', complaints: '投诉', counts: '工单数',
    staff: '人员', done: '完成数', onTime: '按时完成', meanResponse: '平均响应(分钟)', meanCompletion: '平均完成(分钟)', week: '周', category: '类别',
  },
  en: {
    from: 'From', to: 'To', team: 'Team', allTeams: 'All teams', timeliness: 'Timeliness', response: 'Response on time', completion: 'Completion', chase: 'Chase rate',
    satisfaction: 'Satisfaction', goodShare: 'Rated 4–5', perStaff: 'Orders per staff', complaints: 'Complaints', counts: 'Orders',
    staff: 'Staff', done: 'Completed', onTime: 'On time', meanResponse: 'Mean response (min)', meanCompletion: 'Mean completion (min)', week: 'week', category: 'Category',
  },
}

const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)}%`)
const num = (v: number | null, digits = 1) => (v === null ? '—' : v.toFixed(digits))

export function kpiCsv(k: Static<typeof KpiReport>, lang: 'zh' | 'en', teamName: string | null): string {
  const l = LABELS[lang]
  const c = k.counts
  return toCsv([
    [l.from, k.period.from], [l.to, k.period.to], [l.team, teamName ?? l.allTeams], [],
    [l.timeliness, pct(k.timelinessRate), `${c.completedOnTime}/${c.completed}`],
    [l.response, pct(k.responseOnTimeRate), `${c.arrivedOnTime}/${c.arrived}`],
    [l.completion, pct(k.completionRate), `${c.createdCompleted}/${c.created}`],
    [l.chase, pct(k.chaseRate), `${c.createdChased}/${c.created}`],
    [l.satisfaction, num(k.satisfaction.mean, 2), `${l.goodShare} ${pct(k.satisfaction.goodShare)} · n=${k.satisfaction.rated}`],
    [l.perStaff, num(k.volumePerStaff), `${c.completed} / ${k.perStaff.length}`],
    [l.complaints, String(c.complaints), `${l.counts} ${c.created}`], [],
    [l.staff, l.done, l.onTime, l.meanResponse, l.meanCompletion],
    ...k.perStaff.map((s) => [s.name, s.completed, s.completedOnTime, s.meanResponseMinutes, s.meanCompletionMinutes]), [],
    [l.week, l.category, l.counts],
    ...k.weeklyByCategory.map((w) => [w.week, lang === 'en' ? w.categoryEn : w.category, w.orders]),
  ])
}
