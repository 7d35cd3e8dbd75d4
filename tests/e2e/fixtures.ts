import { test as base, expect, type Page } from '@playwright/test'

/**
 * Shared fixtures for every end-to-end test:
 * - `jsEnabled`: whether this project runs with JavaScript (chromium-js) or without (chromium-nojs);
 * - `browserProblems`: console errors, uncaught page errors and Content-Security-Policy violations
 *   seen by `page`. It is automatic: a test fails when any of them happened, unless it empties the
 *   list itself after asserting on an expected problem.
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

export const test = base.extend<{ jsEnabled: boolean; browserProblems: BrowserProblems }>({
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
      await page.addInitScript(() => {
        window.__cspViolations = []
        document.addEventListener('securitypolicyviolation', (event) => {
          window.__cspViolations?.push(
            `${event.violatedDirective} blocked ${event.blockedURI || '(inline)'}`,
          )
        })
      })
      page.on('console', (message) => {
        if (message.type() === 'error') problems.consoleErrors.push(message.text())
      })
      page.on('pageerror', (error) => problems.pageErrors.push(error.message))

      await provide(problems)

      expect(problems.pageErrors, 'uncaught errors in the page').toEqual([])
      const unexpected = problems.consoleErrors.filter((text) => !allowed.some((p) => p.test(text)))
      expect(unexpected, 'console errors in the page').toEqual([])
      if (!page.isClosed() && page.url().startsWith('http')) {
        expect(await problems.cspViolations(), 'Content-Security-Policy violations').toEqual([])
      }
    },
    { auto: true },
  ],
})

export { expect }

/** Remix has hydrated: its client router exists only once entry.client ran. */
export async function expectHydrated(page: Page) {
  await page.waitForFunction(() => '__remixRouter' in window, undefined, { timeout: 10_000 })
}
