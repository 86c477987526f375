// Writing a checked import. On PostgreSQL it is one transaction: other requests have connections
// of their own. On the embedded database every statement runs on the server's own thread and one
// transaction holds the only connection, so the orders go in small committed batches with a turn
// for other requests between them, each batch journaled in import_batch so that a failure (or a
// crash, at the next start) takes every order of the import back out.
import { randomUUID } from 'node:crypto'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from '../db/types.ts'
import type { Database } from '../db/db.ts'
import { addEvents } from '../workorders/workorders.queries.ts'
import { urgencyIndex } from '../workorders/workorders.service.ts'
import { LOOKUP_CHUNK, type CleanRow } from './imports.service.ts'

export interface ImportWriter { timeZone: string; userId: number; userName: string }

const CHUNK = 500
// on PGlite a batch of this many takes about 10 ms (indexes and the KPI trigger cost ~0.25 ms a
// row): the longest any other request waits for it
const EMBEDDED_CHUNK = 25

export async function writeImport(database: Database, clean: CleanRow[], opts: ImportWriter): Promise<string[]> {
  if (database.kind === 'postgres') {
    return database.db.transaction().execute(async (trx) => {
      await moveCounters(trx, clean)
      const written: string[] = []
      for (let i = 0; i < clean.length; i += CHUNK) written.push(...(await writeOrders(trx, clean.slice(i, i + CHUNK), opts)).map((o) => o.number))
      return written
    })
  }
  const db = database.db
  const importId = randomUUID()
  const written: string[] = []
  try {
    await db.transaction().execute((trx) => moveCounters(trx, clean))
    for (let i = 0; i < clean.length; i += EMBEDDED_CHUNK) {
      await nextTurn()
      const orders = await db.transaction().execute(async (trx) => {
        const inserted = await writeOrders(trx, clean.slice(i, i + EMBEDDED_CHUNK), opts)
        await sql`INSERT INTO import_batch (import_id, order_ids) VALUES (${importId}, ${`{${inserted.map((o) => o.id).join(',')}}`}::bigint[])`.execute(trx)
        return inserted
      })
      written.push(...orders.map((o) => o.number))
    }
    await sql`DELETE FROM import_batch WHERE import_id = ${importId}`.execute(db)
    return written
  } catch (err) {
    // the error is what the request answers; a failed undo is finished at the next start
    await undoImport(db, importId).catch(() => {})
    throw err
  }
}

/** Takes out every order of the import's journaled batches, a batch at a time. */
export async function undoImport(db: Kysely<DB>, importId: string) {
  for (;;) {
    const done = await db.transaction().execute(async (trx) => {
      const batch = (await sql<{ id: number; order_ids: string | number[] }>`SELECT id, order_ids FROM import_batch WHERE import_id = ${importId} ORDER BY id LIMIT 1`.execute(trx)).rows[0]
      if (!batch) return true
      await sql`DELETE FROM work_order_event WHERE work_order_id IN (SELECT unnest(order_ids) FROM import_batch WHERE id = ${batch.id})`.execute(trx)
      await sql`DELETE FROM work_order WHERE id IN (SELECT unnest(order_ids) FROM import_batch WHERE id = ${batch.id})`.execute(trx)
      await sql`DELETE FROM import_batch WHERE id = ${batch.id}`.execute(trx)
      return false
    })
    if (done) return
    await nextTurn()
  }
}

/** Imports the process did not finish (it ended under them): taken back out at start. */
export async function undoInterruptedImports(db: Kysely<DB>): Promise<number> {
  const left = (await sql<{ import_id: string }>`SELECT DISTINCT import_id FROM import_batch`.execute(db)).rows
  for (const { import_id } of left) await undoImport(db, import_id)
  return left.length
}

// numbers the file brings are taken: the daily counters move past them before any is generated
async function moveCounters(trx: Transaction<DB>, clean: CleanRow[]) {
  const lastOfDay = new Map<string, number>()
  for (const r of clean) {
    if (!r.number) continue
    const day = `${r.number.slice(3, 7)}-${r.number.slice(7, 9)}-${r.number.slice(9, 11)}`
    lastOfDay.set(day, Math.max(lastOfDay.get(day) ?? 0, Number(r.number.slice(12))))
  }
  const counters = [...lastOfDay].map(([day, last]) => ({ day, last }))
  for (let i = 0; i < counters.length; i += LOOKUP_CHUNK) {
    await trx.insertInto('order_counter').values(counters.slice(i, i + LOOKUP_CHUNK))
      .onConflict((oc) => oc.column('day').doUpdateSet({ last: sql<number>`GREATEST(order_counter.last, excluded.last)` })).execute()
  }
}

/**
 * Order numbers for orders filed at these times, as intake's nextOrderNumber gives them one by one
 * (the hospital's local day, that day's counter moved on), in two statements for the whole list.
 */
async function allocateNumbers(trx: Transaction<DB>, timeZone: string, times: Date[]): Promise<string[]> {
  if (times.length === 0) return []
  const list = `{${times.map((d) => d.toISOString()).join(',')}}`
  const days = (await sql<{ day: string }>`
    SELECT to_char((t AT TIME ZONE ${timeZone})::date, 'YYYYMMDD') AS day FROM unnest(${list}::timestamptz[]) WITH ORDINALITY AS x(t, i) ORDER BY i`.execute(trx)).rows.map((r) => r.day)
  const perDay = new Map<string, number>()
  for (const day of days) perDay.set(day, (perDay.get(day) ?? 0) + 1)
  const wanted = [...perDay]
  const counters = (await sql<{ day: string; last: number }>`
    INSERT INTO order_counter (day, last)
    SELECT to_date(d, 'YYYYMMDD'), n FROM unnest(${`{${wanted.map(([d]) => d).join(',')}}`}::text[], ${`{${wanted.map(([, n]) => n).join(',')}}`}::int[]) AS x(d, n)
    ON CONFLICT (day) DO UPDATE SET last = order_counter.last + excluded.last
    RETURNING to_char(day, 'YYYYMMDD') AS day, last`.execute(trx)).rows
  // each day's run of numbers ends at the counter's new value
  const next = new Map(counters.map((c) => [c.day, Number(c.last) - perDay.get(c.day)! + 1]))
  return days.map((day) => {
    const n = next.get(day)!
    next.set(day, n + 1)
    return `WO-${day}-${String(n).padStart(4, '0')}`
  })
}

async function writeOrders(trx: Transaction<DB>, chunk: CleanRow[], opts: ImportWriter) {
  const generated = await allocateNumbers(trx, opts.timeZone, chunk.filter((r) => !r.number).map((r) => r.times.createdAt!))
  let g = 0
  const values = []
  for (const r of chunk) {
    const t = r.times, created = t.createdAt!, u = urgencyIndex(r.urgency)
    const number = r.number ?? generated[g++]!
    values.push({
      number, item_id: r.itemId, category_id: r.categoryId, location_id: r.locationId, description: r.description,
      requester_name: r.requesterName, requester_phone: r.requesterPhone, requester_extension: r.requesterExtension,
      requested_at: created, urgency: r.urgency, source: 'import' as const, team_id: r.teamId, assignee_id: r.assigneeId,
      routing_reason: 'imported', status: r.status, created_by: opts.userId, created_at: created,
      dispatched_at: t.dispatchedAt ?? null, accepted_at: t.acceptedAt ?? null, arrived_at: t.arrivedAt ?? null,
      completed_at: t.completedAt ?? null, closed_at: t.closedAt ?? null, cancelled_at: t.cancelledAt ?? null,
      response_due_at: t.responseDueAt ?? new Date(created.getTime() + r.responseMinutes[u]! * 60_000),
      due_at: t.dueAt ?? new Date(created.getTime() + r.completionMinutes[u]! * 60_000),
      chase_count: r.chaseCount, rating_score: r.ratingScore, rated_at: r.ratingScore ? (t.ratedAt ?? t.completedAt!) : null,
      completed_by: t.completedAt ? r.assigneeId : null, cancel_reason: r.cancelReason,
      // an imported order is history: it does not escalate today
      escalation_level: 99,
    })
  }
  const inserted = await trx.insertInto('work_order').values(values).returning(['id', 'number']).execute()
  await addEvents(trx, inserted.map((o) => ({ workOrderId: o.id, kind: 'imported', actorUserId: opts.userId, actorName: opts.userName })))
  return inserted
}
