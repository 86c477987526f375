// Who is signed in, and which screens their role may open (mirrors server/src/accounts/permissions.ts).
import { api, type User } from './api'

export const session = $state<{ user: User | null; checked: boolean }>({ user: null, checked: false })

export async function loadSession() {
  try {
    session.user = (await api<{ user: User }>('GET', '/api/session')).user
  } catch {
    session.user = null
  }
  session.checked = true
  return session.user
}

export const SCREENS: Record<string, string[]> = {
  desk: ['operator', 'team_lead', 'manager', 'admin'],
  board: ['operator', 'technician', 'team_lead', 'manager', 'admin'],
  tech: ['technician', 'team_lead', 'admin'],
  station: ['technician', 'team_lead', 'operator', 'admin'],
  manage: ['manager', 'team_lead', 'admin'],
  // the week grid of shifts: a lead for their own team, the administrator for any
  rosters: ['team_lead', 'admin'],
  // preventive maintenance: schedules, the calendar, the asset register (team leads read them over the API)
  maintenance: ['manager', 'admin'],
  admin: ['admin'],
  sms: ['admin', 'manager', 'operator', 'team_lead', 'callback_agent'],
  // 回访: the agent's workspace, the lists and plan; the supervisor panel for manager and admin
  callbacks: ['callback_agent', 'manager', 'admin'],
  // 反馈处理: the department handler's queue and cases; the manager and the administrator see every department's
  feedback: ['dept_handler', 'manager', 'admin'],
  // one order's page (/tech/orders/:id): what the job sheet's QR code and the board's links open
  order: ['operator', 'technician', 'team_lead', 'manager', 'admin'],
}

export const HOME: Record<string, string> = { operator: '/desk', technician: '/tech', team_lead: '/station', manager: '/manage', admin: '/admin', callback_agent: '/callbacks', dept_handler: '/feedback' }
export const homeOf = (role: string) => HOME[role] ?? '/welcome'
export const may = (screen: string, role: string | undefined) => !!role && (SCREENS[screen] ?? []).includes(role)
