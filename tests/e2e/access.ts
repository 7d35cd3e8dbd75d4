import { randomBytes } from 'node:crypto'
import type { Page, TestInfo } from '@playwright/test'
import { expect, expectHydrated, type BrowserProblems } from './fixtures'

/**
 * Steps shared by the sign-up, log-in and invitation tests. Everything goes through the pages,
 * with the names in docs/CONTRACT (labels and buttons), as a person would.
 */

/** Long enough, not on the common-password list, no part of any e-mail address used here. */
export const PASSWORD = 'Tangerine-Lighthouse-Orbit-42'

/**
 * Both projects (and repeated runs against a kept server) share one database: every address and
 * organization name carries the project and a random suffix.
 */
export function unique(testInfo: TestInfo, label: string) {
  const project = testInfo.project.name.replace('chromium-', '')
  return `${label}-${project}-${randomBytes(4).toString('hex')}`
}

export function uniqueEmail(testInfo: TestInfo, label: string) {
  return `${unique(testInfo, label)}@example.com`
}

/**
 * Opens `url`; with JavaScript on, waits until Remix has hydrated so that a following form
 * submission is the enhanced (fetch) one rather than a document POST started too early.
 */
export async function open(page: Page, url: string, jsEnabled: boolean) {
  const response = await page.goto(url)
  if (jsEnabled) await expectHydrated(page)
  return response
}

/**
 * Marks the current document. A client-side (fetch) navigation keeps the mark; a full document
 * load (a plain HTML form post) loses it — so `documentKept` tells which one happened.
 */
export async function markDocument(page: Page) {
  await page.evaluate(() => ((window as unknown as { __e2eMark?: number }).__e2eMark = 1))
}

export async function documentKept(page: Page) {
  return page.evaluate(() => (window as unknown as { __e2eMark?: number }).__e2eMark === 1)
}

/**
 * After a submission: with JavaScript the document was kept (the form is enhanced: fetch plus
 * client-side navigation); without it, a new document was loaded (a plain HTML form post).
 */
export async function expectSubmittedBy(page: Page, jsEnabled: boolean) {
  expect(await documentKept(page), jsEnabled ? 'fetch submission' : 'document submission').toBe(
    jsEnabled,
  )
}

export interface Account {
  organization: string
  name: string
  email: string
  password: string
}

export function newAccount(testInfo: TestInfo, label: string): Account {
  const id = unique(testInfo, label)
  return {
    organization: `Org ${id}`,
    name: `Person ${id}`,
    email: `${id}@example.com`,
    password: PASSWORD,
  }
}

export async function fillSignUp(page: Page, account: Account) {
  await page.getByLabel('Organization name', { exact: true }).fill(account.organization)
  await page.getByLabel('Your name', { exact: true }).fill(account.name)
  await page.getByLabel('Email', { exact: true }).fill(account.email)
  await page.getByLabel('Password', { exact: true }).fill(account.password)
}

/** Creates an organization at /signup and checks the result: signed in, on the home page. */
export async function signUp(page: Page, account: Account, jsEnabled: boolean) {
  await open(page, '/signup', jsEnabled)
  await fillSignUp(page, account)
  await markDocument(page)
  await page.getByRole('button', { name: 'Create organization' }).click()
  await expectWelcome(page, account.name)
  await expectSubmittedBy(page, jsEnabled)
  await expect(page.getByTestId('organization-name')).toHaveText(account.organization)
}

export async function expectWelcome(page: Page, name: string) {
  await expect(page.getByRole('heading', { level: 1, name: `Welcome, ${name}` })).toBeVisible()
  await expect(page.getByRole('banner')).toContainText(name)
}

export async function fillLogIn(page: Page, email: string, password: string) {
  await page.getByLabel('Email', { exact: true }).fill(email)
  await page.getByLabel('Password', { exact: true }).fill(password)
}

export async function logOut(page: Page) {
  await page.getByRole('banner').getByRole('button', { name: 'Log out' }).click()
  await expect(page).toHaveURL(/\/login$/)
  await expect(page.getByRole('heading', { level: 1, name: 'Log in' })).toBeVisible()
}

/**
 * The invitation link e-mailed to `email`, read at /dev/outbox (where the worker's e-mails land
 * when no provider is configured). The worker polls its queue, so the page is reloaded until the
 * e-mail is there.
 */
export async function invitationLinkFor(page: Page, email: string) {
  await page.goto('/dev/outbox')
  await expect(page.getByRole('heading', { level: 1, name: 'Outbox' })).toBeVisible()
  const mail = page.getByRole('listitem').filter({ hasText: email })
  await expect(async () => {
    if ((await mail.count()) === 0) await page.reload()
    await expect(mail).toHaveCount(1, { timeout: 250 })
  }).toPass({ timeout: 15_000, intervals: [250, 500] })
  await expect(mail).toContainText('invited you to')
  const link = mail.getByRole('link', { name: /\/invitations\// })
  await expect(link).toHaveCount(1)
  return link
}

/**
 * Clicks `buttonName` while holding the form's fetch request back (JavaScript on only), checks that
 * the button shows `pendingLabel` during the request, then lets the request go and checks the
 * label is gone again (afterwards the caller checks where the page went).
 */
export async function submitWithPendingLabel(page: Page, buttonName: string, pendingLabel: string) {
  let release: () => void = () => {}
  const held = new Promise<void>((resolve) => (release = resolve))
  const actionRequest = (url: URL) => /\.data$/.test(url.pathname)
  await page.route(actionRequest, async (route) => {
    if (route.request().method() === 'POST') await held
    await route.fallback()
  })
  await page.getByRole('button', { name: buttonName, exact: true }).click()
  await expect(page.getByRole('button', { name: pendingLabel, exact: true })).toBeVisible()
  release()
  await page.unroute(actionRequest)
  await expect(page.getByRole('button', { name: pendingLabel, exact: true })).toHaveCount(0)
}

export interface Setup {
  page: Page
  newPage: () => Promise<Page>
  jsEnabled: boolean
  browserProblems: BrowserProblems
}

/** The header's "Settings" disclosure: a `<summary>`, which has no ARIA role of its own. */
export const settingsMenu = (page: Page) =>
  page.getByRole('navigation', { name: 'Main' }).locator('summary', { hasText: 'Settings' })

/** Opens the header's Settings menu and follows its `name` link, as a person would. */
export async function openSettingsPage(page: Page, name: string) {
  await settingsMenu(page).click()
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name, exact: true })
    .click()
}

/** The admin, on /admin/members, invites `email` as `role` through the "Invite someone" form. */
export async function invite(page: Page, email: string, role: string, jsEnabled: boolean) {
  const form = page.getByRole('region', { name: 'Invite someone' })
  await form.getByLabel('Email', { exact: true }).fill(email)
  await form.getByLabel('Role', { exact: true }).selectOption({ label: role })
  await markDocument(page)
  if (jsEnabled) await submitWithPendingLabel(page, 'Send invitation', 'Sending…')
  else await form.getByRole('button', { name: 'Send invitation' }).click()
  await expect(page.getByRole('status')).toHaveText(`Done: Invitation sent to ${email}.`)
  await expectSubmittedBy(page, jsEnabled)
  await expect(form.getByRole('button', { name: 'Send invitation' })).toBeVisible()
  await expect(page.getByRole('region', { name: 'Pending invitations' })).toContainText(
    `${email} as ${role}`,
  )
}

/**
 * An admin signs up and invites an engineer; the engineer, in another browser, finds the
 * invitation e-mail in the outbox, follows its link and creates an account. Returns both sides.
 */
export async function adminInvitesEngineer(
  { page, newPage, jsEnabled }: Setup,
  testInfo: TestInfo,
) {
  const admin: Account = newAccount(testInfo, 'admin')
  const engineer = {
    name: `Erin ${unique(testInfo, 'invitee')}`,
    email: uniqueEmail(testInfo, 'invitee'),
    password: PASSWORD,
  }
  await signUp(page, admin, jsEnabled)
  await openSettingsPage(page, 'Members')
  await expect(
    page.getByRole('heading', { level: 1, name: `Members of ${admin.organization}` }),
  ).toBeVisible()
  await invite(page, engineer.email, 'Engineer', jsEnabled)

  // Someone else, signed out, in their own browser.
  const engineerPage = await newPage()
  const link = await invitationLinkFor(engineerPage, engineer.email)
  const invitationUrl = (await link.getAttribute('href')) ?? ''
  expect(invitationUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/invitations\/[\w-]+$/)
  await link.click()
  await expect(
    engineerPage.getByRole('heading', { level: 1, name: `Join ${admin.organization}` }),
  ).toBeVisible()
  await expect(engineerPage.getByRole('main')).toContainText(
    `You are invited as engineer, for ${engineer.email}.`,
  )
  await open(engineerPage, invitationUrl, jsEnabled)
  await engineerPage.getByLabel('Your name', { exact: true }).fill(engineer.name)
  await engineerPage.getByLabel('Password', { exact: true }).fill(engineer.password)
  await markDocument(engineerPage)
  if (jsEnabled)
    await submitWithPendingLabel(engineerPage, 'Accept invitation', 'Creating your account…')
  else await engineerPage.getByRole('button', { name: 'Accept invitation' }).click()
  await expectWelcome(engineerPage, engineer.name)
  await expectSubmittedBy(engineerPage, jsEnabled)
  await expect(engineerPage.getByRole('banner')).toContainText(`${engineer.name} · Engineer`)
  await expect(engineerPage.getByTestId('organization-name')).toHaveText(admin.organization)

  return { admin, engineer, engineerPage, invitationUrl }
}
