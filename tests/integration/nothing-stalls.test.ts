// No request can stall the others: while the largest PDF a request may ask for renders, and while
// a big import is checked and written, /api/health keeps answering; a file past the caps is
// refused with the limit named; a big file that fails its check costs bounded memory.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { execFileSync } from 'node:child_process'
import { Readable } from 'node:stream'
import { startTestApp, type TestApp } from '../helpers/app.ts'
import { MAX_SHEETS_PER_PDF } from '../../server/src/jobsheets/jobsheets.routes.ts'
import { MAX_IMPORT_BYTES, MAX_IMPORT_ROWS } from '../../server/src/imports/imports.routes.ts'
import { closeWorkers } from '../../server/src/workers/pool.ts'

let t: TestApp
test.before(async () => { t = await startTestApp() })
test.after(async () => { await t.close(); await closeWorkers() })

const csvHeader = 'createdAt,itemCode,extension,requesterName,status,description'
const csvRow = (i: number, description = '门锁坏了，关不上') => `2025-03-01T08:00:00+08:00,repair.door,3715,护士 ${i},new,${description}`
const csv = (n: number) => [csvHeader, ...Array.from({ length: n }, (_, i) => csvRow(i + 1))].join('\n')
const countOrders = async () => Number((await t.db.db.selectFrom('work_order').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)

/**
 * Asks /api/health back to back over real HTTP until `work` settles. The longest wait between two
 * answers is what a stalled event loop shows: while the loop is held, nothing is answered at all.
 */
async function probeDuring<T>(work: Promise<T>) {
  let settled = false
  const finished = work.finally(() => { settled = true })
  const latencies: number[] = []
  let longestGap = 0
  let last = performance.now()
  let beforeDone = 0
  while (!settled) {
    const t0 = performance.now()
    const res = await fetch(`${t.base}/api/health`)
    await res.arrayBuffer()
    const now = performance.now()
    assert.is(res.status, 200)
    latencies.push(now - t0)
    longestGap = Math.max(longestGap, now - last)
    last = now
    if (!settled) beforeDone++
  }
  return { result: await finished, slowest: Math.max(...latencies), longestGap, beforeDone }
}

test(`while a ${MAX_SHEETS_PER_PDF}-sheet PDF renders, /api/health answers within a few hundred ms, and the PDF is a real one`, async () => {
  const imported = await t.call('manager', 'POST', '/api/work-orders/import', csv(MAX_SHEETS_PER_PDF), { 'content-type': 'text/csv' })
  assert.is(imported.status, 201, JSON.stringify(imported.body))
  const ids = (await t.db.db.selectFrom('work_order').select('id').where('requester_name', 'like', '护士 %').orderBy('id').limit(MAX_SHEETS_PER_PDF).execute()).map((r) => r.id)
  const cookie = await t.login('tech')
  const started = performance.now()
  const pdf = fetch(`${t.base}/api/job-sheets.pdf?ids=${ids.join(',')}`, { headers: { cookie } }).then(async (res) => ({ status: res.status, body: Buffer.from(await res.arrayBuffer()), ms: performance.now() - started }))
  const { result, slowest, longestGap, beforeDone } = await probeDuring(pdf)
  assert.is(result.status, 200, result.body.toString().slice(0, 200))
  // rendering on the main thread held every answer until the PDF was done (1.5 s and more)
  assert.ok(beforeDone >= 3, `only ${beforeDone} health answers came before the PDF (${Math.round(result.ms)} ms)`)
  assert.ok(longestGap < 500 && slowest < 500, `health waited ${Math.round(slowest)} ms, ${Math.round(longestGap)} ms between answers, the PDF took ${Math.round(result.ms)} ms`)
  assert.is(result.body.subarray(0, 5).toString(), '%PDF-')
  const pages = Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', ['-'], { input: result.body }).toString())![1])
  assert.is(pages, MAX_SHEETS_PER_PDF)
  const text = execFileSync('pdftotext', ['-layout', '-', '-'], { input: result.body, maxBuffer: 64 << 20 }).toString()
  for (const expected of ['后勤服务工作单', '门锁坏了，关不上', '维修人员签字']) assert.ok(text.includes(expected), `missing on the sheets: ${expected}`)
})

test('one sheet more than the cap is a 413 naming ids and the limit, in Chinese and English', async () => {
  const ids = Array.from({ length: MAX_SHEETS_PER_PDF + 1 }, (_, i) => i + 1).join(',')
  const res = await t.call('lead', 'GET', `/api/job-sheets.pdf?ids=${ids}`)
  assert.is(res.status, 413)
  assert.is(res.body.error, 'too_many_sheets')
  assert.is(res.body.field, 'ids')
  assert.is(res.body.limit, MAX_SHEETS_PER_PDF)
  assert.match(res.body.message, /最多打印 200 张/)
  assert.match(res.body.messageEn, /at most 200 sheets/)
})

test('a big CSV whose last row is bad is a 422, nothing is imported, and memory stays bounded', async () => {
  const before = await countOrders()
  // about 60 MB of rows, streamed to the server as a browser uploads it (never one string here)
  const rows = 60_000
  const description = '门锁坏了，关不上。'.repeat(36)
  let i = 0
  let bytes = 0
  const body = Readable.from((function* () {
    yield `${csvHeader}\n`
    while (i < rows) {
      const lines: string[] = []
      for (let k = 0; k < 500 && i < rows; k++) {
        i++
        lines.push(i === rows ? csvRow(i, description).replace('repair.door', 'no.such.item') : csvRow(i, description))
      }
      const text = `${lines.join('\n')}\n`
      bytes += Buffer.byteLength(text)
      yield text
    }
  })())
  global.gc?.()
  const rssBefore = process.memoryUsage().rss
  let peak = rssBefore
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss) }, 20)
  const res = await t.app.inject({ method: 'POST', url: '/api/work-orders/import', headers: { cookie: await t.login('manager'), 'content-type': 'text/csv' }, payload: body })
  clearInterval(sampler)
  peak = Math.max(peak, process.memoryUsage().rss)
  assert.is(res.statusCode, 422, res.body.slice(0, 300))
  assert.equal(res.json().rows, [{ row: rows, field: 'itemCode', message: 'unknown catalogue item "no.such.item"' }])
  assert.is(await countOrders(), before)
  // the whole file as one string, its rows and their records took 1.8 GB for 63 MB; checked as it
  // is read, what stays is the clean rows' values (under 200 MB for these 60,000)
  const growthMb = (peak - rssBefore) / 2 ** 20
  assert.ok(growthMb < 400, `RSS grew ${Math.round(growthMb)} MB for a ${Math.round(bytes / 2 ** 20)} MB file`)
})

test('past the row cap or the byte cap an import is a 413 naming the limit, and nothing is imported', async () => {
  const before = await countOrders()
  const tooMany = await t.call('manager', 'POST', '/api/work-orders/import', csv(MAX_IMPORT_ROWS + 1), { 'content-type': 'text/csv' })
  assert.is(tooMany.status, 413)
  assert.is(tooMany.body.error, 'too_many_rows')
  assert.is(tooMany.body.limit, MAX_IMPORT_ROWS)
  assert.match(tooMany.body.messageEn, new RegExp(`at most ${MAX_IMPORT_ROWS} rows`))
  const declared = await t.app.inject({
    method: 'POST', url: '/api/work-orders/import', payload: 'createdAt\n',
    headers: { cookie: await t.login('manager'), 'content-type': 'text/csv', 'content-length': String(MAX_IMPORT_BYTES + 1) },
  })
  assert.is(declared.statusCode, 413)
  assert.is(declared.json().limit, MAX_IMPORT_BYTES)
  // a body that says nothing of its length is cut off where it passes the cap
  const chunk = `${csvRow(1, 'x'.repeat(1000))}\n`.repeat(64)
  let sent = 0
  const endless = new Readable({
    read() {
      this.push(sent === 0 ? `${csvHeader}\n` : sent > MAX_IMPORT_BYTES + 1e6 ? null : chunk)
      sent += chunk.length
    },
  })
  const streamed = await t.app.inject({ method: 'POST', url: '/api/work-orders/import', headers: { cookie: await t.login('manager'), 'content-type': 'text/csv' }, payload: endless })
  assert.is(streamed.statusCode, 413, streamed.body.slice(0, 200))
  assert.is(streamed.json().error, 'too_large')
  assert.is(await countOrders(), before)
})

test('while a 20,000-row import is checked and written, /api/health is answered', async () => {
  const before = await countOrders()
  const cookie = await t.login('manager')
  const body = csv(20_000)
  const started = performance.now()
  const work = fetch(`${t.base}/api/work-orders/import`, { method: 'POST', headers: { cookie, 'content-type': 'text/csv' }, body })
    .then(async (res) => ({ status: res.status, body: await res.json(), ms: performance.now() - started }))
  const { result, slowest, longestGap, beforeDone } = await probeDuring(work)
  assert.is(result.status, 201, JSON.stringify(result.body).slice(0, 300))
  assert.is(result.body.imported, 20_000)
  assert.is(await countOrders(), before + 20_000)
  assert.ok(beforeDone >= 5, `only ${beforeDone} health answers during the import (${Math.round(result.ms)} ms)`)
  assert.ok(longestGap < 1000 && slowest < 1000, `health waited ${Math.round(slowest)} ms, ${Math.round(longestGap)} ms between answers; the import took ${Math.round(result.ms)} ms`)
})

test.run()
