// Where SMS is used besides the done survey (floor 7, beside sms-wiring.ts: it knows messaging, work
// orders, bookings and feedback), each switched by the administrator (sql/0160, 短信 → 用途):
//   order.assigned    the job to an assignee who has no session in the app (a porter without a phone app)
//   booking.reminder  the requester reminded of a booked job 24 h and 1 h before its slot
//   feedback.resolved the patient told their feedback was dealt with (a notice: only with their consent)
//   callback.survey   a patient who prefers texts gets their due callback as a link to the survey page
// Found by polling rows, not by live events, like the survey: every instance polls, and a message's
// dedupe key makes one message however many ask. `now` is the SMS channel's clock (tests move it).
import { sql, type Kysely } from 'kysely'
import type { DB } from './db/types.ts'
import type { Messaging } from './messaging/messaging.service.ts'
import { smsUseEnabled } from './messaging/messaging.queries.ts'
import { normaliseMobile } from './messaging/text.ts'
import { localTime } from './messaging/quiet-hours.ts'
import type { Config } from './config.ts'
import { localClock } from './clock/local-time.ts'
import { sendSurveyLink } from './callbacks/survey-link.ts'

const MOBILE = `'^([+]?86)?1[3-9][0-9]{9}$'`
const mobileOf = (column: string) => sql.raw(`regexp_replace(coalesce(${column}, ''), '[ ()-]', '', 'g') ~ ${MOBILE}`)


/** Queues whatever the switched-on uses owe now; answers how many messages were queued. */
export async function sweepUses(db: Kysely<DB>, messaging: Messaging, config: Config): Promise<number> {
  const { timeZone } = config
  const now = messaging.settings.now()
  let queued = 0
  const send = async (req: Parameters<Messaging['send']>[0]) => {
    const to = normaliseMobile(req.to)
    if (!to) return
    await messaging.send({ ...req, to })
    queued++
  }

  if (await smsUseEnabled(db, 'order.assigned')) {
    // dispatched in the last half hour to someone with no live session: the job by SMS, once per
    // assignee (the database's clock, as the dispatch and the session's expiry are stamped by it)
    const { rows } = await sql<{ id: number; number: string; item: string; place: string; due_at: Date; urgency: string; phone: string; assignee_id: number }>`
      SELECT w.id, w.number, i.name AS item, l.full_name AS place, w.due_at, w.urgency, s.phone, w.assignee_id
      FROM work_order w JOIN staff s ON s.id = w.assignee_id JOIN item i ON i.id = w.item_id JOIN location l ON l.id = w.location_id
      WHERE w.status = 'dispatched' AND w.dispatched_at > now() - interval '30 minutes' AND ${mobileOf('s.phone')}
        AND NOT EXISTS (SELECT 1 FROM app_user u JOIN user_session us ON us.user_id = u.id WHERE u.staff_id = s.id AND u.active AND us.expires_at > now())
        AND NOT EXISTS (SELECT 1 FROM sms_message m WHERE m.dedupe_key = 'work_order:' || w.id || ':assigned:' || w.assignee_id)
      ORDER BY w.id LIMIT 200`.execute(db)
    for (const r of rows) {
      await send({
        to: r.phone, template: 'order.assigned', values: { 工单号: r.number, 项目: r.item, 地点: r.place, 时间: localTime(r.due_at, timeZone) },
        subject: { kind: 'work_order', id: String(r.id) }, urgent: r.urgency !== 'routine', dedupeKey: `work_order:${r.id}:assigned:${r.assignee_id}`,
      })
    }
  }

  if (await smsUseEnabled(db, 'booking.reminder')) {
    // 24 h before (only if it was booked more than a day ahead) and 1 h before the slot
    const { rows } = await sql<{ id: number; requester_name: string; requester_phone: string; item: string; place: string; booked_for: Date; which: '24h' | '1h' }>`
      SELECT w.id, w.requester_name, w.requester_phone, i.name AS item, l.full_name AS place, w.booked_for, r.which
      FROM work_order w JOIN item i ON i.id = w.item_id JOIN location l ON l.id = w.location_id
      CROSS JOIN LATERAL (VALUES
        ('24h', w.booked_for - interval '24 hours', w.booked_for - interval '1 hour', coalesce(w.booked_at, w.created_at) <= w.booked_for - interval '24 hours'),
        ('1h', w.booked_for - interval '1 hour', w.booked_for, true)) AS r(which, opens, closes, owed)
      WHERE w.booked_for IS NOT NULL AND w.status NOT IN ('cancelled', 'completed', 'closed') AND ${mobileOf('w.requester_phone')}
        AND r.owed AND ${now} >= r.opens AND ${now} < r.closes
        AND NOT EXISTS (SELECT 1 FROM sms_message m WHERE m.dedupe_key = 'work_order:' || w.id || ':booking:' || r.which)
      ORDER BY w.booked_for LIMIT 200`.execute(db)
    for (const r of rows) {
      await send({
        to: r.requester_phone, template: 'booking.reminder', values: { 患者姓名: r.requester_name, 项目: r.item, 时间: localTime(r.booked_for, timeZone), 地点: r.place },
        subject: { kind: 'booking', id: String(r.id) }, dedupeKey: `work_order:${r.id}:booking:${r.which}`,
      })
    }
  }

  if (await smsUseEnabled(db, 'feedback.resolved')) {
    // resolved in the last two days, to the patient's first valid number; a notice, so consent decides
    const { rows } = await sql<{ id: number; name: string; number: string; resolved_at: Date }>`
      SELECT f.id, p.name, ph.number, f.resolved_at
      FROM feedback f JOIN patient p ON p.id = f.patient_id
      CROSS JOIN LATERAL (SELECT x.number FROM patient_phone x WHERE x.patient_id = p.id AND x.valid ORDER BY x.position LIMIT 1) ph
      WHERE f.kind = 'complaint' AND f.status IN ('resolved', 'closed') AND f.resolved_at > ${new Date(now.getTime() - 2 * 86_400_000)}
        AND NOT EXISTS (SELECT 1 FROM sms_message m WHERE m.dedupe_key = 'feedback:' || f.id || ':resolved:' || floor(extract(epoch FROM f.resolved_at))::bigint)
      ORDER BY f.id LIMIT 200`.execute(db)
    for (const r of rows) {
      await send({
        to: r.number, template: 'feedback.resolved', values: { 患者姓名: r.name },
        subject: { kind: 'feedback', id: String(r.id) }, dedupeKey: `feedback:${r.id}:resolved:${Math.floor(r.resolved_at.getTime() / 1000)}`,
      })
    }
  }
  if (await smsUseEnabled(db, 'callback.survey')) {
    // due today (or overdue), never sent, to a patient who prefers texts and has a mobile: the link instead of a call
    const { rows } = await sql<{ id: number }>`
      SELECT t.id FROM callback_task t JOIN patient p ON p.id = t.patient_id
      WHERE t.status = 'planned' AND t.survey_sent_at IS NULL AND p.prefers_sms AND t.due_date <= ${localClock(now, timeZone).day}::date
        AND EXISTS (SELECT 1 FROM patient_phone x WHERE x.patient_id = p.id AND x.valid AND ${mobileOf('x.number')})
        AND NOT EXISTS (SELECT 1 FROM sms_message m WHERE m.dedupe_key LIKE 'callback_task:' || t.id || ':survey:%')
      ORDER BY t.due_at, t.id LIMIT 200`.execute(db)
    for (const r of rows) {
      // a task taken by an agent meanwhile, or a number refused by its owner, is left as it is
      const sent = await sendSurveyLink(db, r.id, { messaging, publicUrl: config.publicUrl, hours: config.callbacks.surveyLinkHours, timeZone, now }).catch(() => null)
      if (sent) queued++
    }
  }
  return queued
}
