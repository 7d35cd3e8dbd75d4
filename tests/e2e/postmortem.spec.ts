import type { Page } from '@playwright/test'
import { newAccount, open, openSettingsPage, signUp, unique } from './access'
import { expect, test } from './fixtures'
import { declareIncident, STATUS_AFTER, takeStep, TO_POSTMORTEM, type Step } from './incident-steps'
import { waitForWorker } from './worker-wait'

/**
 * The postmortem through the pages, as people use them (plain HTML forms and links; the draft's
 * status page looks again by itself with JavaScript, through its "Check again" link without): an
 * organization that requires a published postmortem cannot close its SEV-2 incident until the
 * postmortem — generated from the template, accepted, edited — is published.
 */

const DRAFT_URL = /\/incidents\/\d+\/postmortem\/drafts\/[0-9a-f-]{36}$/

const incidentStatus = (page: Page) => page.getByRole('region', { name: 'Status', exact: true })

async function expectStatus(page: Page, word: string) {
  await expect(incidentStatus(page).locator('[data-status]')).toHaveText(word)
}

/** Takes a lifecycle step and checks that the incident's "Status" box shows the new status. */
async function takeStepShown(page: Page, step: Step) {
  await takeStep(page, step)
  await expectStatus(page, STATUS_AFTER[step])
}

test.describe('postmortem', () => {
  test('with the setting on, a SEV-2 closes only after its postmortem is generated, edited and published', async ({
    page,
    jsEnabled,
    browserProblems,
  }, testInfo) => {
    test.setTimeout(90_000)
    // The refused close is answered 400, which Chromium logs as a failed resource load.
    browserProblems.allowConsoleError(/status of 400/)
    const admin = newAccount(testInfo, 'postmortem')
    await signUp(page, admin, jsEnabled)

    // The admin requires published postmortems for SEV-1 and SEV-2.
    await openSettingsPage(page, 'Postmortems')
    await expect(page.getByRole('heading', { level: 1, name: 'Postmortems' })).toBeVisible()
    const setting = page.getByLabel(
      'Require a published postmortem before closing SEV-1 and SEV-2 incidents',
    )
    await expect(setting).not.toBeChecked()
    await setting.check()
    await page.getByRole('button', { name: 'Save postmortem settings' }).click()
    await expect(page.getByRole('status')).toHaveText(
      'Done: SEV-1 and SEV-2 incidents now need a published postmortem before they can be closed.',
    )
    await expect(setting).toBeChecked()

    const title = `Card payments failing ${unique(testInfo, 'pm')}`
    const number = await declareIncident(page, jsEnabled, {
      title,
      severity: 'SEV-2',
      summary: 'Checkout answers 502 for every card payment.',
    })
    for (const step of TO_POSTMORTEM) await takeStepShown(page, step)

    // Closing before the postmortem is published is refused, with the reason on the page.
    const closeForm = page.getByRole('form', { name: 'Close incident', exact: true })
    await closeForm.getByRole('button', { name: 'Close incident', exact: true }).click()
    await expect(closeForm.getByRole('alert')).toHaveText(
      'SEV-2 incidents need a published postmortem before they can be closed. Publish the postmortem first.',
    )
    await expectStatus(page, 'Postmortem')
    await expect(page.getByTestId('postmortem-status')).toHaveText('(Draft)')

    // The postmortem: a template draft, made by the worker while its page waits for it.
    await page.getByRole('link', { name: 'Postmortem', exact: true }).click()
    await expect(page).toHaveURL(`/incidents/${number}/postmortem`)
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(
      `Postmortem: INC-${number} ${title}`,
    )
    await expect(page.locator('[data-postmortem-status]')).toHaveText('Draft')
    await page.getByLabel('Draft source', { exact: true }).selectOption('template')
    await page.getByRole('button', { name: 'Generate draft', exact: true }).click()
    await expect(page).toHaveURL(DRAFT_URL)
    await waitForWorker(
      page,
      page.getByText('Ready for review', { exact: true }).first(),
      jsEnabled,
    )
    await page.getByRole('button', { name: 'Accept draft', exact: true }).click()
    await expect(page).toHaveURL(`/incidents/${number}/postmortem`)
    await expect(page.getByRole('status')).toContainText('Accepted the draft as revision 1')
    const summary = page.getByLabel('Summary', { exact: true })
    await expect(summary).not.toHaveValue('')

    // A person edits a section and saves: revision 2.
    const lessons = page.getByLabel('Lessons', { exact: true })
    await lessons.fill('Alert on the checkout error rate, not only on CPU.')
    await page.getByLabel('Change note', { exact: true }).fill('Lessons from the review meeting')
    await page.getByRole('button', { name: 'Save postmortem', exact: true }).click()
    await expect(page.getByRole('status')).toHaveText('Done: Saved revision 2.')
    await expect(lessons).toHaveValue('Alert on the checkout error rate, not only on CPU.')

    await page.getByRole('button', { name: 'Publish postmortem', exact: true }).click()
    await expect(page.getByRole('status')).toHaveText('Done: The postmortem is published.')
    await expect(page.locator('[data-postmortem-status]')).toHaveText('Published')
    // Published is read-only: the text is shown, not edited.
    await expect(page.getByRole('button', { name: 'Save postmortem' })).toHaveCount(0)
    await expect(page.getByRole('main')).toContainText(
      'Alert on the checkout error rate, not only on CPU.',
    )

    // Every step is a revision in the history.
    await page.getByRole('link', { name: 'Revision history', exact: true }).click()
    await expect(page.locator('[data-revision]')).toHaveCount(3)
    await expect(page.getByRole('main')).toContainText('Lessons from the review meeting')

    // Back on the incident, closing now succeeds.
    await open(page, `/incidents/${number}`, jsEnabled)
    await expect(page.getByTestId('postmortem-status')).toHaveText('(Published)')
    await takeStepShown(page, 'Close incident')
  })
})
