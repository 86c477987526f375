// The demo hospital's preventive maintenance: four assets at real places (1号电梯, 冷水机组, 医用气体站,
// 柴油发电机) and their schedules — the lift inspected on the 1st of every month, the generator
// tested every Monday, the medical gas station checked every quarter. Not part of seedDemo: the
// test suites' hospital and the browser tests' quiet server (no demo history) file no PM orders of
// their own; main.ts adds these where the demo runs with its history.
import type { Kysely } from 'kysely'
import type { DB } from '../db/types.ts'
import type { AssetKind } from '../db/types.maintenance.ts'
import { localClock } from '../clock/local-time.ts'

// [code, name, kind, the extension of the place it stands at]
const ASSETS: [string, string, AssetKind, string][] = [
  ['DT-ZY-01', '1号电梯', 'lift', '3901'],
  ['LS-01', '冷水机组', 'chiller', '3005'],
  ['QT-01', '医用气体站', 'medical_gas', '3010'],
  ['FD-01', '柴油发电机', 'generator', '3005'],
]

const SCHEDULES = [
  { title: '1号电梯月度检验', asset: 'DT-ZY-01', item: 'repair.elevator', rrule: 'FREQ=MONTHLY;BYMONTHDAY=1;COUNT=24', time: '08:00', lead: 7,
    checklist: ['检查曳引机与制动器', '测试紧急呼叫与五方通话', '检查层门、轿门联锁', '清洁底坑并记录'] },
  { title: '柴油发电机每周试机', asset: 'FD-01', item: 'repair.socket', rrule: 'FREQ=WEEKLY;BYDAY=MO;COUNT=52', time: '09:00', lead: 2,
    checklist: ['检查油位、水位与电瓶', '空载运行 15 分钟', '记录电压、频率与油压'] },
  { title: '医用气体站季度检查', asset: 'QT-01', item: 'repair.water', rrule: 'FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=10;COUNT=8', time: '10:00', lead: 7,
    checklist: ['检查氧气汇流排压力与报警', '检漏（接头、阀门）', '核对备用气瓶数量'] },
  { title: '冷水机组月度保养', asset: 'LS-01', item: 'repair.ac', rrule: 'FREQ=MONTHLY;BYMONTHDAY=15;COUNT=12', time: '14:00', lead: 5,
    checklist: ['检查冷媒压力与油位', '清洗过滤器', '记录进出水温度'] },
]

/** Adds the demo's assets and schedules once (nothing when any asset exists); the sweep files their orders. */
export async function ensureDemoMaintenance(db: Kysely<DB>, timeZone: string, now = new Date()): Promise<number> {
  if (await db.selectFrom('asset').select('id').limit(1).executeTakeFirst()) return 0
  const startDay = `${localClock(now, timeZone).day.slice(0, 8)}01`
  return db.transaction().execute(async (trx) => {
    const places = new Map((await trx.selectFrom('extension').select(['number', 'location_id']).execute()).map((e) => [e.number, e.location_id]))
    const items = new Map((await trx.selectFrom('item').select(['id', 'code']).execute()).map((i) => [i.code, i.id]))
    const admin = await trx.selectFrom('app_user').select('id').where('username', '=', 'admin').executeTakeFirst()
    const assets = new Map<string, { id: number; location_id: number }>()
    for (const [code, name, kind, ext] of ASSETS) {
      const place = places.get(ext)
      if (!place) continue
      const row = await trx.insertInto('asset').values({ code, name, kind, location_id: place, created_at: now }).returning(['id', 'location_id']).executeTakeFirstOrThrow()
      assets.set(code, row)
    }
    let written = 0
    for (const s of SCHEDULES) {
      const asset = assets.get(s.asset), item = items.get(s.item)
      if (!asset || !item) continue
      await trx.insertInto('pm_schedule').values({
        title: s.title, asset_id: asset.id, location_id: asset.location_id, item_id: item, rrule: s.rrule, start_day: startDay, time_of_day: s.time,
        lead_days: s.lead, checklist: JSON.stringify(s.checklist), created_by: admin?.id ?? null, created_at: now, updated_at: now,
      }).execute()
      written++
    }
    return written
  })
}
