import { Type } from 'typebox'
import type { App } from '../http/types.ts'
import { errors } from '../http/types.ts'
import { badRequest } from '../http/errors.ts'
import type { Services } from '../services.ts'
import { computeKpis } from './kpi.queries.ts'
import { KpiReport } from './kpi.schemas.ts'

const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })

function checkDay(field: string, value: string) {
  const d = new Date(`${value}T00:00:00Z`)
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value) throw badRequest(field, `${field} is not a real date: ${value}`)
  return d
}

export async function kpiRoutes(app: App, { db, config }: Services) {
  app.get('/api/kpi', {
    schema: {
      querystring: Type.Object({ from: Day, to: Day, teamId: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false }),
      response: { 200: KpiReport, ...errors },
    },
  }, async (request) => {
    const { from, to, teamId } = request.query
    const start = checkDay('from', from)
    const end = checkDay('to', to)
    if (end < start) throw badRequest('to', 'to is before from')
    if (end.getTime() - start.getTime() > 5 * 366 * 86_400_000) throw badRequest('to', 'a KPI period is at most five years')
    // a team lead sees their own team's figures
    const user = request.user!
    const team = user.role === 'team_lead' ? user.teamId ?? undefined : teamId
    return computeKpis(db, { from, to, teamId: team, timeZone: config.timeZone })
  })
}
