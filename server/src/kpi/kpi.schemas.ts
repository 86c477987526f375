import { Type } from 'typebox'
import { Nullable } from '../http/types.ts'

const Rate = Nullable(Type.Number())
export const KpiReport = Type.Object({
  period: Type.Object({ from: Type.String(), to: Type.String(), timeZone: Type.String(), teamId: Nullable(Type.Integer()) }),
  counts: Type.Object({
    created: Type.Integer(), completed: Type.Integer(), completedOnTime: Type.Integer(), arrived: Type.Integer(), arrivedOnTime: Type.Integer(),
    createdCompleted: Type.Integer(), createdChased: Type.Integer(), rated: Type.Integer(), complaints: Type.Integer(),
  }),
  timelinessRate: Rate, responseOnTimeRate: Rate, completionRate: Rate, chaseRate: Rate,
  satisfaction: Type.Object({ mean: Rate, goodShare: Rate, rated: Type.Integer() }),
  volumePerStaff: Rate,
  weeklyByCategory: Type.Array(Type.Object({ week: Type.String(), categoryId: Type.Integer(), category: Type.String(), categoryEn: Type.String(), orders: Type.Integer() })),
  dailyTimeliness: Type.Array(Type.Object({ day: Type.String(), completed: Type.Integer(), completedOnTime: Type.Integer(), rate: Rate })),
  perStaff: Type.Array(Type.Object({
    staffId: Type.Integer(), name: Type.String(), teamId: Type.Integer(), completed: Type.Integer(), completedOnTime: Type.Integer(),
    meanResponseMinutes: Rate, meanCompletionMinutes: Rate,
  })),
  complaintsByCategory: Type.Array(Type.Object({ itemId: Type.Integer(), item: Type.String(), itemEn: Type.String(), orders: Type.Integer() })),
})
