#!/usr/bin/env node
// Runs every uvu suite and prints the one closing line CI reads: "N passed, N failed".
// uvu prints only "Total/Passed/Skipped" blocks, so each run's block is parsed and summed here,
// and the exit code is the worst of the runs.
//   tests/unit, tests/telephony  once, no database
//   tests/integration            twice: on PGlite (embedded) and on real PostgreSQL (TEST_DATABASE_URL)
//   tests/e2e                    Playwright in Debian's Chromium (when present in the tree)
import { spawn } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'

const pgUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const only = process.argv.slice(2) // e.g. `node scripts/test.mjs integration` runs that folder only

const runs = [
  { name: 'unit', dir: 'tests/unit', env: {} },
  { name: 'telephony', dir: 'tests/telephony', env: {} },
  { name: 'integration (pglite)', dir: 'tests/integration', env: { TEST_DB: 'pglite' } },
  { name: 'integration (postgres)', dir: 'tests/integration', env: { TEST_DB: 'postgres', TEST_DATABASE_URL: pgUrl } },
].filter((r) => existsSync(r.dir) && readdirSync(r.dir).some((f) => f.endsWith('.test.ts')))
  .filter((r) => only.length === 0 || only.some((o) => r.name.startsWith(o)))

function run(cmd, args, env, parse) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (chunk) => { process.stdout.write(chunk); out += chunk })
    child.on('close', (code) => resolve({ code: code ?? 1, ...parse(out.replace(/\x1b\[[0-9;]*m/g, '')) }))
  })
}

function parseUvu(text) {
  const num = (label) => [...text.matchAll(new RegExp(`${label}:\\s+(\\d+)`, 'g'))].reduce((s, m) => s + Number(m[1]), 0)
  const total = num('Total'), passed = num('Passed'), skipped = num('Skipped')
  return { passed, failed: total - passed - skipped, skipped }
}

let passed = 0, failed = 0, skipped = 0, worst = 0
for (const r of runs) {
  console.log(`\n=== ${r.name} ===`)
  const res = await run(process.execPath, ['--import', 'tsx', 'node_modules/uvu/bin.js', r.dir, '\\.test\\.ts$'], r.env, parseUvu)
  passed += res.passed; failed += res.failed; skipped += res.skipped
  // a suite that crashes before reporting counts as a failure even if it printed nothing
  if (res.code !== 0 && res.failed === 0) failed += 1
  worst = Math.max(worst, res.code)
}

if (existsSync('tests/e2e') && (only.length === 0 || only.includes('e2e'))) {
  console.log('\n=== e2e (playwright, chromium) ===')
  const res = await run(process.execPath, ['node_modules/@playwright/test/cli.js', 'test', '--reporter=list'], {}, (text) => {
    const n = (label) => Number(text.match(new RegExp(`(\\d+) ${label}`))?.[1] ?? 0)
    return { passed: n('passed'), failed: n('failed') + n('flaky'), skipped: n('skipped') }
  })
  passed += res.passed; failed += res.failed; skipped += res.skipped
  if (res.code !== 0 && res.failed === 0) failed += 1
  worst = Math.max(worst, res.code)
}

console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(worst !== 0 || failed > 0 ? 1 : 0)
