import { readFile } from 'node:fs/promises'
import { dateTimeIn, oneOf, rollingPeriod, textsBetween } from '../support/dates'
import { pdfText, pdfTextTitle, SKIP_PDF_TEXT } from '../support/pdf'
import { newAccount, open, signUp, unique } from './access'
import { expect, test } from './fixtures'
import { resolvedIncident } from './incident-steps'
import { waitForWorker } from './worker-wait'

/**
 * PDF reports and the printable report through the pages. A manager (here the admin who signed
 * up) resolves an incident whose impact began two hours earlier, asks for a PDF report at
 * /reports and lands on the report's page, which shows the worker's progress (looking again by
 * itself with JavaScript, through its "Check again" link without) until the worker has made the
 * PDF; the download is a real PDF with the organization, period and MTTR. /reports/print is the
 * same content for paper, without the app's navigation.
 */

const REPORT_URL = /\/reports\/([0-9a-f-]{36})$/

test.describe('reports', () => {
  test(
    pdfTextTitle(
      'a PDF report requested at /reports reaches "done" by itself and downloads as a PDF with the organization, period and MTTR',
    ),
    async ({ page, jsEnabled }, testInfo) => {
      test.setTimeout(90_000)
      const admin = newAccount(testInfo, 'reports')
      await signUp(page, admin, jsEnabled)
      await resolvedIncident(page, jsEnabled, `Checkout down ${unique(testInfo, 'report')}`)

      await page
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: 'Reports' })
        .click()
      await expect(page.getByRole('heading', { level: 1, name: 'Reports' })).toBeVisible()
      await expect(page.getByLabel('Period', { exact: true })).toHaveValue('90d')
      // The server reads this machine's clock when it takes the request: the period's days are
      // those of an instant between these two, in the new organization's zone (UTC).
      const requestedFrom = new Date()
      await page.getByRole('button', { name: 'Generate PDF report', exact: true }).click()

      await expect(page).toHaveURL(REPORT_URL)
      const requestedTo = new Date()
      const reportId = REPORT_URL.exec(page.url())![1]!
      await expect(
        page.getByRole('heading', { level: 1, name: `Incident report · ${admin.organization}` }),
      ).toBeVisible()
      await expect(page.getByRole('main')).toContainText('Last 90 days:')
      await waitForWorker(
        page,
        page.locator('[data-report-status]').getByText('Done', { exact: true }),
        jsEnabled,
      )

      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: 'Download PDF', exact: true }).click(),
      ])
      expect(download.suggestedFilename()).toMatch(/^incident-report-.+\.pdf$/)
      const bytes = await readFile(await download.path())
      expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-')

      if (!SKIP_PDF_TEXT) {
        const text = await pdfText(bytes)
        expect(text).toContain(admin.organization)
        expect(text).toMatch(
          oneOf(
            textsBetween(
              requestedFrom,
              requestedTo,
              (at) => `Period: ${rollingPeriod(90, at, 'UTC')}`,
            ),
          ),
        )
        // One incident resolved two hours after its impact began: count 1, mean = median = p90.
        expect(text).toMatch(/MTTR \(time to resolve\)\s+1\s+2 ?h\s+2 ?h\s+2 ?h/)
      }

      // The past reports list links it, and the requester's e-mail waits in the outbox.
      await open(page, '/reports', jsEnabled)
      const row = page.locator(`tr[data-report-id="${reportId}"]`)
      await expect(row).toContainText(admin.name)
      await expect(row).toContainText('Done')
      await expect(row.getByRole('link', { name: 'Download PDF' })).toBeVisible()
      await page.goto('/dev/outbox')
      const mail = page
        .getByRole('listitem')
        .filter({ hasText: admin.email })
        .filter({ hasText: `/reports/${reportId}` })
      await expect(async () => {
        if ((await mail.count()) === 0) await page.reload()
        await expect(mail).toHaveCount(1, { timeout: 250 })
      }).toPass({ timeout: 15_000, intervals: [250, 500] })
      await expect(mail).toContainText(`Incident report ready: ${admin.organization}`)
    },
  )

  test('/reports/print has the page header and tables and no navigation, on screen and in print', async ({
    page,
    jsEnabled,
  }, testInfo) => {
    const admin = newAccount(testInfo, 'print')
    await signUp(page, admin, jsEnabled)
    const loadedFrom = new Date()
    await open(page, '/reports/print?period=30d', jsEnabled)
    const loadedTo = new Date()

    const header = page.locator('[data-report-header]')
    await expect(header.getByRole('heading', { level: 1 })).toHaveText(admin.organization)
    await expect(header).toContainText(
      oneOf(textsBetween(loadedFrom, loadedTo, (at) => rollingPeriod(30, at, 'UTC'))),
    )
    const generated = textsBetween(loadedFrom, loadedTo, (at) => dateTimeIn(at, 'UTC'))
    await expect(header).toContainText(new RegExp(`Generated\\s*(${oneOf(generated).source})`))
    await expect(header).toContainText(/Metric definitions\s*version \w+/)
    await expect(page.getByRole('navigation', { name: 'Main' })).toHaveCount(0)
    await expect(page.getByRole('banner')).toHaveCount(0)
    await expect(page.getByRole('button', { name: 'Log out' })).toHaveCount(0)
    await expect(page.locator('form')).toHaveCount(0)
    for (const name of [
      'At a glance',
      'Incident volume',
      'Response times',
      'SLA compliance',
      'Recurring problems',
      'People',
      'Open incidents by age',
    ]) {
      await expect(page.getByRole('heading', { level: 2, name, exact: true })).toBeVisible()
    }
    await expect(page.getByRole('heading', { level: 2, name: /^Metric definitions/ })).toBeVisible()
    await expect(page.getByRole('table').first()).toBeVisible()
    expect(await page.getByRole('table').count()).toBeGreaterThanOrEqual(8)
    const hint = page.getByText('Save as PDF')
    await expect(hint).toBeVisible()

    await page.emulateMedia({ media: 'print' })
    await expect(hint).toBeHidden()
    await expect(header).toBeVisible()
    await expect(page.getByRole('table').first()).toBeVisible()
    await expect(
      page.getByRole('rowheader', { name: 'MTTR (time to resolve)' }).first(),
    ).toBeVisible()
    // Every section after the first starts on a new page.
    const breaks = await page
      .locator('section')
      .evaluateAll((sections) => sections.map((s) => getComputedStyle(s).breakBefore))
    expect(breaks[0]).not.toBe('page')
    expect(breaks.slice(1).every((b) => b === 'page')).toBe(true)
    expect(breaks.length).toBeGreaterThanOrEqual(8)
  })
})
