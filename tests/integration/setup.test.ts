// Setting up the hospital: an administrator adds a ward, a team with its service point and a person,
// and the desk can file an order for the new ward that the new team gets, by the routing rules.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startTestApp, demoRefs, type TestApp } from '../helpers/app.ts'

let t: TestApp
let refs: Awaited<ReturnType<typeof demoRefs>>
test.before(async () => { t = await startTestApp(); refs = await demoRefs(t) })
test.after(async () => { await t.close() })

const place = (fullName: string) => t.db.db.selectFrom('location').selectAll().where('full_name', '=', fullName).executeTakeFirstOrThrow()

test('a new ward on a floor carries its campus, building and zone, takes an extension and pops for it', async () => {
  const floor = await place('南院区 / 住院楼 / 5F')
  const res = await t.call('admin', 'POST', '/api/locations', { parentId: floor.id, kind: 'ward', name: '新生儿病区', nameEn: 'Neonatal Ward' })
  assert.is(res.status, 201, JSON.stringify(res.body))
  assert.is(res.body.fullName, '南院区 / 住院楼 / 5F / 新生儿病区')
  assert.is(res.body.campusId, floor.campus_id)
  assert.is(res.body.buildingId, floor.building_id)
  assert.is(res.body.zone, floor.zone)
  assert.is((await t.call('admin', 'POST', '/api/extensions', { number: '3599', locationId: res.body.id })).status, 201)
  const caller = await t.call('operator', 'GET', '/api/locations?extension=3599')
  assert.is(caller.body.items[0].fullName, '南院区 / 住院楼 / 5F / 新生儿病区')
  // the same name twice under one floor is refused, naming the field
  const again = await t.call('admin', 'POST', '/api/locations', { parentId: floor.id, kind: 'ward', name: '新生儿病区' })
  assert.is(again.status, 409)
  assert.is(again.body.field, 'name')
})

test('a building renamed renames every place below it, and the orders there; a closed ward stops ringing through', async () => {
  const building = await place('北院区 / 综合楼')
  const order = (await t.call('operator', 'POST', '/api/work-orders', { itemId: refs.item('repair.light'), locationId: refs.locationOf('5305'), urgency: 'routine', requester: { name: '护士' } })).body
  assert.is(order.location.fullName, '北院区 / 综合楼 / 3F / 老年病区 305室')
  const renamed = await t.call('admin', 'PATCH', `/api/locations/${building.id}`, { name: '综合楼（老年医学中心）' })
  assert.is(renamed.status, 200, JSON.stringify(renamed.body))
  assert.is(renamed.body.fullName, '北院区 / 综合楼（老年医学中心）')
  assert.ok(renamed.body.placesChanged > 3)
  assert.is((await t.call('operator', 'GET', `/api/work-orders/${order.id}`)).body.location.fullName, '北院区 / 综合楼（老年医学中心） / 3F / 老年病区 305室')
  assert.is((await t.call('operator', 'GET', '/api/locations?extension=5305')).body.items[0].fullName, '北院区 / 综合楼（老年医学中心） / 3F / 老年病区 305室')
  // a name taken by a sibling is refused
  const clash = await t.call('admin', 'PATCH', `/api/locations/${(await place('北院区 / 综合楼（老年医学中心） / 3F')).id}`, { name: '2F' })
  assert.is(clash.status, 409)
  assert.is(clash.body.field, 'name')
  // the ward room closes: gone from the places, and its extension no longer says who is calling
  const room = await place('北院区 / 综合楼（老年医学中心） / 3F / 老年病区 305室')
  assert.is((await t.call('admin', 'PATCH', `/api/locations/${room.id}`, { active: false })).status, 200)
  assert.equal((await t.call('operator', 'GET', '/api/locations?extension=5305')).body.items, [])
  assert.is((await t.call('admin', 'PATCH', `/api/locations/${room.id}`, { name: 'x' })).status, 404, 'a closed place is not edited')
  // the order filed there still shows where it was
  assert.is((await t.call('operator', 'GET', `/api/work-orders/${order.id}`)).body.location.fullName, '北院区 / 综合楼（老年医学中心） / 3F / 老年病区 305室')
})

test('a new campus and building are their own campus and building; places hang only where they belong', async () => {
  const campus = await t.call('admin', 'POST', '/api/locations', { parentId: null, kind: 'campus', name: '东院区', nameEn: 'East Campus' })
  assert.is(campus.status, 201)
  assert.is(campus.body.campusId, campus.body.id)
  const building = await t.call('admin', 'POST', '/api/locations', { parentId: campus.body.id, kind: 'building', name: '康复楼', zone: 'east' })
  assert.is(building.body.buildingId, building.body.id)
  assert.is(building.body.campusId, campus.body.id)
  for (const [body, why] of [
    [{ parentId: campus.body.id, kind: 'floor', name: '1F' }, 'a floor belongs to a building'],
    [{ parentId: null, kind: 'ward', name: '孤立病区' }, 'a ward belongs to'],
    [{ parentId: building.body.id, kind: 'campus', name: '院中院' }, 'a campus has no parent'],
    [{ parentId: 999999, kind: 'room', name: '不存在' }, 'no place 999999'],
  ] as const) {
    const res = await t.call('admin', 'POST', '/api/locations', body)
    assert.is(res.status, 400, JSON.stringify(body))
    assert.is(res.body.field, 'parentId')
    assert.match(res.body.message, why)
  }
  assert.is((await t.call('admin', 'POST', '/api/locations', { parentId: building.body.id, kind: 'floor', name: '   ' })).body.field, 'name')
})

test('a new team with its service point and a person on duty gets the orders a rule sends it', async () => {
  const team = await t.call('admin', 'POST', '/api/teams', { code: 'medical-gas', name: '医用气体班', nameEn: 'Medical Gas', servicePoint: { name: '气体站', nameEn: 'Gas Station' } })
  assert.is(team.status, 201, JSON.stringify(team.body))
  assert.is(team.body.servicePoints[0].name, '气体站')
  const dup = await t.call('admin', 'POST', '/api/teams', { code: 'medical-gas', name: '重复', nameEn: 'Dup' })
  assert.is(dup.status, 409)
  assert.is(dup.body.field, 'code')
  const person = await t.call('admin', 'POST', '/api/staff', { teamId: team.body.id, name: '周工', phone: '13700000000', skills: ['氧气'], onDuty: true })
  assert.is(person.status, 201)
  assert.is(person.body.onDuty, true)
  assert.is((await t.call('admin', 'POST', '/api/staff', { teamId: 999999, name: '无班组' })).body.field, 'teamId')
  // a second service point for the team, and the team in the list every screen reads
  assert.is((await t.call('admin', 'POST', '/api/service-points', { teamId: team.body.id, name: '北院气体站' })).status, 201)
  const teams = await t.call('operator', 'GET', '/api/teams')
  assert.equal(teams.body.items.find((x: any) => x.code === 'medical-gas').servicePoints.map((p: any) => p.name), ['气体站', '北院气体站'])

  // route the air-conditioning item to the new team, first of all rules
  const rule = await t.call('admin', 'POST', '/api/routing-rules', {
    position: 1, name: '空调归气体班（演示）', categoryId: null, itemId: refs.item('repair.ac'), campusId: null, buildingId: null, zone: null,
    timeFrom: null, timeTo: null, teamId: team.body.id, servicePointId: team.body.servicePoints[0].id, active: true,
  })
  assert.is(rule.status, 201, JSON.stringify(rule.body))
  const order = await t.call('operator', 'POST', '/api/work-orders', { itemId: refs.item('repair.ac'), locationId: refs.locationOf('3512'), urgency: 'routine', requester: { name: '护士' } })
  assert.is(order.body.team.name, '医用气体班')
  assert.is(order.body.servicePoint.name, '气体站')
  assert.is(order.body.assignee.name, '周工')
})

test('someone who leaves hands on their open orders first, then never gets another', async () => {
  const maintenance = (await t.call('admin', 'GET', '/api/teams')).body.items.find((x: any) => x.code === 'maintenance')
  const person = (await t.call('admin', 'POST', '/api/staff', { teamId: maintenance.id, name: '临时工 钱', onDuty: true })).body
  // only the newcomer is on duty in the team, so the next repair is theirs
  await t.db.db.updateTable('staff').set({ on_duty: false }).where('team_id', '=', maintenance.id).where('id', '<>', person.id).execute()
  const order = (await t.call('operator', 'POST', '/api/work-orders', { itemId: refs.item('repair.light'), locationId: refs.locationOf('3512'), urgency: 'routine', requester: { name: '护士' } })).body
  assert.is(order.assignee.name, '临时工 钱')
  const refused = await t.call('admin', 'PATCH', `/api/staff/${person.id}`, { active: false })
  assert.is(refused.status, 409)
  assert.is(refused.body.field, 'active')
  assert.match(refused.body.message, '1 open order')
  assert.is((await t.call('manager', 'PATCH', `/api/staff/${person.id}`, { name: '钱师傅' })).status, 403, 'a manager sets duty, not names')
  await t.call('operator', 'POST', `/api/work-orders/${order.id}/transitions`, { action: 'cancel', version: order.version, reason: '重复报修' })
  const left = await t.call('admin', 'PATCH', `/api/staff/${person.id}`, { active: false })
  assert.equal(left.body, { id: person.id, name: '临时工 钱', onDuty: false, active: false })
  assert.not.ok((await t.call('operator', 'GET', '/api/staff')).body.items.some((s: any) => s.id === person.id))
  const next = (await t.call('operator', 'POST', '/api/work-orders', { itemId: refs.item('repair.light'), locationId: refs.locationOf('3512'), urgency: 'routine', requester: { name: '护士' } })).body
  assert.is(next.assignee, null, 'nobody on duty is left: the team pool, not the one who left')
})

test('only an administrator sets up places and teams', async () => {
  for (const user of ['operator', 'manager', 'lead', 'tech'] as const) {
    assert.is((await t.call(user, 'POST', '/api/teams', { code: 'x', name: 'x', nameEn: 'x' })).status, 403, user)
  }
})

test.run()
