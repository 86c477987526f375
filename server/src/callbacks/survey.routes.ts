// The patient's survey page over HTTP (回访 问卷短信): public — the signed link is the key, and it
// opens one task's questions and nothing else. No phone, diagnosis or full name leaves here.
import { Type } from 'typebox'
import type { App } from '../http/types.ts'
import type { Services } from '../services.ts'
import { answerSurvey, surveyPage } from './survey-link.ts'

const Token = Type.String({ minLength: 1, maxLength: 80 })

export async function surveyRoutes(app: App, { db, config, live, now }: Services) {
  app.get('/api/survey/:token', { schema: { params: Type.Object({ token: Token }) } }, async (request) =>
    surveyPage(db, request.params.token, now(), config.hospitalName))

  app.post('/api/survey/:token', {
    schema: {
      params: Type.Object({ token: Token }),
      body: Type.Object({ answers: Type.Record(Type.String({ maxLength: 40 }), Type.String({ maxLength: 2000 }), { maxProperties: 20 }) }, { additionalProperties: false }),
    },
  }, async (request) => {
    const at = now()
    const done = await answerSurvey(db, request.params.token, request.body.answers, at)
    live.broadcast({ type: 'callback.task', data: { taskId: done.taskId, status: 'done' }, at: at.toISOString() }, (u) => u.role === 'callback_agent' || u.role === 'manager' || u.role === 'admin')
    return { done: true, message: '已收到您的回答，谢谢！祝您早日康复。', messageEn: 'Thank you, your answers are in. We wish you a speedy recovery.' }
  })
}
