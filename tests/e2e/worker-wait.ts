import type { Locator, Page } from '@playwright/test'
import { markDocument, documentKept } from './access'
import { expect } from './fixtures'

/**
 * Waits on a page that shows a job of the worker (a report, a postmortem draft) until `done` is
 * visible, as a reader would: with JavaScript the page looks again by itself, in place (the same
 * document, never a timed reload); without it, the reader follows its "Check again" link.
 */
export async function waitForWorker(page: Page, done: Locator, jsEnabled: boolean) {
  if (jsEnabled) {
    await markDocument(page)
    await expect(done).toBeVisible({ timeout: 45_000 })
    expect(await documentKept(page), 'updated in place, not reloaded').toBe(true)
  } else {
    await expect(async () => {
      if (!(await done.isVisible()))
        await page.getByRole('link', { name: 'Check again', exact: true }).click()
      await expect(done).toBeVisible({ timeout: 1_000 })
    }).toPass({ timeout: 45_000, intervals: [500, 1_000] })
  }
  await expect(page.getByRole('link', { name: 'Check again', exact: true })).toHaveCount(0)
  await expect(page.locator('meta[http-equiv="refresh"]')).toHaveCount(0)
}
