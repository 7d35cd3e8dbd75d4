import { readFile } from 'node:fs/promises'
import type { Page } from '@playwright/test'
import { oneOf, rollingDays, textsBetween } from '../support/dates'
import { newAccount, signUp, unique } from './access'
import { expect, test } from './fixtures'
import { resolvedIncident } from './incident-steps'

/**
 * The analytics dashboard through the pages: an admin (who may view analytics) resolves an
 * incident, opens Analytics from the navigation, reads the tables (with or without JavaScript),
 * sees the charts drawn when JavaScript runs, narrows the view with the filter form, and
 * downloads the incidents as CSV.
 */

/** True once a canvas has anything painted on it (not every pixel transparent). */
async function painted(page: Page, index: number) {
  return page
    .locator('canvas')
    .nth(index)
    .evaluate((canvas: HTMLCanvasElement) => {
      const context = canvas.getContext('2d')
      if (!context || canvas.width === 0 || canvas.height === 0) return false
      const { data } = context.getImageData(0, 0, canvas.width, canvas.height)
      for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true
      return false
    })
}

test.describe('analytics', () => {
  test('the dashboard shows its tables (charts too with JavaScript), filters by URL and exports CSV', async ({
    page,
    jsEnabled,
  }, testInfo) => {
    test.setTimeout(60_000)
    const admin = newAccount(testInfo, 'analytics')
    await signUp(page, admin, jsEnabled)
    const title = `=SUM(1,2) checkout ${unique(testInfo, 'analytics')}`
    await resolvedIncident(page, jsEnabled, title)

    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Analytics' })
      .click()
    await expect(page).toHaveURL(/\/analytics$/)
    if (jsEnabled) await page.waitForFunction(() => '__remixRouter' in window)
    await expect(page.getByRole('heading', { level: 1, name: 'Analytics' })).toBeVisible()
    await expect(page.getByTestId('definitions-version')).toContainText(
      'Metric definitions version 2',
    )

    for (const section of [
      'Incidents over time',
      'Response times',
      'SLA compliance',
      'Recurring problems',
      'People',
      'Open incidents by age',
    ]) {
      const region = page.getByRole('region', { name: section })
      await expect(region).toBeVisible()
      await expect(region.getByRole('table').first()).toBeVisible()
      await expect(region).toContainText('Metric definitions version 2')
    }

    // One SEV-4 incident today, acknowledged, mitigated and resolved two hours after impact.
    const volume = page.getByRole('table', { name: /Incidents declared per day and severity/ })
    await expect(volume.locator('tfoot')).toContainText('Total')
    await expect(volume.locator('tfoot td').last()).toHaveText('1')
    const response = page.getByRole('table', { name: /Time to acknowledge, mitigate and resolve/ })
    await expect(response.getByRole('row', { name: /^MTTR/ }).getByRole('cell').first()).toHaveText(
      '1',
    )
    await expect(page.getByRole('table', { name: /per member/ })).toContainText(admin.name)
    // The definitions are next to the numbers.
    const definitions = page
      .getByRole('region', { name: 'Response times' })
      .locator('details')
      .first()
    await definitions.locator('summary').click()
    await expect(definitions).toContainText('Resolved − impact started')

    if (jsEnabled) {
      // chart.js, loaded on this page only, draws every section's chart from the same numbers.
      await expect(page.locator('canvas[data-drawn="true"]')).toHaveCount(6)
      await expect.poll(() => painted(page, 0)).toBe(true)
      await expect.poll(() => painted(page, 1)).toBe(true)
    } else {
      await expect(page.locator('canvas')).toHaveCount(0)
    }

    // Filters are GET parameters: the view is a shareable URL.
    const filters = page.getByRole('form', { name: 'Filter analytics' })
    await filters
      .getByRole('combobox', { name: 'Period', exact: true })
      .selectOption({ label: 'Last 30 days' })
    await filters.getByRole('checkbox', { name: 'SEV-4' }).check()
    await filters.getByRole('button', { name: 'Apply', exact: true }).click()
    await expect(page).toHaveURL(/\/analytics\?period=30d&.*severity=SEV-4/)
    await expect(filters.getByRole('combobox', { name: 'Period', exact: true })).toHaveValue('30d')
    await expect(volume.locator('tfoot td').last()).toHaveText('1')
    await expect(page.getByRole('link', { name: 'Printable report' })).toHaveAttribute(
      'href',
      /^\/reports\/print\?period=30d&severity=SEV-4&bucket=day$/,
    )

    // The server reads this machine's clock: the last 30 days up to a day between these two
    // instants, in the new organization's zone (UTC).
    const exportedFrom = new Date()
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Export incidents (CSV)', exact: true }).click(),
    ])
    const periods = textsBetween(exportedFrom, new Date(), (at) => {
      const { first, last } = rollingDays(30, at, 'UTC')
      return `-incidents-${first}-to-${last}.csv`
    })
    expect(download.suggestedFilename()).toMatch(
      new RegExp(`^org-analytics-.+(${oneOf(periods).source})$`),
    )
    const lines = (await readFile(await download.path(), 'utf8')).split('\r\n')
    expect(lines[0]).toBe(
      'number,title,severity,status,service,incident_type,commander,impact_started_at,declared_at,acknowledged_at,mitigated_at,resolved_at,closed_at,tta_seconds,ttm_seconds,ttr_seconds,classification,classified_as_of,links,roles',
    )
    expect(lines).toHaveLength(3)
    expect(lines[2]).toBe('')
    // The title would be a formula in a spreadsheet: it is written as text.
    expect(lines[1]).toMatch(new RegExp(`^1,"'=SUM\\(1,2\\) checkout [^"]+",SEV-4,resolved,,,`))
    expect(lines[1]).toContain(admin.name)
  })
})
