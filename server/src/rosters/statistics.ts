// Staff statistics for a period of local days, per person and per team. The definitions (also in
// the README, "Staff statistics"):
//   * rostered hours: the lengths of the person's roster entries whose day is in the period (a
//     shift belongs to the day it starts, so a 夜班 crossing the period's last midnight counts
//     whole), leaving out entries on a day the person is on leave;
//   * orders completed: orders now completed or closed whose completed_at falls in the period, by
//     completed_by — the person the lifecycle's complete records (the assignee then); a reopened
//     order is not counted until it is completed again;
//   * orders per rostered hour: orders completed ÷ rostered hours (null without rostered hours);
//   * average response: dispatched_at → arrived_at in minutes over those orders having both (a
//     reassignment dispatches anew, so it is the last dispatch); average completion: created_at →
//     completed_at in minutes over all of them;
//   * PM on time: of those orders, the ones filed for a PM occurrence (pmCompleted) and those
//     completed at or before the occurrence's due time (pmOnTime, as the PM calendar's on time);
//     pmOnTimeRate = pmOnTime ÷ pmCompleted.
// A person belongs to their team as it is now; a team's figures are its people's added up (its
// averages over all its people's orders, not an average of averages).
import { sql, type Kysely } from 'kysely'
import { Type } from 'typebox'
import type { DB } from '../db/types.ts'
import type { SessionUser } from '../accounts/sessions.ts'
import type { App } from '../http/types.ts'
import { errors, Nullable } from '../http/types.ts'
import { HttpError, refuseField } from '../http/errors.ts'
import type { Services } from '../services.ts'
import { addDays, instantOfDay } from '../clock/local-time.ts'
import { checkDay, requireTeam } from './rosters.service.ts'

const MAX_DAYS = 366

interface Sums { minutes: number; completed: number; responseSum: number; responseN: number; completionSum: number; pmCompleted: number; pmOnTime: number }
const zero = (): Sums => ({ minutes: 0, completed: 0, responseSum: 0, responseN: 0, completionSum: 0, pmCompleted: 0, pmOnTime: 0 })

export interface Figures {
  rosteredHours: number; ordersCompleted: number; ordersPerRosteredHour: number | null
  avgResponseMinutes: number | null; avgCompletionMinutes: number | null
  pmCompleted: number; pmOnTime: number; pmOnTimeRate: number | null
}

function figures(s: Sums): Figures {
  const hours = s.minutes / 60
  return {
    rosteredHours: hours, ordersCompleted: s.completed, ordersPerRosteredHour: hours > 0 ? s.completed / hours : null,
    avgResponseMinutes: s.responseN ? s.responseSum / s.responseN : null, avgCompletionMinutes: s.completed ? s.completionSum / s.completed : null,
    pmCompleted: s.pmCompleted, pmOnTime: s.pmOnTime, pmOnTimeRate: s.pmCompleted ? s.pmOnTime / s.pmCompleted : null,
  }
}

// ---- queries -------------------------------------------------------------------------------

async function rosteredMinutes(db: Kysely<DB>, from: string, to: string, teamId: number | null) {
  const { rows } = await sql<{ staff_id: number; minutes: number }>`
    SELECT r.staff_id, sum(st.end_minute - st.start_minute + CASE WHEN st.crosses_midnight THEN 1440 ELSE 0 END)::int AS minutes
    FROM roster_entry r JOIN shift_type st ON st.id = r.shift_type_id JOIN staff s ON s.id = r.staff_id
    WHERE r.day BETWEEN ${from}::date AND ${to}::date ${teamId === null ? sql`` : sql`AND s.team_id = ${teamId}::int`}
      AND NOT EXISTS (SELECT 1 FROM staff_leave l WHERE l.staff_id = r.staff_id AND r.day BETWEEN l.from_day AND l.to_day)
    GROUP BY r.staff_id`.execute(db)
  return rows
}

async function completedOrders(db: Kysely<DB>, start: Date, end: Date, teamId: number | null) {
  const { rows } = await sql<{ staff_id: number; completed: number; response_sum: number | null; response_n: number; completion_sum: number; pm_completed: number; pm_on_time: number }>`
    SELECT w.completed_by AS staff_id, count(*)::int AS completed,
      sum(extract(epoch FROM w.arrived_at - w.dispatched_at) / 60)::float8 AS response_sum,
      count(*) FILTER (WHERE w.arrived_at IS NOT NULL AND w.dispatched_at IS NOT NULL)::int AS response_n,
      sum(extract(epoch FROM w.completed_at - w.created_at) / 60)::float8 AS completion_sum,
      count(o.id)::int AS pm_completed,
      count(o.id) FILTER (WHERE w.completed_at <= o.due_at)::int AS pm_on_time
    FROM work_order w JOIN staff s ON s.id = w.completed_by
    LEFT JOIN pm_occurrence o ON o.work_order_id = w.id
    WHERE w.status IN ('completed', 'closed') AND w.completed_at >= ${start}::timestamptz AND w.completed_at < ${end}::timestamptz
      ${teamId === null ? sql`` : sql`AND s.team_id = ${teamId}::int`}
    GROUP BY w.completed_by`.execute(db)
  return rows
}

function people(db: Kysely<DB>, teamId: number | null) {
  let query = db.selectFrom('staff as s').innerJoin('team as t', 't.id', 's.team_id')
    .select(['s.id', 's.name', 's.active', 's.team_id', 't.name as team_name', 't.name_en as team_name_en'])
  if (teamId !== null) query = query.where('s.team_id', '=', teamId)
  return query.orderBy('t.id').orderBy('s.id').execute()
}

// ---- the figures ---------------------------------------------------------------------------

const refuse = refuseField

export async function staffStatistics(db: Kysely<DB>, period: { from: string; to: string; teamId: number | null }, timeZone: string) {
  const { from, to, teamId } = period
  checkDay(from, 'from')
  checkDay(to, 'to')
  if (to < from) throw refuse('to', `结束日期 ${to} 早于开始日期 ${from}`, `to (${to}) is before from (${from})`)
  if (addDays(from, MAX_DAYS - 1) < to) throw refuse('to', `统计期最长 ${MAX_DAYS} 天`, `a period is at most ${MAX_DAYS} days`)
  if (teamId !== null) await requireTeam(db, teamId)
  const start = instantOfDay(from, '00:00', timeZone)
  const end = instantOfDay(addDays(to, 1), '00:00', timeZone)
  const [staff, minutes, orders] = await Promise.all([people(db, teamId), rosteredMinutes(db, from, to, teamId), completedOrders(db, start, end, teamId)])
  const sums = new Map<number, Sums>()
  const of = (id: number) => sums.get(id) ?? sums.set(id, zero()).get(id)!
  for (const r of minutes) of(r.staff_id).minutes = r.minutes
  for (const r of orders) {
    Object.assign(of(r.staff_id), {
      completed: r.completed, responseSum: r.response_sum ?? 0, responseN: r.response_n, completionSum: r.completion_sum,
      pmCompleted: r.pm_completed, pmOnTime: r.pm_on_time,
    })
  }
  // the team's people who are still here, and any who left but worked in the period
  const listed = staff.filter((s) => s.active || sums.has(s.id))
  const teams = new Map<number, { id: number; name: string; nameEn: string; sums: Sums }>()
  for (const s of listed) {
    const team = teams.get(s.team_id) ?? teams.set(s.team_id, { id: s.team_id, name: s.team_name, nameEn: s.team_name_en, sums: zero() }).get(s.team_id)!
    const mine = sums.get(s.id) ?? zero()
    for (const key of Object.keys(mine) as (keyof Sums)[]) team.sums[key] += mine[key]
  }
  return {
    from, to, teamId,
    teams: [...teams.values()].map((t) => ({ id: t.id, name: t.name, nameEn: t.nameEn, ...figures(t.sums) })),
    people: listed.map((s) => ({ staffId: s.id, name: s.name, teamId: s.team_id, active: s.active, ...figures(sums.get(s.id) ?? zero()) })),
  }
}

// ---- routes --------------------------------------------------------------------------------

const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })
const FigureFields = {
  rosteredHours: Type.Number(), ordersCompleted: Type.Integer(), ordersPerRosteredHour: Nullable(Type.Number()),
  avgResponseMinutes: Nullable(Type.Number()), avgCompletionMinutes: Nullable(Type.Number()),
  pmCompleted: Type.Integer(), pmOnTime: Type.Integer(), pmOnTimeRate: Nullable(Type.Number()),
}

/** A team lead sees their own team (asked for none: theirs); managers and the administrator any or all. */
function teamInScope(user: SessionUser, teamId: number | undefined) {
  if (user.role !== 'team_lead') return teamId ?? null
  if (user.teamId === null || (teamId !== undefined && teamId !== user.teamId)) throw new HttpError(403, 'forbidden', '班组长只能查看本班组的统计', undefined, { messageEn: "a team lead sees their own team's statistics only" })
  return user.teamId
}

export async function statisticsRoutes(app: App, { db, config }: Services) {
  app.get('/api/staff-statistics', {
    schema: {
      querystring: Type.Object({ from: Day, to: Day, teamId: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647 })) }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          from: Type.String(), to: Type.String(), teamId: Nullable(Type.Integer()),
          teams: Type.Array(Type.Object({ id: Type.Integer(), name: Type.String(), nameEn: Type.String(), ...FigureFields })),
          people: Type.Array(Type.Object({ staffId: Type.Integer(), name: Type.String(), teamId: Type.Integer(), active: Type.Boolean(), ...FigureFields })),
        }),
        ...errors,
      },
    },
  }, async (request) => {
    const { from, to } = request.query
    return staffStatistics(db, { from, to, teamId: teamInScope(request.user!, request.query.teamId) }, config.timeZone)
  })
}
