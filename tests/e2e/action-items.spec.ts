import type { Page } from '@playwright/test'
import { newAccount, open, signUp, unique } from './access'
import { expect, test } from './fixtures'
import { declareIncident, takeSteps, TO_POSTMORTEM } from './incident-steps'

/**
 * Postmortem action items through the pages, with JavaScript on and off: a refused item keeps
 * what was typed, a valid one is listed, the owner sees it on the home page, its status changes,
 * and the printable postmortem lists it and asks the worker for a PDF.
 */

async function incidentInPostmortem(page: Page, jsEnabled: boolean, title: string) {
  const number = await declareIncident(page, jsEnabled, { title, severity: 'SEV-3' })
  await takeSteps(page, TO_POSTMORTEM)
  return number
}

const isoDay = (offsetDays: number) =>
  new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10)

test.describe('postmortem action items', () => {
  test('are added, listed on the owner’s home page, changed and printed', async ({
    page,
    jsEnabled,
    browserProblems,
  }, testInfo) => {
    test.setTimeout(90_000)
    // A refused form is answered 400, which Chromium logs as a failed resource load.
    browserProblems.allowConsoleError(/status of 400/)
    const admin = newAccount(testInfo, 'items')
    await signUp(page, admin, jsEnabled)
    const title = `Search went stale ${unique(testInfo, 'ai')}`
    const number = await incidentInPostmortem(page, jsEnabled, title)

    await open(page, `/incidents/${number}/postmortem/action-items`, jsEnabled)
    await expect(page.getByRole('heading', { level: 1 })).toContainText(`INC-${number}`)
    const add = page.getByRole('form', { name: 'Add action item' })
    await add.getByLabel('Title', { exact: true }).fill('Alert on index lag')
    await add.getByLabel('Owner', { exact: true }).selectOption({ label: admin.name })
    await add.getByLabel('Priority', { exact: true }).selectOption('high')
    // A date in the past passes the browser's checks; the server refuses it and keeps the rest.
    await add.getByLabel('Due date', { exact: true }).fill('2020-01-01')
    await add.getByRole('button', { name: 'Add action item' }).click()
    await expect(add.getByText('Choose today or a later date.')).toBeVisible()
    await expect(add.getByLabel('Title', { exact: true })).toHaveValue('Alert on index lag')
    await expect(add.getByLabel('Priority', { exact: true })).toHaveValue('high')

    await add.getByLabel('Due date', { exact: true }).fill(isoDay(7))
    await add.getByRole('button', { name: 'Add action item' }).click()
    await expect(page.getByRole('status')).toHaveText('Done: Action item added.')
    const table = page.getByRole('table', { name: `Action items of the INC-${number} postmortem` })
    await expect(table.getByRole('row', { name: /Alert on index lag/ })).toContainText('High')
    await expect(table.getByRole('row', { name: /Alert on index lag/ })).toContainText('Open')

    // The owner's home page lists it, linking to the postmortem.
    await open(page, '/', jsEnabled)
    const mine = page.getByRole('list', { name: 'Your action items' })
    await expect(mine.getByRole('listitem')).toHaveCount(1)
    await expect(mine).toContainText('Alert on index lag')
    await expect(mine.getByRole('link', { name: `INC-${number} postmortem` })).toHaveAttribute(
      'href',
      `/incidents/${number}/postmortem`,
    )

    // Done: gone from the home page.
    await open(page, `/incidents/${number}/postmortem/action-items`, jsEnabled)
    const edit = page.getByRole('form', { name: 'Alert on index lag' })
    await edit.getByLabel('Status', { exact: true }).selectOption('done')
    await edit.getByRole('button', { name: 'Save action item' }).click()
    await expect(page.getByRole('status')).toHaveText('Done: Action item saved.')
    await expect(table.getByRole('row', { name: /Alert on index lag/ })).toContainText('Done')
    await open(page, '/', jsEnabled)
    await expect(page.getByText('No open action items.')).toBeVisible()

    // The printable postmortem: no navigation, the item listed; "Generate PDF" goes to the report.
    await open(page, `/incidents/${number}/postmortem/print`, jsEnabled)
    await expect(page.getByRole('navigation', { name: 'Main' })).toHaveCount(0)
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(`INC-${number} · ${title}`)
    await expect(
      page.getByRole('heading', { level: 2, name: 'Root cause and contributing factors' }),
    ).toBeVisible()
    await expect(
      page.getByRole('table', { name: `Action items of the INC-${number} postmortem` }),
    ).toContainText('Alert on index lag')
    await page.getByRole('button', { name: 'Generate PDF' }).click()
    await expect(page).toHaveURL(/\/reports\/[0-9a-f-]{36}$/)
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(
      `Postmortem PDF · INC-${number}`,
    )
  })
})
