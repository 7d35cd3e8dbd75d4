import { existsSync } from 'node:fs'
import { defineConfig, devices, type LaunchOptions } from '@playwright/test'

/**
 * End-to-end tests against the production build (see tests/support/e2e-server.ts), each in two
 * projects: with JavaScript (hydrated Remix) and without (plain HTML forms and links).
 *
 * The accessibility pass seeds one organization and checks every page with JavaScript on and off
 * itself, so it runs once, in its own project, instead of once per JavaScript project.
 *
 * Specs that need the test-only clock control (/test/clock) run against a second server: the same
 * bundles with NODE_ENV=test, its own database and port. One project runs them, with and without
 * JavaScript in the spec itself, so that the tests moving that server's one clock run one after
 * another.
 */

const port = Number(process.env.E2E_PORT ?? 3100)
const baseURL = `http://127.0.0.1:${port}`
const testClockPort = Number(process.env.E2E_TEST_CLOCK_PORT ?? 3101)
const testClockURL = `http://127.0.0.1:${testClockPort}`
const TEST_CLOCK_SPECS = /sla\.spec\.ts$/
const ACCESSIBILITY_SPECS = /accessibility\.spec\.ts$/
const CI = Boolean(process.env.CI)

// Debian's Chromium (apt-get install chromium), since Playwright's download cannot run here.
// Without it and without CHROMIUM_PATH, Playwright's own browser (`npx playwright install`).
const executablePath =
  process.env.CHROMIUM_PATH ?? (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined)

const launchOptions: LaunchOptions = {
  executablePath,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
  ],
}

export default defineConfig({
  testDir: 'tests/e2e',
  fullyParallel: false,
  forbidOnly: CI,
  retries: CI ? 1 : 0,
  workers: 2,
  timeout: 30_000,
  expect: { timeout: 5_000 },
  // The JSON report feeds the one-line summary that `npm test` prints last.
  reporter: [
    ['list'],
    ['json', { outputFile: '.test-reports/e2e.json' }],
    ...(CI ? [] : [['html', { open: 'never' }] as const]),
  ],
  use: {
    baseURL,
    launchOptions,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  // Workers take test files in the order of this list (a file's tests stay on one worker). The
  // accessibility pass is the longest file by far (a seeded organization, then every page twice):
  // started first, it runs beside the short files instead of alone after them all; the clock
  // specs run against their own server and come next.
  projects: [
    {
      name: 'chromium-a11y',
      testMatch: ACCESSIBILITY_SPECS,
      use: { ...devices['Desktop Chrome'] },
    },
    {
      name: 'chromium-test-clock',
      testMatch: TEST_CLOCK_SPECS,
      use: { ...devices['Desktop Chrome'], baseURL: testClockURL },
    },
    {
      name: 'chromium-js',
      testIgnore: [TEST_CLOCK_SPECS, ACCESSIBILITY_SPECS],
      use: { ...devices['Desktop Chrome'], javaScriptEnabled: true },
    },
    {
      name: 'chromium-nojs',
      testIgnore: [TEST_CLOCK_SPECS, ACCESSIBILITY_SPECS],
      use: { ...devices['Desktop Chrome'], javaScriptEnabled: false },
    },
  ],
  webServer: [
    {
      // Plain node with tsx's loader: one process, so Playwright's SIGTERM reaches it directly.
      command: 'node --import tsx tests/support/e2e-server.ts',
      url: `${baseURL}/readyz`,
      env: { E2E_PORT: String(port) },
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: 'ignore',
      stderr: 'pipe',
      gracefulShutdown: { signal: 'SIGTERM', timeout: 45_000 },
    },
    {
      // Started after the first one is ready, so a build it ran is already there.
      command: 'node --import tsx tests/support/e2e-server.ts',
      url: `${testClockURL}/readyz`,
      env: { E2E_PORT: String(testClockPort), E2E_NODE_ENV: 'test' },
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: 'ignore',
      stderr: 'pipe',
      gracefulShutdown: { signal: 'SIGTERM', timeout: 45_000 },
    },
  ],
})
