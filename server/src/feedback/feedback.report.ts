// The quality office's and the manager's figures for a period of local days [from, to]; exact
// definitions in the README ("Callback and feedback reports"). Every figure is a count pair, so a
// screen or a sheet can show the ratio and what it is of.
import { sql, type Kysely } from 'kysely'
import type { DB } from '../db/types.ts'
import type { TemplateQuestion } from '../db/types.callbacks.ts'

const ratio = (n: number, d: number) => (d === 0 ? null : Math.round((n / d) * 1000) / 10)

export async function feedbackReport(db: Kysely<DB>, from: string, to: string, tz: string) {
  // local days as instants: [from 00:00, the day after `to` 00:00) in the hospital's zone
  const range = sql`(${from}::date::timestamp AT TIME ZONE ${tz}) AND ((${to}::date + 1)::timestamp AT TIME ZONE ${tz})`
  const month = (col: string) => sql.raw(`to_char(${col} AT TIME ZONE '${tz.replace(/'/g, '')}', 'YYYY-MM')`)

  // 1. satisfaction: completed callbacks with a `satisfaction` answer; satisfied = 4 or 5
  const sat = await sql<{ month: string; department: string | null; total: number; answered: number; satisfied: number }>`
    SELECT ${month('t.completed_at')} AS month, d.name AS department, GROUPING(d.name) AS total, count(*)::int AS answered,
           count(*) FILTER (WHERE t.answers->>'satisfaction' IN ('4', '5'))::int AS satisfied
    FROM callback_task t LEFT JOIN department d ON d.id = t.department_id
    WHERE t.outcome = 'completed' AND t.answers ? 'satisfaction' AND t.completed_at BETWEEN ${range}
    GROUP BY GROUPING SETS ((${month('t.completed_at')}, d.name), (${month('t.completed_at')})) ORDER BY 1, 3 DESC, 2`.execute(db)

  // 2. each department's top five problems: feedback about it, by class and text (praise is no problem)
  const problems = await sql<{ department: string; class: string; text: string; n: number }>`
    SELECT d.name AS department, f.class, f.text, count(*)::int AS n
    FROM feedback f JOIN department d ON d.id = f.subject_department_id
    WHERE f.created_at BETWEEN ${range} AND f.kind = 'complaint'
    GROUP BY 1, 2, 3 ORDER BY 1, 4 DESC, 2, 3`.execute(db)
  const top = new Map<string, { class: string; text: string; count: number }[]>()
  for (const p of problems.rows) {
    const list = top.get(p.department) ?? []
    if (list.length < 5) list.push({ class: p.class, text: p.text, count: p.n })
    top.set(p.department, list)
  }

  // 3. processing rate and timeliness per responsible office (praise is passed on, not processed)
  const handling = await sql<{ department: string; received: number; resolved: number; timely: number }>`
    SELECT d.name AS department, count(*)::int AS received,
           count(*) FILTER (WHERE f.status IN ('resolved', 'closed'))::int AS resolved,
           count(*) FILTER (WHERE f.status IN ('resolved', 'closed') AND f.resolved_in_time)::int AS timely
    FROM feedback f JOIN department d ON d.id = f.responsible_department_id
    WHERE f.created_at BETWEEN ${range} AND f.kind = 'complaint'
    GROUP BY 1 ORDER BY 1`.execute(db)

  // 4. coverage: plans due in the period, cancelled ones left out (readmitted, deceased, re-planned)
  const coverage = await sql<{ department: string | null; agent: string | null; by_agent: number; planned: number; completed: number }>`
    SELECT d.name AS department, u.display_name AS agent, GROUPING(d.name) AS by_agent, count(*)::int AS planned,
           count(*) FILTER (WHERE t.outcome = 'completed')::int AS completed
    FROM callback_task t LEFT JOIN department d ON d.id = t.department_id LEFT JOIN app_user u ON u.id = t.assigned_user_id
    WHERE t.kind = 'plan' AND t.status <> 'cancelled' AND t.due_date BETWEEN ${from}::date AND ${to}::date
    GROUP BY GROUPING SETS ((d.name), (u.display_name)) ORDER BY 3, 1, 2`.execute(db)

  // 5. completeness: completed callbacks with every required question answered
  const completed = await db.selectFrom('callback_task as t').innerJoin('callback_template as tpl', 'tpl.id', 't.template_id').leftJoin('department as d', 'd.id', 't.department_id')
    .select(['t.answers', 'tpl.questions', 'd.name as department']).where('t.outcome', '=', 'completed').where('t.kind', '=', 'plan')
    .where('t.due_date', '>=', sql<string>`${from}::date`).where('t.due_date', '<=', sql<string>`${to}::date`).execute()
  const whole = completed.filter((c) => {
    const answers = (c.answers as unknown as Record<string, string> | null) ?? {}
    return (c.questions as unknown as TemplateQuestion[]).every((q) => !q.required || (answers[q.key] ?? '') !== '')
  }).length

  return {
    from, to,
    satisfaction: sat.rows.map((r) => ({ month: r.month, department: Number(r.total) === 1 ? null : r.department ?? '—', hospital: Number(r.total) === 1, answered: r.answered, satisfied: r.satisfied, rate: ratio(r.satisfied, r.answered) })),
    topProblems: [...top.entries()].map(([department, items]) => ({ department, items })),
    handling: handling.rows.map((r) => ({ department: r.department, received: r.received, resolved: r.resolved, processingRate: ratio(r.resolved, r.received), timely: r.timely, timeliness: ratio(r.timely, r.resolved) })),
    coverage: {
      departments: coverage.rows.filter((r) => Number(r.by_agent) === 0).map((r) => ({ department: r.department ?? '—', planned: r.planned, completed: r.completed, rate: ratio(r.completed, r.planned) })),
      agents: coverage.rows.filter((r) => Number(r.by_agent) === 1).map((r) => ({ agent: r.agent ?? '待分配', planned: r.planned, completed: r.completed, rate: ratio(r.completed, r.planned) })),
    },
    completeness: { completed: completed.length, whole, rate: ratio(whole, completed.length) },
  }
}
