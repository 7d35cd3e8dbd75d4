import { test as base, expect, type BrowserContext, type Page } from '@playwright/test'

/**
 * Shared fixtures for every end-to-end test:
 * - `jsEnabled`: whether this project runs with JavaScript (chromium-js) or without (chromium-nojs);
 * - `browserProblems`: console errors, uncaught page errors and Content-Security-Policy violations
 *   seen by `page` (and by pages from `newPage`). It is automatic: a test fails when any of them
 *   happened, unless it empties the list itself after asserting on an expected problem.
 * - `newPage`: opens a page for a second person (a fresh browser context, same project options).
 */

export interface BrowserProblems {
  consoleErrors: string[]
  pageErrors: string[]
  /** Expected console errors (e.g. Chromium's "Failed to load resource" line for a real 404). */
  allowConsoleError: (pattern: RegExp) => void
  /** Read from the page: violations reported by `securitypolicyviolation` events. */
  cspViolations: (page?: Page) => Promise<string[]>
}

declare global {
  interface Window {
    __cspViolations?: string[]
  }
}

/**
 * Remix's single fetch logs the abort reason when a person's navigation interrupts a data reload
 * whose answer it is still decoding (a live page's reload, say, when a form is submitted); the
 * router then drops that reload, as it should, and the person's navigation goes on. Not a fault of
 * the page, so not counted: only that abort, raised where a navigation starts.
 */
const INTERRUPTED_RELOAD =
  /^AbortError: signal is aborted without reason\n\s+at \S+ \(.*\)\n\s+at \S+ \[as navigate\]/

/** Records console errors, uncaught page errors and CSP violations of `page` into `problems`. */
async function watchPage(
  page: Page,
  problems: Pick<BrowserProblems, 'consoleErrors' | 'pageErrors'>,
  label = '',
) {
  await page.addInitScript(() => {
    window.__cspViolations = []
    document.addEventListener('securitypolicyviolation', (event) => {
      window.__cspViolations?.push(
        `${event.violatedDirective} blocked ${event.blockedURI || '(inline)'}`,
      )
    })
  })
  page.on('console', (message) => {
    if (message.type() === 'error' && !INTERRUPTED_RELOAD.test(message.text()))
      problems.consoleErrors.push(label + message.text())
  })
  page.on('pageerror', (error) => problems.pageErrors.push(label + error.message))
}

async function expectNoCspViolations(problems: BrowserProblems, page: Page) {
  if (!page.isClosed() && page.url().startsWith('http')) {
    expect(await problems.cspViolations(page), 'Content-Security-Policy violations').toEqual([])
  }
}

export const test = base.extend<{
  jsEnabled: boolean
  browserProblems: BrowserProblems
  /**
   * A page in a fresh browser context (no cookies: another person), with this project's options
   * (base URL, JavaScript on/off) and the same problem checks as `page`. Closed after the test.
   */
  newPage: () => Promise<Page>
}>({
  jsEnabled: async ({ javaScriptEnabled }, provide) => {
    await provide(javaScriptEnabled !== false)
  },
  browserProblems: [
    async ({ page }, provide) => {
      const allowed: RegExp[] = []
      const problems: BrowserProblems = {
        consoleErrors: [],
        pageErrors: [],
        allowConsoleError: (pattern) => allowed.push(pattern),
        cspViolations: async (target = page) =>
          target.evaluate(() => [...(window.__cspViolations ?? [])]),
      }
      await watchPage(page, problems)

      await provide(problems)

      expect(problems.pageErrors, 'uncaught errors in the page').toEqual([])
      const unexpected = problems.consoleErrors.filter((text) => !allowed.some((p) => p.test(text)))
      expect(unexpected, 'console errors in the page').toEqual([])
      await expectNoCspViolations(problems, page)
    },
    { auto: true },
  ],
  newPage: async ({ browser, browserProblems }, provide) => {
    const contexts: BrowserContext[] = []
    await provide(async () => {
      // Inside a test, browser.newContext() applies the project's `use` options.
      const context = await browser.newContext()
      contexts.push(context)
      const page = await context.newPage()
      // Its console and page errors join `browserProblems`, which checks them after the test.
      await watchPage(page, browserProblems, `[page ${contexts.length + 1}] `)
      return page
    })
    for (const context of contexts) {
      for (const page of context.pages()) await expectNoCspViolations(browserProblems, page)
      await context.close()
    }
  },
})

export { expect }

/** Remix has hydrated: its client router exists only once entry.client ran. */
export async function expectHydrated(page: Page) {
  await page.waitForFunction(() => '__remixRouter' in window, undefined, { timeout: 10_000 })
}
