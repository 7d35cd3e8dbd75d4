import { expect, expectHydrated, test } from './fixtures'

const STATUSES = ['Detected', 'Investigating', 'Mitigated', 'Resolved', 'Postmortem', 'Closed']
const SEVERITIES = ['SEV-1', 'SEV-2', 'SEV-3', 'SEV-4']

test.describe('application shell', () => {
  test('home page shows the product, the lifecycle in order and the severities', async ({
    page,
    jsEnabled,
  }) => {
    const response = await page.goto('/')
    expect(response?.status()).toBe(200)
    await expect(page).toHaveTitle('IncidentFlow')
    await expect(page.getByRole('link', { name: 'IncidentFlow' })).toHaveAttribute('href', '/')
    await expect(
      page.getByRole('heading', { level: 1, name: 'Incidents, handled in the open' }),
    ).toBeVisible()

    const lifecycle = page.getByRole('list', { name: 'Incident statuses in order' })
    await expect(lifecycle.locator('[data-status]')).toHaveText(STATUSES)
    const severities = page.getByRole('list', { name: 'Severities from highest to lowest' })
    await expect(severities.getByRole('listitem')).toHaveText(SEVERITIES)
    await expect(page.getByRole('contentinfo')).toContainText('every change recorded')

    if (jsEnabled) {
      await expectHydrated(page)
    } else {
      // Proves this project really runs without scripts: Remix never hydrated, yet the page above
      // was complete.
      expect(await page.evaluate(() => '__remixRouter' in window)).toBe(false)
    }
  })

  test('a skip link is the first stop and jumps to the main content', async ({ page }) => {
    await page.goto('/')
    const skip = page.getByRole('link', { name: 'Skip to content' })
    await expect(skip).toHaveAttribute('href', '#main')
    await expect(page.locator('main#main')).toHaveCount(1)

    await page.keyboard.press('Tab')
    await expect(skip).toBeFocused()
    // Visually hidden until focused, then shown.
    const box = await skip.boundingBox()
    expect(box?.width ?? 0).toBeGreaterThan(20)
    await page.keyboard.press('Enter')
    await expect(page).toHaveURL(/#main$/)
  })

  test('every <script> carries the nonce of its response, and nonces are fresh', async ({
    page,
  }) => {
    const first = await page.goto('/')
    const csp = first?.headers()['content-security-policy'] ?? ''
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1]
    expect(nonce, `no nonce in CSP: ${csp}`).toBeTruthy()
    expect(csp).toContain("'strict-dynamic'")
    expect(csp).not.toContain("'unsafe-inline' 'nonce")

    const html = (await first?.text()) ?? ''
    const scripts = html.match(/<script\b[^>]*>/g) ?? []
    expect(scripts.length).toBeGreaterThan(0)
    for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`)

    const second = await page.goto('/')
    const nonce2 = /'nonce-([^']+)'/.exec(second?.headers()['content-security-policy'] ?? '')?.[1]
    expect(nonce2).toBeTruthy()
    expect(nonce2).not.toBe(nonce)
  })

  test('an unknown address answers 404 inside the shell, with a way home', async ({
    page,
    jsEnabled,
    browserProblems,
  }) => {
    // Chromium logs the 404 document itself as a failed resource load; that one is expected.
    browserProblems.allowConsoleError(/status of 404/)
    const response = await page.goto('/no-such-page')
    expect(response?.status()).toBe(404)
    await expect(page.getByRole('heading', { level: 1, name: 'Page not found' })).toBeVisible()
    await expect(page.getByText('Error 404')).toBeVisible()
    const main = page.getByRole('main')
    await expect(main).toContainText('There is nothing at this address')
    // The router's developer message must not reach users.
    await expect(main).not.toContainText('No route matches')
    await expect(page.getByRole('banner').getByRole('link', { name: 'IncidentFlow' })).toBeVisible()
    await expect(page.getByRole('link', { name: 'Skip to content' })).toHaveAttribute(
      'href',
      '#main',
    )

    if (jsEnabled) {
      await expectHydrated(page)
      // A marker on window survives a client-side navigation but not a full document load.
      await page.evaluate(() => ((window as unknown as { __marker: number }).__marker = 42))
    }
    await page.getByRole('link', { name: 'Go to the home page' }).click()
    await expect(
      page.getByRole('heading', { level: 1, name: 'Incidents, handled in the open' }),
    ).toBeVisible()
    await expect(page).toHaveURL(/\/$/)
    const marker = await page.evaluate(
      () => (window as unknown as { __marker?: number }).__marker ?? null,
    )
    expect(marker).toBe(jsEnabled ? 42 : null)
  })

  test('the way home from the 404 page works even while route discovery is still loading', async ({
    page,
    jsEnabled,
    browserProblems,
  }) => {
    test.skip(!jsEnabled, 'client-side navigation only')
    browserProblems.allowConsoleError(/status of 404/)
    // Remix discovers routes lazily (/__manifest). Following a link before that answer arrived, from
    // the router's own "no match" state, once rendered the home page without its loader data (a
    // crash). Unknown addresses now match a splat route, so the router is in an ordinary state.
    await page.route(/\/__manifest\?/, async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 600))
      await route.fallback()
    })
    await page.goto('/no-such-page')
    await expectHydrated(page)
    await page.getByRole('link', { name: 'Go to the home page' }).click()
    await expect(
      page.getByRole('heading', { level: 1, name: 'Incidents, handled in the open' }),
    ).toBeVisible()
  })
})
