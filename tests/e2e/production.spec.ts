import { expect, test } from './fixtures'

/**
 * The end-to-end server runs the production build (NODE_ENV=production) with one deliberate
 * exception: DEV_OUTBOX=true, so tests can read the invitation e-mails the worker writes. That the
 * outbox is a 404 (and absent from the navigation) in production WITHOUT that opt-in is proven on
 * the loaders themselves, in app/routes/dev.outbox.test.ts.
 */
test.describe('production build', () => {
  test('pages come from the production bundle, without the development runtime', async ({
    request,
  }) => {
    const html = await (await request.get('/')).text()
    expect(html).toMatch(/\/build\/entry\.client-[A-Z0-9]+\.js/)
    // The development build imports its live-reload (HMR) runtime on every page.
    expect(html).not.toContain('__remix_entry_dev')
  })

  test('the outbox is served only through the DEV_OUTBOX opt-in, and says so', async ({ page }) => {
    await page.goto('/')
    const outbox = page.getByRole('navigation', { name: 'Main' }).getByRole('link', {
      name: 'Outbox',
    })
    await expect(outbox).toHaveAttribute('href', '/dev/outbox')
    await outbox.click()
    await expect(page.getByRole('heading', { level: 1, name: 'Outbox' })).toBeVisible()
    await expect(page.getByRole('main')).toContainText('Available outside production only.')
    await expect(page.getByRole('main')).toContainText('RESEND_API_KEY is unset')
  })
})
