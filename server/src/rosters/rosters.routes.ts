// Shift types, the week grid, roster cells, copying last week, a rotation filling a month, a CSV
// import of the Excel roster, swaps, leave. A team lead edits their own
// team; refusals are 400s naming the field, in Chinese with messageEn.
import { Type } from 'typebox'
import type { App } from '../http/types.ts'
import { errors, Nullable, StringEnum } from '../http/types.ts'
import { HttpError } from '../http/errors.ts'
import type { Services } from '../services.ts'
import { localClock } from '../clock/local-time.ts'
import { addLeave, checkDay, checkTeamScope, copyLastWeek, fillRotation, importRosterCsv, mondayOf, listShiftTypes, requireTeam, saveCells, saveShiftTypes, swapShifts, weekGrid } from './rosters.service.ts'
import { audit } from '../audit/audit.ts'
import { decodeCsv, parseCsv } from '../imports/parse.ts'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { deleteLeave, findLeave } from './rosters.queries.ts'

const Id = Type.Integer({ minimum: 1, maximum: 2147483647 })
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })
const Clock = Type.String({ pattern: '^(([01]\\d|2[0-3]):[0-5]\\d|24:00)$' })
const LEAVE_KINDS = ['leave', 'sick', 'training', 'other'] as const

const ShiftType = Type.Object({
  id: Type.Integer(), teamId: Type.Integer(), name: Type.String(), nameEn: Nullable(Type.String()),
  start: Type.String(), end: Type.String(), crossesMidnight: Type.Boolean(), active: Type.Boolean(),
})
const Leave = Type.Object({ id: Type.Integer(), staffId: Type.Integer(), from: Type.String(), to: Type.String(), kind: Type.String(), note: Type.String(), createdBy: Nullable(Type.String()) })
const Grid = Type.Object({
  team: Type.Object({ id: Type.Integer(), name: Type.String(), nameEn: Type.String() }),
  week: Type.String(), days: Type.Array(Type.String()), rostered: Type.Boolean(),
  shiftTypes: Type.Array(ShiftType),
  staff: Type.Array(Type.Object({ id: Type.Integer(), name: Type.String(), active: Type.Boolean(), onDutyNow: Type.Boolean(), dutySource: Type.String(), shiftNow: Nullable(Type.String()) })),
  entries: Type.Array(Type.Object({ staffId: Type.Integer(), day: Type.String(), shiftTypeId: Type.Integer() })),
  leave: Type.Array(Leave),
  overrides: Type.Array(Type.Object({ staffId: Type.Integer(), day: Type.String(), onDuty: Type.Boolean(), setBy: Type.String(), setAt: Type.String() })),
})

export async function rosterRoutes(app: App, { db, config, now }: Services) {
  const today = () => localClock(now(), config.timeZone).day

  app.get('/api/shift-types', {
    schema: { querystring: Type.Object({ teamId: Id }, { additionalProperties: false }), response: { 200: Type.Object({ items: Type.Array(ShiftType) }), ...errors } },
  }, async (request) => {
    await requireTeam(db, request.query.teamId)
    return { items: await listShiftTypes(db, request.query.teamId) }
  })

  app.put('/api/shift-types', {
    schema: {
      body: Type.Object({
        teamId: Id,
        items: Type.Array(Type.Object({
          id: Type.Optional(Id),
          name: Type.String({ minLength: 1, maxLength: 20, pattern: '\\S' }), nameEn: Type.Optional(Nullable(Type.String({ maxLength: 40 }))),
          start: Clock, end: Clock, crossesMidnight: Type.Optional(Type.Boolean()),
        }, { additionalProperties: false }), { maxItems: 20 }),
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ items: Type.Array(ShiftType) }), ...errors },
    },
  }, async (request) => {
    checkTeamScope(request.user!, request.body.teamId)
    await requireTeam(db, request.body.teamId)
    return { items: await saveShiftTypes(db, request.body.teamId, request.body.items, today()) }
  })

  app.get('/api/rosters', {
    schema: { querystring: Type.Object({ teamId: Id, week: Type.Optional(Day) }, { additionalProperties: false }), response: { 200: Grid, ...errors } },
  }, async (request) => {
    checkTeamScope(request.user!, request.query.teamId)
    return weekGrid(db, request.query.teamId, request.query.week ?? today(), now(), config.timeZone)
  })

  app.put('/api/rosters', {
    schema: {
      body: Type.Object({
        teamId: Id,
        cells: Type.Array(Type.Object({ staffId: Id, day: Day, shiftTypeIds: Type.Array(Id, { maxItems: 5 }) }, { additionalProperties: false }), { minItems: 1, maxItems: 1000 }),
      }, { additionalProperties: false }),
      response: { 200: Grid, ...errors },
    },
  }, async (request) => {
    const { teamId, cells } = request.body
    checkTeamScope(request.user!, teamId)
    await requireTeam(db, teamId)
    await saveCells(db, teamId, cells, request.user!)
    return weekGrid(db, teamId, cells[0]!.day, now(), config.timeZone)
  })

  app.post('/api/rosters/copy-week', {
    schema: {
      body: Type.Object({ teamId: Id, week: Day }, { additionalProperties: false }),
      response: { 200: Type.Object({ copied: Type.Integer(), grid: Grid }), ...errors },
    },
  }, async (request) => {
    const { teamId, week } = request.body
    checkTeamScope(request.user!, teamId)
    await requireTeam(db, teamId)
    const copied = await copyLastWeek(db, teamId, mondayOf(checkDay(week, 'week')), request.user!)
    return { copied, grid: await weekGrid(db, teamId, week, now(), config.timeZone) }
  })

  // a rotation pattern (四班三倒 …) filling up to two months, each person at their offset into the cycle
  app.post('/api/rosters/rotation', {
    schema: {
      body: Type.Object({
        teamId: Id, from: Day, to: Day,
        cycle: Type.Array(Nullable(Id), { minItems: 1, maxItems: 28 }),
        staff: Type.Array(Type.Object({ staffId: Id, offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 27 })) }, { additionalProperties: false }), { minItems: 1, maxItems: 200 }),
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ days: Type.Integer(), people: Type.Integer(), shifts: Type.Integer(), grid: Grid }), ...errors },
    },
  }, async (request) => {
    checkTeamScope(request.user!, request.body.teamId)
    await requireTeam(db, request.body.teamId)
    const filled = await fillRotation(db, request.body, request.user!)
    return { ...filled, grid: await weekGrid(db, request.body.teamId, request.body.from, now(), config.timeZone) }
  })

  // the roster as kept in Excel: 姓名, then a column per day; UTF-8 or GBK, as Excel saves it
  const CSV_LIMIT = 2 * 1024 * 1024
  await app.register(async (scope) => {
    scope.removeContentTypeParser('text/csv')
    scope.addContentTypeParser('text/csv', { parseAs: 'buffer', bodyLimit: CSV_LIMIT }, (_req, body, done) => done(null, body))
    scope.withTypeProvider<TypeBoxTypeProvider>().post('/api/rosters/import', {
      bodyLimit: CSV_LIMIT,
      schema: { querystring: Type.Object({ teamId: Id }, { additionalProperties: false }) },
    }, async (request) => {
      if (!Buffer.isBuffer(request.body)) throw new HttpError(415, 'unsupported_media_type', '请以 text/csv 上传排班表（第一行：姓名，然后每天一列）', 'body', { messageEn: 'send the roster as text/csv (header: 姓名, then one column per day)' })
      const teamId = request.query.teamId
      checkTeamScope(request.user!, teamId)
      await requireTeam(db, teamId)
      const rows = parseCsv(decodeCsv(request.body).text)
      if (rows.length === 0) throw new HttpError(422, 'invalid_rows', '文件里没有排班行', 'body', { messageEn: 'the file has no roster rows', rows: [] })
      const imported = await importRosterCsv(db, teamId, rows, request.user!)
      const first = Object.keys(rows[0]!).map((h) => h.trim()).filter((h) => /^\d{4}-\d{2}-\d{2}$/.test(h)).sort()[0]!
      return { ...imported, grid: await weekGrid(db, teamId, first, now(), config.timeZone) }
    })
  })

  // 换班: a's shifts of a's day to b, b's of b's day to a; recorded with the reason
  app.post('/api/rosters/swap', {
    schema: {
      body: Type.Object({
        teamId: Id, a: Type.Object({ staffId: Id, day: Day }, { additionalProperties: false }), b: Type.Object({ staffId: Id, day: Day }, { additionalProperties: false }),
        reason: Type.String({ minLength: 1, maxLength: 200 }),
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ grid: Grid }), ...errors },
    },
  }, async (request) => {
    const b = request.body
    checkTeamScope(request.user!, b.teamId)
    await requireTeam(db, b.teamId)
    const swapped = await swapShifts(db, b, request.user!)
    await audit(db, request, 'roster_swap', `team:${b.teamId}`, { ...swapped, reason: b.reason })
    return { grid: await weekGrid(db, b.teamId, b.a.day, now(), config.timeZone) }
  })

  app.post('/api/leave', {
    schema: {
      body: Type.Object({ staffId: Id, from: Day, to: Day, kind: StringEnum(LEAVE_KINDS), note: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false }),
      response: { 201: Leave, ...errors },
    },
  }, async (request, reply) => reply.status(201).send(await addLeave(db, request.body, request.user!)))

  app.delete('/api/leave/:id', {
    schema: { params: Type.Object({ id: Id }), response: { 204: Type.Null(), ...errors } },
  }, async (request, reply) => {
    const leave = await findLeave(db, request.params.id)
    if (!leave) throw new HttpError(404, 'not_found', `没有编号为 ${request.params.id} 的请假记录`, undefined, { messageEn: `no leave ${request.params.id}` })
    checkTeamScope(request.user!, leave.team_id)
    await deleteLeave(db, leave.id)
    return reply.status(204).send(null)
  })
}
