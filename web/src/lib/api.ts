// The one way screens talk to the server: same origin, session cookie, JSON errors turned into
// ApiError so a form can show the message beside the named field.
export class ApiError extends Error {
  constructor(readonly status: number, readonly error: string, message: string, readonly field?: string, readonly body?: any) { super(message) }
}

/** What to show a person when a call failed: the server's message, or the error itself. */
export const errorText = (err: unknown) => (err instanceof ApiError ? err.message : String(err))

export async function api<T = any>(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const res = await fetch(url, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  })
  if (res.status === 204) return undefined as T
  const data = res.headers.get('content-type')?.includes('json') ? await res.json() : null
  if (!res.ok) {
    if (res.status === 401 && !url.startsWith('/api/session')) location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`)
    throw new ApiError(res.status, data?.error ?? 'error', data?.message ?? res.statusText, data?.field, data)
  }
  return data as T
}

export const get = <T = any>(url: string) => api<T>('GET', url)
export const post = <T = any>(url: string, body?: unknown, headers?: Record<string, string>) => api<T>('POST', url, body ?? {}, headers)

export interface WorkOrder {
  id: number; number: string; status: string; version: number; urgency: 'routine' | 'urgent' | 'critical'; source: string; description: string; booked: boolean
  item: { id: number; name: string; nameEn: string | null }; category: { id: number; name: string; nameEn: string | null }
  location: { id: number; fullName: string; buildingId: number | null }
  requester: { name: string; phone: string | null; extension: string | null }
  requestedAt: string; tools: string[]; callId: string | null
  team: { id: number; name: string; nameEn: string | null }; servicePoint: { id: number; name: string } | null; assignee: { id: number; name: string } | null
  routing: { ruleId: number | null; reason: string }
  createdAt: string; dispatchedAt: string | null; acceptedAt: string | null; arrivedAt: string | null; completedAt: string | null; closedAt: string | null
  responseDueAt: string; dueAt: string; overdue: boolean; chaseCount: number; reworkCount: number; escalationLevel: number
  holdReason: string | null; cancelReason: string | null; completionNote: string | null; rating: { score: number; comment: string | null } | null; printedAt: string | null
  /** the booked slot's start (server/src/bookings); a no-show; cancelled close to the slot */
  bookedFor?: string | null; noShowAt?: string | null; lateCancel?: boolean
  timeline?: { id: number; at: string; kind: string; actor: string | null; fromStatus: string | null; toStatus: string | null; note: string | null; onBehalfOf?: string | null }[]
}

export interface User { id: number; username: string; displayName: string; role: string; staffId: number | null; teamId: number | null; phoneDevice: string | null }

export const OPEN = ['new', 'dispatched', 'accepted', 'arrived', 'on_hold']
