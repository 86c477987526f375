import { Type } from 'typebox'
import { sql } from 'kysely'
import type { App } from '../http/types.ts'
import { errors, Nullable } from '../http/types.ts'
import type { Services } from '../services.ts'
import { OPEN } from '../workorders/lifecycle.ts'
import { dutyAt } from '../rosters/rosters.queries.ts'

export async function teamRoutes(app: App, { db, config, now }: Services) {
  app.get('/api/teams', {
    schema: {
      response: {
        200: Type.Object({
          items: Type.Array(Type.Object({
            id: Type.Integer(), code: Type.String(), name: Type.String(), nameEn: Type.String(), leadStaffId: Nullable(Type.Integer()),
            servicePoints: Type.Array(Type.Object({ id: Type.Integer(), name: Type.String(), nameEn: Nullable(Type.String()) })),
          })),
        }),
        ...errors,
      },
    },
  }, async () => {
    const [teams, points] = await Promise.all([
      db.selectFrom('team').selectAll().orderBy('id').execute(),
      db.selectFrom('service_point').selectAll().orderBy('id').execute(),
    ])
    return {
      items: teams.map((t) => ({
        id: t.id, code: t.code, name: t.name, nameEn: t.name_en, leadStaffId: t.lead_staff_id,
        servicePoints: points.filter((p) => p.team_id === t.id).map((p) => ({ id: p.id, name: p.name, nameEn: p.name_en })),
      })),
    }
  })

  app.get('/api/staff', {
    schema: {
      querystring: Type.Object({ teamId: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          items: Type.Array(Type.Object({
            id: Type.Integer(), teamId: Type.Integer(), name: Type.String(), skills: Type.Array(Type.String()),
            onDuty: Type.Boolean(), openOrders: Type.Integer(),
            // an active login is linked to this person; on duty without one, their orders reach nobody
            hasLogin: Type.Boolean(), onDutyWithoutLogin: Type.Boolean(),
          })),
        }),
        ...errors,
      },
    },
  }, async (request) => {
    let query = db.selectFrom('staff')
      .select(['id', 'team_id', 'name', 'skills',
        sql<number>`(SELECT count(*)::int FROM work_order w WHERE w.assignee_id = staff.id AND w.status IN (${sql.join(OPEN)}))`.as('open_orders'),
        sql<boolean>`EXISTS (SELECT 1 FROM app_user u WHERE u.staff_id = staff.id AND u.active)`.as('has_login')])
      .where('active', '=', true)
    if (request.query.teamId) query = query.where('team_id', '=', request.query.teamId)
    const [rows, duty] = await Promise.all([query.orderBy('team_id').orderBy('id').execute(), dutyAt(db, now(), config.timeZone, request.query.teamId ?? null)])
    // on duty now: by the roster where the team has one, else the 在岗 flag (and a same-day override either way)
    const onDuty = new Set(duty.filter((d) => d.onDuty).map((d) => d.staffId))
    return { items: rows.map((r) => ({ id: r.id, teamId: r.team_id, name: r.name, skills: r.skills, onDuty: onDuty.has(r.id), openOrders: r.open_orders, hasLogin: r.has_login, onDutyWithoutLogin: onDuty.has(r.id) && !r.has_login })) }
  })
}
