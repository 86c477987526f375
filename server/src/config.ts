// Every setting comes from the environment; README "Configuration" lists them all.
import { parseCallingHours, type CallingHours } from './callbacks/hours.ts'

export interface EscalationLevel { afterMinutes: number; notify: 'team_lead' | 'manager' }

export interface Config {
  port: number
  host: string
  databaseUrl: string | null
  /** the login migrations run as, owner of the tables; null: DATABASE_URL's (README "Database roles") */
  databaseOwnerUrl: string | null
  /** PostgreSQL connections of this instance; undefined: two per core, at least four */
  databasePoolSize?: number
  dataDir: string
  demo: boolean
  demoPassword: string
  /** days of generated order history a fresh demo fills in the background (0: none), and orders a weekday */
  demoHistoryDays: number
  demoHistoryPerDay: number
  hospitalName: string
  timeZone: string
  publicUrl: string
  sessionHours: number
  /** sign-in attempts a minute per client address and username (SIGNIN_PER_MINUTE) */
  signInPerMinute: number
  escalation: EscalationLevel[]
  escalationIntervalMs: number
  webDir: string | null
  logLevel: string
  /** null: run the built-in PBX simulator (the embedded default) */
  asterisk: { host: string; port: number; user: string; secret: string } | null
  hotlineExten: string
  hotlineContext: string
  outboundContext: string
  recordingsDir: string
  recordingRetentionDays: number
  /** 'dialplan': our extensions.conf records; 'ami': the app starts MixMonitor when a call is answered */
  recordingMode: 'dialplan' | 'ami'
  /** the HIS's HL7 v2 ADT feed over MLLP; port null: no listener */
  hl7: { port: number | null; host: string }
  /** the SMS channel (server/src/messaging); README "SMS" */
  sms: SmsConfig
  /** the callback desk's dialer (server/src/callbacks); README "Callbacks" */
  /** surveyLinkHours: how long an SMS survey link holds (SURVEY_LINK_HOURS, default 72) */
  callbacks: { hours: CallingHours; intervalMs: number; surveyLinkHours: number }
}

export interface SmsConfig {
  /** log (the demo), smpp://system_id:password@host:port, or a Kannel sendsms http(s):// URL */
  gateway: string
  sender: string
  /** the hours surveys and notices may go, local, HH:MM-HH:MM */
  quietHours: string
  /** the secret a gateway's callback URLs carry; null: the callback routes refuse everything */
  callbackSecret: string | null
  /** Kannel reaches our callback routes here (default PUBLIC_URL) */
  callbackBase: string
  /** words besides 退订/TD/T/STOP/UNSUBSCRIBE that opt a number out (the seed's Persian panels use 5) */
  optOutKeywords: string[]
  intervalMs: number
  /** the done notice with a 1–5 rating request to the requester's mobile */
  ratingRequest: boolean
}

// "0:team_lead,30:manager" — minutes after an order became overdue, and who is told.
export function parseEscalation(text: string): EscalationLevel[] {
  return text.split(',').map((part) => {
    const [minutes, who] = part.trim().split(':')
    const afterMinutes = Number(minutes)
    if (!Number.isInteger(afterMinutes) || afterMinutes < 0 || (who !== 'team_lead' && who !== 'manager')) {
      throw new Error(`ESCALATION: cannot read "${part}" (expected minutes:team_lead|manager)`)
    }
    return { afterMinutes, notify: who as EscalationLevel['notify'] }
  }).sort((a, b) => a.afterMinutes - b.afterMinutes)
}

function positiveInteger(name: string, text: string): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name}: expected a whole number of at least 1, got "${text}"`)
  return n
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const databaseUrl = env.DATABASE_URL || null
  if (env.DATABASE_OWNER_URL && !databaseUrl) throw new Error('DATABASE_OWNER_URL: set DATABASE_URL too (the app\'s own login)')
  const port = Number(env.PORT ?? 3000)
  return {
    port,
    host: env.HOST ?? '0.0.0.0',
    databaseUrl,
    databaseOwnerUrl: env.DATABASE_OWNER_URL || null,
    databasePoolSize: env.DATABASE_POOL_SIZE ? positiveInteger('DATABASE_POOL_SIZE', env.DATABASE_POOL_SIZE) : undefined,
    dataDir: env.DATA_DIR ?? './data',
    // the embedded default is a demo; on a real database it is opt-in
    demo: databaseUrl ? env.DEMO === '1' : env.DEMO !== '0',
    demoPassword: env.DEMO_PASSWORD ?? 'demo',
    // a year on the embedded demo; on PostgreSQL only when asked for
    demoHistoryDays: env.DEMO_HISTORY_DAYS !== undefined ? Number(env.DEMO_HISTORY_DAYS) : databaseUrl ? 0 : 365,
    demoHistoryPerDay: Number(env.DEMO_HISTORY_PER_DAY ?? 400),
    hospitalName: env.HOSPITAL_NAME ?? '示范医院 后勤服务中心',
    timeZone: env.HOSPITAL_TZ ?? 'Asia/Shanghai',
    publicUrl: env.PUBLIC_URL ?? `http://localhost:${port}`,
    sessionHours: Number(env.SESSION_HOURS ?? 12),
    signInPerMinute: env.SIGNIN_PER_MINUTE ? positiveInteger('SIGNIN_PER_MINUTE', env.SIGNIN_PER_MINUTE) : 10,
    escalation: parseEscalation(env.ESCALATION ?? '0:team_lead,30:manager'),
    escalationIntervalMs: Number(env.ESCALATION_INTERVAL_MS ?? 15000),
    webDir: env.WEB_DIR ?? null,
    logLevel: env.LOG_LEVEL ?? 'info',
    asterisk: env.ASTERISK_HOST
      ? { host: env.ASTERISK_HOST, port: Number(env.ASTERISK_PORT ?? 5038), user: env.ASTERISK_USER ?? 'hotline', secret: env.ASTERISK_SECRET ?? '' }
      : null,
    hotlineExten: env.HOTLINE_EXTEN ?? '100',
    hotlineContext: env.HOTLINE_CONTEXT ?? 'hotline',
    outboundContext: env.OUTBOUND_CONTEXT ?? 'outbound',
    recordingsDir: env.RECORDINGS_DIR ?? `${env.DATA_DIR ?? './data'}/recordings`,
    recordingRetentionDays: Number(env.RECORDING_RETENTION_DAYS ?? 180),
    recordingMode: env.RECORDING_MODE === 'ami' ? 'ami' : 'dialplan',
    hl7: { port: env.HL7_PORT ? Number(env.HL7_PORT) : null, host: env.HL7_HOST ?? '0.0.0.0' },
    sms: {
      gateway: env.SMS_GATEWAY || 'log',
      sender: env.SMS_SENDER ?? '10690100',
      quietHours: env.SMS_QUIET_HOURS ?? '09:00-20:00',
      callbackSecret: env.SMS_CALLBACK_SECRET || null,
      callbackBase: env.SMS_CALLBACK_BASE ?? env.PUBLIC_URL ?? `http://localhost:${port}`,
      optOutKeywords: (env.SMS_OPT_OUT_KEYWORDS ?? '').split(',').map((w) => w.trim().toUpperCase()).filter(Boolean),
      intervalMs: Number(env.SMS_INTERVAL_MS ?? 1000),
      ratingRequest: env.SMS_RATING_REQUEST !== '0',
    },
    callbacks: {
      hours: parseCallingHours(env.CALLING_HOURS ?? '09:00-12:00,14:00-20:00', env.CALLING_DAYS ?? '1-6'),
      intervalMs: Number(env.DIALER_INTERVAL_MS ?? 1000),
      surveyLinkHours: Math.min(720, Math.max(1, Number(env.SURVEY_LINK_HOURS ?? 72) || 72)),
    },
    ...overrides,
  }
}
