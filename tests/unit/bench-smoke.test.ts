// The benchmark runs end to end in seconds (`--smoke`) and prints every row of its table; the real
// figures come from `npm run bench` and live in docs/PERFORMANCE.md.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

test('npm run bench -- --smoke prints the whole table', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/bench.ts', '--smoke'], { timeout: 420_000, maxBuffer: 1 << 20 })
  for (const row of ['intake, 8 clients', 'intake, 32 clients', 'transitions, 8 clients', 'live fan-out', 'boards showing the change', 'KPI dashboard, one month', 'KPI dashboard, one year', 'job sheets', 'report XLSX', 'report PDF, KPI month', 'demo history', '/api/health while a 50-sheet PDF renders, PostgreSQL', '/api/health while a 2,000-row import runs, PostgreSQL', '/api/health while a 50-sheet PDF renders, embedded', '/api/health while a 2,000-row import runs, embedded', 'server RSS', 'start-up', 'AMI: events absorbed', 'AMI: lag socket → ringing', 'SMS: SMPP submits, window 10', 'SMS: order completed → survey at the SMSC', 'dialer: 20 agents, progressive', 'dialer: agent free → patient phone ringing']) {
    assert.ok(stdout.includes(row), `the table has no "${row}" row:\n${stdout}`)
  }
  assert.match(stdout, /\| intake, 8 clients +\| \d+\/s p50 [\d.]+ ms p99 [\d.]+ ms/)
  for (const row of ['HL7 MLLP discharges, 1 connection', 'HL7 MLLP discharges, 4 connections', 'discharge CSV, 1,000 rows checked and applied']) assert.ok(stdout.includes(row), `the table has no "${row}" row`)
  assert.match(stdout, /\| HL7 MLLP discharges, 4 connections +\| \d+ msg\/s with ACKs, p50 [\d.]+ ms p99 [\d.]+ ms +\|/)
})

test.run()
