// Question templates (问卷模板) as the administrator writes them: 3–7 questions the agent asks by key
// (Question.svelte), answers that fit the kind (dialer.ts checkAnswers), an urgent flag only on an
// answer the question can have, and an opening whose placeholders fillOpening knows.
import { refuseField } from '../http/errors.ts'
import type { TemplateQuestion } from '../db/types.callbacks.ts'

export const PLACEHOLDERS = ['称呼', '姓名', '科室', '天数', '医生', '手术', '诊断'] as const
export const FEEDBACK_CLASSES = ['service', 'medical', 'environment', 'process'] as const
/** a choice is answered by its number key, 1–9 */
const MAX_OPTIONS = 9

export interface TemplateDraft {
  opening: string
  questions: { key: string; text: string; kind: TemplateQuestion['kind']; options?: string[]; required: boolean; urgentWhen?: string[]; feedbackClass?: TemplateQuestion['feedbackClass'] | null }[]
}

/** The answers a question can have, as the dialer accepts them; null for free text. */
function answersOf(q: TemplateDraft['questions'][number]): string[] | null {
  if (q.kind === 'scale') return ['1', '2', '3', '4', '5']
  if (q.kind === 'yes_no') return ['是', '否']
  if (q.kind === 'choice') return q.options ?? []
  return null
}

/** Checks a template and answers it as stored (options only on a choice, no empty flags); a 400 naming the field. */
export function checkTemplate(draft: TemplateDraft): { opening: string; questions: TemplateQuestion[] } {
  const opening = draft.opening.trim()
  if (!opening) throw refuseField('opening', '开场白不能为空', 'the opening is empty')
  for (const [, name] of opening.matchAll(/\{([^{}]*)\}/g)) {
    if (!(PLACEHOLDERS as readonly string[]).includes(name!)) {
      throw refuseField('opening', `开场白里的占位符 {${name}} 不认识；可用：${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}`, `the opening has an unknown placeholder {${name}}; known: ${PLACEHOLDERS.join(', ')}`)
    }
  }
  const n = draft.questions.length
  if (n < 3 || n > 7) throw refuseField('questions', `问卷需要 3–7 个问题（现在 ${n} 个）`, `a template has 3 to 7 questions (this one has ${n})`)
  const seen = new Set<string>()
  const questions = draft.questions.map((q, i): TemplateQuestion => {
    const at = `questions.${i}`
    const key = q.key.trim()
    if (!/^[a-z][a-z0-9_]{0,39}$/.test(key)) throw refuseField(`${at}.key`, `第 ${i + 1} 题的编码「${key}」只能用小写字母、数字和下划线，以字母开头`, `question ${i + 1}: the key must be lower-case letters, digits and _, starting with a letter`)
    if (seen.has(key)) throw refuseField(`${at}.key`, `第 ${i + 1} 题的编码「${key}」和前面的题重复`, `question ${i + 1}: the key "${key}" is used twice`)
    seen.add(key)
    const text = q.text.trim()
    if (!text) throw refuseField(`${at}.text`, `第 ${i + 1} 题没有题目`, `question ${i + 1} has no text`)
    let options: string[] | undefined
    if (q.kind === 'choice') {
      options = (q.options ?? []).map((o) => o.trim()).filter(Boolean)
      if (options.length < 2) throw refuseField(`${at}.options`, `第 ${i + 1} 题是单选，至少要有 2 个选项`, `question ${i + 1} is a choice and needs at least 2 options`)
      if (options.length > MAX_OPTIONS) throw refuseField(`${at}.options`, `第 ${i + 1} 题最多 ${MAX_OPTIONS} 个选项（按数字键作答）`, `question ${i + 1} has more than ${MAX_OPTIONS} options (answered by number keys)`)
      if (new Set(options).size !== options.length) throw refuseField(`${at}.options`, `第 ${i + 1} 题有重复的选项`, `question ${i + 1} has the same option twice`)
    }
    const possible = answersOf({ ...q, options })
    const urgentWhen = [...new Set((q.urgentWhen ?? []).map((u) => u.trim()).filter(Boolean))]
    if (urgentWhen.length && possible === null) throw refuseField(`${at}.urgentWhen`, `第 ${i + 1} 题是文字回答，不能标记需关注的答案`, `question ${i + 1} is free text: no answer can be flagged urgent`)
    const impossible = urgentWhen.find((u) => !possible!.includes(u))
    if (impossible !== undefined) throw refuseField(`${at}.urgentWhen`, `第 ${i + 1} 题没有「${impossible}」这个答案，不能标记为需关注`, `question ${i + 1} has no answer "${impossible}" to flag`)
    return {
      key, text, kind: q.kind, ...(options ? { options } : {}), required: q.required,
      ...(urgentWhen.length ? { urgentWhen } : {}), ...(q.feedbackClass ? { feedbackClass: q.feedbackClass } : {}),
    }
  })
  return { opening, questions }
}
