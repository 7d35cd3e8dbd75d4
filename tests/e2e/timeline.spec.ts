import type { Page } from '@playwright/test'
import { newAccount, open, signUp, unique } from './access'
import { expect, test } from './fixtures'
import { declareIncident } from './incident-steps'

/**
 * A long incident timeline: the page shows the newest 100 entries, "Show older entries" is a
 * plain link that works with and without JavaScript, the full timeline is one link away, and a
 * comment's correction form opens for the comment asked for.
 */

const COMMENTS = 104

const timelineItems = (page: Page) =>
  page.getByRole('list', { name: 'Timeline, oldest first' }).getByRole('listitem')
const entry = (page: Page, seq: number) => page.locator(`li#event-${seq}`)

/** Comments through the page's own form posts (as a browser without JavaScript sends them). */
async function postComments(page: Page, number: number, count: number, origin: string) {
  // The declaration is the first entry; each comment moves the version on by one.
  for (let i = 1; i <= count; i++) {
    const response = await page.request.post(`/incidents/${number}`, {
      form: {
        intent: 'comment',
        body: `Comment ${i}: checked **shard ${i}**.`,
        version: String(i),
      },
      headers: { Origin: origin },
      maxRedirects: 0,
    })
    expect(response.status(), `comment ${i}`).toBe(302)
  }
}

test.describe('a long incident timeline', () => {
  test.setTimeout(120_000)

  test('shows the newest 100 entries, older ones behind a plain link, and every entry in the full view', async ({
    page,
    jsEnabled,
  }, testInfo) => {
    await signUp(page, newAccount(testInfo, 'timeline'), jsEnabled)
    const number = await declareIncident(page, jsEnabled, {
      title: `Checkout retries ${unique(testInfo, 'long')}`,
      severity: 'SEV-3',
    })
    await postComments(page, number, COMMENTS, testInfo.project.use.baseURL!)
    const total = COMMENTS + 1

    await open(page, `/incidents/${number}`, jsEnabled)
    await expect(timelineItems(page)).toHaveCount(100)
    await expect(timelineItems(page).first()).toContainText('Comment 5: checked shard 5.')
    await expect(timelineItems(page).last()).toContainText(`Comment ${COMMENTS}:`)
    await expect(page.getByRole('link', { name: 'Show newer entries' })).toHaveCount(0)

    await page.getByRole('link', { name: 'Show older entries', exact: true }).click()
    await expect(page).toHaveURL(new RegExp(`/incidents/${number}\\?before=6#timeline$`))
    await expect(timelineItems(page)).toHaveCount(5)
    await expect(timelineItems(page).first()).toContainText('declared the incident as SEV-3')
    await expect(page.getByRole('link', { name: 'Show older entries' })).toHaveCount(0)

    await page.getByRole('link', { name: 'Show newer entries', exact: true }).click()
    await expect(page).toHaveURL(new RegExp(`\\?after=5#timeline$`))
    await expect(timelineItems(page)).toHaveCount(100)
    await expect(timelineItems(page).first()).toContainText('Comment 5:')

    await page.getByRole('link', { name: `Show all ${total} entries`, exact: true }).click()
    await expect(page).toHaveURL(new RegExp(`\\?timeline=all#timeline$`))
    await expect(timelineItems(page)).toHaveCount(total)
    await page.getByRole('link', { name: 'Show the newest entries only', exact: true }).click()
    await expect(timelineItems(page)).toHaveCount(100)
  })

  test('corrects an older comment through its own form', async ({ page, jsEnabled }, testInfo) => {
    await signUp(page, newAccount(testInfo, 'correct'), jsEnabled)
    const number = await declareIncident(page, jsEnabled, {
      title: `Queue backlog ${unique(testInfo, 'corr')}`,
      severity: 'SEV-3',
    })
    await postComments(page, number, 3, testInfo.project.use.baseURL!)

    await open(page, `/incidents/${number}`, jsEnabled)
    // No comment carries a form until one is asked for.
    await expect(page.getByRole('form', { name: /^Correct comment/ })).toHaveCount(0)
    await entry(page, 3).getByRole('link', { name: 'Correct this comment' }).click()
    const form = page.getByRole('form', { name: 'Correct comment #3' })
    await expect(form).toBeVisible()
    await expect(page.getByRole('form', { name: /^Correct comment/ })).toHaveCount(1)
    await form.getByLabel('Corrected comment', { exact: true }).fill('Comment 2: shard 2 is fine.')
    await form.getByRole('button', { name: 'Save correction' }).click()

    await expect(page.getByRole('status')).toHaveText('Done: Comment corrected.')
    await expect(entry(page, 3)).toContainText('Corrected in #5')
    await expect(entry(page, 5)).toContainText('corrected the comment #3')
    await expect(entry(page, 5)).toContainText('Comment 2: shard 2 is fine.')
  })

  test('sends a link to an entry older than the page to the page that shows it', async ({
    page,
    jsEnabled,
  }, testInfo) => {
    test.skip(!jsEnabled, 'finding the page of a #event-<seq> link needs JavaScript')
    await signUp(page, newAccount(testInfo, 'anchor'), jsEnabled)
    const number = await declareIncident(page, jsEnabled, {
      title: `Cache stampede ${unique(testInfo, 'anchor')}`,
      severity: 'SEV-3',
    })
    await postComments(page, number, COMMENTS, testInfo.project.use.baseURL!)

    // Arriving from another page (from the same page, only the fragment would change).
    await open(page, '/incidents', jsEnabled)
    await page.goto(`/incidents/${number}#event-3`)
    await expect(page).toHaveURL(new RegExp(`/incidents/${number}\\?before=4#event-3$`))
    await expect(entry(page, 3)).toContainText('Comment 2: checked shard 2.')
    await expect(entry(page, 3)).toBeInViewport()
  })
})
