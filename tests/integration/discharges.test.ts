// Discharged patients in from the HIS (HL7 v2 ADT over MLLP, REST, CSV) and the callback plan out:
// real frames over TCP (from our client and from Debian's mllp_send), ACKs read field by field,
// stays and plans read back, A13 and A08, rules re-planning, masking and the audit, and bad input.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import net from 'node:net'
import { execFile, execFileSync } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { startMllp, type MllpListener } from '../../server/src/discharges/mllp.ts'
import { callbackPlanner } from '../../server/src/callbacks/plan.ts'
import type { StayChange, StayPlanner } from '../../server/src/discharges/intake.ts'

const HAPI = readFileSync(new URL('../fixtures/hl7/hapi-adt-a03.hl7', import.meta.url), 'utf8')
const TZ = 'Asia/Shanghai'
// Node decodes GB18030 but cannot encode it: Python (there for mllp_send) writes the bytes an HIS would
const encode = (text: string, codec: 'gb18030' | 'gbk') => execFileSync('python3', ['-c', `import sys; sys.stdout.buffer.write(sys.stdin.buffer.read().decode('utf-8').encode('${codec}'))`], { input: text })
let t: TestApp
let mllp: MllpListener

test.before(async () => {
  t = await startTestApp()
  mllp = await startMllp(0, '127.0.0.1', { db: t.db.db, planner: callbackPlanner(TZ), timeZone: TZ, log: () => {} })
})
test.after(async () => { await mllp.close(); await t.close() })

/** Sends frames on one connection and reads one ACK per frame (or until the peer closes). */
async function exchange(payloads: (string | Buffer)[], opts: { raw?: boolean; closes?: boolean } = {}): Promise<{ acks: string[]; closed: boolean }> {
  const socket = net.connect(mllp.port, '127.0.0.1')
  await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject) })
  const acks: string[] = []
  let buffer = Buffer.alloc(0)
  let closed = false
  const done = new Promise<void>((resolve) => {
    socket.on('data', (d) => {
      buffer = Buffer.concat([buffer, d])
      let end
      while ((end = buffer.indexOf(0x1c)) !== -1) {
        acks.push(buffer.subarray(1, end).toString('utf8'))
        buffer = buffer.subarray(end + 2)
      }
      if (acks.length >= payloads.length) resolve()
    })
    socket.on('close', () => { closed = true; resolve() })
    socket.on('error', () => {})
  })
  for (const p of payloads) {
    const body = typeof p === 'string' ? Buffer.from(p, 'utf8') : p
    socket.write(opts.raw ? body : Buffer.concat([Buffer.from([0x0b]), body, Buffer.from([0x1c, 0x0d])]))
  }
  await Promise.race([done, new Promise((r) => setTimeout(r, 5000))])
  // a refusal that closes the connection: give the close a moment to arrive
  if (opts.closes && !closed) await new Promise<void>((resolve) => { const timer = setTimeout(resolve, 300); socket.once('close', () => { closed = true; clearTimeout(timer); resolve() }) })
  socket.destroy()
  return { acks, closed }
}

const fields = (ack: string, segment: string) => ack.split('\r').find((s) => s.startsWith(segment))?.split('|') ?? []
function assertAck(ack: string, code: string, controlId: string, event: string) {
  const msh = fields(ack, 'MSH'), msa = fields(ack, 'MSA')
  assert.is(msh[8], `ACK^${event}^ACK`, ack)
  assert.ok(msh[9] && msh[9] !== controlId, `the ACK has its own MSH-10: ${ack}`)
  assert.is(msa[1], code, ack)
  assert.is(msa[2], controlId, ack)
  return { msh, msa, err: fields(ack, 'ERR') }
}

const hl7Day = (offsetDays = 0) => new Intl.DateTimeFormat('en-CA', { timeZone: TZ }).format(new Date(Date.now() + offsetDays * 86_400_000)).replace(/-/g, '')
const localDay = (offsetDays = 0) => new Intl.DateTimeFormat('en-CA', { timeZone: TZ }).format(new Date(Date.now() + offsetDays * 86_400_000))

/** PV1 by field number, so each value sits where the standard puts it */
function pv1(visit: string, dept: string, discharged: string) {
  const f: string[] = []
  Object.assign(f, { 1: '1', 2: 'I', 3: 'GK1^^12^^^^^^骨科一病区', 7: '1001^李^建华', 10: dept, 19: visit, 36: '01', 44: `${hl7Day(-1)}0800`, 45: discharged })
  return ['PV1', ...Array.from({ length: 45 }, (_, i) => f[i + 1] ?? '')].join('|')
}

function adt(event: string, id: string, visit: string, opts: { phone?: string; dept?: string; name?: string; charset?: string; sep?: string; extra?: string[]; discharged?: string; pid30?: string } = {}) {
  const sep = opts.sep ?? '\r'
  return [
    `MSH|^~\\&|HIS|RMYY|HOTLINE100|RMYY|${hl7Day()}0930||ADT^${event}^ADT_A03|${id}|P|2.5|||||CHN|${opts.charset ?? 'UNICODE UTF-8'}`,
    `EVN|${event}|${hl7Day()}0930`,
    `PID|1||${visit.replace('V', 'M')}^^^RMYY^MR||${opts.name ?? '王^秀英'}||19560312|F|||||${opts.phone ?? '13812345678^PRN^CP'}${'|'.repeat(17)}${opts.pid30 ?? ''}`,
    ...(opts.extra ?? []),
    pv1(visit, opts.dept ?? '0301', opts.discharged ?? `${hl7Day()}0900`),
    'PR1|1||81.51^全髋关节置换术||' + hl7Day(-1) + '1000',
  ].join(sep) + sep
}

async function tasksOf(visit: string, user: 'admin' | 'agent' = 'agent') {
  const res = await t.call(user, 'GET', '/api/callback-tasks?limit=1000')
  assert.is(res.status, 200, JSON.stringify(res.body))
  return (res.body.items as any[]).filter((i) => i.stay.visitNumber === visit)
}
async function allTasksOf(visit: string) {
  return t.db.db.selectFrom('callback_task').innerJoin('stay', 'stay.id', 'callback_task.stay_id').select(['callback_task.id', 'callback_task.status', 'callback_task.cancel_reason', 'callback_task.phone']).where('stay.visit_number', '=', visit).orderBy('callback_task.id').execute()
}

test('the demo hospital has its departments, rules, templates and a week of discharges planned', async () => {
  const departments = (await t.call('agent', 'GET', '/api/departments')).body.items.map((d: any) => d.name)
  for (const name of ['骨科', '普外科', '心内科', '内分泌科', '妇产科', '呼吸科']) assert.ok(departments.includes(name), name)
  const demo = await t.db.db.selectFrom('stay').select((eb) => eb.fn.countAll().as('n')).where('origin', '=', 'demo').executeTakeFirstOrThrow()
  assert.is(Number(demo.n), 56)
  const rules = (await t.call('agent', 'GET', '/api/callback-rules')).body.items as any[]
  assert.equal(['骨科术后 3 天', '心内科慢病 7 天', '产后 14 天'].map((n) => rules.find((r) => r.name === n)?.dayOffset), [3, 7, 14])
})

test('the HAPI ADT^A03 over MLLP: AA echoing MSH-10, the stay stored, an unmapped department planned as nothing with the reason', async () => {
  const { acks } = await exchange([HAPI])
  const { msa } = assertAck(acks[0]!, 'AA', '263206', 'A03')
  assert.match(msa[3]!, /^created stay \d+; department code not mapped: no callback$/)
  const stay = await t.db.db.selectFrom('stay').selectAll().where('visit_number', '=', '2008003369').executeTakeFirstOrThrow()
  assert.is(stay.department_code, 'MED. 1 - ONCOLOGIA')
  assert.is(stay.attending_doctor, 'TEST TEST')
  assert.is(stay.origin, 'hl7:263206')
  assert.is(stay.status, 'discharged')
  const patient = await t.db.db.selectFrom('patient').selectAll().where('id', '=', stay.patient_id).executeTakeFirstOrThrow()
  assert.equal([patient.mrn, patient.sex], ['5520255', 'F'])
  const procedures = await t.db.db.selectFrom('stay_procedure').selectAll().where('stay_id', '=', stay.id).execute()
  assert.equal(procedures.map((p) => [p.code, p.text]), [['1111', 'Mastoplastica']])
  assert.is((await allTasksOf('2008003369')).length, 0)
  // the same message again is the same stay, unchanged
  const again = await exchange([HAPI])
  assert.match(fields(again.acks[0]!, 'MSA')[3]!, /^unchanged stay/)
  assert.is(Number((await t.db.db.selectFrom('stay').select((eb) => eb.fn.countAll().as('n')).where('visit_number', '=', '2008003369').executeTakeFirstOrThrow()).n), 1)
})

test('the HAPI variant with \\r\\n line ends and a Z segment after EVN is taken', async () => {
  const variant = HAPI.replace('MSH|^~\\&|IRIS|SANTER', 'MSH|^~\\&|IRIS2|SANTER').split('\r').filter(Boolean)
  variant.splice(2, 0, 'ZZZ|aaa')
  const { acks } = await exchange([variant.join('\r\n') + '\r\n'])
  assertAck(acks[0]!, 'AA', '263206', 'A03')
  assert.ok(await t.db.db.selectFrom('stay').select('id').where('source', '=', 'IRIS2').where('visit_number', '=', '2008003369').executeTakeFirst())
})

test('an orthopaedic discharge is a call due in 3 days in the 骨科 template; A08 changes its phone; A13 cancels it; A03 again re-plans', async () => {
  const { acks } = await exchange([adt('A03', 'GK-1', 'V100001')])
  const { msa } = assertAck(acks[0]!, 'AA', 'GK-1', 'A03')
  assert.match(msa[3]!, new RegExp(`callback \\d+ due ${localDay(3)}`))
  const [task] = await tasksOf('V100001')
  assert.is(task.dueDate, localDay(3))
  assert.is(task.template.name, '骨科术后回访')
  assert.equal(task.windows, [{ from: '09:00', to: '11:30' }, { from: '14:30', to: '20:00' }])
  assert.is(task.dueAt, new Date(`${localDay(3)}T09:00:00+08:00`).toISOString())
  assert.is(task.phone, '138****5678')
  assert.is(task.agent.name, '回访专员 杨雪')
  assert.match(task.opening, /^王阿姨您好，我是骨科的回访客服，您出院 3 天了，全髋关节置换术后伤口还疼吗？有没有按照李建华说的/)
  assert.ok(task.template.questions.length >= 3 && task.template.questions.length <= 7)

  const update = await exchange([adt('A08', 'GK-2', 'V100001', { phone: '13900001111^PRN^CP' })])
  assert.match(assertAck(update.acks[0]!, 'AA', 'GK-2', 'A08').msa[3]!, /phone of 1 pending callback\(s\) changed$/)
  assert.is((await tasksOf('V100001', 'admin'))[0].phone, '13900001111')

  const cancel = await exchange([adt('A13', 'GK-3', 'V100001', { phone: '13900001111^PRN^CP' })])
  assert.match(assertAck(cancel.acks[0]!, 'AA', 'GK-3', 'A13').msa[3]!, /^updated stay \d+; discharge cancelled; 1 pending callback cancelled$/)
  assert.equal((await allTasksOf('V100001')).map((x) => [x.status, x.cancel_reason]), [['cancelled', '出院已撤销（A13）']])

  const again = await exchange([adt('A03', 'GK-4', 'V100001', { phone: '13900001111^PRN^CP' })])
  assertAck(again.acks[0]!, 'AA', 'GK-4', 'A03')
  assert.equal((await allTasksOf('V100001')).map((x) => x.status), ['cancelled', 'planned'])
  assert.is(Number((await t.db.db.selectFrom('stay').select((eb) => eb.fn.countAll().as('n')).where('visit_number', '=', 'V100001').executeTakeFirstOrThrow()).n), 1)
})

test('repetitions and escapes are decoded; a message with no phone is stored and its plan marked no number', async () => {
  const { acks } = await exchange([adt('A03', 'ESC-1', 'V100002', { name: '陈\\T\\孙^小\\F\\红', phone: '^PRN^PH^^^0571^88001234~13700002222^PRN^CP' })])
  assertAck(acks[0]!, 'AA', 'ESC-1', 'A03')
  const patient = await t.db.db.selectFrom('patient').select('name').where('mrn', '=', 'M100002').executeTakeFirstOrThrow()
  assert.is(patient.name, '陈&孙小|红')
  const phones = await t.db.db.selectFrom('patient_phone').innerJoin('patient', 'patient.id', 'patient_phone.patient_id').select(['use', 'number']).where('mrn', '=', 'M100002').orderBy('position').execute()
  assert.equal(phones, [{ use: 'home', number: '057188001234' }, { use: 'mobile', number: '13700002222' }])
  // the mobile is called first
  assert.is((await tasksOf('V100002', 'admin'))[0].phone, '13700002222')

  const none = await exchange([adt('A03', 'NOPHONE', 'V100003', { phone: '' })])
  assertAck(none.acks[0]!, 'AA', 'NOPHONE', 'A03')
  const [task] = await tasksOf('V100003')
  assert.equal([task.noNumber, task.phone], [true, null])
})

test('MSH-18 GB18030: the bytes are read as GB18030 and the name stored right', async () => {
  const text = adt('A03', 'GB-1', 'V100004', { charset: 'GB 18030-2000', name: '赵^淑珍' })
  const bytes = encode(text, 'gb18030')
  const { acks } = await exchange([bytes])
  assertAck(acks[0]!, 'AA', 'GB-1', 'A03')
  assert.is((await t.db.db.selectFrom('patient').select('name').where('mrn', '=', 'M100004').executeTakeFirstOrThrow()).name, '赵淑珍')
  assert.is((await tasksOf('V100004'))[0].stay.ward, 'GK1')
})

test('bad HL7 is answered AR or AE and changes nothing; garbage and a truncated frame do not stop the listener', async () => {
  const before = await t.db.db.selectFrom('stay').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()
  const noMsh = (await exchange(['PID|||1||X^Y\r'])).acks[0]!
  assert.is(fields(noMsh, 'MSA')[1], 'AR')
  const version = adt('A03', 'V-3', 'V100010').replace('|P|2.5|', '|P|3.0|')
  const wrongVersion = assertAck((await exchange([version])).acks[0]!, 'AR', 'V-3', 'A03')
  assert.match(wrongVersion.err[3]!, /^203\^/)
  const latin = Buffer.from(adt('A03', 'UTF-1', 'V100016', { name: 'X^Y' }).replace('X^Y', 'X\u00ff^Y'), 'latin1')
  const badBytes = assertAck((await exchange([latin])).acks[0]!, 'AR', 'UTF-1', 'A03')
  assert.match(badBytes.msa[3]!, /not valid UNICODE UTF-8/)
  const oru = adt('A03', 'ORU-1', 'V100011').replace('ADT^A03^ADT_A03', 'ORU^R01^ORU_R01')
  assertAck((await exchange([oru])).acks[0]!, 'AR', 'ORU-1', 'R01')
  const badDate = assertAck((await exchange([adt('A03', 'DATE-1', 'V100012', { discharged: '20260230' + '0900' })])).acks[0]!, 'AE', 'DATE-1', 'A03')
  assert.match(badDate.msa[3]!, /PV1-45 is a date that does not exist/)
  assert.is(badDate.err[2], 'PV1^1^45')
  const noVisit = assertAck((await exchange([adt('A03', 'NOVISIT', '')])).acks[0]!, 'AE', 'NOVISIT', 'A03')
  assert.match(noVisit.msa[3]!, /visitNumber/)
  // garbage bytes outside and inside a frame, then a good message on the same connection
  const garbage = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 37) % 251))
  const mixed = await exchange([Buffer.concat([garbage.filter((b) => b !== 0x0b && b !== 0x1c), Buffer.from([0x0b]), garbage.filter((b) => b !== 0x1c && b !== 0x0b), Buffer.from([0x1c, 0x0d])]), Buffer.concat([Buffer.from([0x0b]), Buffer.from(adt('A03', 'AFTER', 'V100013')), Buffer.from([0x1c, 0x0d])])], { raw: true })
  assert.is(fields(mixed.acks[0]!, 'MSA')[1], 'AR')
  assertAck(mixed.acks[1]!, 'AA', 'AFTER', 'A03')
  // a frame that never ends: the peer goes away, nothing is stored
  const truncated = net.connect(mllp.port, '127.0.0.1')
  await new Promise((r) => truncated.once('connect', r))
  truncated.end(Buffer.concat([Buffer.from([0x0b]), Buffer.from(adt('A03', 'CUT', 'V100014').slice(0, 120))]))
  await new Promise((r) => setTimeout(r, 100))
  const after = await t.db.db.selectFrom('stay').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()
  assert.is(Number(after.n), Number(before.n) + 1, 'only the good message after the garbage was stored')
  assertAck((await exchange([adt('A03', 'STILL', 'V100015')])).acks[0]!, 'AA', 'STILL', 'A03')
})

test('a frame over 1 MiB is answered AR and the connection closed', async () => {
  const big = adt('A03', 'BIG-1', 'V100020') + `NTE|1||${'x'.repeat(1_100_000)}\r`
  const { acks, closed } = await exchange([big], { closes: true })
  const { msa } = assertAck(acks[0]!, 'AR', 'BIG-1', 'A03')
  assert.match(msa[3]!, /larger than 1048576 bytes/)
  assert.ok(closed)
  assert.is((await allTasksOf('V100020')).length, 0)
})

test("Debian's mllp_send delivers the HAPI message and an orthopaedic discharge and reads our ACKs", async () => {
  const run = promisify(execFile)
  const { stdout } = await run('mllp_send', ['--loose', '--file', new URL('../fixtures/hl7/hapi-adt-a03.hl7', import.meta.url).pathname, '--port', String(mllp.port), '127.0.0.1'])
  const ack = stdout.replace(/[\x0b\x1c]/g, '').replace(/\n/g, '\r')
  assertAck(ack, 'AA', '263206', 'A03')
  const file = join(mkdtempSync(join(tmpdir(), 'hl7-')), 'gk.hl7')
  writeFileSync(file, adt('A03', 'PY-1', 'V100030'))
  const { stdout: second } = await run('mllp_send', ['--loose', '--file', file, '--port', String(mllp.port), '127.0.0.1'])
  assertAck(second.replace(/[\x0b\x1c]/g, '').replace(/\n/g, '\r'), 'AA', 'PY-1', 'A03')
  assert.is((await tasksOf('V100030'))[0].dueDate, localDay(3))
})

const DISCHARGED = new Date(Date.now() - 3_600_000).toISOString()
// the due day counts from the discharge's local day, which in the first hour after midnight in Shanghai is yesterday
const afterDischarge = (days: number) => new Intl.DateTimeFormat('en-CA', { timeZone: TZ }).format(new Date(Date.parse(DISCHARGED) + days * 86_400_000))
const record = (visit: string, extra: Record<string, unknown> = {}) => ({
  source: 'EMR', event: 'A03', visitNumber: visit, mrn: `M-${visit}`, name: '刘桂兰', sex: 'F', birthDate: '1961-05-20',
  phones: [{ use: 'mobile', number: '13600001234' }], department: '0202', attendingDoctor: '周医生', patientClass: 'I',
  admittedAt: '2026-11-20T08:00:00+08:00', dischargedAt: DISCHARGED, disposition: '01',
  diagnoses: [{ code: 'E11.9', text: '2型糖尿病' }], ...extra,
})

test('POST /api/discharges: one answer per record — created, unchanged, rejected with the field — and the diabetes rule at 7 days', async () => {
  const res = await t.call('agent', 'POST', '/api/discharges', [record('R1'), record('R2', { birthDate: '1961-02-30' }), record('R3', { phones: [{ use: 'mobile', number: '不是电话' }] })])
  assert.is(res.status, 200, JSON.stringify(res.body))
  assert.equal(res.body.results.map((r: any) => r.outcome), ['created', 'rejected', 'created'])
  assert.equal([res.body.results[1].field, res.body.results[1].reason], ['birthDate', 'birthDate is a date that does not exist: 1961-02-30'])
  assert.is(res.body.results[1].reasonZh, '出生日期是不存在的日期：1961-02-30')
  const [task] = await tasksOf('R1')
  assert.is(task.template.name, '内分泌科糖尿病回访')
  assert.is(task.dueDate, afterDischarge(7))
  // a phone that is not a phone is kept as text, flagged, and not dialled
  const kept = await t.db.db.selectFrom('patient_phone').innerJoin('patient', 'patient.id', 'patient_phone.patient_id').select(['number', 'valid']).where('mrn', '=', 'M-R3').execute()
  assert.equal(kept, [{ number: '不是电话', valid: false }])
  assert.is((await tasksOf('R3'))[0].noNumber, true)
  const again = await t.call('agent', 'POST', '/api/discharges', record('R1'))
  assert.equal([again.status, again.body.results[0].outcome], [200, 'unchanged'])
  const bad = await t.call('agent', 'POST', '/api/discharges', record('R4', { department: '' }))
  assert.equal([bad.status, bad.body.error, bad.body.field, bad.body.message, bad.body.messageEn, bad.body.results[0].outcome], [422, 'invalid_record', 'department', '缺少科室', 'department is required', 'rejected'])
  const tooMany = await t.call('agent', 'POST', '/api/discharges', Array.from({ length: 1001 }, (_, i) => record(`X${i}`)))
  assert.is(tooMany.status, 400)
  assert.is(await t.db.db.selectFrom('stay').select('id').where('visit_number', '=', 'X0').executeTakeFirst(), undefined)
})

test('a death (PID-30) or a transfer plans no call and says why', async () => {
  const died = await t.call('agent', 'POST', '/api/discharges', record('D1', { disposition: '20' }))
  assert.match(died.body.results[0].plan.note, /死亡/)
  const transferred = await t.call('agent', 'POST', '/api/discharges', record('D2', { disposition: '02' }))
  assert.match(transferred.body.results[0].plan.note, /转院/)
  const { acks } = await exchange([adt('A03', 'DEAD-1', 'V100040', { pid30: 'Y' })])
  assertAck(acks[0]!, 'AA', 'DEAD-1', 'A03')
  assert.is((await allTasksOf('V100040')).length, 0)
  assert.is((await allTasksOf('D1')).length + (await allTasksOf('D2')).length, 0)
})

const CSV_HEADER = 'visitNumber,mrn,name,sex,birthDate,mobile,department,attendingDoctor,dischargedAt,procedures,diagnoses'
const csv = (rows: string[]) => [CSV_HEADER, ...rows].join('\r\n') + '\r\n'
const upload = (body: string | Buffer) => t.call('agent', 'POST', '/api/discharges/import', body, { 'content-type': 'text/csv' })

test('CSV: one bad row is a 422 naming row and field, and nothing is applied; the good file then creates its stays', async () => {
  const when = `${localDay(0)} 10:00`
  const rows = [
    `C1,MC1,"张建国",M,1950-01-02,13500001111,0301,王医生,${when},"81.51 全髋关节置换术",`,
    `C2,MC2,"=HYPERLINK(""http://x"")",F,1970-01-02,13500002222,0302,王医生,${when},,`,
    `C3,MC3,"李
桂兰",F,1988-13-01,13500003333,0401,何医生,${when},,"O80 自然分娩"`,
  ]
  const bad = await upload(csv(rows))
  assert.is(bad.status, 422, JSON.stringify(bad.body))
  assert.equal(bad.body.rows.map((r: any) => [r.row, r.field]), [[2, 'name'], [3, 'birthDate']])
  assert.is(await t.db.db.selectFrom('stay').select('id').where('visit_number', '=', 'C1').executeTakeFirst(), undefined)
  const good = await upload('\ufeff' + csv([rows[0]!, `C3,MC3,"李\n桂兰",F,1988-12-01,13500003333,0401,何医生,${when},,"O80 自然分娩"`]))
  assert.is(good.status, 200, JSON.stringify(good.body))
  assert.equal(good.body.results.map((r: any) => r.outcome), ['created', 'created'])
  assert.is((await tasksOf('C1'))[0].dueDate, localDay(3))
  assert.is((await tasksOf('C3'))[0].dueDate, localDay(14))
  assert.is((await t.db.db.selectFrom('patient').select('name').where('mrn', '=', 'MC3').executeTakeFirstOrThrow()).name, '李\n桂兰')
  const twice = await upload(csv([rows[0]!]))
  assert.equal(twice.body.results.map((r: any) => r.outcome), ['unchanged'])
})

test('CSV in GBK (as Excel saves it in China) is read right; 100,000 rows are refused with a clear answer', async () => {
  const text = csv([`G1,MG1,黄淑珍,F,1955-03-04,13500004444,0201,周医生,${localDay(0)} 09:00,,"I10 高血压病"`])
  const res = await upload(encode(text, 'gbk'))
  assert.is(res.status, 200, JSON.stringify(res.body))
  assert.is((await t.db.db.selectFrom('patient').select('name').where('mrn', '=', 'MG1').executeTakeFirstOrThrow()).name, '黄淑珍')
  assert.is((await tasksOf('G1'))[0].template.name, '内科慢病回访')
  const day = localDay(0)
  const huge = csv(Array.from({ length: 100_000 }, (_, i) => `H${i},MH${i},某某,F,1955-03-04,13500004444,0201,周医生,${day} 09:00,,`))
  const refused = await upload(huge)
  assert.is(refused.status, 422)
  assert.match(refused.body.rows[0].message, /100000 rows: a file takes at most 50000/)
  assert.is(await t.db.db.selectFrom('stay').select('id').where('visit_number', '=', 'H0').executeTakeFirst(), undefined)
})

test('a long CSV tells the uploader\'s screen how far the check has come', async () => {
  const live = await t.connect('agent')
  const day = localDay(0)
  const rows = Array.from({ length: 10_000 }, (_, i) => `L${i},ML${i},某某,F,1955-03-04,13500004444,0201,周医生,${day} 09:00,,`)
  rows.push(`LBAD,MLBAD,某某,F,1955-02-30,13500004444,0201,周医生,${day} 09:00,,`)
  const res = await upload(csv(rows))
  assert.is(res.status, 422)
  const first = await live.next((m) => m.type === 'discharges.import')
  const second = await live.next((m) => m.type === 'discharges.import')
  assert.equal([first.data, second.data], [{ phase: 'checking', checked: 5000, total: 10_001 }, { phase: 'checking', checked: 10_000, total: 10_001 }])
})

test('changing a rule re-plans calls not yet due and says how many', async () => {
  await t.call('agent', 'POST', '/api/discharges', [record('P1', { department: '0401', diagnoses: [] }), record('P2', { department: '0401', diagnoses: [] })])
  const rules = (await t.call('admin', 'GET', '/api/callback-rules')).body.items as any[]
  const obstetrics = rules.find((r) => r.name === '产后 14 天')
  const pending = (await t.call('admin', 'GET', `/api/callback-tasks?departmentId=${obstetrics.departmentId}&limit=1000`)).body.items.filter((x: any) => x.status === 'planned').length
  const res = await t.call('admin', 'PUT', `/api/callback-rules/${obstetrics.id}`, { version: obstetrics.version, dayOffset: 10 })
  assert.is(res.status, 200, JSON.stringify(res.body))
  assert.is(res.body.replanned, pending)
  assert.ok(res.body.replanned >= 2)
  assert.match(res.body.message, new RegExp(`${pending} 个尚未到期的回访已重新安排`))
  assert.is((await tasksOf('P1'))[0].dueDate, afterDischarge(10))
  const stale = await t.call('admin', 'PUT', `/api/callback-rules/${obstetrics.id}`, { version: obstetrics.version, dayOffset: 12 })
  assert.is(stale.status, 409)
  assert.is((await t.call('agent', 'PUT', `/api/callback-rules/${obstetrics.id}`, { version: 2, dayOffset: 12 })).status, 403)
})

test('patients’ phones are masked for every role but the administrator, whose every look is audited', async () => {
  await t.call('agent', 'POST', '/api/discharges', record('M1'))
  assert.is((await tasksOf('M1', 'agent'))[0].phone, '136****1234')
  const manager = (await t.call('manager', 'GET', '/api/callback-tasks?limit=1000')).body.items.find((x: any) => x.stay.visitNumber === 'M1')
  assert.is(manager.phone, '136****1234')
  const before = (await t.call('admin', 'GET', '/api/audit?action=view_patient_phones')).body.items.length
  assert.is((await tasksOf('M1', 'admin'))[0].phone, '13600001234')
  const log = (await t.call('admin', 'GET', '/api/audit?action=view_patient_phones')).body.items
  assert.is(log.length, before + 1)
  assert.is(log[0].username, 'admin')
  assert.ok(log[0].detail.tasks.includes((await tasksOf('M1', 'agent'))[0].id))
  // a masked look writes nothing
  await tasksOf('M1', 'agent')
  assert.is((await t.call('admin', 'GET', '/api/audit?action=view_patient_phones')).body.items.length, before + 1)
})

test('a batch again with one phone changed: that stay updated, its phones replaced and its one planned call moved to the new number; the other unchanged', async () => {
  const first = await t.call('agent', 'POST', '/api/discharges', [record('BP1'), record('BP2', { phones: [{ use: 'mobile', number: '13600002222' }] })])
  assert.equal(first.body.results.map((r: any) => r.outcome), ['created', 'created'])
  const again = await t.call('agent', 'POST', '/api/discharges', [record('BP1', { phones: [{ use: 'home', number: '057188002222' }, { use: 'mobile', number: '13600003333' }] }), record('BP2', { phones: [{ use: 'mobile', number: '13600002222' }] })])
  assert.equal(again.body.results.map((r: any) => r.outcome), ['updated', 'unchanged'])
  const phones = await t.db.db.selectFrom('patient_phone').innerJoin('patient', 'patient.id', 'patient_phone.patient_id').select(['use', 'number']).where('mrn', '=', 'M-BP1').orderBy('position').execute()
  assert.equal(phones, [{ use: 'home', number: '057188002222' }, { use: 'mobile', number: '13600003333' }])
  assert.equal((await allTasksOf('BP1')).map((x) => [x.status, x.phone]), [['planned', '13600003333']])
  assert.equal((await allTasksOf('BP2')).map((x) => [x.status, x.phone]), [['planned', '13600002222']])
})

test('what the plan reads is re-read after any write to it: a code mapped straight in the database and a rule changed by the admin reach the next HL7 message', async () => {
  const gk = (await t.db.db.selectFrom('department').select('id').where('code', '=', 'GK').executeTakeFirstOrThrow()).id
  const first = await exchange([adt('A03', 'CTX-1', 'V100201', { dept: 'HX77' })])
  assert.match(assertAck(first.acks[0]!, 'AA', 'CTX-1', 'A03').msa[3]!, /department code not mapped: no callback$/)
  // as another instance or a DBA would: not through this process's routes
  await t.db.db.insertInto('his_code_map').values({ kind: 'department', code: 'HX77', department_id: gk, note: 'test' }).execute()
  const mapped = await exchange([adt('A03', 'CTX-2', 'V100202', { dept: 'HX77' })])
  assert.match(assertAck(mapped.acks[0]!, 'AA', 'CTX-2', 'A03').msa[3]!, new RegExp(`callback \\d+ due ${localDay(3)}$`))
  const rule = ((await t.call('admin', 'GET', '/api/callback-rules')).body.items as any[]).find((r) => r.name === '骨科术后 3 天')
  assert.is((await t.call('admin', 'PUT', `/api/callback-rules/${rule.id}`, { version: rule.version, dayOffset: 4 })).status, 200)
  const moved = await exchange([adt('A03', 'CTX-3', 'V100203', { dept: 'HX77' })])
  assert.match(assertAck(moved.acks[0]!, 'AA', 'CTX-3', 'A03').msa[3]!, new RegExp(`callback \\d+ due ${localDay(4)}$`))
  const back = ((await t.call('admin', 'GET', '/api/callback-rules')).body.items as any[]).find((r) => r.id === rule.id)
  assert.is((await t.call('admin', 'PUT', `/api/callback-rules/${rule.id}`, { version: back.version, dayOffset: 3 })).status, 200)
})

test('HL7 discharges of one department go to its agent with the fewest calls that day, a second agent taken at once', async () => {
  const gk = (await t.db.db.selectFrom('department').select('id').where('code', '=', 'GK').executeTakeFirstOrThrow()).id
  const other = (await t.db.db.selectFrom('app_user').select('id').where('username', '=', 'admin').executeTakeFirstOrThrow()).id
  await t.db.db.insertInto('department_agent').values({ department_id: gk, user_id: other }).execute()
  try {
    const agents = (await t.db.db.selectFrom('department_agent').select('user_id').where('department_id', '=', gk).orderBy('user_id').execute()).map((a) => a.user_id)
    const counts = await t.db.db.selectFrom('callback_task').select(['assigned_user_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('due_date', '=', localDay(3)).where('status', '<>', 'cancelled').where('assigned_user_id', 'is not', null).groupBy('assigned_user_id').execute()
    const load = new Map(counts.map((c) => [c.assigned_user_id!, Number(c.n)]))
    const expected: number[] = []
    for (let i = 0; i < 3; i++) {
      const chosen = [...agents].sort((a, b) => (load.get(a) ?? 0) - (load.get(b) ?? 0) || a - b)[0]!
      load.set(chosen, (load.get(chosen) ?? 0) + 1)
      expected.push(chosen)
    }
    const { acks } = await exchange([1, 2, 3].map((i) => adt('A03', `RR-${i}`, `V10030${i}`)))
    acks.forEach((ack, i) => assertAck(ack, 'AA', `RR-${i + 1}`, 'A03'))
    const assigned = await t.db.db.selectFrom('callback_task').innerJoin('stay', 'stay.id', 'callback_task.stay_id').select(['stay.visit_number', 'callback_task.assigned_user_id'])
      .where('stay.visit_number', 'in', ['V100301', 'V100302', 'V100303']).orderBy('stay.visit_number').execute()
    assert.equal(assigned.map((a) => a.assigned_user_id), expected)
    assert.ok(expected.includes(other), 'the new agent had no calls that day')
  } finally {
    await t.db.db.deleteFrom('department_agent').where('department_id', '=', gk).where('user_id', '=', other).execute()
  }
})

test('four connections at once share transactions; one message that fails is answered AE alone and the others in its group are stored', async () => {
  const real = callbackPlanner(TZ)
  const logged: string[] = []
  // two messages sent first are held a moment in their transactions (the listener runs two at once),
  // so the four connections' first messages all wait and go together in the next one
  const gate = new Promise((resolve) => setTimeout(resolve, 400))
  let held = 0
  const fails = (c: StayChange) => { if (c.record.visitNumber === 'V100431') throw new Error('simulated failure of one message') }
  const planner: StayPlanner = {
    async begin(trx) {
      if (held < 2) { held++; await gate }
      const planning = await real.begin(trx)
      return { ...planning, plan: async (c) => { fails(c); return planning.plan(c) }, planMany: async (cs) => { cs.forEach(fails); return planning.planMany(cs) } }
    },
  }
  const listener = await startMllp(0, '127.0.0.1', { db: t.db.db, planner, timeZone: TZ, log: (_level, message) => { logged.push(message) } })
  const send = (conn: number, count: number) => new Promise<string[]>((resolve, reject) => {
    const socket = net.connect(listener.port, '127.0.0.1')
    const acks: string[] = []
    let buffer = Buffer.alloc(0)
    socket.on('error', reject)
    socket.on('data', (d) => {
      buffer = Buffer.concat([buffer, d])
      let end
      while ((end = buffer.indexOf(0x1c)) !== -1) { acks.push(buffer.subarray(1, end).toString('utf8')); buffer = buffer.subarray(end + 2) }
      if (acks.length === count) { socket.destroy(); resolve(acks) }
    })
    socket.on('connect', () => {
      for (let m = 1; m <= count; m++) socket.write(Buffer.concat([Buffer.from([0x0b]), Buffer.from(adt('A03', `GC-${conn}${m}`, `V1004${conn}${m}`), 'utf8'), Buffer.from([0x1c, 0x0d])]))
    })
  })
  try {
    const warm = [send(5, 1), send(6, 1)]
    await new Promise((resolve) => setTimeout(resolve, 100))
    const all = await Promise.all([1, 2, 3, 4].map((c) => send(c, 3)))
    for (const acks of await Promise.all(warm)) assertAck(acks[0]!, 'AA', acks[0]!.includes('GC-51') ? 'GC-51' : 'GC-61', 'A03')
    for (const [c, acks] of all.entries()) {
      for (const [m, ack] of acks.entries()) {
        const id = `GC-${c + 1}${m + 1}`
        if (id === 'GC-31') assert.match(assertAck(ack, 'AE', id, 'A03').msa[3]!, /^application error: the message was not stored/)
        else assert.match(assertAck(ack, 'AA', id, 'A03').msa[3]!, new RegExp(`^created stay \\d+; callback \\d+ due ${localDay(3)}$`))
      }
    }
    assert.ok(logged.some((m) => /a group of 4 messages failed/.test(m)), `the four first messages were one group: ${logged.join('; ')}`)
    const stored = await t.db.db.selectFrom('stay').select('visit_number').where('visit_number', 'like', 'V1004%').orderBy('visit_number').execute()
    assert.equal(stored.map((s) => s.visit_number), ['V100411', 'V100412', 'V100413', 'V100421', 'V100422', 'V100423', 'V100432', 'V100433', 'V100441', 'V100442', 'V100443', 'V100451', 'V100461'])
    assert.is((await allTasksOf('V100431')).length, 0)
  } finally {
    await listener.close()
  }
})

test.run()
