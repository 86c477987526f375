// Shift types, the week grid, roster cells, copying last week, leave. A team lead edits their own
// team; refusals are 400s naming the field, in Chinese with messageEn.
import { Type } from 'typebox'
import type { App } from '../http/types.ts'
import { errors, Nullable, StringEnum } from '../http/types.ts'
import { HttpError } from '../http/errors.ts'
import type { Services } from '../services.ts'
import { localClock } from '../clock/local-time.ts'
import { addLeave, checkDay, checkTeamScope, copyLastWeek, mondayOf, listShiftTypes, requireTeam, saveCells, saveShiftTypes, weekGrid } from './rosters.service.ts'
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
