// Messages per second through our SMPP client against Net::SMPP playing the SMSC
// (tests/fixtures/smsc/smsc.pl, receipts off so the SMSC only answers): a window of 10 submits
// in flight, against one at a time as the baseline. Each message is a one-part Chinese text (UCS-2).
import { startSmsc } from '../../tests/helpers/smsc.ts'
import { SmppGateway } from '../../server/src/messaging/smpp/client.ts'
import { fmt, type Row } from './lib.ts'

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

export async function smsRows(smoke: boolean): Promise<Row[]> {
  const smsc = await startSmsc(['--no-receipts', '--quiet'])
  try {
    const count = smoke ? 200 : 5000
    const windowed = await rate(smsc.url(), 10, count)
    const single = await rate(smsc.url(), 1, smoke ? 50 : 1000)
    return [{
      name: 'SMS: SMPP submits, window 10', figure: `${fmt(windowed, 0)} messages/s (${count} one-part UCS-2 texts)`,
      baseline: `window 1: ${fmt(single, 0)}/s`, target: '≥ 200/s', verdict: windowed >= 200 ? 'ok' : 'below target',
    }]
  } finally {
    smsc.stop()
  }
}
