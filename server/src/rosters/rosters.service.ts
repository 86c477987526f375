// Rules of rosters: shift types per team, the week grid, roster cells (nobody on two shifts at once),
// copying last week, leave, and the lead's same-day duty override. Every change is one transaction:
// a refused request leaves nothing behind.
import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../db/types.ts'
import type { LeaveKind } from '../db/types.rosters.ts'
import type { SessionUser } from '../accounts/sessions.ts'
import { HttpError, refuseField } from '../http/errors.ts'
import { addDays, localClock } from '../clock/local-time.ts'
import * as q from './rosters.queries.ts'

/** 400 naming the field, in Chinese with the English beside it (as the screens show messages). */
const refuse = refuseField

export function checkTeamScope(user: SessionUser, teamId: number) {
  if (user.role === 'team_lead' && user.teamId !== teamId) {
    throw new HttpError(403, 'forbidden', '班组长只能编排本班组', undefined, { messageEn: 'a team lead rosters their own team only' })
  }
}

export async function requireTeam(db: Kysely<DB>, teamId: number, field = 'teamId') {
  const team = await q.findTeam(db, teamId)
  if (!team) throw refuse(field, `没有编号为 ${teamId} 的班组`, `no team ${teamId}`)
  return team
}

/** A real calendar day written YYYY-MM-DD (2026-02-30 is not one). */
export function checkDay(day: string, field: string) {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number]
  const date = new Date(Date.UTC(y, m - 1, d))
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) {
    throw refuse(field, `${day} 不是有效日期（应为 YYYY-MM-DD）`, `${day} is not a date (YYYY-MM-DD)`)
  }
  return day
}

/** The Monday of the ISO week holding `day`. */
export function mondayOf(day: string) {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number]
  const weekday = new Date(Date.UTC(y, m - 1, d)).getUTCDay() || 7
  return addDays(day, 1 - weekday)
}

const minuteOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))
export const hhmmOf = (minute: number) => `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`

export interface ShiftTypeInput { id?: number; name: string; nameEn?: string | null; start: string; end: string; crossesMidnight?: boolean }
export interface ShiftType { id: number; teamId: number; name: string; nameEn: string | null; start: string; end: string; crossesMidnight: boolean; active: boolean }

const toShiftType = (r: Awaited<ReturnType<typeof q.shiftTypes>>[number]): ShiftType => ({
  id: r.id, teamId: r.team_id, name: r.name, nameEn: r.name_en, start: hhmmOf(r.start_minute), end: hhmmOf(r.end_minute), crossesMidnight: r.crosses_midnight, active: r.active,
})

export async function listShiftTypes(db: Kysely<DB>, teamId: number) {
  return (await q.shiftTypes(db, teamId)).map(toShiftType)
}

/**
 * The team's shift types become exactly `items` (in that order): listed ids are changed, new ones
 * added, active ones left out retired (deleted when no roster used them). Times that would make an
 * existing roster double-book someone are refused.
 */
export async function saveShiftTypes(db: Kysely<DB>, teamId: number, items: ShiftTypeInput[], today: string) {
  const names = new Set<string>()
  const parsed = items.map((it, i) => {
    const name = it.name.trim()
    if (names.has(name)) throw refuse(`items.${i}.name`, `班次名称「${name}」重复`, `shift name "${name}" is used twice`)
    names.add(name)
    const start = minuteOf(it.start)
    const end = minuteOf(it.end)
    const crosses = it.crossesMidnight ?? false
    if (start >= 1440) throw refuse(`items.${i}.start`, '班次开始时间应在 00:00–23:59 之间', 'a shift starts between 00:00 and 23:59')
    if (end === 0 && !crosses) throw refuse(`items.${i}.end`, '结束于 00:00 的班次请写 24:00，或勾选跨午夜', 'a shift ending at midnight ends at 24:00, or is marked as crossing midnight')
    if (!crosses && end <= start) throw refuse(`items.${i}.end`, `班次「${name}」结束时间 ${it.end} 不晚于开始时间 ${it.start}：跨午夜的班次请勾选“跨午夜”`, `shift "${name}" ends (${it.end}) before it starts (${it.start}): mark a shift that crosses midnight as such`)
    if (crosses && (end > start || end === 1440)) throw refuse(`items.${i}.crossesMidnight`, `班次「${name}」${it.start}–${it.end} 没有跨过午夜`, `shift "${name}" ${it.start}–${it.end} does not cross midnight`)
    return { id: it.id, name, nameEn: it.nameEn?.trim() || null, start, end, crosses, position: i }
  })
  return db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('shift_type').selectAll().where('team_id', '=', teamId).forUpdate().execute()
    for (const [i, it] of parsed.entries()) {
      if (it.id !== undefined && !existing.some((e) => e.id === it.id)) throw refuse(`items.${i}.id`, `班次 ${it.id} 不属于该班组`, `shift type ${it.id} is not one of this team's`)
    }
    const kept = new Set(parsed.flatMap((it) => (it.id === undefined ? [] : [it.id])))
    for (const e of existing) {
      if (kept.has(e.id) || !e.active) continue
      if (await q.shiftTypeInUse(trx, e.id)) await trx.updateTable('shift_type').set({ active: false }).where('id', '=', e.id).execute()
      else await trx.deleteFrom('shift_type').where('id', '=', e.id).execute()
    }
    for (const it of parsed) {
      const values = { name: it.name, name_en: it.nameEn, start_minute: it.start, end_minute: it.end, crosses_midnight: it.crosses, position: it.position, active: true }
      if (it.id === undefined) await trx.insertInto('shift_type').values({ team_id: teamId, ...values }).execute()
      else await trx.updateTable('shift_type').set(values).where('id', '=', it.id).execute()
    }
    // changed times must not make anyone's coming roster overlap
    const people = (await q.teamStaff(trx, teamId)).map((s) => s.id)
    assertNoOverlap(await q.entries(trx, { staffIds: people }, addDays(today, -1), addDays(today, 400)), (staffId, day) =>
      refuse('items', `改动后 ${day} 有人排到两个重叠的班次（员工 ${staffId}）`, `after this change staff member ${staffId} would work two overlapping shifts on ${day}`))
    return (await q.shiftTypes(trx, teamId)).map(toShiftType)
  })
}

/** A shift as minutes from a fixed day, so shifts of neighbouring days compare. */
function span(e: q.EntryRow) {
  const dayMinutes = Date.parse(`${e.day}T00:00:00Z`) / 60_000
  return { from: dayMinutes + e.startMinute, to: dayMinutes + e.endMinute + (e.crossesMidnight ? 1440 : 0) }
}

/** Throws the error `fail` builds for the first person found on two overlapping shifts. */
function assertNoOverlap(rows: q.EntryRow[], fail: (staffId: number, day: string, a: q.EntryRow, b: q.EntryRow) => Error) {
  const byStaff = new Map<number, q.EntryRow[]>()
  for (const r of rows) byStaff.set(r.staffId, [...(byStaff.get(r.staffId) ?? []), r])
  for (const [staffId, list] of byStaff) {
    const sorted = list.map((e) => ({ e, ...span(e) })).sort((a, b) => a.from - b.from)
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i]!.from < sorted[i - 1]!.to) throw fail(staffId, sorted[i]!.e.day, sorted[i - 1]!.e, sorted[i]!.e)
    }
  }
}

export interface CellInput { staffId: number; day: string; shiftTypeIds: number[] }

/** Each cell becomes exactly its shifts (none: off that day). All cells or none. */
export async function saveCells(db: Kysely<DB>, teamId: number, cells: CellInput[], user: SessionUser) {
  cells.forEach((c, i) => checkDay(c.day, `cells.${i}.day`))
  const seen = new Set<string>()
  cells.forEach((c, i) => {
    const key = `${c.staffId} ${c.day}`
    if (seen.has(key)) throw refuse(`cells.${i}`, `员工 ${c.staffId} 在 ${c.day} 出现了两次`, `staff member ${c.staffId} on ${c.day} is listed twice`)
    seen.add(key)
  })
  const staffIds = [...new Set(cells.map((c) => c.staffId))]
  return db.transaction().execute(async (trx) => {
    const people = await q.lockStaff(trx, staffIds)
    const types = await q.shiftTypesByIds(trx, [...new Set(cells.flatMap((c) => c.shiftTypeIds))])
    for (const [i, c] of cells.entries()) {
      const person = people.find((p) => p.id === c.staffId)
      if (!person || person.team_id !== teamId) throw refuse(`cells.${i}.staffId`, `班组里没有编号为 ${c.staffId} 的员工`, `no staff member ${c.staffId} in this team`)
      if (!person.active && c.shiftTypeIds.length) throw refuse(`cells.${i}.staffId`, `${person.name} 已离职，不能排班`, `${person.name} has left and cannot be rostered`)
      for (const id of c.shiftTypeIds) {
        const t = types.find((s) => s.id === id)
        if (!t || t.team_id !== teamId || !t.active) throw refuse(`cells.${i}.shiftTypeIds`, `该班组没有编号为 ${id} 的班次`, `no shift type ${id} in this team`)
      }
      await q.deleteEntries(trx, c.staffId, c.day)
      await q.insertEntries(trx, [...new Set(c.shiftTypeIds)].map((id) => ({ teamId, staffId: c.staffId, day: c.day, shiftTypeId: id })), user.id)
    }
    const days = cells.map((c) => c.day).sort()
    if (days.length === 0) return
    const rows = await q.entries(trx, { staffIds }, addDays(days[0]!, -1), addDays(days[days.length - 1]!, 1))
    assertNoOverlap(rows, (staffId, day, a, b) => {
      const name = people.find((p) => p.id === staffId)?.name ?? String(staffId)
      const i = cells.findIndex((c) => c.staffId === staffId && (c.day === a.day || c.day === b.day))
      return refuse(`cells.${Math.max(i, 0)}.shiftTypeIds`, `${name} 在 ${day} 被排了两个重叠的班次（${a.day} ${a.shiftName} 与 ${b.day} ${b.shiftName}）`,
        `${name} would work two overlapping shifts on ${day} (${a.day} ${a.shiftName} and ${b.day} ${b.shiftName})`)
    })
  })
}

/** The week before `week` copied onto it (its own entries replaced), for the team's present people. */
export async function copyLastWeek(db: Kysely<DB>, teamId: number, week: string, user: SessionUser) {
  const monday = mondayOf(week)
  const source = await q.entries(db, { teamId }, addDays(monday, -7), addDays(monday, -1))
  if (source.length === 0) throw refuse('week', `${addDays(monday, -7)} 那一周没有排班可复制`, `the week of ${addDays(monday, -7)} has no roster to copy`)
  return db.transaction().execute(async (trx) => {
    const people = await q.lockStaff(trx, [...new Set(source.map((e) => e.staffId))])
    const present = new Set(people.filter((p) => p.active && p.team_id === teamId).map((p) => p.id))
    const types = await q.shiftTypesByIds(trx, [...new Set(source.map((e) => e.shiftTypeId))])
    const live = new Set(types.filter((t) => t.active).map((t) => t.id))
    await q.deleteTeamEntries(trx, teamId, monday, addDays(monday, 6))
    const copied = source.filter((e) => present.has(e.staffId) && live.has(e.shiftTypeId))
    await q.insertEntries(trx, copied.map((e) => ({ teamId, staffId: e.staffId, day: addDays(e.day, 7), shiftTypeId: e.shiftTypeId })), user.id)
    assertNoOverlap(await q.entries(trx, { staffIds: [...present] }, addDays(monday, -1), addDays(monday, 7)), (staffId, day) =>
      refuse('week', `复制后员工 ${staffId} 在 ${day} 有两个重叠的班次`, `after copying, staff member ${staffId} would work two overlapping shifts on ${day}`))
    return copied.length
  })
}

export interface LeaveInput { staffId: number; from: string; to: string; kind: LeaveKind; note?: string }

export async function addLeave(db: Kysely<DB>, input: LeaveInput, user: SessionUser) {
  checkDay(input.from, 'from')
  checkDay(input.to, 'to')
  if (input.to < input.from) throw refuse('to', `结束日期 ${input.to} 早于开始日期 ${input.from}`, `to (${input.to}) is before from (${input.from})`)
  return db.transaction().execute(async (trx) => {
    const [person] = await q.lockStaff(trx, [input.staffId])
    if (!person) throw refuse('staffId', `没有编号为 ${input.staffId} 的员工`, `no staff member ${input.staffId}`)
    checkTeamScope(user, person.team_id)
    const clash = await q.leaveBetween(trx, { staffId: person.id }, input.from, input.to)
    if (clash[0]) throw refuse('from', `${person.name} 在 ${clash[0].from}–${clash[0].to} 已有请假记录`, `${person.name} already has leave ${clash[0].from}–${clash[0].to}`)
    const { id } = await q.insertLeave(trx, { ...input, note: input.note?.trim() ?? '', userId: user.id, userName: user.displayName })
    return { id, staffId: person.id, from: input.from, to: input.to, kind: input.kind, note: input.note?.trim() ?? '', createdBy: user.displayName }
  })
}

/** The lead ticked or unticked 在岗 by hand: it holds for today (local) and records who and when. */
export function recordDutyOverride(db: Kysely<DB> | Transaction<DB>, staffId: number, onDuty: boolean, user: SessionUser, at: Date, timeZone: string) {
  return q.upsertDutyOverride(db, { staffId, day: localClock(at, timeZone).day, onDuty, userId: user.id, userName: user.displayName, at })
}

/** The team's week as the grid shows it: shifts, people (with their duty now), entries, leave, overrides. */
export async function weekGrid(db: Kysely<DB>, teamId: number, week: string, now: Date, timeZone: string) {
  const team = await requireTeam(db, teamId)
  const monday = mondayOf(checkDay(week, 'week'))
  const sunday = addDays(monday, 6)
  const [types, people, rows, leave, overrides, duty, rostered] = await Promise.all([
    listShiftTypes(db, teamId), q.teamStaff(db, teamId), q.entries(db, { teamId }, monday, sunday),
    q.leaveBetween(db, { teamId }, monday, sunday), q.dutyOverrides(db, teamId, monday, sunday), q.dutyAt(db, now, timeZone, teamId), q.teamHasRoster(db, teamId),
  ])
  const used = new Set(rows.map((r) => r.shiftTypeId))
  return {
    team: { id: team.id, name: team.name, nameEn: team.name_en },
    week: monday,
    days: Array.from({ length: 7 }, (_, i) => addDays(monday, i)),
    // a team with no roster at all runs on the manual 在岗 flags
    rostered,
    shiftTypes: types.filter((t) => t.active || used.has(t.id)),
    staff: people.filter((p) => p.active || rows.some((r) => r.staffId === p.id)).map((p) => {
      const d = duty.find((x) => x.staffId === p.id)
      return { id: p.id, name: p.name, active: p.active, onDutyNow: d?.onDuty ?? false, dutySource: d?.source ?? 'inactive', shiftNow: d?.shiftName ?? null }
    }),
    entries: rows.map((r) => ({ staffId: r.staffId, day: r.day, shiftTypeId: r.shiftTypeId })),
    leave,
    overrides,
  }
}

/** days from `from` to `to`, both included */
const daysBetween = (from: string, to: string) => Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1
/** the longest span one rotation or import fills: two months */
export const MAX_FILL_DAYS = 62

/** saveCells' refusals name `cells.N…`; a caller that made the cells says which of its own fields was at fault. */
async function saveAs(db: Kysely<DB>, teamId: number, cells: CellInput[], user: SessionUser, fieldOf: (cell: CellInput | undefined, field: string) => string) {
  try {
    await saveCells(db, teamId, cells, user)
  } catch (err) {
    const m = err instanceof HttpError && err.field ? /^cells\.(\d+)(?:\.(\w+))?$/.exec(err.field) : null
    if (!m || !(err instanceof HttpError)) throw err
    throw new HttpError(err.statusCode, err.error, err.message, fieldOf(cells[Number(m[1])], m[2] ?? ''), err.extra)
  }
}

export interface RotationInput { teamId: number; from: string; to: string; cycle: (number | null)[]; staff: { staffId: number; offset?: number }[] }

/**
 * A rotation pattern fills a span (a month): the team's cycle of shifts (早 早 中 中 夜 夜 休 休 …, null
 * for a day off) repeated from `from`, each person starting at their own offset into it; their days in
 * the span become exactly what the cycle says. All or nothing, checked as the week grid is.
 */
export async function fillRotation(db: Kysely<DB>, r: RotationInput, user: SessionUser) {
  checkDay(r.from, 'from')
  checkDay(r.to, 'to')
  const days = daysBetween(r.from, r.to)
  if (days < 1) throw refuse('to', '结束日期早于开始日期', 'to is before from')
  if (days > MAX_FILL_DAYS) throw refuse('to', `一次最多排 ${MAX_FILL_DAYS} 天`, `at most ${MAX_FILL_DAYS} days at once`)
  if (!r.cycle.some((id) => id !== null)) throw refuse('cycle', '轮班规律里至少要有一个班次', 'the cycle needs at least one shift')
  const seen = new Set<number>()
  r.staff.forEach((s, i) => {
    if (seen.has(s.staffId)) throw refuse(`staff.${i}.staffId`, `员工 ${s.staffId} 出现了两次`, `staff member ${s.staffId} is listed twice`)
    seen.add(s.staffId)
  })
  const cells: CellInput[] = r.staff.flatMap((s) => Array.from({ length: days }, (_, d) => {
    const id = r.cycle[(d + (s.offset ?? 0)) % r.cycle.length] ?? null
    return { staffId: s.staffId, day: addDays(r.from, d), shiftTypeIds: id === null ? [] : [id] }
  }))
  await saveAs(db, r.teamId, cells, user, (cell, field) => field === 'shiftTypeIds' ? 'cycle' : `staff.${r.staff.findIndex((s) => s.staffId === cell?.staffId)}.staffId`)
  return { days, people: r.staff.length, shifts: cells.filter((c) => c.shiftTypeIds.length).length }
}

/** what a spreadsheet cell may say for a day off */
const OFF = new Set(['', '休', '休息', '-', '—', '/', 'off', 'OFF'])

export interface ImportProblem { row: number; column: string; message: string; messageEn: string }

/**
 * A roster as the hospital keeps it in Excel: a header row 姓名, then one column per day (YYYY-MM-DD,
 * at most two months), one row per person, each cell a shift's name (早班, 夜班; several joined by +
 * or 、; empty or 休 for a day off). Every problem of the file is listed with its row and column; if
 * there is one, nothing is saved. The days of the file become exactly what it says for the people in it.
 */
export async function importRosterCsv(db: Kysely<DB>, teamId: number, rows: Record<string, string>[], user: SessionUser) {
  const problems: ImportProblem[] = []
  const say = (row: number, column: string, message: string, messageEn: string) => problems.push({ row, column, message, messageEn })
  const header = Object.keys(rows[0] ?? {})
  const nameColumn = header.find((h) => ['姓名', 'name', '员工'].includes(h.replace(/^\uFEFF/, '').trim()))
  if (!nameColumn) throw new HttpError(422, 'invalid_rows', '第一行应为表头：姓名，然后每天一列（YYYY-MM-DD）', 'header', { messageEn: 'the first row is the header: 姓名 (name), then one column per day (YYYY-MM-DD)', rows: [] })
  const dayColumns = header.filter((h) => h !== nameColumn)
  for (const h of dayColumns) {
    try { checkDay(h.trim(), h) } catch { say(1, h, `表头“${h}”不是日期（应为 YYYY-MM-DD）`, `header "${h}" is not a date (YYYY-MM-DD)`) }
  }
  const days = dayColumns.map((h) => h.trim()).sort()
  if (days.length === 0) say(1, nameColumn, '没有日期列', 'no day columns')
  else if (daysBetween(days[0]!, days[days.length - 1]!) > MAX_FILL_DAYS) say(1, dayColumns[dayColumns.length - 1]!, `一次最多导入 ${MAX_FILL_DAYS} 天`, `at most ${MAX_FILL_DAYS} days at once`)
  const [people, types] = await Promise.all([q.teamStaff(db, teamId), q.shiftTypes(db, teamId)])
  const byName = new Map<string, number[]>()
  for (const p of people.filter((x) => x.active)) byName.set(p.name, [...(byName.get(p.name) ?? []), p.id])
  const typeByName = new Map(types.filter((t) => t.active).flatMap((t) => [[t.name, t.id], ...(t.name_en ? [[t.name_en, t.id]] : [])] as [string, number][]))
  const cells: (CellInput & { row: number; column: string })[] = []
  const listed = new Set<number>()
  rows.forEach((r, i) => {
    const row = i + 2
    const name = (r[nameColumn] ?? '').trim()
    const ids = byName.get(name)
    if (!ids) return say(row, nameColumn, `班组里没有在职员工“${name}”`, `no active staff member "${name}" in this team`)
    if (ids.length > 1) return say(row, nameColumn, `班组里有 ${ids.length} 位“${name}”，请在排班表上改`, `${ids.length} people are called "${name}": use the week grid`)
    if (listed.has(ids[0]!)) return say(row, nameColumn, `“${name}”出现了两次`, `"${name}" is listed twice`)
    listed.add(ids[0]!)
    for (const column of dayColumns) {
      const text = (r[column] ?? '').trim()
      const names = OFF.has(text) ? [] : text.split(/[+＋、,，/]/).map((x) => x.trim()).filter(Boolean)
      const shiftTypeIds: number[] = []
      for (const n of names) {
        const id = typeByName.get(n)
        if (id === undefined) say(row, column, `没有名为“${n}”的班次（本班组的班次：${types.filter((t) => t.active).map((t) => t.name).join('、')}）`, `no shift called "${n}"`)
        else shiftTypeIds.push(id)
      }
      cells.push({ staffId: ids[0]!, day: column.trim(), shiftTypeIds, row, column })
    }
  })
  if (problems.length) throw new HttpError(422, 'invalid_rows', `${problems.length} 处错误，没有导入任何排班：${problems[0]!.message}（第 ${problems[0]!.row} 行）`, `rows.${problems[0]!.row}.${problems[0]!.column}`,
    { messageEn: `${problems.length} problem(s); nothing was imported: ${problems[0]!.messageEn} (row ${problems[0]!.row})`, rows: problems })
  await saveAs(db, teamId, cells, user, (cell) => {
    const c = cell as (typeof cells)[number] | undefined
    return c ? `rows.${c.row}.${c.column}` : 'rows'
  })
  return { people: listed.size, days: days.length, shifts: cells.reduce((n, c) => n + c.shiftTypeIds.length, 0) }
}

export interface SwapInput { teamId: number; a: { staffId: number; day: string }; b: { staffId: number; day: string }; reason?: string }

/**
 * Two people swap shifts (换班): a's shifts of a's day go to b, b's shifts of b's day go to a (the same
 * day: they exchange). One transaction, checked like any roster change (nobody on two overlapping
 * shifts); the route records it in the audit log with both sides and the reason.
 */
export async function swapShifts(db: Kysely<DB>, s: SwapInput, user: SessionUser) {
  checkDay(s.a.day, 'a.day')
  checkDay(s.b.day, 'b.day')
  if (s.a.staffId === s.b.staffId) throw refuse('b.staffId', '换班需要两个人', 'a swap needs two people')
  const [first, last] = [s.a.day, s.b.day].sort() as [string, string]
  const rows = await q.entries(db, { teamId: s.teamId, staffIds: [s.a.staffId, s.b.staffId] }, first, last)
  const shiftsOf = (staffId: number, day: string) => rows.filter((r) => r.staffId === staffId && r.day === day).map((r) => r.shiftTypeId)
  const a = shiftsOf(s.a.staffId, s.a.day), b = shiftsOf(s.b.staffId, s.b.day)
  if (a.length === 0 && b.length === 0) throw refuse('a.day', '两边那天都没有班，无班可换', 'neither side has a shift that day')
  const cells: CellInput[] = s.a.day === s.b.day
    ? [{ staffId: s.a.staffId, day: s.a.day, shiftTypeIds: b }, { staffId: s.b.staffId, day: s.b.day, shiftTypeIds: a }]
    : [
      { staffId: s.a.staffId, day: s.a.day, shiftTypeIds: [] },
      { staffId: s.b.staffId, day: s.a.day, shiftTypeIds: [...new Set([...shiftsOf(s.b.staffId, s.a.day), ...a])] },
      { staffId: s.b.staffId, day: s.b.day, shiftTypeIds: [] },
      { staffId: s.a.staffId, day: s.b.day, shiftTypeIds: [...new Set([...shiftsOf(s.a.staffId, s.b.day), ...b])] },
    ]
  await saveAs(db, s.teamId, cells, user, (cell) => (cell && cell.staffId === s.a.staffId ? 'a.staffId' : 'b.staffId'))
  return { a: { ...s.a, shiftTypeIds: a }, b: { ...s.b, shiftTypeIds: b } }
}
