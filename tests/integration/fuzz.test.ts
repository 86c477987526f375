// Hostile input on every route that takes a body or a query: wrong types, missing and extra
// fields, huge strings, deep nesting, invalid UTF-8, SQL and HTML payloads, impossible dates,
// out-of-range enums and numbers, oversized bodies. Always a 4xx JSON error (naming the field
// where the body or query was at fault), never a 5xx, the server healthy after, and nothing
// written by a rejected request. Prints `requests N, 5xx 0`.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { sql } from 'kysely'
import { startTestApp, type TestApp } from '../helpers/app.ts'

let t: TestApp
let cookie: string
test.before(async () => { t = await startTestApp(); cookie = await t.login('admin') })
test.after(async () => { await t.close() })

const HOSTILE: unknown[] = [
  null, true, -1, 0, 2 ** 63, 1.5, 'x'.repeat(100_000), '', [], {}, [[[[[]]]]], { $gt: '' },
  "1; DROP TABLE work_order; --", "' OR '1'='1", '<img src=x onerror=alert(1)>', '2026-02-30T25:61:00Z', 'NaN', '\u0000', '😀'.repeat(3000),
]

// one plausible body per route, so each field can be broken on its own
const SAMPLES: Record<string, Record<string, unknown>> = {
  'POST /api/session': { username: 'admin', password: 'demo' },
  'POST /api/work-orders': { itemId: 1, locationId: 10, urgency: 'routine', description: 'x', requester: { name: 'a', phone: '1', extension: '1' }, requestedAt: '2026-01-01T00:00:00Z', bookedFor: '2026-01-01T00:00:00Z' },
  'POST /api/work-orders/:id/transitions': { action: 'accept', version: 99, reason: 'r', assigneeId: 1, note: 'n' },
  'POST /api/work-orders/:id/chases': { note: 'n', callId: 'c' },
  'POST /api/work-orders/:id/rating': { score: 3, comment: 'c' },
  'POST /api/job-sheets/printed': { ids: [999999] },
  'POST /api/notifications/read': { ids: [999999] },
  'POST /api/routing-rules': { position: 1, name: 'n', categoryId: null, itemId: null, campusId: null, buildingId: null, zone: null, timeFrom: null, timeTo: null, teamId: 999999, servicePointId: null, active: true },
  'PUT /api/routing-rules/:id': { position: 1, name: 'n', categoryId: null, itemId: null, campusId: null, buildingId: null, zone: null, timeFrom: null, timeTo: null, teamId: 1, servicePointId: null, active: true, version: 999 },
  'POST /api/routing-rules/test': { itemId: 1, locationId: 1, at: '2026-01-01T00:00:00Z' },
  'PUT /api/items/:id': { name: 'n', nameEn: 'n', responseMinutes: { routine: 1, urgent: 1, critical: 1 }, completionMinutes: { routine: 1, urgent: 1, critical: 1 }, tools: [], script: '', defaultTeamId: null, active: true },
  'POST /api/extensions': { number: '2101', locationId: 1, label: 'x' },
  'POST /api/locations': { parentId: 999999, kind: 'ward', name: '病区', nameEn: 'Ward', zone: 'south-b' },
  'PATCH /api/locations/:id': { name: '病区', nameEn: 'Ward', active: false },
  'POST /api/teams': { code: 'maintenance', name: '维修班', nameEn: 'Maintenance', servicePoint: { name: '服务点', nameEn: null, locationId: null } },
  'POST /api/service-points': { teamId: 999999, name: '服务点', nameEn: 'Point', locationId: 1 },
  'POST /api/staff': { teamId: 999999, name: '张三', phone: '13800000000', skills: ['电工'], onDuty: true },
  'PATCH /api/staff/:id': { onDuty: true, active: true, name: '张三', phone: '13800000000' },
  'POST /api/users': { username: 'admin', displayName: 'x', role: 'operator', password: 'longenough' },
  'PATCH /api/users/:id': { role: 'admin' },
  'POST /api/users/:id/unlock': {},
  'POST /api/calls/originate': { number: '3512', workOrderId: 999999 },
  'POST /api/calls': { direction: 'in', number: '3512', startedAt: '2026-01-01T00:00:00Z', durationSec: 30, note: 'n' },
  'POST /api/pbx/simulate-call': { extension: '3512', talkSeconds: 5 },
  // discharged a week from now: refused whatever else is broken
  'POST /api/discharges': { event: 'A03', visitNumber: 'FUZZ1', mrn: 'FUZZ1', name: '王秀英', sex: 'F', birthDate: '1956-03-12', phones: [{ use: 'mobile', number: '13800000000' }], department: '0301', dischargedAt: new Date(Date.now() + 7 * 86_400_000).toISOString(), diagnoses: [], procedures: [] },
  'PUT /api/callback-rules/:id': { version: 1, dayOffset: 3, windows: [{ from: '09:00', to: '11:30' }], priority: 2, active: true },
  'PUT /api/his-codes': { kind: 'department', code: 'FUZZ', departmentId: 999999, note: 'n' },
  // a department and a template that do not exist: refused whatever else is broken
  'POST /api/callback-rules': { departmentId: 999999, name: '关节镜 7 天', scenario: '术后', matchKeywords: ['关节镜'], dayOffset: 7, windows: [{ from: '09:00', to: '11:30' }], priority: 2, templateId: 999999 },
  'POST /api/callback-templates': { basedOn: 999999, departmentId: 999999, opening: '{称呼}您好', questions: [{ key: 'a', text: '伤口有没有渗液？', kind: 'yes_no', required: true, urgentWhen: ['是'], feedbackClass: 'medical' }, { key: 'b', text: '疼痛几分？', kind: 'scale', required: true }, { key: 'c', text: '康复训练', kind: 'choice', options: ['每天', '没有'], required: false }] },
  'POST /api/callbacks/me/state': { state: 'paused', reason: 'break' },
  'POST /api/feedback': { class: 'environment', text: '病房空调坏了', urgent: false, subjectDepartmentId: 999999 },
  'POST /api/feedback/:id/resolve': { version: 1, resolution: '已修好', contactedBy: '王' },
  'POST /api/feedback/:id/transfer': { version: 1, departmentId: 999999, reason: '不归我们' },
  'POST /api/feedback/:id/cannot-resolve': { version: 1, reason: '需要院领导' },
  'POST /api/feedback/:id/work-order': { itemId: 1, locationId: 999999, urgency: 'urgent' },
  'POST /api/callbacks/tasks/:id/dial': {},
  'POST /api/callbacks/tasks/:id/survey-sms': { remember: true },
  'POST /api/survey/:token': { answers: { wound: '否' } },
  'POST /api/callbacks/attempts/:id/disposition': { disposition: 'completed', answers: { pain: '3' }, notes: 'n', callBackAt: '2026-01-01T10:00:00+08:00', doNotCall: false },
  'POST /api/callbacks/tasks/:id/assign': { agentId: 999999 },
  'POST /api/do-not-call': { number: '13800000000', reason: '患者要求' },
  'POST /api/do-not-call/:id/lift': { reason: '误加' },
  'PUT /api/callback-policy': { departmentId: 999999, maxAttempts: 3, noAnswerMinutes: 120, busyMinutes: 15, unreachableMinutes: 0, giveUpDays: 3, wrapUpSeconds: 30 },
  'POST /api/sms/templates': { code: 'fuzz.sample', lang: 'zh', category: 'notice', name: '样例', body: '您好{患者姓名}', sender: '10690100' },
  'PUT /api/sms/templates/:id': { name: '样例', body: '您好', category: 'notice', sender: null, active: true, version: 1 },
  'POST /api/sms/preview': { body: '您好{患者姓名}', values: { 患者姓名: '李' } },
  'POST /api/sms/messages': { to: '13800000000', template: 'order.assigned', lang: 'zh', values: { 项目: 'a' } },
  'PUT /api/sms/consent': { phone: '13800000000', category: 'notice', state: 'granted', source: 'desk' },
  'POST /api/sms/demo-reply': { from: '13800000000', text: '谢谢' },
  'PUT /api/shift-types': { teamId: 999999, items: [{ name: '夜班', nameEn: 'Night', start: '22:00', end: '06:00', crossesMidnight: true }] },
  'PUT /api/rosters': { teamId: 999999, cells: [{ staffId: 999999, day: '2026-01-05', shiftTypeIds: [999999] }] },
  'POST /api/rosters/copy-week': { teamId: 999999, week: '2026-01-05' },
  'PUT /api/sms/uses/:code': { enabled: true },
  'POST /api/rosters/rotation': { teamId: 999999, from: '2026-01-05', to: '2026-01-31', cycle: [999999, null], staff: [{ staffId: 999999, offset: 1 }] },
  'POST /api/rosters/swap': { teamId: 999999, a: { staffId: 999999, day: '2026-01-05' }, b: { staffId: 999998, day: '2026-01-06' }, reason: '家里有事' },
  'POST /api/leave': { staffId: 999999, from: '2026-01-05', to: '2026-01-06', kind: 'sick', note: 'n' },
  'POST /api/handover/reassign': { toStaffId: 999999, orders: [{ id: 999999, version: 1, toStaffId: 999999 }] },
  'PUT /api/teams/:id/booking': { slotMinutes: 15, jobsPerPerson: 2, reserve: 1, releaseMinutes: 30, leadMinutes: 20, lateCancelMinutes: 60 },
  'POST /api/work-orders/:id/no-show': { note: 'n' },
  'POST /api/assets': { code: 'FUZZ-1', name: '电梯', kind: 'lift', locationId: 999999 },
  'POST /api/pm-schedules': { title: '电梯月检', assetId: null, locationId: 999999, itemId: 999999, rrule: 'FREQ=MONTHLY;BYMONTHDAY=1;COUNT=24', startDay: '2026-01-15', timeOfDay: '08:00', leadDays: 7, checklist: ['检查'] },
  'PUT /api/pm-schedules/:id': { title: '电梯月检', rrule: 'FREQ=WEEKLY;BYDAY=MO;COUNT=52', leadDays: 3, active: false },
  'POST /api/pm-occurrences/:id/skip': { reason: '停电检修' },
  // to before from: refused whatever else is broken, so no job is queued
  'POST /api/report-jobs': { report: 'kpi', format: 'pdf', from: '2026-03-08', to: '2026-03-02', teamId: 1, lang: 'zh' },
  'POST /api/report-jobs/:id/cancel': {},
}
const QUERIES = ['status=%27%20OR%201=1', 'teamId=abc', 'teamId=99999999999999999999', 'from=2026-13-45', 'from=2026-03-01&to=2026-02-01', 'limit=-5', 'cursor=1e400', 'overdue=maybe', 'ids=1,2,x', 'paper=B5', 'extra=1', 'q=' + 'x'.repeat(5000)]

async function snapshot() {
  const { rows } = await sql<Record<string, number>>`SELECT
    (SELECT count(*)::int FROM work_order) AS orders, (SELECT coalesce(sum(version), 0)::int FROM work_order) AS order_versions,
    (SELECT count(*)::int FROM work_order_event) AS events, (SELECT count(*)::int FROM routing_rule) AS rules,
    (SELECT coalesce(sum(version), 0)::int FROM routing_rule) AS rule_versions, (SELECT count(*)::int FROM app_user) AS users,
    (SELECT count(*)::int FROM extension) AS extensions, (SELECT count(*)::int FROM location) AS places, (SELECT md5(string_agg(row(l.id, l.full_name, l.active)::text, ',' ORDER BY id)) FROM location l) AS place_names,
    (SELECT count(*)::int FROM team) AS teams, (SELECT count(*)::int FROM service_point) AS points, (SELECT count(*)::int FROM notification) AS notifications, (SELECT count(*)::int FROM call) AS calls,
    (SELECT md5(string_agg(row(i.*)::text, ',' ORDER BY id)) FROM item i) AS items,
    (SELECT md5(string_agg(row(s.id, s.on_duty)::text, ',' ORDER BY id)) FROM staff s) AS staff,
    (SELECT count(*)::int FROM shift_type) AS shift_types, (SELECT count(*)::int FROM roster_entry) AS roster_entries,
    (SELECT count(*)::int FROM staff_leave) AS leave, (SELECT count(*)::int FROM duty_override) AS duty_overrides,
    (SELECT count(*)::int FROM callback_template) AS callback_templates, (SELECT count(*)::int FROM callback_rule) AS callback_rules, (SELECT coalesce(sum(version), 0)::int FROM callback_rule) AS callback_rule_versions,
    (SELECT count(*)::int FROM asset) AS assets, (SELECT count(*)::int FROM pm_schedule) AS pm_schedules, (SELECT count(*)::int FROM pm_occurrence) AS pm_occurrences`.execute(t.db.db)
  return JSON.stringify(rows[0])
}

test('no hostile request gets a 5xx, every rejection is JSON naming the field, and nothing is written', async () => {
  const routes = t.app.services.routes.filter((r) => r !== 'GET /ws')
  let requests = 0, fiveHundreds = 0
  const problems: string[] = []
  const before = await snapshot()

  async function send(method: string, url: string, body: string | Buffer | undefined, contentType = 'application/json') {
    const res = await t.app.inject({ method: method as 'POST', url, headers: { cookie, ...(body === undefined ? {} : { 'content-type': contentType }) }, ...(body === undefined ? {} : { payload: body }) })
    requests++
    const label = `${method} ${url.slice(0, 80)} ${typeof body === 'string' ? body.slice(0, 60) : ''}`
    if (res.statusCode >= 500) { fiveHundreds++; problems.push(`${res.statusCode} ${label}`); return }
    if (res.statusCode < 400) { problems.push(`accepted ${res.statusCode} ${label}`); return }
    let json: any
    try { json = res.json() } catch { problems.push(`not JSON ${label}`); return }
    if (typeof json.error !== 'string' || typeof json.message !== 'string') problems.push(`no error/message ${label}`)
    if ((res.statusCode === 400 || res.statusCode === 422) && typeof json.field !== 'string') problems.push(`400 without field ${label}: ${res.body.slice(0, 120)}`)
  }

  for (const key of routes) {
    const [method, route] = key.split(' ') as [string, string]
    const url = route.replace(':id', '999999').replace(':number', '0000')
    if (method === 'GET' || method === 'DELETE') {
      for (const q of QUERIES) await send(method, `${url}?${q}`, undefined)
      for (const bad of ["1'", '-1', 'abc', '9'.repeat(30)]) if (route.includes(':id')) await send(method, route.replace(':id', encodeURIComponent(bad)), undefined)
      continue
    }
    const sample = SAMPLES[key]
    if (key === 'POST /api/work-orders/import' || key === 'POST /api/discharges/import' || key === 'POST /api/rosters/import') {
      await send(method, url, 'not,a\n"broken', 'text/csv')
      await send(method, url, '{"itemCode": 1}\n[1,2]\nnull', 'application/x-ndjson')
      await send(method, url, '{}', 'application/json')
      continue
    }
    if (key === 'POST /api/feedback/:id/attachments') {
      // a file as its own type: wrong types, no name, a long name, a NUL, too large
      for (const q of ['', '?name=a.png', `?name=${'x'.repeat(300)}`, '?name=%00']) {
        await send(method, url + q, Buffer.from([0x89, 0x50, 0x4e, 0x47]), 'image/png')
        await send(method, url + q, 'hello', 'text/plain')
        await send(method, url + q, '{}', 'application/json')
      }
      await send(method, `${url}?name=big.pdf`, Buffer.alloc(9 * 1024 * 1024), 'application/pdf')
      continue
    }
    assert.ok(sample, `no sample body for ${key}`)
    // whole-body attacks
    for (const body of ['', 'null', '[]', '"text"', '{', '{"a":'.repeat(5000), '['.repeat(100_000), JSON.stringify({ ...sample, extra: 1 })]) await send(method, url, body)
    await send(method, url, Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0xff, 0x22, 0x7d]))
    await send(method, url, JSON.stringify({ ...sample, pad: 'x'.repeat(2_000_000) }))
    await send(method, url, JSON.stringify(sample), 'application/xml')
    // each field broken on its own, and each field missing
    for (const field of Object.keys(sample)) {
      const { [field]: _omit, ...without } = sample
      if (Object.keys(without).length < Object.keys(sample).length && key !== 'PATCH /api/users/:id' && key !== 'POST /api/work-orders/:id/chases') await send(method, url, JSON.stringify(without))
      for (const value of HOSTILE) await send(method, url, JSON.stringify({ ...sample, [field]: value }))
    }
  }
  const health = await t.app.inject({ method: 'GET', url: '/api/health' })
  console.log(`  requests ${requests}, 5xx ${fiveHundreds}, accepted ${problems.filter((p) => p.startsWith("accepted")).length}`)
  assert.is(health.statusCode, 200, 'healthy afterwards')
  assert.is(fiveHundreds, 0, problems.filter((p) => /^5/.test(p)).slice(0, 10).join('\n'))
  assert.is(await snapshot(), before, 'the database is unchanged')
  assert.equal(problems.filter((p) => !p.startsWith('accepted')).slice(0, 15), [])
  assert.ok(requests > 1500, `only ${requests} requests: routes missing from the walk?`)
})

test.run()
