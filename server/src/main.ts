// Starts Hotline 100: opens the database (PostgreSQL, or embedded PGlite in DATA_DIR), migrates,
// seeds the demo hospital when in demo mode, listens, and shuts down cleanly on SIGINT/SIGTERM.
import { loadConfig } from './config.ts'
import { openDatabase } from './db/db.ts'
import { migrate } from './db/migrate.ts'
import { seedDemo } from './demo/seed.ts'
import { fillDemoHistory, planDemoHistory } from './demo/history.ts'
import { ensureDemoRosters } from './demo/rosters.ts'
import { ensureDemoMaintenance } from './demo/maintenance.ts'
import { buildApp } from './app.ts'
import { startTelephony } from './calls/telephony.ts'
import { startMllp } from './discharges/mllp.ts'
import { callbackPlanner } from './callbacks/plan.ts'

const started = performance.now()
const config = loadConfig()
const database = await openDatabase(config)
const applied = await migrate(database)
// the phone system: Asterisk at ASTERISK_HOST, or the simulator for the embedded demo
const telephony = await startTelephony(config, (err) => console.warn(`telephony: ${(err as Error).message}`), { demoPatients: config.demo })
const app = await buildApp(config, database, { logger: { level: config.logLevel }, telephony })
if (applied.length) app.log.info({ applied }, 'migrations applied')
if (config.demo) {
  const seeded = await seedDemo(database.db, config.demoPassword)
  app.log.warn(`DEMO MODE: demo hospital ${seeded ? 'seeded' : 'present'}; users admin operator lead tech manager agent handler, password ${config.demoPassword === 'demo' ? '"demo"' : 'from DEMO_PASSWORD'}`)
  if (seeded) await planDemoHistory(database.db, config.demoHistoryDays, config.timeZone)
  // transport and cleaning work to a roster: this month's is filled in on each start where missing
  const rostered = await ensureDemoRosters(database.db, config.timeZone)
  if (rostered) app.log.info(`demo rosters: ${rostered} shifts this month for transport and cleaning`)
  // preventive maintenance files orders of its own: not on the browser tests' quiet server (no history)
  if (config.demoHistoryDays > 0) {
    const planned = await ensureDemoMaintenance(database.db, config.timeZone)
    if (planned) app.log.info(`demo maintenance: 4 assets, ${planned} PM schedules`)
  }
}
await app.listen({ port: config.port, host: config.host })
// the demo's year of history is written after the server answers, newest days first
if (config.demo) {
  const t0 = performance.now()
  let told = 0
  void fillDemoHistory(database.db, config.timeZone, config.demoHistoryPerDay, (written, daysLeft) => {
    if (written - told >= 20_000 || daysLeft === 0) { told = written; app.log.info(`demo history: ${written} orders written, ${daysLeft} days to go`) }
  }).then((written) => { if (written) app.log.info(`demo history: ${written} orders in ${((performance.now() - t0) / 1000).toFixed(1)} s`) },
    (err) => app.log.error({ err }, 'demo history failed'))
}
// the HIS's ADT feed (HL7 v2 over MLLP), only when HL7_PORT is set
const hl7 = config.hl7.port === null ? null : await startMllp(config.hl7.port, config.hl7.host, {
  db: database.db, planner: callbackPlanner(config.timeZone), timeZone: config.timeZone,
  log: (level, message, err) => app.log[level]({ err }, message),
})
if (hl7) app.log.info(`HL7 v2 ADT over MLLP on ${config.hl7.host}:${hl7.port}`)
if (!config.asterisk) app.log.warn('PBX: built-in simulator (set ASTERISK_HOST to use Asterisk); the desk can simulate incoming calls')
app.log.info(`Hotline 100 on ${config.publicUrl} (database: ${database.kind}${database.kind === 'pglite' ? ` in ${config.dataDir}` : ''}) ready in ${Math.round(performance.now() - started)} ms`)

let stopping = false
async function shutdown(signal: string) {
  if (stopping) return
  stopping = true
  app.log.info(`${signal}: shutting down`)
  await hl7?.close()
  await app.close()
  await telephony.close()
  await database.close()
  process.exit(0)
}
process.on('SIGINT', () => void shutdown('SIGINT'))
process.on('SIGTERM', () => void shutdown('SIGTERM'))
