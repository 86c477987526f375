// Browser tests: the built web app on the real server and embedded database, in Debian's Chromium.
import { defineConfig } from '@playwright/test'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const PORT = 3199
const dataDir = mkdtempSync(join(tmpdir(), 'hotline-e2e-'))

export default defineConfig({
  testDir: 'tests/e2e',
  outputDir: 'test-results/e2e',
  workers: 1,
  timeout: 60_000,
  expect: { timeout: 5_000 },
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    locale: 'zh-CN',
    // the hospital's screens run on its clock: the desk's "today" is Shanghai's, also when CI runs after midnight there
    timezoneId: 'Asia/Shanghai',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    },
    screenshot: 'only-on-failure',
  },
  webServer: {
    command: 'npm run --silent build:web && node --import tsx server/src/main.ts',
    url: `http://127.0.0.1:${PORT}/api/health`,
    timeout: 120_000,
    reuseExistingServer: false,
    // no year of demo history: the flows need a quiet server and a hospital with only their own orders;
    // one browser signs in as the same demo users dozens of times a minute; the callback dialer may
    // call at any hour of the run (the tasks' own windows still apply)
    env: { PORT: String(PORT), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn', PUBLIC_URL: `http://127.0.0.1:${PORT}`, DEMO_HISTORY_DAYS: '0', SIGNIN_PER_MINUTE: '200', CALLING_HOURS: '00:00-23:59', CALLING_DAYS: '1-7' },
  },
})
