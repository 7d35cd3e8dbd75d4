import { logOut, newAccount, signUp } from './access'
import { expect, test } from './fixtures'

/** Horizontal overflow: the document is wider than the viewport, so the phone scrolls sideways. */
const overflow = () => document.documentElement.scrollWidth - document.documentElement.clientWidth

test.describe('phone viewport', () => {
  test.use({ viewport: { width: 375, height: 740 } })

  for (const [name, url] of [
    ['home page', '/'],
    ['not-found page', '/no-such-page'],
  ] as const) {
    test(`the ${name} fits a 375 px wide screen`, async ({ page, browserProblems }) => {
      browserProblems.allowConsoleError(/status of 404/)
      await page.goto(url)
      await expect(page.getByRole('heading', { level: 1 })).toBeVisible()
      expect(await page.evaluate(overflow)).toBeLessThanOrEqual(0)

      for (const box of await page.locator('[data-status], [data-severity], h1').all()) {
        const rect = await box.boundingBox()
        if (rect) expect(rect.x + rect.width).toBeLessThanOrEqual(375)
      }

      // The measurement does detect overflow: a deliberately wide element makes it positive.
      await page.evaluate(() => {
        const wide = document.createElement('div')
        wide.style.width = '600px'
        wide.style.height = '1px'
        document.getElementById('main')?.append(wide)
      })
      expect(await page.evaluate(overflow)).toBeGreaterThan(0)
    })
  }

  test('the members, sign-up and log-in pages fit a 375 px wide screen', async ({
    page,
    jsEnabled,
  }, testInfo) => {
    const account = newAccount(testInfo, 'phone')
    await signUp(page, account, jsEnabled)
    // The members table scrolls inside its own box; nothing in it may widen the page (its
    // visually hidden labels once did).
    await page.goto('/admin/members')
    await expect(page.getByRole('row', { name: account.name })).toBeVisible()
    expect(await page.evaluate(overflow)).toBeLessThanOrEqual(0)
    await logOut(page)
    expect(await page.evaluate(overflow)).toBeLessThanOrEqual(0)
    await page.goto('/signup')
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible()
    expect(await page.evaluate(overflow)).toBeLessThanOrEqual(0)
  })
})
