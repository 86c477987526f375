// Starts Hotline 100: opens the database (PostgreSQL, or embedded PGlite in DATA_DIR), migrates,
// seeds the demo hospital when in demo mode, listens, and shuts down cleanly on SIGINT/SIGTERM.
import { loadConfig } from './config.ts'
import { openDatabase } from './db/db.ts'
import { migrate } from './db/migrate.ts'
import { seedDemo } from './demo/seed.ts'
import { buildApp } from './app.ts'

const started = performance.now()
const config = loadConfig()
const database = await openDatabase(config)
const applied = await migrate(database)
const app = await buildApp(config, database, { logger: { level: config.logLevel } })
if (applied.length) app.log.info({ applied }, 'migrations applied')
if (config.demo) {
  const seeded = await seedDemo(database.db, config.demoPassword)
  app.log.warn(`DEMO MODE: demo hospital ${seeded ? 'seeded' : 'present'}; users admin operator lead tech manager agent handler, password ${config.demoPassword === 'demo' ? '"demo"' : 'from DEMO_PASSWORD'}`)
}
await app.listen({ port: config.port, host: config.host })
app.log.info(`Hotline 100 on ${config.publicUrl} (database: ${database.kind}${database.kind === 'pglite' ? ` in ${config.dataDir}` : ''}) ready in ${Math.round(performance.now() - started)} ms`)

let stopping = false
async function shutdown(signal: string) {
  if (stopping) return
  stopping = true
  app.log.info(`${signal}: shutting down`)
  await app.close()
  await database.close()
  process.exit(0)
}
process.on('SIGINT', () => void shutdown('SIGINT'))
process.on('SIGTERM', () => void shutdown('SIGTERM'))
