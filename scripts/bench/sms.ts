// Messages per second through our SMPP client against Net::SMPP playing the SMSC
// (tests/fixtures/smsc/smsc.pl, receipts off so the SMSC only answers): a window of 10 submits
// in flight, against one at a time as the baseline. Each message is a one-part Chinese text (UCS-2).
import { startSmsc } from '../../tests/helpers/smsc.ts'
import { SmppGateway } from '../../server/src/messaging/smpp/client.ts'
import { adminQuery, databaseUrl, fmt, percentile, signIn, startServer, type Row } from './lib.ts'

async function rate(url: string, window: number, count: number): Promise<number> {
  const gateway = SmppGateway.fromUrl(url, { window })
  await gateway.start()
  const text = '新工单WO-20261201-0001：空调不制冷，地点门诊楼3层，要求时间10:30。'
  const started = performance.now()
  let next = 0
  // more callers than the window, so the window (not the callers) is what limits
  await Promise.all(Array.from({ length: window * 3 }, async () => {
    while (next < count) {
      const i = next++
      const result = await gateway.submit({ id: i, from: '10690100', to: `139${String(i).padStart(8, '0')}`, text, receipt: false })
      if (!result.ok) throw new Error(`bench submit failed: ${result.error}`)
    }
  }))
  const seconds = (performance.now() - started) / 1000
  await gateway.close()
  return count / seconds
}

/**
 * From an order's completion (the answer to the complete transition) to its survey reaching the
 * SMSC, through a server of its own on PostgreSQL: its worker polls for completed orders every
 * SMS_INTERVAL_MS (1 s), so the lag is at most about that plus the send.
 */
async function surveyLag(adminUrl: string, smscUrl: string, smsc: Awaited<ReturnType<typeof startSmsc>>, orders: number): Promise<number[]> {
  const name = `hotline_bench_sms_${process.pid}`
  await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name}`)
  await adminQuery(adminUrl, `CREATE DATABASE ${name}`)
  const server = await startServer({ DATABASE_URL: databaseUrl(adminUrl, name), DEMO: '1', SMS_GATEWAY: smscUrl, SMS_QUIET_HOURS: '00:00-24:00' }, 3861)
  try {
    const cookie = await signIn(server.base, 'operator')
    const headers = { 'content-type': 'application/json', cookie }
    const catalogue = await (await fetch(`${server.base}/api/catalogue`, { headers: { cookie } })).json()
    const location = (await (await fetch(`${server.base}/api/locations?extension=3512`, { headers: { cookie } })).json()).items[0].id
    const lags: number[] = []
    for (let i = 0; i < orders; i++) {
      const phone = `137${String(i).padStart(8, '0')}`
      const body = { itemId: catalogue.categories[0].items[0].id, locationId: location, urgency: 'routine', requester: { name: '基准测试', phone } }
      let order = await (await fetch(`${server.base}/api/work-orders`, { method: 'POST', headers, body: JSON.stringify(body) })).json()
      let done = 0
      for (const action of ['accept', 'arrive', 'complete']) {
        order = await (await fetch(`${server.base}/api/work-orders/${order.id}/transitions`, { method: 'POST', headers, body: JSON.stringify({ action, version: order.version, reason: 'bench' }) })).json()
        done = performance.now()
      }
      await smsc.waitFor((r) => r.cmd === 'submit_sm' && String(r.to) === phone, 10_000)
      lags.push(performance.now() - done)
      // completions spread over the poll, not in step with it
      await new Promise((r) => setTimeout(r, Math.random() * 300))
    }
    return lags.sort((a, b) => a - b)
  } finally {
    await server.stop()
    await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  }
}

export async function smsRows(smoke: boolean, adminUrl: string): Promise<Row[]> {
  const smsc = await startSmsc(['--no-receipts', '--quiet'])
  // the survey's SMSC logs each submit: the lag is read from those lines
  const logging = await startSmsc(['--no-receipts'])
  try {
    const count = smoke ? 200 : 5000
    const windowed = await rate(smsc.url(), 10, count)
    const single = await rate(smsc.url(), 1, smoke ? 50 : 1000)
    const lags = await surveyLag(adminUrl, logging.url(), logging, smoke ? 5 : 50)
    const p99 = percentile(lags, 99)
    return [{
      name: 'SMS: SMPP submits, window 10', figure: `${fmt(windowed, 0)} messages/s (${count} one-part UCS-2 texts)`,
      baseline: `window 1: ${fmt(single, 0)}/s`, target: '≥ 200/s', verdict: windowed >= 200 ? 'met' : 'missed',
    }, {
      name: 'SMS: order completed → survey at the SMSC', figure: `p50 ${fmt(percentile(lags, 50), 0)} ms p99 ${fmt(p99, 0)} ms (${lags.length} orders)`,
      baseline: 'poll every 1 s', target: 'p99 < 2 s', verdict: p99 < 2000 ? 'met' : 'missed',
    }]
  } finally {
    smsc.stop()
    logging.stop()
  }
}
