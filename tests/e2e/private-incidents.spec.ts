import { adminInvitesEngineer, open } from './access'
import { expect, test } from './fixtures'

/**
 * A private incident as two people of one organization meet it, without JavaScript (the plain
 * form posts are the acceptance case; integration tests cover every refusal): the admin declares
 * it private, an engineer with no part in it gets "not found" and does not find it in the list;
 * once added as a viewer, the engineer sees it, marked Private.
 */

const INCIDENT_URL = /\/incidents\/(\d+)$/

test.describe('private incidents', () => {
  test('declared private, hidden from a non-participant until they are added as a viewer', async ({
    page,
    newPage,
    jsEnabled,
    browserProblems,
  }, testInfo) => {
    test.skip(jsEnabled, 'one pass without JavaScript: every step is a plain form post')
    // Two people, an invitation and a dozen pages: more than the default 30 s on a loaded machine.
    test.setTimeout(90_000)
    const { engineer, engineerPage } = await adminInvitesEngineer(
      { page, newPage, jsEnabled, browserProblems },
      testInfo,
    )
    const title = `Payroll file exposed ${testInfo.workerIndex}-${Date.now().toString(36)}`

    // The admin declares it private.
    await open(page, '/incidents/new', jsEnabled)
    const form = page.getByRole('main')
    await form.getByLabel('Title', { exact: true }).fill(title)
    await form.getByLabel('Severity', { exact: true }).selectOption('SEV-2')
    await form.getByLabel('Private incident', { exact: true }).check()
    await page.getByRole('button', { name: 'Declare incident' }).click()
    await expect(page).toHaveURL(INCIDENT_URL)
    const number = Number(INCIDENT_URL.exec(page.url())![1])
    await expect(page.getByRole('heading', { level: 1 })).toContainText(title)
    await expect(page.getByRole('heading', { level: 1 })).toContainText('Private')
    const visibility = page.getByRole('region', { name: 'Visibility' })
    await expect(visibility).toContainText('No viewers added.')

    // The engineer has no part in it: not in the list, and "not found" at its address.
    await open(engineerPage, '/incidents?status=all', jsEnabled)
    await expect(engineerPage.getByRole('main')).not.toContainText(title)
    browserProblems.allowConsoleError(/status of 404/)
    const hidden = await open(engineerPage, `/incidents/${number}`, jsEnabled)
    expect(hidden?.status()).toBe(404)
    await expect(engineerPage.getByRole('main')).not.toContainText(title)
    const timeline = await engineerPage.request.get(`/incidents/${number}/timeline.json`)
    expect(timeline.status()).toBe(404)

    // The admin adds the engineer as a viewer.
    const adding = visibility.getByRole('form', { name: 'Add viewer' })
    await adding.getByLabel('Viewer', { exact: true }).selectOption({ label: engineer.name })
    await adding.getByRole('button', { name: 'Add viewer' }).click()
    await expect(page.getByRole('status')).toHaveText('Done: Viewer added.')
    await expect(page.getByRole('region', { name: 'Visibility' })).toContainText(engineer.name)
    await expect(
      page.getByRole('list', { name: 'Timeline, oldest first' }).getByRole('listitem').last(),
    ).toContainText(`added ${engineer.name} as a viewer`)

    // Now the engineer sees it, in the list and on its page, marked Private.
    await open(engineerPage, '/incidents?status=all', jsEnabled)
    const row = engineerPage.getByRole('row').filter({ hasText: title })
    await expect(row).toContainText('Private')
    await row.getByRole('link', { name: `INC-${number}` }).click()
    await expect(engineerPage).toHaveURL(new RegExp(`/incidents/${number}$`))
    await expect(engineerPage.getByRole('heading', { level: 1 })).toContainText(title)
    // A viewer who is an engineer may not change who sees it.
    await expect(
      engineerPage.getByRole('region', { name: 'Visibility' }).getByRole('button', {
        name: 'Make public',
      }),
    ).toHaveCount(0)
  })
})
