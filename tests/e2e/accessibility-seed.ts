import type { Browser, BrowserContext, Page, TestInfo } from '@playwright/test'
import {
  expectWelcome,
  invitationLinkFor,
  invite,
  newAccount,
  PASSWORD,
  signUp,
  unique,
} from './access'
import { expect } from './fixtures'

/**
 * One organization with something on every page, made once for the accessibility pass: an admin
 * (who signs up), a manager and an engineer (invited, accepted), one invitation left pending,
 * an incident in each status, a postmortem with revisions, a draft waiting for review and an
 * action item, a finished PDF report, a service, an inbound integration, a webhook endpoint and an
 * API token. Pages and the JSON API are used as people and clients use them; each person keeps
 * one browser context (JavaScript on; the pass turns it off per page where it needs to).
 */

export const ROLES = ['signed out', 'admin', 'manager', 'engineer'] as const
export type Viewer = (typeof ROLES)[number]

export const STATUSES = [
  'Detected',
  'Investigating',
  'Mitigated',
  'Resolved',
  'Postmortem',
  'Closed',
] as const
export type Status = (typeof STATUSES)[number]

/** The API's lifecycle actions that lead from Detected to each status. */
const PATH_TO: Record<Status, string[]> = {
  Detected: [],
  Investigating: ['start-investigating'],
  Mitigated: ['start-investigating', 'mark-mitigated'],
  Resolved: ['start-investigating', 'mark-mitigated', 'mark-resolved'],
  Postmortem: ['start-investigating', 'mark-mitigated', 'mark-resolved', 'start-postmortem'],
  Closed: ['start-investigating', 'mark-mitigated', 'mark-resolved', 'start-postmortem', 'close'],
}

export interface Seed {
  organization: string
  contexts: Record<Viewer, BrowserContext>
  /** Incident numbers by status; the Investigating one has comments, evidence and an assignee. */
  incidents: Record<Status, number>
  /** Declared by the engineer, who commands it. */
  engineerIncident: number
  /** The Postmortem incident's draft that waits for review. */
  draftId: string
  reportId: string
  integrationId: string
  endpointId: string
  /** The path of an invitation nobody accepted yet. */
  invitationPath: string
}

const INCIDENT_URL = /\/incidents\/(\d+)$/

/** Reloads `page` until `done` is visible: the worker finishes the job in the background. */
async function reloadUntilVisible(page: Page, text: string) {
  const done = page.getByText(text, { exact: true }).first()
  await expect(async () => {
    if (!(await done.isVisible())) await page.reload()
    await expect(done).toBeVisible({ timeout: 500 })
  }).toPass({ timeout: 45_000, intervals: [500, 1000] })
}

async function createApiToken(page: Page) {
  await page.goto('/account/tokens')
  await page.getByLabel('Token name', { exact: true }).fill('Accessibility pass')
  await page.getByLabel('Expires', { exact: true }).selectOption({ label: '30 days' })
  await page.getByRole('button', { name: 'Create token' }).click()
  const secret = page.getByLabel('New API token')
  await expect(secret).toHaveValue(/^ifk_/)
  return secret.inputValue()
}

async function addService(page: Page, name: string) {
  await page.goto('/admin/services')
  const form = page.getByRole('form', { name: 'Add service' })
  await form.getByLabel('Name', { exact: true }).fill(name)
  await form.getByRole('button', { name: 'Add service' }).click()
  await expect(page.getByRole('status')).toHaveText(`Done: Added ${name}.`)
}

async function addIntegration(page: Page, service: string) {
  await page.goto('/admin/integrations')
  const main = page.getByRole('main')
  await main.getByLabel('Name', { exact: true }).fill('Search monitors')
  await main.getByLabel('Service', { exact: true }).selectOption({ label: service })
  await main.getByLabel('Source', { exact: true }).selectOption({ label: 'Generic JSON' })
  await main.getByLabel('Default severity', { exact: true }).selectOption('SEV-2')
  await page.getByRole('button', { name: 'Add integration' }).click()
  const shown = page.getByLabel('Webhook URL')
  await expect(shown).toHaveValue(/\/hooks\/generic\/ifa_/)
  const hookUrl = await shown.inputValue()
  await page.goto('/admin/integrations')
  const href = await main.getByRole('link', { name: 'Search monitors' }).getAttribute('href')
  return { hookUrl, integrationId: href!.split('/').pop()! }
}

async function addWebhookEndpoint(page: Page) {
  await page.goto('/admin/webhooks')
  const main = page.getByRole('main')
  // A public address literal: accepted without a DNS lookup; deliveries to it simply fail here.
  const url = 'https://203.0.113.10/incidentflow'
  await main.getByLabel('Endpoint URL', { exact: true }).fill(url)
  await main.getByLabel('Description', { exact: true }).fill('Status board')
  await main.getByRole('checkbox').first().check()
  await page.getByRole('button', { name: 'Add endpoint' }).click()
  await expect(page).toHaveURL(/\/admin\/webhooks\/[0-9a-f-]{36}$/)
  return page.url().split('/').pop()!
}

/** A person invited by e-mail opens the link in their own browser and creates their account. */
async function acceptInvitation(page: Page, link: string, name: string) {
  await page.goto(link)
  await page.getByLabel('Your name', { exact: true }).fill(name)
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
  await page.getByRole('button', { name: 'Accept invitation' }).click()
  await expectWelcome(page, name)
}

async function invitationPathFor(page: Page, email: string) {
  const link = await invitationLinkFor(page, email)
  return new URL((await link.getAttribute('href'))!).pathname
}

async function api(page: Page, token: string, path: string, data: unknown) {
  const response = await page.request.post(path, {
    headers: { Authorization: `Bearer ${token}` },
    data,
  })
  expect(response.status(), `POST ${path}`).toBeLessThan(300)
  return (await response.json()) as { number: number }
}

async function declareThroughApi(page: Page, token: string, status: Status, title: string) {
  const { number } = await api(page, token, '/api/v1/incidents', {
    title: `${title} (${status})`,
    severity: 'SEV-2',
    summary: 'Checkout answers **502** for card payments; see the [runbook](https://example.com).',
  })
  for (const action of PATH_TO[status])
    await api(page, token, `/api/v1/incidents/${number}/transitions`, { action })
  return number
}

/**
 * The admin makes the Investigating incident the engineer's, with evidence and comments, one of
 * them corrected (the original stays, struck through).
 */
async function workOnIncident(page: Page, token: string, number: number, engineer: string) {
  await api(page, token, `/api/v1/incidents/${number}/comments`, {
    body: 'Rolled back **deploy 4412**; error rate is falling.\n\n- step one\n- step two',
  })
  await api(page, token, `/api/v1/incidents/${number}/comments`, {
    body: 'Error rate back to normal at 14:05.',
  })
  await page.goto(`/incidents/${number}`)
  await page.getByRole('link', { name: 'Correct this comment' }).last().click()
  const correct = page.getByRole('form', { name: /^Correct comment #\d+$/ })
  await correct.getByLabel('Corrected comment', { exact: true }).fill('Error rate back at 14:15.')
  await correct.getByRole('button', { name: 'Save correction' }).click()
  await expect(page.getByRole('status')).toHaveText('Done: Comment corrected.')
  const assign = page.getByRole('form', { name: 'Assign' })
  await assign.getByRole('checkbox', { name: engineer }).check()
  await assign.getByRole('button', { name: 'Save ownership' }).click()
  await expect(page.getByRole('status')).toContainText('Done')
  const upload = page.getByRole('form', { name: 'Upload evidence' })
  await upload.getByLabel('Evidence file', { exact: true }).setInputFiles({
    name: 'gateway-errors.log',
    mimeType: 'text/plain',
    buffer: Buffer.from('502 Bad Gateway\n'.repeat(20)),
  })
  await upload.getByLabel('Description', { exact: true }).fill('Gateway log during the outage')
  await upload.getByRole('button', { name: 'Upload evidence' }).click()
  await expect(page.getByRole('status')).toContainText('Done')
}

/** Revision 1 from an accepted template draft, revision 2 edited, and a second draft left open. */
async function writePostmortem(page: Page, number: number, owner: string) {
  const generateDraft = async () => {
    await page.goto(`/incidents/${number}/postmortem`)
    await page.getByLabel('Draft source', { exact: true }).selectOption('template')
    await page.getByRole('button', { name: 'Generate draft', exact: true }).click()
    await expect(page).toHaveURL(/\/postmortem\/drafts\/[0-9a-f-]{36}$/)
    await reloadUntilVisible(page, 'Ready for review')
    return page.url().split('/').pop()!
  }
  await generateDraft()
  await page.getByRole('button', { name: 'Accept draft', exact: true }).click()
  await expect(page).toHaveURL(`/incidents/${number}/postmortem`)
  await page.getByLabel('Lessons', { exact: true }).fill('Alert on the checkout error rate.')
  await page.getByLabel('Change note', { exact: true }).fill('Lessons from the review')
  await page.getByRole('button', { name: 'Save postmortem', exact: true }).click()
  await expect(page.getByRole('status')).toHaveText('Done: Saved revision 2.')

  await page.goto(`/incidents/${number}/postmortem/action-items`)
  const add = page.getByRole('form', { name: 'Add action item' })
  await add.getByLabel('Title', { exact: true }).fill('Page on checkout error rate')
  await add.getByLabel('Owner', { exact: true }).selectOption({ label: owner })
  // Thirty days ahead: after "today" in every time zone (the organization's is UTC).
  const due = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10)
  await add.getByLabel('Due date', { exact: true }).fill(due)
  await add.getByRole('button', { name: 'Add action item' }).click()
  await expect(page.getByRole('status')).toContainText('Done')

  return generateDraft()
}

async function requestReport(page: Page) {
  await page.goto('/reports')
  await page.getByRole('button', { name: 'Generate PDF report', exact: true }).click()
  await expect(page).toHaveURL(/\/reports\/[0-9a-f-]{36}$/)
  const reportId = page.url().split('/').pop()!
  const status = page.locator('[data-report-status]')
  await expect(async () => {
    if ((await status.textContent()) !== 'Done') await page.reload()
    await expect(status).toHaveText('Done', { timeout: 500 })
  }).toPass({ timeout: 45_000, intervals: [500, 1000] })
  return reportId
}

export async function seedOrganization(browser: Browser, testInfo: TestInfo): Promise<Seed> {
  const contexts = {} as Record<Viewer, BrowserContext>
  const pages = {} as Record<Viewer, Page>
  for (const viewer of ROLES) {
    contexts[viewer] = await browser.newContext({
      baseURL: testInfo.project.use.baseURL,
      javaScriptEnabled: true,
    })
    pages[viewer] = await contexts[viewer].newPage()
  }
  const admin = newAccount(testInfo, 'a11y')
  const page = pages.admin
  await signUp(page, admin, true)
  const token = await createApiToken(page)
  const service = `Checkout-${unique(testInfo, 'svc')}`
  await addService(page, service)
  // A retired service stays listed, marked as such.
  await addService(page, 'Legacy search')
  await page.getByRole('button', { name: 'Retire Legacy search' }).click()
  await expect(page.getByRole('button', { name: 'Restore Legacy search' })).toBeVisible()
  const { hookUrl, integrationId } = await addIntegration(page, service)
  const endpointId = await addWebhookEndpoint(page)

  const people = {
    manager: { email: `${unique(testInfo, 'manager')}@example.com`, name: 'Morgan Manager' },
    engineer: { email: `${unique(testInfo, 'engineer')}@example.com`, name: 'Erin Engineer' },
    pending: { email: `${unique(testInfo, 'pending')}@example.com` },
  }
  await page.goto('/admin/members')
  await invite(page, people.manager.email, 'Manager', true)
  await invite(page, people.engineer.email, 'Engineer', true)
  await invite(page, people.pending.email, 'Engineer', true)
  const anonymous = pages['signed out']
  for (const role of ['manager', 'engineer'] as const) {
    const path = await invitationPathFor(anonymous, people[role].email)
    await acceptInvitation(pages[role], path, people[role].name)
  }
  const invitationPath = await invitationPathFor(anonymous, people.pending.email)

  const incidents = {} as Record<Status, number>
  for (const status of STATUSES)
    incidents[status] = await declareThroughApi(page, token, status, 'Card payments failing')
  await workOnIncident(page, token, incidents.Investigating, people.engineer.name)

  const engineerPage = pages.engineer
  await engineerPage.goto('/incidents/new')
  await engineerPage.getByLabel('Title', { exact: true }).fill('Search results are stale')
  await engineerPage.getByLabel('Severity', { exact: true }).selectOption('SEV-3')
  await engineerPage.getByRole('button', { name: 'Declare incident' }).click()
  await expect(engineerPage).toHaveURL(INCIDENT_URL)
  const engineerIncident = Number(INCIDENT_URL.exec(engineerPage.url())![1])

  // An alert through the integration: a receipt on its page (the worker declares from it).
  const alert = await page.request.post(hookUrl, {
    data: { dedup_key: 'search-lag', status: 'firing', title: 'Search index lagging' },
  })
  expect(alert.status()).toBeLessThan(300)

  const draftId = await writePostmortem(page, incidents.Postmortem, people.engineer.name)
  const reportId = await requestReport(page)

  for (const viewer of ROLES) await pages[viewer].close()
  return {
    organization: admin.organization,
    contexts,
    incidents,
    engineerIncident,
    draftId,
    reportId,
    integrationId,
    endpointId,
    invitationPath,
  }
}
