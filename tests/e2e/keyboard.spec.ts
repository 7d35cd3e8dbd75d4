import type { Locator, Page } from '@playwright/test'
import { newAccount, open, signUp, unique } from './access'
import { expect, test } from './fixtures'
import { STATUS_AFTER, TO_RESOLVED } from './incident-steps'

/**
 * Keyboard only: a person declares an incident, takes it to Resolved and comments on it with
 * Tab, Shift+Tab, Enter, Space and typing — no mouse, no `click()` — with JavaScript on and off.
 * Every element the keyboard lands on must show where the focus is (an outline that is drawn,
 * or a box shadow such as the form fields' focus ring).
 */

/** Tab stops to try in each direction before giving up: more than any page here has. */
const MAX_TAB_STOPS = 120

interface FocusState {
  /** What is focused, for messages: tag, then its label, name or text. */
  what: string
  visible: boolean
}

/** The focused element and whether its focus indicator is drawn; null when nothing is focused. */
async function focusState(page: Page): Promise<FocusState | null> {
  const focused = page.locator(':focus')
  if ((await focused.count()) === 0) return null
  return focused.evaluate((element) => {
    const style = getComputedStyle(element)
    const transparent = (color: string) =>
      color === 'transparent' || /^rgba\(.*,\s*0\)$/.test(color.replace(/\s+/g, ' '))
    const outline =
      style.outlineStyle !== 'none' &&
      parseFloat(style.outlineWidth) > 0 &&
      !transparent(style.outlineColor)
    const shadow = style.boxShadow !== 'none' && style.boxShadow !== ''
    const name =
      element.getAttribute('aria-label') ??
      (element as HTMLInputElement).labels?.[0]?.textContent ??
      element.textContent ??
      ''
    return {
      what: `${element.tagName.toLowerCase()} "${name.trim().slice(0, 60)}"`,
      visible: outline || shadow,
    }
  })
}

/**
 * Presses Tab (then, if `target` was not reached, Shift+Tab) one stop at a time until `target`
 * has the focus, checking at every stop that the focus can be seen.
 */
async function tabTo(page: Page, target: Locator) {
  for (const key of ['Tab', 'Shift+Tab']) {
    for (let stop = 0; stop < MAX_TAB_STOPS; stop++) {
      await page.keyboard.press(key)
      const state = await focusState(page)
      if (state === null) continue
      expect(state.visible, `focus indicator drawn on ${state.what}`).toBe(true)
      if (await target.evaluate((element) => element === document.activeElement)) return
    }
  }
  throw new Error(`${target} is not reachable with Tab or Shift+Tab`)
}

test.describe('keyboard only', () => {
  test('declare an incident, take it to Resolved and add a comment with the keyboard alone, the focus visible at every stop', async ({
    page,
    jsEnabled,
  }, testInfo) => {
    test.setTimeout(90_000)
    await signUp(page, newAccount(testInfo, 'keys'), jsEnabled)

    await open(page, '/incidents/new', jsEnabled)
    const main = page.getByRole('main')
    const title = `Login page times out ${unique(testInfo, 'kbd')}`
    await tabTo(page, main.getByLabel('Title', { exact: true }))
    await page.keyboard.type(title)
    const severity = main.getByLabel('Severity', { exact: true })
    await tabTo(page, severity)
    // A closed select moves to the next option starting with a typed letter: the empty choice,
    // then SEV-1, then SEV-2 (the same however long the pause between the two key presses).
    await page.keyboard.type('SS')
    await expect(severity).toHaveValue('SEV-2')
    await tabTo(page, main.getByRole('button', { name: 'Declare incident', exact: true }))
    await page.keyboard.press('Enter')
    await expect(page).toHaveURL(/\/incidents\/\d+$/)
    await expect(page.getByRole('heading', { level: 1 })).toContainText(title)

    // Each step with its own form; Space presses a button as well as Enter does.
    for (const [index, step] of TO_RESOLVED.entries()) {
      const button = page
        .getByRole('form', { name: step, exact: true })
        .getByRole('button', { name: step, exact: true })
      await tabTo(page, button)
      await page.keyboard.press(index % 2 === 0 ? 'Space' : 'Enter')
      await expect(page.getByRole('status')).toHaveText(
        `Done: Status is now ${STATUS_AFTER[step]}.`,
      )
    }
    await expect(
      main.getByRole('region', { name: 'Status', exact: true }).locator('[data-status]'),
    ).toHaveText('Resolved')

    const comment = 'Root cause: the session store ran out of connections.'
    const form = page.getByRole('form', { name: 'Add comment', exact: true })
    await tabTo(page, form.getByLabel('Comment', { exact: true }))
    await page.keyboard.type(comment)
    await tabTo(page, form.getByRole('button', { name: 'Add comment', exact: true }))
    await page.keyboard.press('Enter')
    await expect(page.getByRole('list', { name: 'Timeline, oldest first' })).toContainText(comment)
  })
})
