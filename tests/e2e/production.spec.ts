import { expect, test } from './fixtures'

test.describe('production build', () => {
  test('the development outbox does not exist in production', async ({ request }) => {
    // E-mails can carry sign-in links: the page must be unreachable in production.
    const response = await request.get('/dev/outbox')
    expect(response.status()).toBe(404)
    expect(await response.text()).not.toContain('Outbox')
  })

  test('the navigation offers no development tools', async ({ page }) => {
    await page.goto('/')
    await expect(
      page.getByRole('heading', { level: 1, name: 'Incidents, handled in the open' }),
    ).toBeVisible()
    await expect(page.getByRole('link', { name: 'Outbox' })).toHaveCount(0)
  })
})
