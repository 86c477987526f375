// Turns what the phone system reports into call records, screen pops and outcomes on the desk.
// Every instance connected to the PBX records the same call idempotently (keyed by Linkedid) and
// pops it on its own screens.
import { sql, type Kysely } from 'kysely'
import { unlink } from 'node:fs/promises'
import { basename, join } from 'node:path'
import type { DB } from '../db/types.ts'
import type { LiveHub } from '../live/live.routes.ts'
import type { CallEvent, TelephonyPort } from './port.ts'
import { OPEN } from '../workorders/lifecycle.ts'

const DESK_ROLES = new Set(['operator', 'team_lead', 'manager', 'admin'])

export interface CallsOptions { recordingsDir: string; hotlineExten: string }

/** What the operator sees the moment the phone rings: where the caller is and what they have open. */
export async function screenPop(db: Kysely<DB>, callerNumber: string) {
  const location = await db.selectFrom('extension').innerJoin('location', 'location.id', 'extension.location_id')
    .select(['location.id', 'location.full_name', 'location.name_en', 'extension.label']).where('extension.number', '=', callerNumber).executeTakeFirst()
  const orders = await db.selectFrom('work_order').innerJoin('item', 'item.id', 'work_order.item_id')
    .select(['work_order.id', 'work_order.number', 'work_order.status', 'work_order.version', 'work_order.chase_count', 'work_order.created_at', 'item.name as item_name', 'item.name_en as item_name_en'])
    .where('requester_extension', '=', callerNumber)
    .where((eb) => eb.or([eb('status', 'in', OPEN), eb('created_at', '>', sql<Date>`now() - interval '7 days'`)]))
    .orderBy('work_order.id', 'desc').limit(20).execute()
  const toRef = (o: (typeof orders)[number]) => ({ id: o.id, number: o.number, status: o.status, version: o.version, chaseCount: o.chase_count, createdAt: o.created_at.toISOString(), item: o.item_name, itemEn: o.item_name_en })
  return {
    location: location ? { id: location.id, fullName: location.full_name, nameEn: location.name_en, label: location.label } : null,
    openOrders: orders.filter((o) => OPEN.includes(o.status)).map(toRef),
    recentOrders: orders.filter((o) => !OPEN.includes(o.status)).slice(0, 5).map(toRef),
  }
}

/** What the desk and a dialer show for each click-to-dial outcome (hang-up cause text is Asterisk's, in English). */
export const OUTCOME_TEXT: Record<string, { zh: string; en: string }> = {
  answered: { zh: '已接通', en: 'answered' },
  no_answer: { zh: '无人接听', en: 'no answer' },
  busy: { zh: '对方忙', en: 'busy' },
  invalid_number: { zh: '空号', en: 'number does not exist' },
  unreachable: { zh: '无法接通', en: 'unreachable' },
  operator_no_answer: { zh: '您的话机未接起', en: 'your own phone was not answered' },
  cancelled: { zh: '已取消', en: 'cancelled' },
  failed: { zh: '呼叫失败', en: 'failed' },
  no_end_reported: { zh: '交换机未报告结束，已自动关闭', en: 'the PBX never reported the end; closed' },
}

/** An outbound call's turning points, once the call row says so (the callback dialer follows these). */
export interface OutboundEvent { kind: 'answered' | 'over'; callId: number }

export function startCallHandling(db: Kysely<DB>, live: LiveHub, telephony: TelephonyPort, options: CallsOptions, log: (err: unknown) => void) {
  const outbound: ((e: OutboundEvent) => Promise<void>)[] = []
  // only the instance whose update changed the row tells: each turning point is told once
  const tell = async (e: OutboundEvent) => { for (const l of outbound) await l(e).catch(log) }
  const at = () => new Date().toISOString()
  /** to one user (the operator whose phone rings, the user who dialled) or to every desk */
  const send = (type: string, data: unknown, to: number | 'desks') =>
    live.broadcast({ type, data, at: at() }, (u) => (to === 'desks' ? DESK_ROLES.has(u.role) : u.id === to))

  async function operatorFor(device: string | null) {
    if (!device) return null
    return (await db.selectFrom('app_user').select('id').where('phone_device', '=', device).where('active', '=', true).executeTakeFirst())?.id ?? null
  }
  const callIdOf = (reference: string) => Number(reference.replace(/^call-/, ''))

  async function handle(e: CallEvent) {
    switch (e.type) {
      case 'ringing': {
        // a ring group rings several phones: one call row, a pop on each ringing operator's own desk only
        const operatorId = await operatorFor(e.operatorDevice)
        const inserted = await db.insertInto('call').values({
          linkedid: e.linkedid, direction: 'in', caller_number: e.callerNumber || null, caller_name: e.callerName, callee_number: e.exten,
          operator_device: e.operatorDevice, operator_user_id: operatorId, state: 'ringing', started_at: e.at,
        }).onConflict((oc) => oc.column('linkedid').doNothing()).returning(['id']).executeTakeFirst()
        const call = inserted ?? await db.selectFrom('call').select('id').where('linkedid', '=', e.linkedid).executeTakeFirstOrThrow()
        const pop = await screenPop(db, e.callerNumber)
        if (operatorId) send('call.ringing', { callId: call.id, linkedid: e.linkedid, callerNumber: e.callerNumber, callerName: e.callerName, operatorUserId: operatorId, operatorDevice: e.operatorDevice, ...pop }, operatorId)
        // every other desk sees that a call is ringing somewhere, never in its own caller panel
        send('call.activity', { callId: call.id, state: 'ringing', operatorDevice: e.operatorDevice, operatorUserId: operatorId, place: pop.location?.fullName ?? null }, 'desks')
        return
      }
      case 'answered': {
        const operatorId = await operatorFor(e.operatorDevice)
        const call = await db.updateTable('call').set({ state: 'answered', answered_at: e.at, ...(e.operatorDevice ? { operator_device: e.operatorDevice, operator_user_id: operatorId } : {}) })
          .where('linkedid', '=', e.linkedid).where('state', 'in', ['ringing', 'dialing']).returning(['id', 'operator_user_id']).executeTakeFirst()
        if (call) send('call.answered', { callId: call.id, linkedid: e.linkedid, operatorUserId: call.operator_user_id, operatorDevice: e.operatorDevice }, 'desks')
        return
      }
      case 'ended': {
        const call = await db.updateTable('call').set({
          state: e.missed ? 'missed' : 'ended', outcome: sql`coalesce(outcome, ${e.missed ? 'missed' : 'answered'})`, ended_at: e.at,
          duration_sec: e.durationSec, hangup_cause: e.cause || null, hangup_cause_text: e.reason ? OUTCOME_TEXT[e.reason]?.zh ?? e.reason : e.causeText || null,
        }).where('linkedid', '=', e.linkedid).where('state', 'not in', ['ended', 'missed', 'failed']).returning(['id', 'state', 'outcome', 'created_by', 'direction']).executeTakeFirst()
        if (call) send('call.ended', { callId: call.id, linkedid: e.linkedid, direction: call.direction, missed: e.missed, outcome: call.outcome, durationSec: e.durationSec, cause: e.cause, causeText: e.causeText }, 'desks')
        if (call?.direction === 'out') await tell({ kind: 'over', callId: call.id })
        return
      }
      case 'recording':
        await db.updateTable('call').set({ recording_file: basename(e.file) }).where('linkedid', '=', e.linkedid).execute()
        return
      case 'dialing': {
        // the operator picked up their own phone: the number is being dialled now
        const call = await db.updateTable('call').set({ linkedid: e.linkedid }).where('id', '=', callIdOf(e.reference)).where('state', '=', 'dialing')
          .returning(['id', 'created_by']).executeTakeFirst()
        if (call?.created_by) send('call.progress', { callId: call.id, stage: 'dialing' }, call.created_by)
        return
      }
      case 'originate': {
        const answered = e.outcome === 'answered'
        // the operator's own phone never answered: no call came about, it ends here; otherwise 'ended' follows
        const over = e.linkedid === null
        const call = await db.updateTable('call').set({
          outcome: e.outcome, hangup_cause: e.cause, ...(e.linkedid ? { linkedid: e.linkedid } : {}),
          ...(answered ? { state: 'answered', answered_at: e.at } : {}),
          ...(over ? { state: 'failed', ended_at: e.at, duration_sec: 0, hangup_cause_text: OUTCOME_TEXT[e.outcome]!.zh } : {}),
        }).where('id', '=', callIdOf(e.reference)).where('state', 'in', ['dialing', 'answered']).returning(['id', 'created_by', 'callee_number']).executeTakeFirst()
        if (call?.created_by) send('call.outcome', { callId: call.id, outcome: e.outcome, text: OUTCOME_TEXT[e.outcome] }, call.created_by)
        if (call && (answered || over)) await tell({ kind: over ? 'over' : 'answered', callId: call.id })
        // someone got through to a number that had called and found nobody: its missed calls are dealt with
        if (call?.callee_number && answered) {
          const cleared = await db.updateTable('call').set({ called_back_by: call.id }).where('state', '=', 'missed').where('called_back_by', 'is', null)
            .where('caller_number', '=', call.callee_number).returning('id').execute()
          if (cleared.length) send('call.calledBack', { callId: call.id, missed: cleared.map((c) => c.id) }, 'desks')
        }
        return
      }
    }
  }

  // events of one call are handled in order, so "ended" never overtakes "ringing"
  let chain = Promise.resolve()
  telephony.onCall((event) => { chain = chain.then(() => handle(event)).catch(log) })

  // recordings are kept RECORDING_RETENTION_DAYS, then the file is deleted and the call says so
  async function sweepRecordings(retentionDays: number) {
    const old = await db.selectFrom('call').select(['id', 'recording_file']).where('recording_file', 'is not', null).where('recording_deleted_at', 'is', null)
      .where('ended_at', '<', new Date(Date.now() - retentionDays * 86_400_000)).limit(500).execute()
    for (const c of old) {
      await unlink(join(options.recordingsDir, basename(c.recording_file!))).catch(() => {})
      await db.updateTable('call').set({ recording_deleted_at: new Date() }).where('id', '=', c.id).execute()
    }
    return old.length
  }

  /**
   * After the PBX comes back: calls begun before it came back that we still think are live, but
   * the PBX no longer has, ended while the link was down. Calls begun since are not touched.
   */
  async function reconcile(backAt = new Date()) {
    const stale = await db.selectFrom('call').select(['id', 'linkedid', 'direction']).where('state', 'in', ['ringing', 'answered', 'dialing'])
      .where('manual', '=', false).where('started_at', '<', backAt).execute()
    const live = new Set(await telephony.activeLinkedids())
    for (const c of stale) {
      if (c.linkedid && live.has(c.linkedid)) continue
      await db.updateTable('call').set({ state: 'ended', ended_at: new Date(), hangup_cause_text: '交换机连接中断期间结束 (ended while the PBX link was down)' }).where('id', '=', c.id).execute()
      if (c.direction === 'out') await tell({ kind: 'over', callId: c.id })
    }
  }

  return { sweepRecordings, reconcile, settled: () => chain, onOutbound: (listener: (e: OutboundEvent) => Promise<void>) => { outbound.push(listener) } }
}
