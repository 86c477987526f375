import type { Kysely } from 'kysely'
import type { Config } from './config.ts'
import type { Database } from './db/db.ts'
import type { DB } from './db/types.ts'
import type { LiveHub } from './live/live.routes.ts'
import type { TelephonyPort } from './calls/port.ts'
import type { startCallHandling } from './calls/calls.service.ts'
import type { startSms } from './sms-wiring.ts'
import type { Dialer } from './callbacks/dialer.ts'
import type { ReportJobs } from './reports/jobs.ts'

/** What every domain's routes are handed: no globals, so tests build as many apps as they like. */
export interface Services {
  config: Config
  database: Database
  db: Kysely<DB>
  live: LiveHub
  pbxStatus: () => string
  telephony: TelephonyPort | null
  /** call records from PBX events; present when a phone system is attached */
  calls?: ReturnType<typeof startCallHandling>
  /** the SMS channel: rules, worker, gateway (server/src/messaging) */
  sms?: ReturnType<typeof startSms>
  /** the callback desk's dialer (server/src/callbacks) */
  dialer?: Dialer
  /** report exports run as jobs, and the weekly summary (server/src/reports/jobs.ts) */
  reportJobs?: ReportJobs
  /** the app's clock (new Date, or the tests'): who is rostered on now, the dialer, feedback deadlines */
  now: () => Date
  /** every guarded route as 'METHOD /url', for the permission walk */
  routes: string[]
}
