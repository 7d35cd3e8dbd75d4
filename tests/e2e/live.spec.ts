import type { Page } from '@playwright/test'
import { adminInvitesEngineer, documentKept, markDocument, open, unique } from './access'
import { declareIncident } from './incident-steps'
import { expect, test } from './fixtures'

/**
 * Live pages (decision 033): two people on one incident, each in their own browser. With
 * JavaScript a change made by one appears on the other's page without a reload, while what the
 * other is typing stays; "Viewing now" names the other person; the incident list updates its
 * rows. Without JavaScript the pages are exactly as served: no stream, no "Viewing now".
 */

const timeline = (page: Page) => page.getByRole('list', { name: 'Timeline, oldest first' })
const commentForm = (page: Page) => page.getByRole('form', { name: 'Add comment' })
const viewingNow = (page: Page) => page.getByRole('paragraph').filter({ hasText: /^Viewing now:/ })

async function addComment(page: Page, text: string) {
  const form = commentForm(page)
  await form.getByLabel('Comment', { exact: true }).fill(text)
  await form.getByRole('button', { name: 'Add comment' }).click()
  await expect(page.getByRole('status')).toHaveText('Done: Comment added.')
}

test.describe('live pages', () => {
  test('a comment made in one browser appears in the other, which keeps its half-typed text', async ({
    page,
    newPage,
    jsEnabled,
    browserProblems,
  }, testInfo) => {
    const { admin, engineer, engineerPage } = await adminInvitesEngineer(
      { page, newPage, jsEnabled, browserProblems },
      testInfo,
    )
    const title = `Queue backlog ${unique(testInfo, 'live')}`
    const number = await declareIncident(page, jsEnabled, { title, severity: 'SEV-3' })
    const url = `/incidents/${number}`
    // The engineer works on it (an assignee may comment).
    if (jsEnabled) await expect(page.getByRole('heading', { level: 1 })).toBeVisible()
    const assign = page.getByRole('form', { name: 'Assign' })
    await assign
      .getByRole('group', { name: 'Assignees' })
      .getByRole('checkbox', { name: engineer.name, exact: true })
      .check()
    await assign.getByRole('button', { name: 'Save ownership' }).click()
    await expect(page.getByRole('status')).toHaveText('Done: Ownership updated.')
    await open(engineerPage, url, jsEnabled)
    await expect(engineerPage.getByRole('heading', { level: 1 })).toContainText(title)

    const draft = 'Looking at the consumer lag, half way through'
    const engineerComment = commentForm(engineerPage).getByLabel('Comment', { exact: true })
    await engineerComment.fill(draft)
    await markDocument(engineerPage)

    if (!jsEnabled) {
      // Without JavaScript the page is what the server sent: no stream, nobody "viewing now".
      await expect(viewingNow(page)).toHaveCount(0)
      await addComment(page, 'Scaled the consumers to 12')
      await expect(timeline(engineerPage)).not.toContainText('Scaled the consumers to 12')
      await engineerPage.reload()
      await expect(timeline(engineerPage)).toContainText('Scaled the consumers to 12')
      return
    }

    // Each sees the other, by name, and not themselves.
    await expect(viewingNow(page)).toHaveText(`Viewing now: ${engineer.name}`)
    await expect(viewingNow(engineerPage)).toHaveText(`Viewing now: ${admin.name}`)

    await addComment(page, 'Scaled the consumers to 12')
    await expect(timeline(engineerPage)).toContainText('Scaled the consumers to 12')
    expect(await documentKept(engineerPage), 'no reload').toBe(true)
    await expect(engineerComment).toHaveValue(draft)
    // The half-typed comment was started before the change: the form says so before it is sent.
    await expect(
      commentForm(engineerPage).getByText('This incident changed while you were editing'),
    ).toBeVisible()

    // A status change shows as well.
    await page
      .getByRole('form', { name: 'Start investigating', exact: true })
      .getByRole('button', { name: 'Start investigating', exact: true })
      .click()
    await expect(
      engineerPage.getByRole('region', { name: 'Status', exact: true }).locator('[data-status]'),
    ).toHaveText('Investigating')
    await expect(engineerComment).toHaveValue(draft)

    // The other leaves: nobody else is viewing.
    await engineerPage.goto('/incidents')
    await expect(viewingNow(page)).toHaveCount(0)
  })

  test('the incident list shows an incident declared in another browser', async ({
    page,
    newPage,
    jsEnabled,
    browserProblems,
  }, testInfo) => {
    const { engineerPage } = await adminInvitesEngineer(
      { page, newPage, jsEnabled, browserProblems },
      testInfo,
    )
    await open(engineerPage, '/incidents', jsEnabled)
    await markDocument(engineerPage)
    const title = `Disk pressure ${unique(testInfo, 'list')}`
    await declareIncident(page, jsEnabled, { title, severity: 'SEV-4' })
    const list = engineerPage.getByRole('table')
    if (jsEnabled) {
      await expect(list).toContainText(title)
      expect(await documentKept(engineerPage), 'no reload').toBe(true)
    } else {
      await expect(engineerPage.getByText(title)).toHaveCount(0)
      await engineerPage.reload()
      await expect(list).toContainText(title)
    }
  })
})
