// Accounts tied to people: a login is linked to a staff member, team and phone device; every team
// lead of the demo signs in; a reset password ends the user's sessions; locks are shown; on-duty
// people without a login are flagged; a new person starts off duty; a device has one active account;
// the desk learns that nobody is on duty before filing; escalation reaches a lead who can sign in.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startTestApp, demoRefs, type DemoUser, type TestApp } from '../helpers/app.ts'
import { escalateOverdue } from '../../server/src/escalation/escalation.ts'
import { TEAMS } from '../../server/src/demo/hospital.ts'

let t: TestApp
let refs: Awaited<ReturnType<typeof demoRefs>>
test.before(async () => { t = await startTestApp(); refs = await demoRefs(t) })
test.after(async () => { await t.close() })

const as = (username: string) => username as DemoUser
const signIn = (username: string, password: string) => t.app.inject({ method: 'POST', url: '/api/session', payload: { username, password } })
const teamId = async (code: string) => (await t.db.db.selectFrom('team').select('id').where('code', '=', code).executeTakeFirstOrThrow()).id
const staffNamed = async (name: string) => (await t.call('admin', 'GET', '/api/staff')).body.items.find((s: any) => s.name === name)
const newUser = async (username: string, extra: Record<string, unknown> = {}) =>
  t.call('admin', 'POST', '/api/users', { username, displayName: username, role: 'technician', password: 'password-1', ...extra })

test('every demo team lead has a login linked to their staff record and team, with the demo password', async () => {
  const teams = (await t.call('admin', 'GET', '/api/teams')).body.items
  const users = (await t.call('admin', 'GET', '/api/users')).body.items
  assert.is(teams.length, TEAMS.length)
  for (const team of teams) {
    const login = users.find((u: any) => u.staffId === team.leadStaffId && u.role === 'team_lead')
    assert.ok(login, `team ${team.code} has a lead login`)
    assert.is(login.teamId, team.id)
    assert.is((await signIn(login.username, 'demo')).statusCode, 200, login.username)
  }
})

test('the admin links a login to a staff member: the team follows the person, and their orders show on that login', async () => {
  const person = (await t.call('admin', 'POST', '/api/staff', { teamId: await teamId('maintenance'), name: '新来的 钱工' })).body
  const created = await newUser('qian')
  assert.is(created.status, 201)
  const linked = await t.call('admin', 'PATCH', `/api/users/${created.body.id}`, { staffId: person.id, phoneDevice: 'PJSIP/8301' })
  assert.is(linked.status, 200, JSON.stringify(linked.body))
  const user = (await t.call('admin', 'GET', '/api/users')).body.items.find((u: any) => u.id === created.body.id)
  assert.equal([user.staffId, user.teamId, user.phoneDevice], [person.id, person.teamId, 'PJSIP/8301'])
  // a staff member who is not there is refused by field
  const missing = await t.call('admin', 'PATCH', `/api/users/${created.body.id}`, { staffId: 999999 })
  assert.equal([missing.status, missing.body.field], [400, 'staffId'])

  // on duty, they get an order; signed in, they see it as theirs
  assert.is((await t.call('admin', 'PATCH', `/api/staff/${person.id}`, { onDuty: true })).status, 200)
  for (const other of ['王建国', '李明', '陈志远']) await t.call('admin', 'PATCH', `/api/staff/${(await staffNamed(other)).id}`, { onDuty: false })
  const order = (await t.call('operator', 'POST', '/api/work-orders', { itemId: refs.item('repair.light'), locationId: refs.locationOf('5305'), urgency: 'routine', requester: { name: '护士' } })).body
  assert.is(order.assignee?.id, person.id)
  await t.login(as('qian'), 'password-1')
  const mine = await t.call(as('qian'), 'GET', `/api/work-orders?status=open&assigneeId=${person.id}`)
  assert.ok(mine.body.items.some((o: any) => o.id === order.id))
  for (const other of ['王建国', '李明', '陈志远']) await t.call('admin', 'PATCH', `/api/staff/${(await staffNamed(other)).id}`, { onDuty: true })
  await t.call('admin', 'PATCH', `/api/staff/${person.id}`, { onDuty: false })
})

test('a phone device belongs to one active account: a second one answers 409 naming phoneDevice', async () => {
  const operator = (await t.call('admin', 'GET', '/api/users')).body.items.find((u: any) => u.username === 'operator')
  const onCreate = await newUser('twin', { role: 'operator', phoneDevice: operator.phoneDevice })
  assert.equal([onCreate.status, onCreate.body.error, onCreate.body.field], [409, 'conflict', 'phoneDevice'])
  const other = (await newUser('twin', { role: 'operator' })).body
  const onPatch = await t.call('admin', 'PATCH', `/api/users/${other.id}`, { phoneDevice: operator.phoneDevice })
  assert.equal([onPatch.status, onPatch.body.field], [409, 'phoneDevice'])
  // a device freed by a locked account can be given to another; the old account cannot come back on it
  await t.call('admin', 'PATCH', `/api/users/${other.id}`, { phoneDevice: 'PJSIP/8302' })
  assert.is((await t.call('admin', 'PATCH', `/api/users/${other.id}`, { active: false })).status, 200)
  const third = await newUser('twin2', { role: 'operator', phoneDevice: 'PJSIP/8302' })
  assert.is(third.status, 201, JSON.stringify(third.body))
  const back = await t.call('admin', 'PATCH', `/api/users/${other.id}`, { active: true })
  assert.equal([back.status, back.body.field], [409, 'phoneDevice'])
  // the database holds the rule too, for two requests racing
  const race = await Promise.all([newUser('race1', { phoneDevice: 'PJSIP/8303' }), newUser('race2', { phoneDevice: 'PJSIP/8303' })])
  assert.equal(race.map((r) => r.status).sort(), [201, 409])
})

test('the admin resets a password: the user is signed out everywhere and the new password works; a lock is lifted', async () => {
  const created = (await newUser('reset-me')).body
  await t.login(as('reset-me'), 'password-1')
  assert.is((await t.call(as('reset-me'), 'GET', '/api/session')).status, 200)
  for (let i = 0; i < 5; i++) await signIn('reset-me', 'wrong-password')
  const locked = (await t.call('admin', 'GET', '/api/users')).body.items.find((u: any) => u.id === created.id)
  assert.ok(locked.lockedUntil && new Date(locked.lockedUntil) > new Date(), 'the lock is shown')
  assert.is((await t.call('admin', 'PATCH', `/api/users/${created.id}`, { password: 'new-password-2' })).status, 200)
  assert.is((await t.call(as('reset-me'), 'GET', '/api/session')).status, 401, 'the old session ended')
  assert.is((await signIn('reset-me', 'password-1')).statusCode, 401)
  assert.is((await signIn('reset-me', 'new-password-2')).statusCode, 200)
  const after = (await t.call('admin', 'GET', '/api/users')).body.items.find((u: any) => u.id === created.id)
  assert.is(after.lockedUntil, null)
})

test('GET /api/staff flags a person on duty with no login; a new staff member starts off duty', async () => {
  const person = await t.call('admin', 'POST', '/api/staff', { teamId: await teamId('cleaning'), name: '临时保洁 孙' })
  assert.is(person.status, 201)
  assert.is(person.body.onDuty, false)
  let row = await staffNamed('临时保洁 孙')
  assert.equal([row.onDuty, row.hasLogin, row.onDutyWithoutLogin], [false, false, false])
  await t.call('admin', 'PATCH', `/api/staff/${person.body.id}`, { onDuty: true })
  row = await staffNamed('临时保洁 孙')
  assert.equal([row.onDuty, row.hasLogin, row.onDutyWithoutLogin], [true, false, true])
  const lead = await staffNamed('吴秀英')
  assert.equal([lead.hasLogin, lead.onDutyWithoutLogin], [true, false])
  await t.call('admin', 'PATCH', `/api/staff/${person.body.id}`, { onDuty: false })
})

test('the routing tester tells the desk how many of the team are on duty: 0 means the team pool', async () => {
  const body = { itemId: refs.item('catering.water'), locationId: refs.locationOf('5305') }
  const before = await t.call('operator', 'POST', '/api/routing-rules/test', body)
  assert.is(before.status, 200)
  assert.is(before.body.onDuty, 2)
  const catering = (await t.call('admin', 'GET', `/api/staff?teamId=${await teamId('catering')}`)).body.items
  for (const s of catering) await t.call('admin', 'PATCH', `/api/staff/${s.id}`, { onDuty: false })
  const after = await t.call('operator', 'POST', '/api/routing-rules/test', body)
  assert.equal([after.body.onDuty, after.body.assignee], [0, null])
  for (const s of catering) await t.call('admin', 'PATCH', `/api/staff/${s.id}`, { onDuty: true })
})

test('an overdue order escalates to the team lead who has a login, else to the managers', async () => {
  const order = (await t.call('operator', 'POST', '/api/work-orders', { itemId: refs.item('inquiry.it'), locationId: refs.locationOf('5305'), urgency: 'routine', requester: { name: '护士' } })).body
  await t.db.db.updateTable('work_order').set({ response_due_at: new Date(Date.now() - 60_000) }).where('id', '=', order.id).execute()
  await escalateOverdue(t.db.db, t.config.escalation)
  const toLead = await t.call(as('lead.it'), 'GET', '/api/notifications')
  assert.ok(toLead.body.items.some((n: any) => n.kind === 'overdue' && n.workOrderId === order.id), 'the IT lead is told')
  let managers = await t.call('manager', 'GET', '/api/notifications')
  assert.not.ok(managers.body.items.some((n: any) => n.kind === 'overdue' && n.workOrderId === order.id))

  // the lead's login is locked: nobody of the team can hear it, so the managers do
  const lead = (await t.call('admin', 'GET', '/api/users')).body.items.find((u: any) => u.username === 'lead.general')
  await t.call('admin', 'PATCH', `/api/users/${lead.id}`, { active: false })
  const orphan = (await t.call('operator', 'POST', '/api/work-orders', { itemId: refs.item('inquiry.supplies'), locationId: refs.locationOf('5305'), urgency: 'routine', requester: { name: '护士' } })).body
  await t.db.db.updateTable('work_order').set({ response_due_at: new Date(Date.now() - 60_000) }).where('id', '=', orphan.id).execute()
  await escalateOverdue(t.db.db, t.config.escalation)
  managers = await t.call('manager', 'GET', '/api/notifications')
  assert.ok(managers.body.items.some((n: any) => n.kind === 'overdue' && n.workOrderId === orphan.id), 'the managers are told')
  const timeline = (await t.call('operator', 'GET', `/api/work-orders/${orphan.id}`)).body.timeline
  assert.ok(timeline.some((e: any) => e.kind === 'escalated' && e.note.includes('班组长无可登录账号')), JSON.stringify(timeline))
  await t.call('admin', 'PATCH', `/api/users/${lead.id}`, { active: true })
})

test.run()
