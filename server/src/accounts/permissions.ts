// Who may call what: one table for the whole API. A route missing here refuses to register.
import type { Role } from '../db/types.ts'

export type Access = 'public' | 'signed_in' | readonly Role[]

const DESK: Role[] = ['operator', 'team_lead', 'manager', 'admin']
const FIELD: Role[] = ['operator', 'technician', 'team_lead', 'manager', 'admin']
const REPORTS: Role[] = ['manager', 'team_lead', 'admin']

export const PERMISSIONS: Record<string, Access> = {
  'GET /api/health': 'public',
  'POST /api/session': 'public',
  'GET /api/session': 'signed_in',
  'DELETE /api/session': 'signed_in',
  'GET /api/notifications': 'signed_in',
  'POST /api/notifications/read': 'signed_in',
  'GET /api/catalogue': 'signed_in',
  'GET /api/locations': 'signed_in',
  'GET /api/teams': 'signed_in',
  'GET /api/staff': FIELD,
  'POST /api/work-orders': DESK,
  'GET /api/work-orders': FIELD,
  'GET /api/work-orders/:id': FIELD,
  'POST /api/work-orders/:id/transitions': FIELD,
  'POST /api/work-orders/:id/chases': DESK,
  'POST /api/work-orders/:id/rating': DESK,
  'GET /api/work-orders/:id/job-sheet.pdf': FIELD,
  'GET /api/job-sheets.pdf': FIELD,
  'POST /api/job-sheets/printed': FIELD,
  'GET /api/job-sheets/queue': FIELD,
  'GET /api/kpi': REPORTS,
  'GET /api/kpi.csv': REPORTS,
  'GET /api/reports/:file': REPORTS,
  'POST /api/work-orders/import': ['manager', 'admin'],
  'GET /api/routing-rules': ['admin', 'manager', 'team_lead'],
  'POST /api/routing-rules': ['admin'],
  'PUT /api/routing-rules/:id': ['admin'],
  'DELETE /api/routing-rules/:id': ['admin'],
  'POST /api/routing-rules/test': ['admin', 'manager', 'team_lead', 'operator'],
  'PUT /api/items/:id': ['admin'],
  'POST /api/extensions': ['admin'],
  'POST /api/locations': ['admin'],
  'PATCH /api/locations/:id': ['admin'],
  'POST /api/teams': ['admin'],
  'POST /api/service-points': ['admin'],
  'POST /api/staff': ['admin'],
  'DELETE /api/extensions/:number': ['admin'],
  'PATCH /api/staff/:id': ['admin', 'team_lead', 'manager'],
  'GET /api/users': ['admin'],
  'POST /api/users': ['admin'],
  'PATCH /api/users/:id': ['admin'],
  'POST /api/users/:id/unlock': ['admin'],
  'GET /api/audit': ['admin'],
  'GET /api/calls': DESK,
  'GET /api/calls/:id': DESK,
  'GET /api/calls/:id/recording': DESK,
  'POST /api/calls/originate': ['operator', 'team_lead', 'manager', 'admin', 'callback_agent'],
  'POST /api/calls': ['operator', 'team_lead', 'admin', 'callback_agent'],
  'GET /api/pbx': 'signed_in',
  'POST /api/pbx/simulate-call': DESK,
  'POST /api/discharges': ['admin', 'manager', 'callback_agent'],
  'POST /api/discharges/import': ['admin', 'manager', 'callback_agent'],
  'GET /api/callback-tasks': ['admin', 'manager', 'callback_agent'],
  'GET /api/callback-rules': ['admin', 'manager', 'callback_agent'],
  'PUT /api/callback-rules/:id': ['admin'],
  'GET /api/his-codes': ['admin'],
  'PUT /api/his-codes': ['admin'],
  'GET /api/departments': 'signed_in',
  // the callback agent's workspace and the supervisor (server/src/callbacks/workspace.routes.ts)
  'GET /api/callbacks/me': ['callback_agent'],
  'POST /api/callbacks/me/state': ['callback_agent'],
  'GET /api/callbacks/queue': ['callback_agent', 'manager', 'admin'],
  'GET /api/callbacks/tasks/:id': ['callback_agent', 'manager', 'admin'],
  'POST /api/callbacks/tasks/:id/dial': ['callback_agent'],
  'POST /api/callbacks/attempts/:id/disposition': ['callback_agent'],
  'GET /api/callbacks/supervisor': ['manager', 'admin'],
  'POST /api/callbacks/tasks/:id/assign': ['manager', 'admin'],
  'GET /api/do-not-call': ['callback_agent', 'manager', 'admin'],
  'POST /api/do-not-call': ['callback_agent', 'manager', 'admin'],
  'POST /api/do-not-call/:id/lift': ['admin'],
  'GET /api/callback-policy': ['callback_agent', 'manager', 'admin'],
  'PUT /api/callback-policy': ['admin'],
  // the feedback loop (server/src/feedback); a handler sees their own departments only
  'GET /api/feedback': ['dept_handler', 'callback_agent', 'manager', 'admin'],
  'GET /api/feedback/:id': ['dept_handler', 'callback_agent', 'manager', 'admin'],
  'GET /api/feedback/report': ['manager', 'admin'],
  'GET /api/feedback/:id/recording': ['dept_handler', 'manager', 'admin'],
  'POST /api/feedback': ['callback_agent', 'operator', 'manager', 'admin'],
  'POST /api/feedback/:id/resolve': ['dept_handler', 'manager', 'admin'],
  'POST /api/feedback/:id/transfer': ['dept_handler', 'manager', 'admin'],
  'POST /api/feedback/:id/cannot-resolve': ['dept_handler', 'manager', 'admin'],
  'POST /api/feedback/:id/work-order': ['callback_agent', 'dept_handler', 'manager', 'admin'],
  'POST /api/feedback/:id/attachments': ['dept_handler', 'manager', 'admin'],
  'GET /api/feedback/:id/attachments/:attachmentId': ['dept_handler', 'manager', 'admin'],
  // SMS (server/src/messaging); the Kannel callbacks carry SMS_CALLBACK_SECRET instead of a session
  'GET /api/sms/templates': ['admin', 'manager', 'operator', 'callback_agent'],
  'POST /api/sms/templates': ['admin'],
  'PUT /api/sms/templates/:id': ['admin'],
  'POST /api/sms/preview': ['admin', 'manager', 'operator', 'callback_agent'],
  'GET /api/sms/messages': ['admin', 'manager', 'operator', 'team_lead', 'callback_agent'],
  'GET /api/sms/messages/:id': ['admin', 'manager', 'operator', 'team_lead', 'callback_agent'],
  'POST /api/sms/messages': ['admin', 'operator'],
  'GET /api/sms/inbox': ['admin', 'manager', 'operator', 'callback_agent'],
  'GET /api/sms/consent': ['admin', 'operator', 'callback_agent'],
  'PUT /api/sms/consent': ['admin', 'operator'],
  'POST /api/sms/demo-reply': ['admin', 'operator'],
  'GET /api/sms/kannel/dlr': 'public',
  'GET /api/sms/kannel/mo': 'public',
  // shifts and rosters (server/src/rosters): a team lead edits their own team
  'GET /api/shift-types': ['admin', 'manager', 'team_lead', 'operator'],
  'PUT /api/shift-types': ['admin', 'team_lead'],
  'GET /api/rosters': ['admin', 'manager', 'team_lead'],
  'PUT /api/rosters': ['admin', 'team_lead'],
  'POST /api/rosters/copy-week': ['admin', 'team_lead'],
  'POST /api/leave': ['admin', 'team_lead'],
  'DELETE /api/leave/:id': ['admin', 'team_lead'],
  // booked work (server/src/bookings): the desk books (POST /api/work-orders with bookedFor) from the
  // free slots; a lead sets their team's slots; the porter, lead or desk records a no-show
  'GET /api/booking-slots': DESK,
  'PUT /api/teams/:id/booking': ['admin', 'team_lead'],
  'POST /api/work-orders/:id/no-show': FIELD,
  'GET /api/bookings/stats': REPORTS,
  // preventive maintenance (server/src/maintenance): managers and the administrator plan, team leads read
  'GET /api/assets': ['admin', 'manager', 'team_lead'],
  'POST /api/assets': ['admin', 'manager'],
  'GET /api/pm-schedules': ['admin', 'manager', 'team_lead'],
  'POST /api/pm-schedules': ['admin', 'manager'],
  'PUT /api/pm-schedules/:id': ['admin', 'manager'],
  'GET /api/pm-calendar': ['admin', 'manager', 'team_lead'],
  'POST /api/pm-occurrences/:id/skip': ['admin', 'manager'],
  'GET /api/pm-kpi': ['admin', 'manager', 'team_lead'],
  'GET /ws': 'signed_in',
}

export function accessFor(method: string, url: string): Access | undefined {
  return PERMISSIONS[`${method} ${url}`]
}

export function allows(access: Access, role: Role | undefined): boolean {
  if (access === 'public') return true
  if (!role) return false
  return access === 'signed_in' || access.includes(role)
}
