import type { Page, TestInfo } from '@playwright/test'
import { fillLogIn, logOut, newAccount, open, signUp, unique } from './access'
import { expect, expectHydrated, test } from './fixtures'

/**
 * An SLA deadline passing, end to end: an admin sets a short acknowledge target, declares a SEV-1
 * incident, the test clock moves past the target, and the worker's sweep records the breach on
 * the page and e-mails the commander a link that goes through sign-in to the incident.
 *
 * Runs against the NODE_ENV=test server (playwright.config.ts), whose /test/clock moves the web
 * process's clock and queues a sweep at the new time. Declarations and lifecycle steps take their
 * time from that clock too, so every test can use a 1-minute target and move 2 minutes on.
 */

const INCIDENT_URL = /\/incidents\/(\d+)$/

async function advanceClock(page: Page, jsEnabled: boolean, minutes: number) {
  await open(page, '/test/clock', jsEnabled)
  await page.getByLabel('Minutes to advance', { exact: true }).fill(String(minutes))
  await page.getByRole('button', { name: 'Advance clock', exact: true }).click()
  await expect(
    page.getByRole('status').filter({ hasText: 'Clock advanced; SLA sweep queued.' }),
  ).toBeVisible()
}

async function setSev1AcknowledgeTarget(page: Page, jsEnabled: boolean, minutes: number) {
  await open(page, '/admin/sla', jsEnabled)
  await expect(page.getByRole('heading', { level: 1, name: 'SLA policy' })).toBeVisible()
  const field = page.getByLabel('SEV-1 acknowledge target', { exact: true })
  await field.fill(`${minutes}m`)
  await page.getByRole('button', { name: 'Save SLA policy', exact: true }).click()
  await expect(
    page.getByRole('status').filter({ hasText: 'SLA policy saved as version 2' }),
  ).toBeVisible()
  await expect(page.getByLabel('SEV-1 acknowledge target', { exact: true })).toHaveValue(
    `${minutes}m`,
  )
}

async function declareSev1(page: Page, jsEnabled: boolean, title: string) {
  await open(page, '/incidents/new', jsEnabled)
  const main = page.getByRole('main')
  await main.getByLabel('Title', { exact: true }).fill(title)
  await main.getByLabel('Severity', { exact: true }).selectOption('SEV-1')
  await page.getByRole('button', { name: 'Declare incident', exact: true }).click()
  await expect(page).toHaveURL(INCIDENT_URL)
  const number = Number(INCIDENT_URL.exec(page.url())![1])
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`INC-${number} ${title}`)
  return number
}

const slaSection = (page: Page) => page.getByRole('region', { name: /^SLA/ })
const acknowledgeBadge = (page: Page) =>
  slaSection(page).locator('[data-sla-target="acknowledge"] [data-sla-state]')
const breachEntries = (page: Page) =>
  page
    .getByRole('list', { name: 'Timeline, oldest first' })
    .getByRole('listitem')
    .filter({ hasText: 'SLA breached: acknowledge target' })

/** The breach e-mail about this incident in /dev/outbox; the worker's steps take a few polls. */
async function breachEmail(page: Page, number: number, title: string) {
  await page.goto('/dev/outbox')
  await expect(page.getByRole('heading', { level: 1, name: 'Outbox' })).toBeVisible()
  // Every test's organization has its own INC-1, so the title tells them apart.
  const mail = page
    .getByRole('listitem')
    .filter({ has: page.getByRole('heading', { level: 2, name: `[INC-${number}]` }) })
    .filter({ has: page.getByRole('heading', { level: 2, name: 'SLA breached' }) })
    .filter({ hasText: title })
  await expect(async () => {
    if ((await mail.count()) === 0) await page.reload()
    await expect(mail).toHaveCount(1, { timeout: 250 })
  }).toPass({ timeout: 30_000, intervals: [250, 500, 1000] })
  return mail
}

async function breachReachesTheCommander(page: Page, jsEnabled: boolean, testInfo: TestInfo) {
  const baseURL = testInfo.project.use.baseURL!
  const admin = newAccount(testInfo, jsEnabled ? 'sla-js' : 'sla-nojs')
  await signUp(page, admin, jsEnabled)

  // The page, the declaration and the worker's sweep all read the same (moved) clock.
  await setSev1AcknowledgeTarget(page, jsEnabled, 1)

  const title = `Checkout down ${unique(testInfo, 'sla')}`
  const number = await declareSev1(page, jsEnabled, title)
  await expect(slaSection(page)).toBeVisible()
  await expect(acknowledgeBadge(page)).toHaveText('Acknowledge: On track')
  await expect(acknowledgeBadge(page)).toHaveAttribute('data-sla-state', 'running')
  await expect(breachEntries(page)).toHaveCount(0)

  await advanceClock(page, jsEnabled, 2)

  // The badge follows the clock at once; the timeline entry waits for the worker's sweep.
  await page.goto(`/incidents/${number}`)
  await expect(async () => {
    await page.reload()
    await expect(acknowledgeBadge(page)).toHaveText('Acknowledge: Breached', { timeout: 250 })
    await expect(breachEntries(page)).toHaveCount(1, { timeout: 250 })
  }).toPass({ timeout: 30_000, intervals: [500, 1000] })
  await expect(acknowledgeBadge(page)).toHaveAttribute('data-sla-state', 'breached')

  // The declaring admin commands the incident, so the breach e-mail goes to them.
  const mail = await breachEmail(page, number, title)
  await expect(mail.getByRole('heading', { level: 2 })).toHaveText(
    `[INC-${number}] SEV-1 SLA breached: acknowledge target: ${title}`,
  )
  await expect(mail).toContainText(admin.email)
  const incidentLink = mail.getByRole('link', { name: `${baseURL}/incidents/${number}` })
  await expect(incidentLink).toHaveAttribute('href', `${baseURL}/incidents/${number}`)

  // Signed out, the link goes through the login page and back to the incident.
  await logOut(page)
  const signedOutMail = await breachEmail(page, number, title)
  await signedOutMail.getByRole('link', { name: `${baseURL}/incidents/${number}` }).click()
  await expect(page).toHaveURL(
    `${baseURL}/login?redirectTo=${encodeURIComponent(`/incidents/${number}`)}`,
  )
  await expect(page.getByRole('heading', { level: 1, name: 'Log in' })).toBeVisible()
  if (jsEnabled) await expectHydrated(page)
  await fillLogIn(page, admin.email, admin.password)
  await page.getByRole('button', { name: 'Log in', exact: true }).click()
  await expect(page).toHaveURL(`${baseURL}/incidents/${number}`)
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`INC-${number} ${title}`)
  await expect(acknowledgeBadge(page)).toHaveText('Acknowledge: Breached')
  await expect(breachEntries(page)).toHaveCount(1)
}

// The two run one after the other in one worker (one project, file order), since both move the
// server's clock.
test.describe('SLA breach without JavaScript', () => {
  test.use({ javaScriptEnabled: false })

  test('a missed acknowledge target shows on the incident and e-mails its commander a link that goes through sign-in', async ({
    page,
    jsEnabled,
  }, testInfo) => {
    test.setTimeout(90_000)
    await breachReachesTheCommander(page, jsEnabled, testInfo)
  })
})

test.describe('SLA breach with JavaScript', () => {
  test.use({ javaScriptEnabled: true })

  test('a missed acknowledge target shows on the incident and e-mails its commander a link that goes through sign-in', async ({
    page,
    jsEnabled,
  }, testInfo) => {
    test.setTimeout(90_000)
    await breachReachesTheCommander(page, jsEnabled, testInfo)
  })
})
