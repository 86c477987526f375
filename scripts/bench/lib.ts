// Small helpers shared by the benchmarks: percentiles, a bounded-concurrency load loop, a server
// child process, and the table every run prints.
import { spawn, type ChildProcess } from 'node:child_process'
import pg from 'pg'

export function percentile(sorted: number[], p: number) {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

export interface LoadResult { count: number; seconds: number; perSecond: number; p50: number; p99: number }

/** Runs `task` from `concurrency` loops for `seconds` (or `maxOps`), timing each call in ms. Each
 * call is told its loop's number, so a loop can keep its own connection. */
export async function load(concurrency: number, seconds: number, task: (i: number, loop: number) => Promise<void>, maxOps = Infinity): Promise<LoadResult> {
  const latencies: number[] = []
  const until = performance.now() + seconds * 1000
  let n = 0
  const started = performance.now()
  await Promise.all(Array.from({ length: concurrency }, async (_, loop) => {
    while (performance.now() < until && n < maxOps) {
      const i = n++
      const t0 = performance.now()
      await task(i, loop)
      latencies.push(performance.now() - t0)
    }
  }))
  const elapsed = (performance.now() - started) / 1000
  latencies.sort((a, b) => a - b)
  return { count: latencies.length, seconds: elapsed, perSecond: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99) }
}

export async function adminQuery(adminUrl: string, text: string) {
  const c = new pg.Client({ connectionString: adminUrl })
  await c.connect()
  try { return await c.query(text) } finally { await c.end() }
}

export function databaseUrl(adminUrl: string, name: string) {
  const u = new URL(adminUrl)
  u.pathname = `/${name}`
  return u.toString()
}

export interface Server { child: ChildProcess; base: string; startMs: number; rssKb(): number; stop(): Promise<void> }

export async function startServer(env: Record<string, string>, port: number): Promise<Server> {
  const t0 = performance.now()
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'error', WEB_DIR: '/nonexistent', ESCALATION_INTERVAL_MS: '3600000', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const base = `http://127.0.0.1:${port}`
  for (;;) {
    try { if ((await fetch(`${base}/api/health`)).ok) break } catch { /* starting */ }
    if (performance.now() - t0 > 60_000) throw new Error('server did not start')
    await new Promise((r) => setTimeout(r, 20))
  }
  const startMs = performance.now() - t0
  const { readFileSync } = await import('node:fs')
  return {
    child, base, startMs,
    rssKb: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0),
    stop: () => new Promise((resolve) => { child.once('exit', () => resolve()); child.kill('SIGTERM') }),
  }
}

export async function signIn(base: string, username: string) {
  const res = await fetch(`${base}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: 'demo' }) })
  if (!res.ok) throw new Error(`sign in ${username}: ${res.status}`)
  return res.headers.get('set-cookie')!.split(';')[0]!
}

export interface Row { name: string; figure: string; baseline: string; target: string; verdict: string }

export function printTable(rows: Row[]) {
  const cols: (keyof Row)[] = ['name', 'figure', 'baseline', 'target', 'verdict']
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => r[c].length)))
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(width[i]!)).join(' | ')} |`
  console.log(line(cols))
  console.log(line(width.map((w) => '-'.repeat(w))))
  for (const r of rows) console.log(line(cols.map((c) => r[c])))
}

export const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '—')
