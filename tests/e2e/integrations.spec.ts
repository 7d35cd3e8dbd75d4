import type { Page } from '@playwright/test'
import {
  expectSubmittedBy,
  markDocument,
  newAccount,
  open,
  openSettingsPage,
  signUp,
  unique,
} from './access'
import { expect, test } from './fixtures'

/**
 * Inbound alerts end to end, against the production build and its worker: an admin adds a
 * service and a generic JSON integration through the pages, copies the webhook URL shown once,
 * and alerts posted to it declare an incident and then count the same alert firing again.
 */

/** Reloads the page until its main region contains `text` (the worker runs in the background). */
async function reloadUntil(page: Page, text: string | RegExp) {
  await expect
    .poll(
      async () => {
        await page.reload()
        return (await page.getByRole('main').textContent()) ?? ''
      },
      { timeout: 20_000, intervals: [500, 1000] },
    )
    .toMatch(text)
}

test.describe('Inbound alert integrations', () => {
  test('an admin adds an integration; its alerts declare an incident and then count a repeat', async ({
    page,
    jsEnabled,
  }, testInfo) => {
    const admin = newAccount(testInfo, 'alerts')
    await signUp(page, admin, jsEnabled)

    const service = `Search-${unique(testInfo, 'svc')}`
    await open(page, '/admin/services', jsEnabled)
    const addService = page.getByRole('form', { name: 'Add service' })
    await addService.getByLabel('Name', { exact: true }).fill(service)
    await addService.getByRole('button', { name: 'Add service' }).click()
    await expect(page.getByRole('status')).toHaveText(`Done: Added ${service}.`)

    await openSettingsPage(page, 'Integrations')
    await expect(page.getByRole('heading', { level: 1, name: 'Integrations' })).toBeVisible()
    await expect(page.getByText('No integrations yet.')).toBeVisible()
    const main = page.getByRole('main')
    await main.getByLabel('Name', { exact: true }).fill('Search monitors')
    await main.getByLabel('Service', { exact: true }).selectOption({ label: service })
    await main.getByLabel('Source', { exact: true }).selectOption({ label: 'Generic JSON' })
    await main.getByLabel('Default severity', { exact: true }).selectOption('SEV-2')
    await main.getByLabel('Mark mitigated when the alert resolves').check()
    await main.getByLabel('Requests per minute', { exact: true }).fill('30')
    await markDocument(page)
    await page.getByRole('button', { name: 'Add integration' }).click()

    const shown = page.getByLabel('Webhook URL')
    await expect(shown).toHaveValue(/\/hooks\/generic\/ifa_[A-Za-z0-9_-]{43}$/)
    await expectSubmittedBy(page, jsEnabled)
    await expect(page.getByText(/You will not see it again/)).toBeVisible()
    const url = await shown.inputValue()
    const token = url.slice(url.lastIndexOf('/') + 1)

    const title = `Search index lagging ${unique(testInfo, 'lag')}`
    const alert = { dedup_key: `lag-${title}`, status: 'firing', title, description: 'Lag 20 min' }
    const first = await page.request.post(url, { data: alert })
    expect(first.status()).toBe(202)
    expect(((await first.json()) as { status: string }).status).toBe('accepted')

    await page.getByRole('link', { name: 'Open the integration' }).click()
    await expect(page.getByRole('heading', { level: 1, name: 'Search monitors' })).toBeVisible()
    await reloadUntil(page, /Declared INC-\d+/)
    await expect(page.getByRole('main')).not.toContainText(token)

    const again = await page.request.post(url, { data: alert })
    expect(again.status()).toBe(202)
    // Within a minute of the alert's entry (ALERT_REPEAT_WINDOW_SECONDS): counted, not appended.
    await reloadUntil(page, /Counted on INC-\d+/)

    const number = /Declared INC-(\d+)/.exec((await main.textContent()) ?? '')![1]
    await page
      .getByRole('link', { name: `INC-${number}` })
      .first()
      .click()
    await expect(page.getByRole('heading', { level: 1 })).toContainText(title)
    const timeline = page.getByRole('list', { name: 'Timeline, oldest first' })
    // The declaring firing has its entry; the repeat waits, counted, for its window to close.
    await expect(
      timeline.getByRole('listitem').filter({ hasText: 'alert received from Search monitors' }),
    ).toHaveCount(1)
    await expect(timeline).not.toContainText('alert fired')
    await expect(page.getByRole('main')).toContainText('SEV-2')

    const wrong = await page.request.post(url.replace(token, `ifa_${'x'.repeat(43)}`), {
      data: alert,
    })
    expect(wrong.status()).toBe(401)
  })
})
