import { expect, test } from './fixtures'

test.describe('print', () => {
  test('printing hides the header and footer and keeps the content', async ({ page }) => {
    await page.goto('/')
    const banner = page.getByRole('banner')
    const footer = page.getByRole('contentinfo')
    const noPrint = page.locator('[data-no-print]')
    const heading = page.getByRole('heading', { level: 1, name: 'Incidents, handled in the open' })

    // On screen the chrome is there (so the print assertions below mean something).
    await expect(banner).toBeVisible()
    await expect(footer).toBeVisible()
    expect(await noPrint.count()).toBeGreaterThanOrEqual(2)

    await page.emulateMedia({ media: 'print' })
    await expect(banner).toBeHidden()
    await expect(footer).toBeHidden()
    for (const element of await noPrint.all()) await expect(element).toBeHidden()
    await expect(heading).toBeVisible()
    await expect(page.locator('[data-status]')).toHaveCount(6)
    await expect(page.locator('[data-status]').first()).toBeVisible()

    await page.emulateMedia({ media: 'screen' })
    await expect(banner).toBeVisible()
  })
})
