// Patients' and requesters' phone numbers are personal data: shown in full only to roles that
// call people back as their job; everybody else sees 138****1234. Dialing resolves the full
// number on the server.
import type { Role } from '../db/types.ts'
import { HttpError } from '../http/errors.ts'

const SEES_PHONES: ReadonlySet<Role> = new Set(['operator', 'team_lead', 'manager', 'admin'])

export const seesPhones = (role: Role | undefined) => role !== undefined && SEES_PHONES.has(role)

/** An internal extension (2–6 digits, or a feature code): not personal data. Anything longer is an outside number. */
export const isExtension = (n: string) => /^[0-9*#]{1,6}$/.test(n.replace(/\s/g, ''))

/**
 * A caller number copied into the requester's extension that is an outside number (a patient's
 * mobile, a landline) is their phone: it is kept and masked like one, never shown as an extension.
 * Both given, the extension must be one.
 */
export function classifyRequester<T extends { requester: { phone?: string | null; extension?: string | null } }>(body: T): T {
  const { phone, extension } = body.requester
  if (!extension || isExtension(extension)) return body
  if (phone) throw new HttpError(400, 'bad_request', `分机号 ${extension} 不是内部分机（1–6 位）；外线号码请填在电话栏`, 'requester.extension', { messageEn: `${extension} is not an internal extension (1–6 digits); put an outside number in the phone field` })
  return { ...body, requester: { ...body.requester, phone: extension, extension: null } }
}

export function maskPhone(phone: string | null): string | null {
  if (!phone) return phone
  const digits = phone.replace(/\s/g, '')
  if (digits.length >= 8) return `${digits.slice(0, 3)}****${digits.slice(-4)}`
  return `${'*'.repeat(Math.max(0, digits.length - 2))}${digits.slice(-2)}`
}

/** The order as this viewer may see it. */
export function forViewer<T extends { requester: { phone: string | null } }>(order: T, role: Role | undefined): T {
  if (seesPhones(role)) return order
  return { ...order, requester: { ...order.requester, phone: maskPhone(order.requester.phone) } }
}
