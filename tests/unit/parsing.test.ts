// Reading what people bring: spreadsheets exported from Excel, escalation settings, phone masks.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseCsv, parseJsonLines } from '../../server/src/imports/parse.ts'
import { loadConfig, parseEscalation } from '../../server/src/config.ts'
import { maskPhone } from '../../server/src/accounts/privacy.ts'

test('CSV from Excel: BOM, CRLF, quoted commas, doubled quotes and newlines inside a field', () => {
  const text = '\ufeffnumber,description,requesterName\r\nWO-20260105-0001,"漏水, 很急","王 ""护士长"""\r\n,"第一行\n第二行",李\r\n\r\n'
  assert.equal(parseCsv(text), [
    { number: 'WO-20260105-0001', description: '漏水, 很急', requesterName: '王 "护士长"' },
    { number: '', description: '第一行\n第二行', requesterName: '李' },
  ])
})

test('JSON lines: blank lines skipped, a bad line becomes a row error in place', () => {
  const rows = parseJsonLines('{"a":1}\n\nnot json\n[1]\n{"b":2}')
  assert.is(rows.length, 4)
  assert.equal(rows[0], { a: 1 })
  assert.ok('__error' in rows[1]!)
  assert.ok('__error' in rows[2]!)
  assert.equal(rows[3], { b: 2 })
})

test('the database pool size is a whole number, or two connections per core when unset', () => {
  assert.is(loadConfig({ DATABASE_URL: 'postgres://x/y', DATABASE_POOL_SIZE: '12' }).databasePoolSize, 12)
  assert.is(loadConfig({ DATABASE_URL: 'postgres://x/y' }).databasePoolSize, undefined)
  for (const bad of ['0', 'many', '2.5', '-3']) assert.throws(() => loadConfig({ DATABASE_POOL_SIZE: bad }), /DATABASE_POOL_SIZE/)
})

test('escalation levels are read, sorted and checked', () => {
  assert.equal(parseEscalation('30:manager, 0:team_lead'), [{ afterMinutes: 0, notify: 'team_lead' }, { afterMinutes: 30, notify: 'manager' }])
  assert.throws(() => parseEscalation('10:director'), /ESCALATION/)
  assert.throws(() => parseEscalation('soon:manager'), /ESCALATION/)
})

test('phone numbers are masked as 138****1234, short numbers keep only their last two digits', () => {
  assert.is(maskPhone('13812341234'), '138****1234')
  assert.is(maskPhone('0577 8806 1234'), '057****1234')
  assert.is(maskPhone('3512'), '**12')
  assert.is(maskPhone(null), null)
})

test.run()
