import AxeBuilder from '@axe-core/playwright'
import { expect, test, type Page } from '@playwright/test'
import { NOT_CHECKED, PAGE_CHECKS, pageRoutes, type PageCheck } from './accessibility-pages'
import { seedOrganization, type Seed } from './accessibility-seed'

/**
 * Accessibility: every page of the list in accessibility-pages.ts, as its viewer sees it, with
 * JavaScript on and off, has no serious or critical axe-core violation (every rule axe runs by
 * default: WCAG 2.x A/AA and best practices).
 *
 * One organization is seeded once (accessibility-seed.ts) and each viewer keeps one browser
 * context, so this file runs in its own Playwright project (chromium-a11y) that checks both modes
 * itself instead of seeding twice, once per JavaScript project.
 *
 * JavaScript off, soundly: axe is a script, so it cannot run in a page whose context has
 * `javaScriptEnabled: false` (`analyze()` never answers there). Playwright implements that option
 * with Chromium's `Emulation.setScriptExecutionDisabled`; this pass sends the same command to the
 * page before it navigates, so the document is parsed, styled and laid out exactly as a browser
 * without JavaScript shows it: no hydration, no client-side validation or enhancement, and
 * `<noscript>` content parsed as markup. Once it has loaded, scripts are allowed again and axe is
 * injected into that same document. Nothing of the app runs then: the parser has already passed
 * its scripts by, and the test checks that Remix never started (`__remixContext` and
 * `__remixRouter` are absent). Unlike copying `page.content()` into another page, the
 * stylesheets, fonts, address and cookies are the real ones, so colour contrast and
 * `:target`/`:visited` styling are what a reader gets.
 *
 * JavaScript on: the page is checked once Remix has hydrated, and the route that rendered it must
 * be the one the list names (so an entry cannot silently check a redirect or another page).
 *
 * Some states exist only as the answer to a form (a refused sign-in, a queued test event): their
 * entries take that step on the page, with JavaScript on (an enhanced submission) and off (a
 * document POST), before axe looks.
 */

const SERIOUS = new Set(['serious', 'critical'])

test.describe.configure({ timeout: 60_000 })

test('the list names every page route of app/routes', async () => {
  const listed = new Set(PAGE_CHECKS.map((check) => check.route))
  const routes = await pageRoutes()
  const missing = routes.filter((route) => !listed.has(route) && !(route in NOT_CHECKED))
  expect(missing, 'page routes the accessibility pass does not open').toEqual([])
  const stale = [...listed, ...Object.keys(NOT_CHECKED)].filter((route) => !routes.includes(route))
  expect(stale, 'listed routes that are no page route of app/routes').toEqual([])
})

async function waitForHydration(page: Page) {
  await page.waitForFunction(() => '__remixRouter' in window, undefined, { timeout: 10_000 })
}

/**
 * Serious and critical violations, one line each: rule, what it asks, where. Legacy mode runs
 * `axe.run` in the page itself (frames included) rather than finishing the run in a second, blank
 * page: two to four times faster here, and the app has no cross-origin frames that would need the
 * other mode.
 */
async function seriousViolations(page: Page) {
  const results = await new AxeBuilder({ page })
    .setLegacyMode()
    .options({ resultTypes: ['violations'] })
    .analyze()
  return results.violations
    .filter((violation) => SERIOUS.has(violation.impact ?? ''))
    .map(
      (violation) =>
        `${violation.id} (${violation.impact}): ${violation.help} — ${violation.nodes
          .map((node) => node.target.join(' '))
          .join(', ')}`,
    )
}

/** Opens `url` with JavaScript and waits for Remix to hydrate; returns the route ids it matched. */
async function loadWithJavaScript(page: Page, url: string) {
  const response = await page.goto(url)
  await waitForHydration(page)
  const routeIds = await page.evaluate(() =>
    (
      window as unknown as { __remixRouter: { state: { matches: { route: { id: string } }[] } } }
    ).__remixRouter.state.matches.map((match) => match.route.id),
  )
  return { status: response?.status(), routeIds }
}

/**
 * Opens `url` as a browser without JavaScript renders it (and takes the `act` steps there, when
 * given), then lets scripts run again so that axe can be injected (see the header). Fails if
 * Remix started anyway.
 */
async function loadWithoutJavaScript(page: Page, url: string, act?: PageCheck['act']) {
  const cdp = await page.context().newCDPSession(page)
  try {
    await cdp.send('Emulation.setScriptExecutionDisabled', { value: true })
    const response = await page.goto(url)
    if (act) await act(page)
    await cdp.send('Emulation.setScriptExecutionDisabled', { value: false })
    const remixStarted = await page.evaluate(
      () => '__remixContext' in window || '__remixRouter' in window,
    )
    expect(remixStarted, 'Remix ran in the page rendered without JavaScript').toBe(false)
    return { status: response?.status() }
  } finally {
    await cdp.detach()
  }
}

test('the check reports what it is shown, with JavaScript on and off', async ({
  browser,
}, testInfo) => {
  const context = await browser.newContext({ baseURL: testInfo.project.use.baseURL })
  const page = await context.newPage()
  const imageAlt = [expect.stringMatching(/^image-alt \(critical\): .* — #main > img$/)]
  try {
    // With JavaScript: an image without a text alternative, added after hydration.
    await loadWithJavaScript(page, '/login')
    await page.evaluate(() => document.querySelector('main')!.append(new Image(24, 24)))
    expect(await seriousViolations(page)).toEqual(imageAlt)

    // Without: the same image in the markup the server sends.
    await page.route(
      (url) => url.pathname === '/login',
      async (route) => {
        const response = await route.fetch()
        const body = (await response.text()).replace('</main>', '<img src="/favicon.svg"></main>')
        await route.fulfill({ response, body })
      },
    )
    await loadWithoutJavaScript(page, '/login')
    expect(await seriousViolations(page)).toEqual(imageAlt)
  } finally {
    await context.close()
  }
})

test.describe('every page, JavaScript on and off', () => {
  let seed: Seed

  test.beforeAll(async ({ browser }, testInfo) => {
    testInfo.setTimeout(240_000)
    seed = await seedOrganization(browser, testInfo)
  })

  test.afterAll(async () => {
    for (const context of Object.values(seed?.contexts ?? {})) await context.close()
  })

  for (const check of PAGE_CHECKS) {
    test(`${check.viewer}: ${check.name} (${check.route}) has no serious or critical violation`, async () => {
      const page = await seed.contexts[check.viewer].newPage()
      const url = check.path(seed)
      /** The answer is the page asked for: its status, and no sign-in or other redirect. */
      const expectAnswer = (status: number | undefined) => {
        expect(status, `HTTP status of ${url}`).toBe(check.status ?? 200)
        expect(new URL(page.url()).pathname).toBe(new URL(url, page.url()).pathname)
      }
      try {
        const withJavaScript = await loadWithJavaScript(page, url)
        expectAnswer(withJavaScript.status)
        expect(withJavaScript.routeIds, 'route modules that rendered the page').toContain(
          `routes/${check.route}`,
        )
        if (check.act) await check.act(page)
        const on = await seriousViolations(page)
        expectAnswer((await loadWithoutJavaScript(page, url, check.act)).status)
        const off = await seriousViolations(page)
        expect({ 'JavaScript on': on, 'JavaScript off': off }, `axe on ${url}`).toEqual({
          'JavaScript on': [],
          'JavaScript off': [],
        })
      } finally {
        await page.close()
      }
    })
  }
})
