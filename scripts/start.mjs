#!/usr/bin/env node
// `npm start`: builds the web app once if it has not been built, then runs the server.
// With no DATABASE_URL the server uses the embedded database in DATA_DIR and the demo hospital.
import { spawnSync, spawn } from 'node:child_process'
import { existsSync, statSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

function newest(dir) {
  let t = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name)
    t = Math.max(t, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs)
  }
  return t
}

const built = 'web/build/index.html'
if (existsSync('web/src') && (!existsSync(built) || statSync(built).mtimeMs < newest('web/src'))) {
  console.log('building the web app (once) …')
  const res = spawnSync('npm', ['run', '--silent', 'build:web'], { stdio: 'inherit' })
  if (res.status !== 0) process.exit(res.status ?? 1)
}
// the embedded demo listens for the HIS's HL7 feed on this machine only
const env = { ...process.env }
if (!env.DATABASE_URL && env.HL7_PORT === undefined) Object.assign(env, { HL7_PORT: '2575', HL7_HOST: env.HL7_HOST ?? '127.0.0.1' })
const server = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], { stdio: 'inherit', env })
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal))
server.on('exit', (code) => process.exit(code ?? 0))
