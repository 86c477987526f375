// Question templates over HTTP. A template is never changed in place: saving one based on another is
// a new row with the next version; the rules that used the old version move to the new one, and the
// calls not yet due are re-planned onto it, while a call already made keeps the wording it was asked with.
import { Type } from 'typebox'
import { sql } from 'kysely'
import type { App } from '../http/types.ts'
import { Nullable, StringEnum } from '../http/types.ts'
import { HttpError, refuseField } from '../http/errors.ts'
import type { Services } from '../services.ts'
import { audit } from '../audit/audit.ts'
import type { TemplateQuestion } from '../db/types.callbacks.ts'
import { replanPending } from './plan.ts'
import { checkTemplate, FEEDBACK_CLASSES } from './templates.ts'

const Id = Type.Integer({ minimum: 1, maximum: 2147483647 })
const Answer = Type.String({ maxLength: 100 })
const Question = Type.Object({
  key: Type.String({ minLength: 1, maxLength: 40 }), text: Type.String({ minLength: 1, maxLength: 300 }),
  kind: StringEnum(['scale', 'yes_no', 'choice', 'text'] as const), options: Type.Optional(Type.Array(Answer, { maxItems: 20 })),
  required: Type.Boolean(), urgentWhen: Type.Optional(Type.Array(Answer, { maxItems: 20 })), feedbackClass: Type.Optional(Nullable(StringEnum(FEEDBACK_CLASSES))),
}, { additionalProperties: false })

export async function templateRoutes(app: App, { db, config }: Services) {
  app.get('/api/callback-templates', {
    schema: { querystring: Type.Object({ all: Type.Optional(StringEnum(['0', '1'] as const)) }, { additionalProperties: false }) },
  }, async (request) => {
    const latest = db.selectFrom('callback_template').select(['name', (eb) => eb.fn.max('version').as('version')]).groupBy('name')
    let query = db.selectFrom('callback_template as t').leftJoin('department as d', 'd.id', 't.department_id')
      .select(['t.id', 't.name', 't.version', 't.department_id', 'd.name as department_name', 'd.name_en as department_name_en', 't.opening', 't.questions', 't.created_at',
        (eb) => eb.selectFrom('callback_rule as r').select((e) => e.fn.countAll<number>().as('n')).whereRef('r.template_id', '=', 't.id').as('rules'),
        sql<number>`(SELECT max(v.version) FROM callback_template v WHERE v.name = t.name)`.as('latest')])
    if (request.query.all !== '1') query = query.innerJoin(latest.as('l'), (j) => j.onRef('l.name', '=', 't.name').onRef('l.version', '=', 't.version'))
    const rows = await query.orderBy('t.department_id').orderBy('t.name').orderBy('t.version', 'desc').execute()
    return {
      items: rows.map((r) => ({
        id: r.id, name: r.name, version: r.version, latest: r.version === Number(r.latest),
        department: r.department_id ? { id: r.department_id, name: r.department_name, nameEn: r.department_name_en } : null,
        opening: r.opening, questions: r.questions as unknown as TemplateQuestion[], rules: Number(r.rules), createdAt: r.created_at.toISOString(),
      })),
    }
  })

  app.post('/api/callback-templates', {
    schema: {
      body: Type.Object({
        basedOn: Type.Optional(Id), name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })), departmentId: Type.Optional(Nullable(Id)),
        opening: Type.String({ maxLength: 500 }), questions: Type.Array(Question, { maxItems: 20 }),
      }, { additionalProperties: false }),
    },
  }, async (request, reply) => {
    const b = request.body
    const { opening, questions } = checkTemplate(b)
    if (b.departmentId && !(await db.selectFrom('department').select('id').where('id', '=', b.departmentId).executeTakeFirst())) {
      throw refuseField('departmentId', `没有编号为 ${b.departmentId} 的科室`, `no department ${b.departmentId}`)
    }
    const created = await db.transaction().execute(async (trx) => {
      let name = b.name?.trim() ?? ''
      let version = 1
      let departmentId = b.departmentId ?? null
      let moved = 0
      if (b.basedOn !== undefined) {
        const base = await trx.selectFrom('callback_template').selectAll().where('id', '=', b.basedOn).forUpdate().executeTakeFirst()
        if (!base) throw refuseField('basedOn', `没有编号为 ${b.basedOn} 的问卷模板`, `no template ${b.basedOn}`)
        if (name && name !== base.name) throw refuseField('name', '新版本沿用原模板的名称；要改名请新建模板', 'a new version keeps the template\'s name; create a new template to rename')
        const newest = await trx.selectFrom('callback_template').select(['id', 'version']).where('name', '=', base.name).orderBy('version', 'desc').executeTakeFirstOrThrow()
        if (newest.id !== base.id) throw new HttpError(409, 'stale', `「${base.name}」已有更新的版本 v${newest.version}，请在最新版本上修改`, 'basedOn', { messageEn: `"${base.name}" already has a newer version v${newest.version}`, latestId: newest.id, version: newest.version })
        name = base.name
        version = base.version + 1
        if (b.departmentId === undefined) departmentId = base.department_id
      } else {
        if (!name) throw refuseField('name', '请填写模板名称', 'a new template needs a name')
        if (await trx.selectFrom('callback_template').select('id').where('name', '=', name).executeTakeFirst()) {
          throw refuseField('name', `已有名为「${name}」的模板；要修改它请保存为新版本`, `a template named "${name}" exists; save a new version of it instead`)
        }
      }
      const row = await trx.insertInto('callback_template').values({ name, version, department_id: departmentId, opening, questions: JSON.stringify(questions) })
        .onConflict((oc) => oc.columns(['name', 'version']).doNothing()).returning(['id', 'name', 'version']).executeTakeFirst()
      // two saves of the same version at once: the second is told, nothing is written twice
      if (!row) throw new HttpError(409, 'stale', `「${name}」v${version} 刚被别人保存，请重新载入`, 'basedOn', { messageEn: `"${name}" v${version} was saved meanwhile` })
      if (b.basedOn !== undefined) {
        const res = await trx.updateTable('callback_rule').set({ template_id: row.id, version: sql<number>`version + 1` }).where('template_id', '=', b.basedOn).executeTakeFirst()
        moved = Number(res.numUpdatedRows)
      }
      return { ...row, departmentId, moved }
    })
    const replanned = created.moved ? await replanPending(db, config.timeZone) : 0
    await audit(db, request, 'change_callback_template', `callback_template:${created.id}`, { name: created.name, version: created.version, basedOn: b.basedOn ?? null, rulesMoved: created.moved, replanned, questions: questions.length })
    reply.status(201)
    return {
      id: created.id, name: created.name, version: created.version, rulesMoved: created.moved, replanned,
      message: `已保存「${created.name}」v${created.version}${created.moved ? `；${created.moved} 条规则改用新版本，${replanned} 个尚未到期的回访已重新安排` : ''}`,
    }
  })
}
