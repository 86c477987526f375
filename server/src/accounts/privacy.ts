// Patients' and requesters' phone numbers are personal data: shown in full only to roles that
// call people back as their job; everybody else sees 138****1234. Dialing resolves the full
// number on the server.
import type { Role } from '../db/types.ts'

const SEES_PHONES: ReadonlySet<Role> = new Set(['operator', 'team_lead', 'manager', 'admin'])

export const seesPhones = (role: Role | undefined) => role !== undefined && SEES_PHONES.has(role)

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
