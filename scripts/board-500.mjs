// Board smoothness with 500 open orders: files 500 orders on a running server, opens /board in
// Chromium and watches 300 animation frames of the live-ticking board.
//   node scripts/board-500.mjs [base URL, default http://127.0.0.1:3000]  (on an empty demo server)
import { chromium } from 'playwright-core'
const base = process.argv[2] ?? 'http://127.0.0.1:3000'
const login = await fetch(base + '/api/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'operator', password: 'demo' }) })
const cookie = login.headers.get('set-cookie').split(';')[0]
const cat = await (await fetch(base + '/api/catalogue', { headers: { cookie } })).json()
const items = cat.categories.flatMap((c) => c.items)
const locs = (await (await fetch(base + '/api/locations', { headers: { cookie } })).json()).items.filter((l) => l.kind === 'room' || l.kind === 'ward')
for (let i = 0; i < 500; i += 25) await Promise.all(Array.from({ length: 25 }, (_, k) => fetch(base + '/api/work-orders', { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ itemId: items[(i + k) % items.length].id, locationId: locs[(i + k) % locs.length].id, urgency: ['routine', 'urgent', 'critical'][(i + k) % 3], requester: { name: '测试' }, description: '看板压力测试 ' + (i + k) }) })))
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] })
const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } })
await page.goto(base + '/login')
await page.getByLabel('用户名').fill('manager'); await page.getByLabel('密码').fill('demo'); await page.getByRole('button', { name: '登录' }).click()
await page.waitForURL(/manage/)
const t0 = Date.now()
await page.goto(base + '/board')
await page.locator('article').nth(499).waitFor({ timeout: 20000 })
console.log('500 cards rendered in', Date.now() - t0, 'ms')
const stats = await page.evaluate(() => new Promise((resolve) => {
  const long = []
  new PerformanceObserver((l) => { for (const e of l.getEntries()) long.push(e.duration) }).observe({ type: 'longtask', buffered: false })
  const frames = []
  let last = performance.now()
  const tick = (t) => { frames.push(t - last); last = t; if (frames.length < 300) requestAnimationFrame(tick); else resolve({ long, frames }) }
  requestAnimationFrame(tick)
}))
const f = stats.frames.slice(1).sort((a, b) => a - b)
console.log('over', stats.frames.length, 'frames (~5 s of ticking): long tasks', stats.long.length, 'max', Math.max(0, ...stats.long).toFixed(0), 'ms; frame p50', f[Math.floor(f.length / 2)].toFixed(1), 'p99', f[Math.floor(f.length * 0.99)].toFixed(1), 'ms')
await browser.close()
