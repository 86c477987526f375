// buildApp() wires plugins and domain routes onto one Fastify instance and starts nothing that
// listens; main.ts listens. Tests build apps on their own databases with this.
import Fastify from 'fastify'
import cookie from '@fastify/cookie'
import helmet from '@fastify/helmet'
import websocket from '@fastify/websocket'
import fastifyStatic from '@fastify/static'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Config } from './config.ts'
import { ping, type Database } from './db/db.ts'
import type { App } from './http/types.ts'
import type { Services } from './services.ts'
import { HttpError, installErrorHandling, installJsonParser } from './http/errors.ts'
import { installAccessControl } from './accounts/sessions.ts'
import { installNulGuard } from './http/nul-guard.ts'
import { LiveHub, liveRoutes } from './live/live.routes.ts'
import { LiveLink } from './live/link.ts'
import { findWorkOrder } from './workorders/workorders.queries.ts'
import { actorOf, transition } from './workorders/workorders.service.ts'
import { accountRoutes } from './accounts/accounts.routes.ts'
import { catalogueRoutes } from './catalogue/catalogue.routes.ts'
import { placesRoutes } from './places/places.routes.ts'
import { teamRoutes } from './teams/teams.routes.ts'
import { workOrderRoutes } from './workorders/workorders.routes.ts'
import { kpiRoutes } from './kpi/kpi.routes.ts'
import { setKpiTimeZone } from './kpi/kpi.queries.ts'
import { reportRoutes } from './reports/reports.routes.ts'
import { reportJobRoutes } from './reports/jobs.routes.ts'
import { startReportJobs } from './reports/jobs.ts'
import { jobSheetRoutes } from './jobsheets/jobsheets.routes.ts'
import { importRoutes } from './imports/imports.routes.ts'
import { routingRuleRoutes } from './admin/routing-rules.routes.ts'
import { adminRoutes } from './admin/admin.routes.ts'
import { setupRoutes } from './admin/setup.routes.ts'
import { auditRoutes } from './audit/audit.ts'
import { callRoutes } from './calls/calls.routes.ts'
import { startCallHandling } from './calls/calls.service.ts'
import type { TelephonyPort } from './calls/port.ts'
import { startEscalationTimer } from './escalation/escalation.ts'
import { messagingRoutes } from './messaging/messaging.routes.ts'
import type { MessagingOptions } from './messaging/messaging.ts'
import { startSms } from './sms-wiring.ts'
import { dischargeRoutes } from './discharges/discharges.routes.ts'
import { callbackRoutes } from './callbacks/callbacks.routes.ts'
import { callbackPlanner } from './callbacks/plan.ts'
import { startDialer } from './callbacks/dialer.ts'
import { workspaceRoutes } from './callbacks/workspace.routes.ts'
import { surveyRoutes } from './callbacks/survey.routes.ts'
import { feedbackRoutes } from './feedback/feedback.routes.ts'
import { sweep as sweepFeedback } from './feedback/feedback.service.ts'
import { rosterRoutes } from './rosters/rosters.routes.ts'
import { handoverRoutes } from './rosters/handover.ts'
import { statisticsRoutes } from './rosters/statistics.ts'
import { bookingRoutes, runBookingSweep } from './bookings/bookings.routes.ts'
import { maintenanceRoutes } from './maintenance/maintenance.routes.ts'
import { generatePm } from './maintenance/maintenance.service.ts'

const Health = Type.Object({ status: Type.String(), db: Type.String(), live: Type.String(), pbx: Type.String(), version: Type.String() })

export interface BuildOptions {
  logger?: boolean | object; escalationTimer?: boolean; telephony?: TelephonyPort | null; sms?: MessagingOptions
  /** the callback dialer: a clock the tests move, and whether its timer runs (tests call tick()) */
  dialer?: { now?: () => Date; timer?: boolean }
  /** the clock duty is judged by: who is rostered on now gets new orders (tests move it) */
  now?: () => Date
}

export async function buildApp(config: Config, database: Database, options: BuildOptions = {}) {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: 1_048_576,
    // reject unknown fields instead of silently dropping them: a typo in an integration is a 400
    ajv: { customOptions: { removeAdditional: false, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as App

  const live = new LiveHub((id) => findWorkOrder(database.db, id))
  const telephony = options.telephony ?? null
  const services: Services = { config, database, db: database.db, live, pbxStatus: () => telephony?.status() ?? 'none', telephony, routes: [], now: options.now ?? options.dialer?.now ?? (() => new Date()) }
  const link = new LiveLink(live)
  const unlisten = await database.listen((payload) => live.deliver(payload), (status) => {
    link.set(status)
    if (status === 'up') app.log.info('live events: LISTEN connection back, screens told to re-sync')
    else app.log.warn('live events: LISTEN connection lost, reconnecting')
  })
  await setKpiTimeZone(database.db, config.timeZone)

  installErrorHandling(app)
  installJsonParser(app)
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        // SvelteKit's static build boots with one inline script; everything else is same-origin
        'script-src': ["'self'", "'unsafe-inline'"],
        'img-src': ["'self'", 'data:', 'blob:'],
        'media-src': ["'self'", 'blob:'],
        'connect-src': ["'self'", 'ws:', 'wss:'],
        'upgrade-insecure-requests': null,
      },
    },
    // the job sheet PDF opens in the browser's own viewer in a new tab
    crossOriginResourcePolicy: { policy: 'same-origin' },
  })
  await app.register(cookie)
  // a state-changing request from another site's page is refused even if a cookie rode along
  app.addHook('onRequest', async (request) => {
    if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return
    const origin = request.headers.origin
    if (!origin) return
    const allowed = new Set([new URL(config.publicUrl).origin, `http://${request.headers.host}`, `https://${request.headers.host}`])
    if (!allowed.has(origin)) throw new HttpError(403, 'bad_origin', `requests from ${origin} are not accepted`)
  })
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } })
  installAccessControl(app, database.db, services.routes)
  installNulGuard(app)

  app.get('/api/health', {
    schema: { response: { '2xx': Health, 503: Health } },
  }, async (_request, reply) => {
    // not ok while events cannot flow either: the boards would silently stop changing
    const ok = (await ping(database.db)) && link.status === 'up'
    if (!ok) reply.status(503)
    return { status: ok ? 'ok' : 'degraded', db: database.kind, live: link.status, pbx: services.pbxStatus(), version: '0.1.0' }
  })

  // long report exports and the weekly summary: this instance's runner (claims keep instances apart)
  services.reportJobs = startReportJobs(services, { timer: options.escalationTimer !== false, onError: (err) => app.log.error({ err }, 'report job failed') })
  for (const routes of [accountRoutes, catalogueRoutes, placesRoutes, teamRoutes, workOrderRoutes, kpiRoutes, reportRoutes, reportJobRoutes, jobSheetRoutes, importRoutes, routingRuleRoutes, adminRoutes, setupRoutes, rosterRoutes, statisticsRoutes, bookingRoutes, auditRoutes, callRoutes, liveRoutes]) {
    await routes(app, services)
  }
  // the handover list hands orders over by the lifecycle's own reassign (rosters do not import work orders)
  await handoverRoutes(app, services, (id, change, user) => transition(database.db, id, { action: 'reassign', ...change }, actorOf(user)))
  // the SMS channel: its worker sends from this instance (claims keep instances apart)
  services.sms = startSms(database.db, config, { onError: (err) => app.log.error({ err }, 'SMS'), ...options.sms })
  await messagingRoutes(app, services)
  // discharges from the HIS are planned as callbacks in the same transaction
  await dischargeRoutes(app, services, callbackPlanner(config.timeZone))
  await callbackRoutes(app, services)
  const dialer = startDialer({ db: database.db, live, telephony, config, now: services.now, log: (err) => app.log.error({ err }, 'callback dialer') })
  services.dialer = dialer
  await workspaceRoutes(app, services, dialer)
  // the patient's survey page, opened from the SMS link with no sign-in
  await surveyRoutes(app, services)
  await feedbackRoutes(app, services)
  await maintenanceRoutes(app, services)

  // the built web app (SvelteKit, static) on the same port; unknown paths fall back to its index
  const webDir = config.webDir ?? join(import.meta.dirname, '../../web/build')
  const hasWeb = existsSync(join(webDir, 'index.html'))
  if (hasWeb) await app.register(fastifyStatic, { root: webDir, wildcard: false })
  app.setNotFoundHandler((request, reply) => {
    if (!hasWeb || request.url.startsWith('/api/') || request.method !== 'GET') {
      return reply.status(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` })
    }
    return reply.sendFile('index.html')
  })

  const stopEscalation = options.escalationTimer === false ? () => {} : startEscalationTimer(database.db, config.escalation, config.escalationIntervalMs, (err) => app.log.error({ err }, 'escalation sweep failed'))
  // feedback deadlines (escalation once per level) and facility orders completed: the same cadence
  const feedbackTimer = options.escalationTimer === false ? null : setInterval(() => {
    sweepFeedback(database.db, services.now(), config.timeZone).catch((err) => app.log.error({ err }, 'feedback sweep failed'))
    // preventive maintenance: each occurrence's order filed its lead days ahead (once, across instances)
    generatePm(database.db, services.now(), config.timeZone).then(({ failed }) => {
      if (failed.length) app.log.warn({ occurrences: failed }, 'PM occurrences could not be filed; retried next sweep')
    }, (err) => app.log.error({ err }, 'PM sweep failed'))
  }, config.escalationIntervalMs)
  feedbackTimer?.unref()
  // booked orders dispatched lead minutes before their slot, and their reminders (claimed, so once across instances)
  const bookingTimer = options.escalationTimer === false ? null : setInterval(() => {
    runBookingSweep(services).catch((err) => app.log.error({ err }, 'booking sweep failed'))
  }, config.escalationIntervalMs)
  bookingTimer?.unref()
  let stopRecordingSweep = () => {}
  if (telephony) {
    const calls = startCallHandling(database.db, live, telephony, config, (err) => app.log.error({ err }, 'call event failed'))
    calls.onOutbound((e) => dialer.onOutbound(e))
    // the first connect counts as "back": calls a previous run of the app left open are settled
    let wasDown = true
    telephony.onStatus((status) => {
      live.broadcast({ type: 'pbx.status', data: { status }, at: new Date().toISOString() })
      if (status === 'up' && wasDown) calls.reconcile().catch((err) => app.log.error({ err }, 'call reconcile failed'))
      wasDown = status !== 'up'
      app.log.info(`PBX ${status}`)
    })
    const sweep = setInterval(() => { calls.sweepRecordings(config.recordingRetentionDays).catch((err) => app.log.error({ err }, 'recording retention sweep failed')) }, 3_600_000)
    sweep.unref()
    stopRecordingSweep = () => clearInterval(sweep)
    services.calls = calls
  }
  if (options.dialer?.timer !== false) dialer.start()
  app.addHook('onClose', async () => {
    dialer.stop()
    await services.reportJobs?.stop()
    if (feedbackTimer) clearInterval(feedbackTimer)
    if (bookingTimer) clearInterval(bookingTimer)
    stopEscalation()
    await services.sms?.stop()
    stopRecordingSweep()
    live.closeAll()
    await unlisten()
  })

  return Object.assign(app, { services })
}
