// The callback dialer under a day's load: 20 agents in progressive mode against the PBX simulator
// over AMI (TCP), for one simulated hour compressed SPEED times. Patients answer 60% of the time
// (after 5–15 s) and talk 30–120 s; the rest ring out (45 s), are busy or do not exist. Each scripted
// agent records the outcome 10–30 s after a call (the wrap-up) through the dialer's own dispose().
// Measured: dials per agent-hour, the time from an agent becoming free ("ready", or the last
// outcome saved) to the patient's phone ringing in the PBX, and the process's CPU.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { openPostgres } from '../../server/src/db/db.ts'
import { migrate } from '../../server/src/db/migrate.ts'
import { seedDemo } from '../../server/src/demo/seed.ts'
import { buildApp } from '../../server/src/app.ts'
import { loadConfig } from '../../server/src/config.ts'
import { startTelephony } from '../../server/src/calls/telephony.ts'
import { PbxSimulator, type CalleeBehaviour } from '../../telephony/src/index.ts'
import { adminQuery, databaseUrl, fmt, percentile, type Row } from './lib.ts'

const AGENTS = 20
const TASKS = 2000

export async function dialerRows(smoke: boolean, adminUrl: string): Promise<Row[]> {
  const SPEED = smoke ? 30 : 20
  const simulatedSeconds = smoke ? 150 : 3600
  const name = `hotline_bench_dialer_${process.pid}`
  await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name}`)
  await adminQuery(adminUrl, `CREATE DATABASE ${name}`)
  const recordingsDir = mkdtempSync(join(tmpdir(), 'hotline-bench-dialer-'))
  const database = await openPostgres(databaseUrl(adminUrl, name), 8)
  await migrate(database)
  await seedDemo(database.db, 'demo')
  const db = database.db

  // the patients: a deterministic mix by the number's last digit
  const rings = new Map<string, number>()
  const callee = (n: string): CalleeBehaviour => {
    rings.set(n, performance.now())
    const d = Number(n.at(-1))
    const h = Number(n.slice(-3, -1))
    if (d < 6) return { kind: 'answer', answerAfterMs: 5000 + (h % 11) * 1000, talkMs: 30_000 + (h % 10) * 10_000 }
    if (d < 8) return { kind: 'no_answer' }
    return d === 8 ? { kind: 'busy' } : { kind: 'invalid' }
  }
  const devices = Array.from({ length: AGENTS }, (_, i) => `PJSIP/${9101 + i}`)
  const sim = new PbxSimulator({ recordingsDir, registered: devices, speed: SPEED, callee })
  const port = await sim.start()
  // compressed time for the dialer too, from a Monday 09:00 in the hospital's zone
  const t0 = Date.now()
  const start = Date.parse('2026-12-07T01:00:00Z')
  const now = () => new Date(start + (Date.now() - t0) * SPEED)
  const config = loadConfig({ DATA_DIR: '/nonexistent', WEB_DIR: '/nonexistent', ASTERISK_HOST: '127.0.0.1', ASTERISK_PORT: String(port), ASTERISK_USER: 'hotline', ASTERISK_SECRET: 'hotline-secret', DEMO_HISTORY_DAYS: '0', CALLING_HOURS: '00:00-23:59', CALLING_DAYS: '1-7', DIALER_INTERVAL_MS: '200' }, { recordingsDir })
  const telephony = await startTelephony(config, () => {})
  const app = await buildApp(config, database, { escalationTimer: false, telephony, sms: { worker: false }, dialer: { now, timer: true } })
  while (telephony.status() !== 'up') await new Promise((r) => setTimeout(r, 20))

  // 20 agents, each on their own phone; 2,000 due tasks for the pool, one phone each
  const agents = await db.insertInto('app_user').values(devices.map((device, i) => ({ username: `bench-agent-${i + 1}`, display_name: `基准回访员 ${i + 1}`, role: 'callback_agent' as const, password_hash: 'x', phone_device: device })))
    .returning('id').execute()
  await db.updateTable('callback_task').set({ status: 'cancelled', cancel_reason: 'bench' }).where('status', '=', 'planned').execute()
  const tpl = await db.selectFrom('callback_rule').select(['id', 'template_id', 'department_id']).orderBy('id').executeTakeFirstOrThrow()
  await sql`
    WITH p AS (
      INSERT INTO patient (mrn, name, sex, birth_date) SELECT 'BENCH' || g, '基准患者' || g, 'F', '1960-01-01' FROM generate_series(1, ${TASKS}) g RETURNING id, mrn),
    ph AS (INSERT INTO patient_phone (patient_id, position, use, number, valid) SELECT id, 1, 'mobile', '139' || lpad(substr(mrn, 6), 8, '0'), true FROM p),
    s AS (
      INSERT INTO stay (patient_id, source, visit_number, department_id, department_code, status, last_event, origin, content_hash, discharged_at)
      SELECT id, 'BENCH', mrn, ${tpl.department_id}, 'BENCH', 'discharged', 'A03', 'bench', 'x', now() FROM p RETURNING id, patient_id)
    INSERT INTO callback_task (stay_id, patient_id, department_id, rule_id, template_id, due_date, due_at, windows, priority, phone, plan_reason)
    SELECT s.id, s.patient_id, ${tpl.department_id}, ${tpl.id}, ${tpl.template_id}, '2026-12-07', ${new Date(start)}, '[{"from":"00:00","to":"23:59"}]'::jsonb, 3, 'x', 'bench' FROM s`.execute(db)

  const dialer = app.services.dialer!
  const freedAt = new Map<number, number>()
  const lags: number[] = []
  // the time an agent became free → the patient's phone ringing (the callee leg created in the PBX)
  const attemptOf = async (callId: number) => db.selectFrom('call').select('callee_number').where('id', '=', callId).executeTakeFirst()
  const cpu0 = process.cpuUsage()
  const wall0 = performance.now()
  let running = true
  const agentLoops = agents.map(async ({ id }, i) => {
    freedAt.set(id, performance.now())
    await dialer.setState(id, 'ready', null)
    let lastAttempt = 0
    while (running) {
      const view = await dialer.view(id)
      if (view.current && view.current.attemptId !== lastAttempt && view.current.callId) {
        lastAttempt = view.current.attemptId
        const call = await attemptOf(view.current.callId)
        const free = freedAt.get(id)
        if (call?.callee_number && free !== undefined) {
          // wait for the PBX to ring the patient (the agent's phone answers itself after 400 ms / SPEED)
          const t = performance.now()
          while (!rings.has(call.callee_number) && performance.now() - t < 3000) await new Promise((r) => setTimeout(r, 1))
          const rang = rings.get(call.callee_number)
          rings.delete(call.callee_number)
          if (rang !== undefined) lags.push(rang - free)
          freedAt.delete(id)
        }
      }
      if (view.state === 'wrap_up' && view.current) {
        await new Promise((r) => setTimeout(r, ((10 + ((id + i) % 21)) * 1000) / SPEED))
        freedAt.set(id, performance.now())
        await dialer.dispose(id, view.current.attemptId, { disposition: 'refused' }).catch(() => undefined)
        continue
      }
      if (view.state === 'ready' && !view.current && !freedAt.has(id)) freedAt.set(id, performance.now())
      await new Promise((r) => setTimeout(r, 20))
    }
  })
  await new Promise((r) => setTimeout(r, (simulatedSeconds * 1000) / SPEED))
  running = false
  await Promise.all(agentLoops)
  const cpu = process.cpuUsage(cpu0)
  const wallMs = performance.now() - wall0
  const reached = Number((await db.selectFrom('callback_attempt').select((eb) => eb.fn.countAll().as('n')).where('answered_at', 'is not', null).executeTakeFirstOrThrow()).n)
  const attempts = Number((await db.selectFrom('callback_attempt').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)
  await app.close()
  await telephony.close()
  await sim.stop()
  await database.close()
  await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name}`)
  rmSync(recordingsDir, { recursive: true, force: true })

  const hours = simulatedSeconds / 3600
  const perAgentHour = attempts / AGENTS / hours
  const reachedPerHour = reached / AGENTS / hours
  lags.sort((a, b) => a - b)
  const p50 = percentile(lags, 50)
  const p99 = percentile(lags, 99)
  const cpuShare = (cpu.user + cpu.system) / 1000 / wallMs
  return [
    {
      name: `dialer: ${AGENTS} agents, progressive, ${fmt(hours * 60)} simulated min ×${SPEED}`,
      figure: `${fmt(perAgentHour)} dials and ${fmt(reachedPerHour)} patients reached per agent-hour (${attempts} dials, ${reached} reached) = ${fmt(reachedPerHour * 7, 0)} reached in a 7-hour day`,
      baseline: '50–80 callbacks a day by hand (seed)', target: '200–300 a day',
      verdict: reachedPerHour * 7 >= 200 ? 'met' : `short: each reached patient talks 30–120 s and is wrapped up 10–30 s; the dialer's own share is the row below`,
    },
    { name: 'dialer: agent free → patient phone ringing', figure: `p50 ${fmt(p50)} ms, p99 ${fmt(p99)} ms (n=${lags.length})`, baseline: `agent phone auto-answers in ${fmt(400 / SPEED)} ms`, target: 'p99 < 1 s', verdict: p99 < 1000 ? 'met' : 'missed' },
    { name: 'dialer: CPU of app + simulator + 20 scripted agents', figure: `${fmt(cpuShare * 100)} % of one core`, baseline: '—', target: '—', verdict: 'measured' },
  ]
}
