// What a person reads when an action failed: chosen by the API's `error` code and `field`, in the
// screen's language — never the server's English text in the Chinese UI.
import { ApiError } from './api'
import { m } from './i18n/index.svelte'

/** fields whose refusal the desk's forms can explain in words */
const FIELDS = ['reason', 'assigneeId', 'score'] as const

/** `sentVersion`: the order version the action was sent with, to tell "changed by someone" from "wrong state". */
export function errorMessage(err: unknown, sentVersion?: number): string {
  const e = m().errors
  // fetch itself failed (TypeError: Failed to fetch): the server is out of reach
  if (!(err instanceof ApiError)) return e.network
  if (err.status === 503 || err.error === 'unavailable') return e.unavailable
  if (err.error === 'no_assignee') return e.no_assignee
  if (err.status === 403) return e.forbidden
  if (err.status === 404) return e.not_found
  if (err.status === 409) {
    const { currentStatus, currentVersion } = err.body ?? {}
    if (sentVersion !== undefined && currentVersion !== undefined && currentVersion !== sentVersion) return e.version
    const status = m().status[currentStatus as keyof ReturnType<typeof m>['status']] ?? currentStatus ?? '—'
    return e.state.replace('{status}', status)
  }
  if (err.status === 400 && err.field) {
    if ((FIELDS as readonly string[]).includes(err.field)) return e[err.field as (typeof FIELDS)[number]]
    if (/more than|maxLength/i.test(err.message)) return e.tooLong
  }
  return e.generic.replace('{code}', [err.error, err.field].filter(Boolean).join(' · '))
}
