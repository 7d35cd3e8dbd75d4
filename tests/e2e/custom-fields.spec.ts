import { newAccount, open, signUp, unique } from './access'
import { expect, test } from './fixtures'
import { declareIncident, takeStep } from './incident-steps'

/**
 * Custom fields through plain HTML forms: an admin defines a single-choice field required from
 * Mitigated on, incidents are declared with and without it, the step to Mitigated is refused until
 * the field is filled (in the step's own form), and the list filters by it and shows it as a
 * column — all kept in the URL.
 */

test.describe('custom fields', () => {
  test.setTimeout(90_000)

  test('an admin defines a field required from Mitigated; the step waits for it; the list filters by it', async ({
    page,
    jsEnabled,
    browserProblems,
  }, testInfo) => {
    test.skip(jsEnabled, 'one run, without JavaScript: every step is a plain form post')
    // The two refusals below answer 400, which Chromium reports on the console.
    browserProblems.allowConsoleError(/status of 400/)
    await signUp(page, newAccount(testInfo, 'fields'), jsEnabled)

    // Define the field; a choice field without options is refused first, and nothing is added.
    await open(page, '/admin/fields', jsEnabled)
    const add = page.getByRole('form', { name: 'Add field', exact: true })
    await add.getByLabel('Label', { exact: true }).fill('Customer impact')
    await add.getByLabel('Kind', { exact: true }).selectOption({ label: 'Single choice' })
    await add
      .getByLabel('Required from status', { exact: true })
      .selectOption({ label: 'Required from Mitigated on' })
    await add.getByRole('button', { name: 'Add field', exact: true }).click()
    await expect(add.getByText('List at least one option.')).toBeVisible()
    await expect(add.getByLabel('Label', { exact: true })).toHaveValue('Customer impact')
    await expect(page.getByText('No fields yet.')).toBeVisible()
    await add.getByLabel('Options', { exact: true }).fill('None\nSome customers\nAll customers')
    await add.getByRole('button', { name: 'Add field', exact: true }).click()
    await expect(page.getByRole('status')).toHaveText('Done: Added Customer impact.')
    const field = page.getByRole('article', { name: 'Customer impact' })
    await expect(field).toContainText('Single choice · key customer_impact')
    await expect(field).toContainText('Required from Mitigated on')

    // One incident declared with a value, one without.
    const tag = unique(testInfo, 'cf')
    await open(page, '/incidents/new', jsEnabled)
    const main = page.getByRole('main')
    await main.getByLabel('Title', { exact: true }).fill(`Everyone sees errors ${tag}`)
    await main.getByLabel('Severity', { exact: true }).selectOption('SEV-2')
    await main
      .getByLabel('Customer impact', { exact: true })
      .selectOption({ label: 'All customers' })
    await page.getByRole('button', { name: 'Declare incident', exact: true }).click()
    await expect(page).toHaveURL(/\/incidents\/\d+$/)
    const everyone = Number(/\/incidents\/(\d+)$/.exec(page.url())![1])
    await expect(page.getByRole('region', { name: 'Fields' })).toContainText('All customers')

    const some = await declareIncident(page, jsEnabled, {
      title: `Some checkouts fail ${tag}`,
      severity: 'SEV-3',
    })
    await expect(page.getByRole('region', { name: 'Fields' })).toContainText('Not set')
    await takeStep(page, 'Start investigating')

    // Mark mitigated is refused while the field is empty, with the error under the field.
    const mitigate = page.getByRole('form', { name: 'Mark mitigated', exact: true })
    const impact = mitigate.getByLabel('Customer impact (required)', { exact: true })
    await mitigate.getByRole('button', { name: 'Mark mitigated', exact: true }).click()
    await expect(
      mitigate.getByText('Fill in Customer impact: required from mitigated on.'),
    ).toBeVisible()
    await expect(impact).toHaveAttribute('aria-invalid', 'true')
    await expect(page.getByRole('region', { name: 'Status' })).toContainText('Investigating')

    // Filled in the step's own form, the step goes through and the change is on the timeline.
    await impact.selectOption({ label: 'Some customers' })
    await takeStep(page, 'Mark mitigated')
    await expect(page.getByRole('region', { name: 'Fields' })).toContainText('Some customers')
    await expect(page.getByRole('list', { name: 'Timeline, oldest first' })).toContainText(
      'set Customer impact to Some customers',
    )

    // The list: filter by the field and show it as a column, through the plain GET form.
    await open(page, `/incidents?status=all&q=${encodeURIComponent(tag)}`, jsEnabled)
    const filters = page.getByRole('form', { name: 'Filter incidents' })
    await filters.getByRole('combobox', { name: 'Customer impact', exact: true }).selectOption({
      label: 'Some customers',
    })
    await filters.getByRole('checkbox', { name: 'Customer impact', exact: true }).check()
    await filters.getByRole('button', { name: 'Filter', exact: true }).click()
    await expect(page).toHaveURL(/cf\.customer_impact=some_customers/)
    await expect(page).toHaveURL(/col=customer_impact/)
    const table = page.getByRole('table')
    await expect(table.getByRole('columnheader', { name: 'Customer impact' })).toBeVisible()
    await expect(table.getByRole('link', { name: `INC-${some}`, exact: true })).toBeVisible()
    await expect(table.getByRole('link', { name: `INC-${everyone}`, exact: true })).toHaveCount(0)
    await expect(table.getByRole('row').nth(1)).toContainText('Some customers')
    // The filter form keeps what the URL says.
    await expect(
      filters.getByRole('combobox', { name: 'Customer impact', exact: true }),
    ).toHaveValue('some_customers')
  })
})
