import { Type } from 'typebox'
import type { FastifyRequest } from 'fastify'
import type { App } from '../http/types.ts'
import { errors } from '../http/types.ts'
import { badRequest } from '../http/errors.ts'
import type { Services } from '../services.ts'
import { computeKpis } from './kpi.queries.ts'
import { KpiReport } from './kpi.schemas.ts'
import { kpiCsv } from './kpi.csv.ts'

const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })
const Period = { from: Day, to: Day, teamId: Type.Optional(Type.Integer({ minimum: 1 })) }

export function checkDay(field: string, value: string) {
  const d = new Date(`${value}T00:00:00Z`)
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value) throw badRequest(field, `${field} is not a real date: ${value}`)
  return d
}

export async function kpiRoutes(app: App, { db, config }: Services) {
  /** The period asked for, checked; a team lead sees their own team's figures. */
  function periodOf(request: FastifyRequest, { from, to, teamId }: { from: string; to: string; teamId?: number }) {
    const start = checkDay('from', from)
    const end = checkDay('to', to)
    if (end < start) throw badRequest('to', 'to is before from')
    if (end.getTime() - start.getTime() > 5 * 366 * 86_400_000) throw badRequest('to', 'a KPI period is at most five years')
    const user = request.user!
    return { from, to, teamId: user.role === 'team_lead' ? user.teamId ?? undefined : teamId, timeZone: config.timeZone }
  }

  app.get('/api/kpi', {
    schema: {
      querystring: Type.Object(Period, { additionalProperties: false }),
      response: { 200: KpiReport, ...errors },
    },
  }, async (request) => computeKpis(db, periodOf(request, request.query)))

  app.get('/api/kpi.csv', {
    schema: {
      querystring: Type.Object({ ...Period, lang: Type.Optional(Type.Union([Type.Literal('zh'), Type.Literal('en')])) }, { additionalProperties: false }),
    },
  }, async (request, reply) => {
    const period = periodOf(request, request.query)
    const lang = request.query.lang ?? 'zh'
    const report = await computeKpis(db, period)
    const team = period.teamId ? await db.selectFrom('team').select(['name', 'name_en']).where('id', '=', period.teamId).executeTakeFirst() : undefined
    const teamName = team ? (lang === 'en' && team.name_en) || team.name : null
    return reply.type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="hotline100-kpi-${period.from}-${period.to}.csv"`)
      .send(kpiCsv(report, lang, teamName))
  })
}
