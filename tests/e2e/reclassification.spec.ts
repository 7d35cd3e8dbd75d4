import { newAccount, open, signUp } from './access'
import { expect, test } from './fixtures'
import { declareIncident } from './incident-steps'

/**
 * Reclassification and incident roles as an admin meets them, without JavaScript (plain form
 * posts; integration tests cover every refusal): an incident marked a duplicate of another shows
 * the link on both, leaves the open list and can be undone; the Communications lead is assigned
 * on the incident page and the timeline says so.
 */

test.describe('reclassification and incident roles', () => {
  test('marks a duplicate, shows the link both ways, and assigns a Communications lead', async ({
    page,
    jsEnabled,
  }, testInfo) => {
    test.skip(jsEnabled, 'one pass without JavaScript: every step is a plain form post')
    // Some twenty page loads: 22 s on a quiet machine, so the default 30 s is too tight under load.
    test.setTimeout(90_000)
    const admin = newAccount(testInfo, 'admin')
    await signUp(page, admin, jsEnabled)
    const tag = `${testInfo.workerIndex}-${Date.now().toString(36)}`
    const original = await declareIncident(page, jsEnabled, {
      title: `Checkout down ${tag}`,
      severity: 'SEV-2',
    })
    const duplicate = await declareIncident(page, jsEnabled, {
      title: `Payments failing ${tag}`,
      severity: 'SEV-2',
    })
    const timeline = page.getByRole('list', { name: 'Timeline, oldest first' })

    const reclassify = page.getByRole('form', { name: 'Reclassify' })
    await reclassify.getByLabel('Duplicate of', { exact: true }).check()
    await reclassify.getByLabel('Incident number', { exact: true }).fill(`INC-${original}`)
    await reclassify.getByLabel('Reason', { exact: true }).fill('Reported twice')
    await reclassify.getByRole('button', { name: 'Reclassify' }).click()
    await expect(page.getByRole('status')).toHaveText(
      `Done: Reclassified: Duplicate of INC-${original}.`,
    )
    await expect(page.getByRole('heading', { name: `Duplicate of INC-${original}` })).toBeVisible()
    await expect(timeline.getByRole('listitem').last()).toContainText(
      `reclassified the incident: duplicate of INC-${original}`,
    )
    // Frozen: no next step is offered.
    await expect(page.getByRole('form', { name: 'Start investigating' })).toHaveCount(0)

    // The link, from the other end.
    await page.getByRole('region', { name: 'Linked incidents' }).getByRole('link').first().click()
    await expect(page).toHaveURL(new RegExp(`/incidents/${original}$`))
    await expect(page.getByRole('region', { name: 'Linked incidents' })).toContainText(
      `INC-${duplicate} is a duplicate of this incident`,
    )
    await expect(timeline.getByRole('listitem').last()).toContainText(
      `recorded that INC-${duplicate} was a duplicate of this incident`,
    )

    // The open list shows the original only.
    await open(page, '/incidents', jsEnabled)
    await expect(page.getByRole('main')).toContainText(`Checkout down ${tag}`)
    await expect(page.getByRole('main')).not.toContainText(`Payments failing ${tag}`)

    // The Communications lead, on the original.
    await open(page, `/incidents/${original}`, jsEnabled)
    const roles = page.getByRole('form', { name: 'Incident roles' })
    await roles
      .getByLabel('Communications lead', { exact: true })
      .selectOption({ label: admin.name })
    await roles.getByRole('button', { name: 'Save roles' }).click()
    await expect(page.getByRole('status')).toHaveText('Done: Roles saved.')
    await expect(
      page.getByRole('form', { name: 'Incident roles' }).getByLabel('Communications lead', {
        exact: true,
      }),
    ).toHaveValue(/.+/)
    await expect(timeline.getByRole('listitem').last()).toContainText(
      `made ${admin.name} Communications lead`,
    )

    // Undone, the duplicate is an incident again and its link is gone from both.
    await open(page, `/incidents/${duplicate}`, jsEnabled)
    const undo = page.getByRole('form', { name: 'Undo reclassification' })
    await undo.getByLabel('Reason', { exact: true }).fill('Different cause after all')
    await undo.getByRole('button', { name: 'Undo reclassification' }).click()
    await expect(page.getByRole('status')).toHaveText(
      'Done: Reclassification undone: this is an incident again.',
    )
    await expect(page.getByRole('form', { name: 'Start investigating' })).toBeVisible()
    await open(page, `/incidents/${original}`, jsEnabled)
    await expect(page.getByRole('main')).not.toContainText(
      `INC-${duplicate} is a duplicate of this incident`,
    )
  })
})
