// Seeds the demo hospital once (an empty database only). Used by `npm start` in demo mode and by tests.
import type { Kysely } from 'kysely'
import type { DB, Role } from '../db/types.ts'
import { hashPassword } from '../accounts/password.ts'
import { CAMPUSES, CATEGORIES, DEMO_USERS, STAFF, TEAMS } from './hospital.ts'
import { seedCallbackDemo, seedDemoDischarges } from './callbacks.ts'
import { seedFeedbackDemo } from './feedback.ts'

export async function seedDemo(db: Kysely<DB>, password: string): Promise<boolean> {
  const existing = await db.selectFrom('team').select('id').limit(1).executeTakeFirst()
  if (existing) return false
  const hash = await hashPassword(password)
  await db.transaction().execute(async (trx) => {
    const campusIds: Record<string, number> = {}
    const buildingIds: Record<string, number> = {}
    for (const campus of CAMPUSES) {
      const c = await trx.insertInto('location').values({ kind: 'campus', name: campus.name, name_en: campus.nameEn, full_name: campus.name }).returning('id').executeTakeFirstOrThrow()
      campusIds[campus.name] = c.id
      await trx.updateTable('location').set({ campus_id: c.id }).where('id', '=', c.id).execute()
      for (const b of campus.buildings) {
        const bName = `${campus.name} / ${b.name}`
        const building = await trx.insertInto('location').values({ kind: 'building', parent_id: c.id, name: b.name, name_en: b.nameEn, full_name: bName, campus_id: c.id, zone: b.zone }).returning('id').executeTakeFirstOrThrow()
        buildingIds[b.name] = building.id
        await trx.updateTable('location').set({ building_id: building.id }).where('id', '=', building.id).execute()
        for (const f of b.floors) {
          const fName = `${bName} / ${f.name}`
          const floor = await trx.insertInto('location').values({ kind: 'floor', parent_id: building.id, name: f.name, name_en: f.name, full_name: fName, campus_id: c.id, building_id: building.id, zone: b.zone }).returning('id').executeTakeFirstOrThrow()
          for (const [name, nameEn, ext] of f.rooms) {
            const room = await trx.insertInto('location').values({
              kind: name.includes('病区') || name.includes('ICU') ? 'ward' : 'room', parent_id: floor.id, name, name_en: nameEn,
              full_name: `${fName} / ${name}`, campus_id: c.id, building_id: building.id, zone: b.zone,
            }).returning('id').executeTakeFirstOrThrow()
            await trx.insertInto('extension').values({ number: ext, location_id: room.id, label: name }).execute()
          }
        }
      }
    }

    const teamIds: Record<string, number> = {}
    const pointIds: Record<string, number[]> = {}
    const staffIds: Record<string, number> = {}
    for (const t of TEAMS) {
      const team = await trx.insertInto('team').values({ code: t.code, name: t.name, name_en: t.nameEn }).returning('id').executeTakeFirstOrThrow()
      teamIds[t.code] = team.id
      pointIds[t.code] = []
      for (const [name, nameEn] of t.points) {
        const p = await trx.insertInto('service_point').values({ team_id: team.id, name, name_en: nameEn }).returning('id').executeTakeFirstOrThrow()
        pointIds[t.code]!.push(p.id)
      }
      const people = STAFF[t.code] ?? []
      for (const [i, [name, phone, skills, onDuty]] of people.entries()) {
        const s = await trx.insertInto('staff').values({ team_id: team.id, name, phone, skills, on_duty: onDuty, idle_since: new Date(Date.now() - (people.length - i) * 60_000) }).returning('id').executeTakeFirstOrThrow()
        staffIds[name] = s.id
        if (i === 0) await trx.updateTable('team').set({ lead_staff_id: s.id }).where('id', '=', team.id).execute()
      }
    }

    const FEEDBACK_CLASS_OF: Record<string, 'service' | 'process' | 'environment'> = {
      'complaint.service': 'service', 'complaint.delay': 'process', 'complaint.food': 'environment', 'complaint.environment': 'environment', 'complaint.praise': 'service',
    }
    const categoryIds: Record<string, number> = {}
    for (const [sort, cat] of CATEGORIES.entries()) {
      const c = await trx.insertInto('category').values({ code: cat.code, name: cat.name, name_en: cat.nameEn, sort }).returning('id').executeTakeFirstOrThrow()
      categoryIds[cat.code] = c.id
      await trx.insertInto('item').values(cat.items.map(([code, name, nameEn, pinyin, team, response, completion, tools, script]) => ({
        category_id: c.id, code, name, name_en: nameEn, pinyin, default_team_id: teamIds[team]!,
        response_minutes: response, completion_minutes: completion, tools, script,
        // praise and suggestions share the category but are not complaints
        complaint: cat.code === 'complaint' && code !== 'complaint.praise',
        // and each of them becomes a feedback item for the office responsible for its class
        feedback_class: FEEDBACK_CLASS_OF[code] ?? null,
      }))).execute()
    }

    const north = campusIds['北院区']!
    const rules = [
      { name: '夜间维修统一派南院区维修点', category: 'repair', team: 'maintenance', point: 0, time: ['22:00', '07:00'] },
      { name: '北院区维修', category: 'repair', campus: north, team: 'maintenance', point: 1 },
      { name: '南院区维修', category: 'repair', team: 'maintenance', point: 0 },
      { name: '北院区运送', category: 'transport', campus: north, team: 'transport', point: 1 },
      { name: '南院区运送', category: 'transport', team: 'transport', point: 0 },
      { name: '保洁', category: 'cleaning', team: 'cleaning', point: 0 },
      { name: '餐饮', category: 'catering', team: 'catering', point: 0 },
      { name: '投诉与反馈交客服质控组', category: 'complaint', team: 'service_desk', point: 0 },
    ]
    await trx.insertInto('routing_rule').values(rules.map((r, i) => ({
      position: (i + 1) * 10, name: r.name, category_id: categoryIds[r.category]!, campus_id: r.campus ?? null,
      time_from: r.time?.[0] ?? null, time_to: r.time?.[1] ?? null, team_id: teamIds[r.team]!, service_point_id: pointIds[r.team]![r.point]!,
    }))).execute()

    await trx.insertInto('app_user').values(DEMO_USERS.map((u) => ({
      username: u.username, display_name: u.displayName, password_hash: hash, role: u.role as Role,
      team_id: 'team' in u ? teamIds[u.team]! : null, staff_id: 'staff' in u ? staffIds[u.staff]! : null,
      phone_device: 'phoneDevice' in u ? u.phoneDevice : null,
    }))).execute()
    await seedCallbackDemo(trx)
    await seedFeedbackDemo(trx)
  })
  // the callback desk's week, in the demo's time zone (HOSPITAL_TZ's default)
  await seedDemoDischarges(db, 'Asia/Shanghai')
  return true
}
