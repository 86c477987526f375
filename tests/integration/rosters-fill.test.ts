// Filling rosters the way a lead does it for a month: a rotation pattern (四班三倒: each shift covered
// by exactly one person every day), the Excel roster imported as CSV (UTF-8 or GBK, every problem
// listed, nothing half-saved), and swaps between two people. Dispatch follows what was filled.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { execFileSync } from 'node:child_process'
import { startTestApp, demoRefs, type TestApp } from '../helpers/app.ts'
import { addDays, instantOfDay } from '../../server/src/clock/local-time.ts'

const TZ = 'Asia/Shanghai'
let clock = new Date()
let t: TestApp
let refs: Awaited<ReturnType<typeof demoRefs>>
let team: number, otherTeam: number
let crew: { id: number; name: string }[] = []
const shifts: Record<string, number> = {}
// a month well ahead, so nothing else in the demo has rostered it
const FROM = '2027-01-01', TO = '2027-01-31'

test.before(async () => {
  t = await startTestApp({ timeZone: TZ }, undefined, { now: () => clock })
  refs = await demoRefs(t)
  const staff = await t.db.db.selectFrom('staff').innerJoin('team', 'team.id', 'staff.team_id').select(['staff.id', 'staff.name', 'team.code', 'team.id as team_id']).where('staff.active', '=', true).orderBy('staff.id').execute()
  team = staff.find((s) => s.code === 'maintenance')!.team_id
  otherTeam = staff.find((s) => s.code === 'transport')!.team_id
  crew = staff.filter((s) => s.team_id === team).slice(0, 4).map((s) => ({ id: s.id, name: s.name }))
  assert.is(crew.length, 4)
  const types = await t.call('lead', 'PUT', '/api/shift-types', { teamId: team, items: [
    { name: '早班', start: '08:00', end: '16:00' }, { name: '中班', start: '16:00', end: '24:00' }, { name: '夜班', start: '00:00', end: '08:00' },
    { name: '长夜班', start: '20:00', end: '08:00', crossesMidnight: true },
  ] })
  assert.is(types.status, 200, JSON.stringify(types.body))
  for (const s of types.body.items) shifts[s.name] = s.id
})
test.after(async () => { await t.close() })

const grid = async (day: string) => (await t.call('lead', 'GET', `/api/rosters?teamId=${team}&week=${day}`)).body
const shiftOn = (g: any, staffId: number, day: string) => g.entries.filter((e: any) => e.staffId === staffId && e.day === day).map((e: any) => Object.keys(shifts).find((k) => shifts[k] === e.shiftTypeId)).join('+')
const entriesIn = (from: string, to: string) => t.db.db.selectFrom('roster_entry').select(['staff_id', 'day', 'shift_type_id']).where('team_id', '=', team).where('day', '>=', from).where('day', '<=', to).execute()

test('a rotation fills the month: 早早中中夜夜休休 with four people two days apart covers every shift by exactly one person each day', async () => {
  const cycle = [shifts['早班'], shifts['早班'], shifts['中班'], shifts['中班'], shifts['夜班'], shifts['夜班'], null, null]
  const res = await t.call('lead', 'POST', '/api/rosters/rotation', { teamId: team, from: FROM, to: TO, cycle, staff: crew.map((c, i) => ({ staffId: c.id, offset: i * 2 })) })
  assert.is(res.status, 200, JSON.stringify(res.body))
  assert.is(res.body.days, 31)
  assert.is(res.body.shifts, 4 * 31 - (31 * 4 * 2) / 8) // each person off 2 days in 8: 93 shifts
  for (let d = 0; d < 31; d += 7) {
    const day = addDays(FROM, d)
    const g = await grid(day)
    for (const name of ['早班', '中班', '夜班']) {
      const on = crew.filter((c) => shiftOn(g, c.id, day) === name)
      assert.is(on.length, 1, `${day} ${name}: ${on.map((c) => c.name)}`)
    }
  }
  // day 5 (index 4): the first person's cycle says 夜班
  assert.is(shiftOn(await grid('2027-01-05'), crew[0]!.id, '2027-01-05'), '夜班')
  // and dispatch follows it: at 03:00 on the 5th the order goes to them
  clock = instantOfDay('2027-01-05', '03:00', TZ)
  const order = await t.call('operator', 'POST', '/api/work-orders', { itemId: refs.item('repair.light'), locationId: refs.locationOf('3512'), urgency: 'routine', requester: { name: '护士' } })
  assert.is(order.status, 201, JSON.stringify(order.body))
  assert.is(order.body.assignee?.id, crew[0]!.id, order.body.routing.reason)
})

test('a rotation that is wrong is refused at its field and saves nothing', async () => {
  const before = await entriesIn('2027-03-01', '2027-03-31')
  const base = { teamId: team, from: '2027-03-01', to: '2027-03-31', staff: [{ staffId: crew[0]!.id }] }
  const cases: [Record<string, unknown>, string][] = [
    // a long night to 08:00 the next day, then a night shift from 00:00: the same hours twice
    [{ ...base, cycle: [shifts['长夜班'], shifts['夜班']] }, 'cycle'],
    [{ ...base, cycle: [null, null] }, 'cycle'],
    [{ ...base, to: '2027-02-28', cycle: [shifts['早班']] }, 'to'],
    [{ ...base, to: '2027-05-15', cycle: [shifts['早班']] }, 'to'],
    [{ ...base, staff: [{ staffId: 999999 }], cycle: [shifts['早班']] }, 'staff.0.staffId'],
    [{ ...base, staff: [{ staffId: crew[0]!.id }, { staffId: crew[0]!.id }], cycle: [shifts['早班']] }, 'staff.1.staffId'],
  ]
  for (const [body, field] of cases) {
    const res = await t.call('lead', 'POST', '/api/rosters/rotation', body)
    assert.is(res.status, 400, JSON.stringify(res.body))
    assert.is(res.body.field, field, JSON.stringify(res.body))
    assert.type(res.body.messageEn, 'string')
  }
  assert.match((await t.call('lead', 'POST', '/api/rosters/rotation', cases[0]![0])).body.message, '重叠')
  assert.equal(await entriesIn('2027-03-01', '2027-03-31'), before)
  assert.is((await t.call('lead', 'POST', '/api/rosters/rotation', { ...base, teamId: otherTeam, cycle: [shifts['早班']] })).status, 403)
})

const csv = (lines: string[]) => lines.join('\r\n')
const importCsv = (body: string | Buffer, teamId = team) => t.call('lead', 'POST', `/api/rosters/import?teamId=${teamId}`, body, { 'content-type': 'text/csv' })

test('the Excel roster imported as CSV: shifts by name, several in a cell, 休 for off; saved as the file says', async () => {
  const [a, b] = crew
  const res = await importCsv(csv(['姓名,2027-02-01,2027-02-02,2027-02-03', `${a!.name},早班,休,中班`, `${b!.name},夜班,早班+中班,`]))
  assert.is(res.status, 200, JSON.stringify(res.body))
  assert.equal([res.body.people, res.body.days, res.body.shifts], [2, 3, 5])
  const g = await grid('2027-02-01')
  assert.equal([shiftOn(g, a!.id, '2027-02-01'), shiftOn(g, a!.id, '2027-02-02'), shiftOn(g, a!.id, '2027-02-03')], ['早班', '', '中班'])
  assert.equal([shiftOn(g, b!.id, '2027-02-01'), shiftOn(g, b!.id, '2027-02-02').split('+').sort().join('+'), shiftOn(g, b!.id, '2027-02-03')], ['夜班', '中班+早班', ''])
})

test('a GBK file from Excel reads the same; every problem of a bad file is listed with its row and column, and nothing is saved', async () => {
  const [, , c] = crew
  const text = csv(['姓名,2027-02-08', `${c!.name},早班`])
  const gbk = Buffer.from(execFileSync('python3', ['-c', 'import sys; sys.stdout.buffer.write(sys.stdin.read().encode("gbk"))'], { input: text }))
  assert.ok(!gbk.equals(Buffer.from(text)), 'the file is GBK, not UTF-8')
  const ok = await importCsv(gbk)
  assert.is(ok.status, 200, JSON.stringify(ok.body))
  assert.is(shiftOn(await grid('2027-02-08'), c!.id, '2027-02-08'), '早班')

  const before = await entriesIn('2027-02-15', '2027-02-21')
  const bad = await importCsv(csv(['姓名,2027-02-15,2027-02-30', `${c!.name},早班,早班`, '没有这个人,早班,', `${crew[3]!.name},大夜班,早班`]))
  assert.is(bad.status, 422, JSON.stringify(bad.body))
  const problems = bad.body.rows.map((r: any) => `${r.row}:${r.column}`)
  assert.equal(problems, ['1:2027-02-30', '3:姓名', '4:2027-02-15'])
  assert.match(bad.body.rows[2].message, '大夜班')
  assert.equal(await entriesIn('2027-02-15', '2027-02-21'), before)
  const noHeader = await importCsv(csv(['名字,2027-02-15', 'x,早班']))
  assert.is(noHeader.status, 422)
  assert.is(noHeader.body.field, 'header')
  assert.is((await importCsv(csv(['姓名,2027-02-15', `${c!.name},早班`]), otherTeam)).status, 403)
  const json = await t.call('lead', 'POST', `/api/rosters/import?teamId=${team}`, { a: 1 })
  assert.is(json.status, 415)
})

test('a swap: a gives their day to b and takes b\'s, recorded with the reason; one that would overlap is refused and changes nothing', async () => {
  const [a, b] = crew
  await t.call('lead', 'PUT', '/api/rosters', { teamId: team, cells: [
    { staffId: a!.id, day: '2027-02-22', shiftTypeIds: [shifts['早班']] }, { staffId: b!.id, day: '2027-02-22', shiftTypeIds: [] },
    { staffId: a!.id, day: '2027-02-23', shiftTypeIds: [] }, { staffId: b!.id, day: '2027-02-23', shiftTypeIds: [shifts['中班']] },
  ] })
  const res = await t.call('lead', 'POST', '/api/rosters/swap', { teamId: team, a: { staffId: a!.id, day: '2027-02-22' }, b: { staffId: b!.id, day: '2027-02-23' }, reason: '孩子生病' })
  assert.is(res.status, 200, JSON.stringify(res.body))
  const g = await grid('2027-02-22')
  assert.equal([shiftOn(g, a!.id, '2027-02-22'), shiftOn(g, b!.id, '2027-02-22'), shiftOn(g, a!.id, '2027-02-23'), shiftOn(g, b!.id, '2027-02-23')], ['', '早班', '中班', ''])
  const log = await t.db.db.selectFrom('audit_log').select(['action', 'detail']).where('action', '=', 'roster_swap').execute()
  assert.is(log.length, 1)
  assert.match(JSON.stringify(log[0]!.detail), '孩子生病')
  // the same day: they exchange
  const same = await t.call('lead', 'POST', '/api/rosters/swap', { teamId: team, a: { staffId: a!.id, day: '2027-02-23' }, b: { staffId: b!.id, day: '2027-02-23' }, reason: '对调' })
  assert.is(same.status, 200, JSON.stringify(same.body))
  const g2 = await grid('2027-02-23')
  assert.equal([shiftOn(g2, a!.id, '2027-02-23'), shiftOn(g2, b!.id, '2027-02-23')], ['', '中班'])
  // b already has a long night into the 25th: taking a's 夜班 of the 25th would overlap it
  await t.call('lead', 'PUT', '/api/rosters', { teamId: team, cells: [
    { staffId: b!.id, day: '2027-02-24', shiftTypeIds: [shifts['长夜班']] }, { staffId: a!.id, day: '2027-02-25', shiftTypeIds: [shifts['夜班']] },
  ] })
  const before = await entriesIn('2027-02-24', '2027-02-26')
  const clash = await t.call('lead', 'POST', '/api/rosters/swap', { teamId: team, a: { staffId: a!.id, day: '2027-02-25' }, b: { staffId: b!.id, day: '2027-02-26' }, reason: '换一下' })
  assert.is(clash.status, 400, JSON.stringify(clash.body))
  assert.is(clash.body.field, 'b.staffId')
  assert.match(clash.body.message, '重叠')
  assert.equal(await entriesIn('2027-02-24', '2027-02-26'), before)
  assert.is((await t.call('lead', 'POST', '/api/rosters/swap', { teamId: team, a: { staffId: a!.id, day: '2027-02-27' }, b: { staffId: a!.id, day: '2027-02-28' }, reason: 'x' })).body.field, 'b.staffId')
  assert.is((await t.call('lead', 'POST', '/api/rosters/swap', { teamId: otherTeam, a: { staffId: a!.id, day: '2027-02-27' }, b: { staffId: b!.id, day: '2027-02-28' }, reason: 'x' })).status, 403)
})

test.run()
