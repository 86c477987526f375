// The life of a work order, as one table: which action moves an order from which states to which.
//   new → dispatched → accepted → arrived → completed → closed
//   on_hold ↔ resume, cancelled from any open state, reassign, reopen (rework) of a completed order
import type { Role, WorkOrderStatus } from '../db/types.ts'

export const ACTIONS = ['dispatch', 'accept', 'arrive', 'complete', 'close', 'hold', 'resume', 'cancel', 'reassign', 'reopen'] as const
export type Action = (typeof ACTIONS)[number]

/** Open: somebody still has to act. Counts toward a person's load, can be chased, can go overdue. */
export const OPEN: WorkOrderStatus[] = ['new', 'dispatched', 'accepted', 'arrived', 'on_hold']
/** States in which a chase makes sense (the requester is still waiting). */
export const CHASEABLE: WorkOrderStatus[] = OPEN

interface Rule {
  from: WorkOrderStatus[]
  /** null: back to where it was held from (resume) */
  to: WorkOrderStatus | null
  reasonRequired?: boolean
  /** technicians may do this on their own orders; other roles per ACTION_ROLES */
  technician?: boolean
  /**
   * the technician's own step (接单/到场/完成): anyone else who does it acts on the assignee's behalf,
   * must say why, and the timeline says so — otherwise the desk could stamp response times for them
   */
  technicianStep?: boolean
}

export const LIFECYCLE: Record<Action, Rule> = {
  dispatch: { from: ['new'], to: 'dispatched' },
  accept: { from: ['dispatched'], to: 'accepted', technician: true, technicianStep: true },
  arrive: { from: ['accepted'], to: 'arrived', technician: true, technicianStep: true },
  complete: { from: ['accepted', 'arrived'], to: 'completed', technician: true, technicianStep: true },
  close: { from: ['completed'], to: 'closed' },
  hold: { from: ['dispatched', 'accepted', 'arrived'], to: 'on_hold', reasonRequired: true, technician: true },
  resume: { from: ['on_hold'], to: null, technician: true },
  cancel: { from: OPEN, to: 'cancelled', reasonRequired: true },
  reassign: { from: OPEN, to: 'dispatched', reasonRequired: true },
  reopen: { from: ['completed', 'closed'], to: 'dispatched', reasonRequired: true },
}

/** Which timestamp column an action stamps. */
export const STAMPS: Partial<Record<Action, 'dispatched_at' | 'accepted_at' | 'arrived_at' | 'completed_at' | 'closed_at' | 'cancelled_at'>> = {
  dispatch: 'dispatched_at', accept: 'accepted_at', arrive: 'arrived_at', complete: 'completed_at', close: 'closed_at', cancel: 'cancelled_at',
}

export function mayAct(role: Role, action: Action): boolean {
  if (role === 'technician') return LIFECYCLE[action].technician === true
  return role === 'operator' || role === 'team_lead' || role === 'manager' || role === 'admin'
}

/** Whether this role doing this action acts on the assigned technician's behalf (and needs a reason). */
export function actsOnBehalf(role: Role, action: Action): boolean {
  return role !== 'technician' && LIFECYCLE[action].technicianStep === true
}
