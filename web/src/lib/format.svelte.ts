// Times as the hospital reads them, and the SLA colour every screen uses the same way.
import type { WorkOrder } from './api'

const pad = (n: number) => String(n).padStart(2, '0')
export function time(iso: string | null, withDate = false) {
  if (!iso) return '—'
  const d = new Date(iso)
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`
  return withDate ? `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hm}` : hm
}

export function elapsed(fromIso: string, now: number) {
  const s = Math.max(0, Math.floor((now - Date.parse(fromIso)) / 1000))
  const h = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60
  return h ? `${h}:${pad(mm)}:${pad(ss)}` : `${mm}:${pad(ss)}`
}

/** on time / at risk (last quarter of the time allowed) / overdue — against arrival until arrived, then completion */
export function sla(o: Pick<WorkOrder, 'status' | 'arrivedAt' | 'responseDueAt' | 'dueAt' | 'dispatchedAt' | 'createdAt'>, now: number): 'ok' | 'risk' | 'overdue' {
  if (!['new', 'dispatched', 'accepted', 'arrived', 'on_hold'].includes(o.status)) return 'ok'
  const due = Date.parse(o.arrivedAt ? o.dueAt : o.responseDueAt)
  const responseOverdue = !o.arrivedAt && now > Date.parse(o.responseDueAt)
  if (now > Date.parse(o.dueAt) || responseOverdue) return 'overdue'
  const start = Date.parse(o.arrivedAt ?? o.dispatchedAt ?? o.createdAt)
  return now > due - (due - start) / 4 ? 'risk' : 'ok'
}

/** One shared clock for every ticking timer on a screen: a single interval, not one per card. */
export function createClock() {
  let now = $state(Date.now())
  const id = setInterval(() => { now = Date.now() }, 1000)
  return { get now() { return now }, stop: () => clearInterval(id) }
}
