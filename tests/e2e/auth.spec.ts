import {
  expectSubmittedBy,
  expectWelcome,
  fillLogIn,
  fillSignUp,
  logOut,
  markDocument,
  newAccount,
  open,
  settingsMenu,
  signUp,
  submitWithPendingLabel,
} from './access'
import { expect, test } from './fixtures'

const INCORRECT = 'Email or password is incorrect.'

test.describe('sign-up, log-in and log-out', () => {
  test('sign up creates an organization; log out, a wrong password, then log in again', async ({
    page,
    jsEnabled,
    browserProblems,
  }, testInfo) => {
    const account = newAccount(testInfo, 'founder')
    await signUp(page, account, jsEnabled)
    const banner = page.getByRole('banner')
    await expect(banner).toContainText('Admin')
    await expect(settingsMenu(page)).toBeVisible()

    // Log out (a POST from the header) → the login page; the home page is the public landing.
    await markDocument(page)
    await logOut(page)
    await expectSubmittedBy(page, jsEnabled)
    await open(page, '/', jsEnabled)
    await expect(
      page.getByRole('heading', { level: 1, name: 'Incidents, handled in the open' }),
    ).toBeVisible()
    await expect(page.getByRole('heading', { name: /^Welcome/ })).toHaveCount(0)
    await expect(banner.getByRole('button', { name: 'Log out' })).toHaveCount(0)
    await expect(banner).not.toContainText(account.name)
    await expect(banner.getByRole('link', { name: 'Sign up' })).toHaveAttribute('href', '/signup')
    await banner.getByRole('link', { name: 'Log in' }).click()
    await expect(page).toHaveURL(/\/login$/)

    // A wrong password: one generic message and the e-mail kept (echoed by the action when
    // JavaScript is off).
    const email = page.getByLabel('Email', { exact: true })
    const password = page.getByLabel('Password', { exact: true })
    await fillLogIn(page, account.email, `${account.password}-wrong`)
    browserProblems.allowConsoleError(/status of 400/)
    await markDocument(page)
    if (jsEnabled) await submitWithPendingLabel(page, 'Log in', 'Logging in…')
    else await page.getByRole('button', { name: 'Log in', exact: true }).click()
    await expect(page.getByRole('alert')).toHaveText(INCORRECT)
    await expectSubmittedBy(page, jsEnabled)
    await expect(page).toHaveURL(/\/login$/)
    await expect(email).toHaveValue(account.email)
    // The server never sends a password back (with JavaScript, the field simply keeps its text).
    if (!jsEnabled) await expect(password).toHaveValue('')
    await expect(page.getByRole('button', { name: 'Log in', exact: true })).toBeEnabled()

    // The right password signs in again.
    await password.fill(account.password)
    await markDocument(page)
    await page.getByRole('button', { name: 'Log in', exact: true }).click()
    await expect(page).toHaveURL(/\/$/)
    await expectWelcome(page, account.name)
    await expectSubmittedBy(page, jsEnabled)
    await expect(page.getByTestId('organization-name')).toHaveText(account.organization)
  })

  test('a too-short password is refused next to the field, and nothing is created', async ({
    page,
    jsEnabled,
    browserProblems,
  }, testInfo) => {
    const account = newAccount(testInfo, 'short')
    await open(page, '/signup', jsEnabled)
    await fillSignUp(page, { ...account, password: 'short-pw' })
    const password = page.getByLabel('Password', { exact: true })

    const posts: string[] = []
    page.on('request', (request) => {
      if (request.method() === 'POST') posts.push(request.url())
    })
    await markDocument(page)
    if (!jsEnabled) {
      // Chromium enforces `minlength` only on what a person typed, not on filled-in values, and
      // other browsers may not enforce it at all: drop it so the server's own check is what runs.
      await password.evaluate((input) => input.removeAttribute('minlength'))
      browserProblems.allowConsoleError(/status of 400/)
    }
    await page.getByRole('button', { name: 'Create organization' }).click()

    await expect(password).toHaveAttribute('aria-invalid', 'true')
    await expect(password).toHaveAccessibleDescription(/Use at least 12 characters/)
    await expect(page).toHaveURL(/\/signup$/)
    // With JavaScript the form's schema refuses it in the browser, before any request; without,
    // the server answers with the form re-rendered.
    await expectSubmittedBy(page, jsEnabled)
    expect(posts).toHaveLength(jsEnabled ? 0 : 1)
    await expect(page.getByLabel('Organization name', { exact: true })).toHaveValue(
      account.organization,
    )
    await expect(page.getByLabel('Your name', { exact: true })).toHaveValue(account.name)
    await expect(page.getByLabel('Email', { exact: true })).toHaveValue(account.email)
    if (!jsEnabled) await expect(password).toHaveValue('')
    await expect(page.getByRole('heading', { name: /^Welcome/ })).toHaveCount(0)

    // Nothing was created: the same e-mail address can still sign up.
    await password.fill(account.password)
    // With JavaScript the field is re-validated as one types; without, the server decides again.
    if (jsEnabled) await expect(password).not.toHaveAttribute('aria-invalid', 'true')
    await page.getByRole('button', { name: 'Create organization' }).click()
    await expectWelcome(page, account.name)
    await expect(page.getByTestId('organization-name')).toHaveText(account.organization)
  })

  test('a protected page visited signed out comes back after logging in', async ({
    page,
    jsEnabled,
    browserProblems,
  }, testInfo) => {
    const account = newAccount(testInfo, 'returning')
    await signUp(page, account, jsEnabled)
    await logOut(page)

    await page.goto('/admin/members')
    await expect(page).toHaveURL(/\/login\?redirectTo=%2Fadmin%2Fmembers$/)
    await expect(page.getByText('Log in to continue to the page you opened.')).toBeVisible()
    await open(page, page.url(), jsEnabled)
    await fillLogIn(page, account.email, account.password)
    await markDocument(page)
    await page.getByRole('button', { name: 'Log in', exact: true }).click()
    await expect(page).toHaveURL(/\/admin\/members$/)
    await expect(
      page.getByRole('heading', { level: 1, name: `Members of ${account.organization}` }),
    ).toBeVisible()
    await expectSubmittedBy(page, jsEnabled)

    // An unknown address keeps the signed-in header (the 404 page runs the root loader too).
    browserProblems.allowConsoleError(/status of 404/)
    const missing = await page.goto('/no-such-page')
    expect(missing?.status()).toBe(404)
    await expect(page.getByRole('heading', { level: 1, name: 'Page not found' })).toBeVisible()
    await expect(page.getByRole('banner')).toContainText(account.name)
    await expect(page.getByRole('banner').getByRole('button', { name: 'Log out' })).toBeVisible()
  })
})
