import { Type, type Static } from 'typebox'
import { IsoDate, Nullable, StringEnum } from '../http/types.ts'
import { ACTIONS } from './lifecycle.ts'

export const URGENCIES = ['routine', 'urgent', 'critical'] as const
export const STATUSES = ['new', 'dispatched', 'accepted', 'arrived', 'on_hold', 'completed', 'closed', 'cancelled'] as const

const Text = (max: number) => Type.String({ maxLength: max })

/** What intake accepts of the requester and the order's text; the historical import checks the same. */
export const LIMITS = { description: 2000, requesterName: 100, requesterPhone: 30, requesterExtension: 20, reason: 500 } as const
export const PHONE_PATTERN = '^[0-9+\\-() ]*$'
export const EXTENSION_PATTERN = '^[0-9*#]*$'
const Id = Type.Integer({ minimum: 1, maximum: 2147483647 })

export const CreateWorkOrder = Type.Object({
  itemId: Id,
  locationId: Id,
  description: Type.Optional(Text(LIMITS.description)),
  urgency: StringEnum(URGENCIES),
  requester: Type.Object({
    name: Type.String({ minLength: 1, maxLength: LIMITS.requesterName }),
    phone: Type.Optional(Nullable(Type.String({ maxLength: LIMITS.requesterPhone, pattern: PHONE_PATTERN }))),
    extension: Type.Optional(Nullable(Type.String({ maxLength: LIMITS.requesterExtension, pattern: EXTENSION_PATTERN }))),
  }, { additionalProperties: false }),
  requestedAt: Type.Optional(Nullable(IsoDate)),
  /** a slot of the routed team (server/src/bookings): the order waits and is dispatched shortly before it */
  bookedFor: Type.Optional(Nullable(IsoDate)),
  tools: Type.Optional(Type.Array(Text(50), { maxItems: 20 })),
  source: Type.Optional(StringEnum(['phone', 'walk_in', 'web'])),
  callId: Type.Optional(Nullable(Text(100))),
}, { additionalProperties: false })
export type CreateWorkOrder = Static<typeof CreateWorkOrder>

export const Transition = Type.Object({
  action: StringEnum(ACTIONS),
  version: Type.Integer({ minimum: 1 }),
  reason: Type.Optional(Text(LIMITS.reason)),
  assigneeId: Type.Optional(Id),
  note: Type.Optional(Text(2000)),
}, { additionalProperties: false })
export type Transition = Static<typeof Transition>

/** `confirm`: the desk asked "chased a minute ago — again?" and the operator said yes */
export const Chase = Type.Object({ note: Type.Optional(Text(500)), callId: Type.Optional(Nullable(Text(100))), confirm: Type.Optional(Type.Boolean()) }, { additionalProperties: false })
export const Rating = Type.Object({ score: Type.Integer({ minimum: 1, maximum: 5 }), comment: Type.Optional(Text(1000)) }, { additionalProperties: false })

export const ListQuery = Type.Object({
  status: Type.Optional(Type.String({ pattern: '^(open|[a-z_]+)(,[a-z_]+)*$', maxLength: 200 })),
  teamId: Type.Optional(Id),
  assigneeId: Type.Optional(Id),
  overdue: Type.Optional(Type.Boolean()),
  printed: Type.Optional(Type.Boolean()),
  extension: Type.Optional(Type.String({ maxLength: 20 })),
  /** search: number, requester name or phone, place, extension, item or description (any part of one) */
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  from: Type.Optional(IsoDate),
  to: Type.Optional(IsoDate),
  completedFrom: Type.Optional(IsoDate),
  cursor: Type.Optional(Id),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
}, { additionalProperties: false })
export type ListQuery = Static<typeof ListQuery>

const Ref = Type.Object({ id: Type.Integer(), name: Type.String(), nameEn: Nullable(Type.String()) })

export const WorkOrder = Type.Object({
  id: Type.Integer(), number: Type.String(), status: Type.String(), version: Type.Integer(),
  urgency: Type.String(), source: Type.String(), description: Type.String(), booked: Type.Boolean(),
  item: Ref, category: Ref, location: Type.Object({ id: Type.Integer(), fullName: Type.String(), buildingId: Nullable(Type.Integer()) }),
  requester: Type.Object({ name: Type.String(), phone: Nullable(Type.String()), extension: Nullable(Type.String()) }),
  requestedAt: Type.String(), tools: Type.Array(Type.String()), callId: Nullable(Type.String()),
  team: Ref, servicePoint: Nullable(Ref), assignee: Nullable(Type.Object({ id: Type.Integer(), name: Type.String() })),
  routing: Type.Object({ ruleId: Nullable(Type.Integer()), reason: Type.String() }),
  createdAt: Type.String(), dispatchedAt: Nullable(Type.String()), acceptedAt: Nullable(Type.String()), arrivedAt: Nullable(Type.String()),
  completedAt: Nullable(Type.String()), closedAt: Nullable(Type.String()), cancelledAt: Nullable(Type.String()),
  responseDueAt: Type.String(), dueAt: Type.String(), overdue: Type.Boolean(),
  chaseCount: Type.Integer(), reworkCount: Type.Integer(), escalationLevel: Type.Integer(),
  holdReason: Nullable(Type.String()), cancelReason: Nullable(Type.String()), completionNote: Nullable(Type.String()),
  rating: Nullable(Type.Object({ score: Type.Integer(), comment: Nullable(Type.String()), ratedAt: Type.String() })),
  printedAt: Nullable(Type.String()),
  /** the booked slot's start; a no-show recorded; cancelled too close to the slot */
  bookedFor: Nullable(Type.String()), noShowAt: Nullable(Type.String()), lateCancel: Type.Boolean(),
})
export type WorkOrder = Static<typeof WorkOrder>

export const TimelineEntry = Type.Object({
  id: Type.Integer(), at: Type.String(), kind: Type.String(), actor: Nullable(Type.String()),
  fromStatus: Nullable(Type.String()), toStatus: Nullable(Type.String()), note: Nullable(Type.String()), callId: Nullable(Type.String()),
  /** the technician this step was done for, when someone else did it (with the reason as note) */
  onBehalfOf: Nullable(Type.String()),
})
export const WorkOrderWithTimeline = Type.Object({ ...WorkOrder.properties, timeline: Type.Array(TimelineEntry) })
