import { Type } from 'typebox'
import type { App } from '../http/types.ts'
import { errors, Nullable } from '../http/types.ts'
import type { Services } from '../services.ts'
import { URGENCIES } from '../workorders/workorders.schemas.ts'

const Minutes = Type.Object({ routine: Type.Integer(), urgent: Type.Integer(), critical: Type.Integer() })
const Item = Type.Object({
  id: Type.Integer(), code: Type.String(), name: Type.String(), nameEn: Type.String(), pinyin: Type.String(),
  categoryId: Type.Integer(), defaultTeamId: Nullable(Type.Integer()),
  responseMinutes: Minutes, completionMinutes: Minutes, tools: Type.Array(Type.String()), script: Type.String(),
  feedbackClass: Nullable(Type.String()),
})
const Category = Type.Object({ id: Type.Integer(), code: Type.String(), name: Type.String(), nameEn: Type.String(), items: Type.Array(Item) })

const byUrgency = (m: number[]) => Object.fromEntries(URGENCIES.map((u, i) => [u, m[i]])) as { routine: number; urgent: number; critical: number }

export async function catalogueRoutes(app: App, { db }: Services) {
  app.get('/api/catalogue', { schema: { response: { 200: Type.Object({ categories: Type.Array(Category) }), ...errors } } }, async () => {
    const [categories, items] = await Promise.all([
      db.selectFrom('category').selectAll().orderBy('sort').execute(),
      db.selectFrom('item').selectAll().where('active', '=', true).orderBy('id').execute(),
    ])
    return {
      categories: categories.map((c) => ({
        id: c.id, code: c.code, name: c.name, nameEn: c.name_en,
        items: items.filter((i) => i.category_id === c.id).map((i) => ({
          id: i.id, code: i.code, name: i.name, nameEn: i.name_en, pinyin: i.pinyin, categoryId: i.category_id,
          defaultTeamId: i.default_team_id, responseMinutes: byUrgency(i.response_minutes), completionMinutes: byUrgency(i.completion_minutes),
          tools: i.tools, script: i.script, feedbackClass: i.feedback_class,
        })),
      })),
    }
  })
}
