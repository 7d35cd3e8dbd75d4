import type { Locator, Page } from '@playwright/test'
import { adminInvitesEngineer, newAccount, open, settingsMenu, signUp, unique } from './access'
import { expect, test } from './fixtures'
import { declareIncident } from './incident-steps'

/**
 * The layout: the header's navigation on one line at a laptop's width, with the admin pages under
 * one "Settings" menu that works without JavaScript; the incident page as two columns on a wide
 * screen (timeline beside status) and one on a phone (status and next step first).
 */

const SETTINGS = [
  ['Members', '/admin/members'],
  ['Services', '/admin/services'],
  ['Custom fields', '/admin/fields'],
  ['Incident roles', '/admin/incident-roles'],
  ['Triage', '/admin/triage'],
  ['SLA', '/admin/sla'],
  ['Escalations', '/admin/escalations'],
  ['Postmortems', '/admin/postmortems'],
  ['Webhooks', '/admin/webhooks'],
  ['Failed deliveries', '/admin/deliveries'],
  ['Integrations', '/admin/integrations'],
  ['Status page', '/admin/status-page'],
  ['Audit', '/admin/audit'],
] as const

const nav = (page: Page) => page.getByRole('navigation', { name: 'Main' })

async function box(locator: Locator) {
  const rect = await locator.boundingBox()
  expect(rect, `${locator} has a box`).not.toBeNull()
  return rect!
}

/** The page's regions that the incident layout is about. */
function incidentParts(page: Page) {
  const main = page.getByRole('main')
  return {
    status: main.getByRole('region', { name: 'Status', exact: true }),
    nextStep: main.getByRole('region', { name: 'Next step', exact: true }),
    comment: main.getByRole('form', { name: 'Add comment', exact: true }),
    timeline: main.getByRole('region', { name: 'Timeline', exact: true }),
  }
}

test.describe('wide screen (1280 × 800)', () => {
  test.use({ viewport: { width: 1280, height: 800 } })

  test("an admin's header, every link and the Settings menu, is one line", async ({
    page,
    jsEnabled,
  }, testInfo) => {
    await signUp(page, newAccount(testInfo, 'header'), jsEnabled)
    const items = nav(page).locator(':scope > ul > li')
    await expect(items.first()).toHaveText('Incidents')
    await expect(items.last()).toBeVisible()
    expect(await items.count()).toBeGreaterThanOrEqual(6)
    await expect(settingsMenu(page)).toBeVisible()
    // The admin pages are not links of the bar itself any more.
    await expect(nav(page).getByRole('link', { name: 'Members', exact: true })).toBeHidden()

    const first = await box(items.first())
    const last = await box(items.last())
    expect(last.y, 'the last item is on the line of the first').toBe(first.y)
    // The product name and the signed-in part (Log out) share that line too.
    const middle = first.y + first.height / 2
    for (const other of [
      page.getByRole('banner').getByRole('link', { name: 'IncidentFlow' }),
      page.getByRole('banner').getByRole('button', { name: 'Log out' }),
    ]) {
      const rect = await box(other)
      expect(rect.y, `${other} starts above the middle of the nav line`).toBeLessThan(middle)
      expect(rect.y + rect.height, `${other} ends below it`).toBeGreaterThan(middle)
    }
  })

  test('the incident page puts the timeline, comment box on top, beside the status column', async ({
    page,
    jsEnabled,
  }, testInfo) => {
    await signUp(page, newAccount(testInfo, 'room'), jsEnabled)
    await declareIncident(page, jsEnabled, {
      title: `Queue backs up ${unique(testInfo, 'room')}`,
      severity: 'SEV-2',
    })
    const { status, nextStep, comment, timeline } = incidentParts(page)
    const side = await box(status)
    const steps = await box(nextStep)
    const form = await box(comment)
    const entries = await box(timeline)

    // Two columns: the timeline's column ends left of the side column, and they start side by
    // side (the comment box, at the top of the timeline's column, level with the status).
    expect(entries.x + entries.width).toBeLessThanOrEqual(side.x)
    expect(form.x + form.width).toBeLessThanOrEqual(side.x)
    expect(form.y).toBeLessThan(side.y + side.height)
    expect(side.y).toBeLessThan(form.y + form.height)
    // The comment box heads the timeline's column; the next step sits under the status.
    expect(form.x).toBe(entries.x)
    expect(form.y + form.height).toBeLessThanOrEqual(entries.y)
    expect(steps.x).toBe(side.x)
    expect(steps.y).toBeGreaterThanOrEqual(side.y + side.height)
  })
})

test.describe('phone (375 × 740)', () => {
  test.use({ viewport: { width: 375, height: 740 } })

  test('the incident page is one column: status, next step, comment box, timeline', async ({
    page,
    jsEnabled,
  }, testInfo) => {
    await signUp(page, newAccount(testInfo, 'stack'), jsEnabled)
    await declareIncident(page, jsEnabled, {
      title: `Queue backs up ${unique(testInfo, 'stack')}`,
      severity: 'SEV-2',
    })
    const order = Object.values(incidentParts(page))
    let previous = await box(order[0]!)
    for (const part of order.slice(1)) {
      const rect = await box(part)
      expect(rect.x, `${part} starts where the one above starts`).toBe(previous.x)
      expect(rect.y, `${part} is below the one before`).toBeGreaterThanOrEqual(
        previous.y + previous.height,
      )
      previous = rect
    }
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    )
    expect(overflow).toBeLessThanOrEqual(0)
  })
})

test.describe('the Settings menu and page', () => {
  test('the menu opens (with or without JavaScript) and reaches every settings page; /settings lists them all', async ({
    page,
    jsEnabled,
  }, testInfo) => {
    test.setTimeout(60_000)
    await signUp(page, newAccount(testInfo, 'settings'), jsEnabled)
    const menu = settingsMenu(page)
    const menuLink = (name: string) => nav(page).getByRole('link', { name, exact: true })

    for (const [name, path] of SETTINGS) {
      await expect(menuLink(name)).toBeHidden()
      await menu.click()
      await expect(menuLink(name)).toBeVisible()
      await menuLink(name).click()
      await expect(page).toHaveURL(new RegExp(`${path}$`))
      await expect(page.getByRole('heading', { level: 1 })).toBeVisible()
      await expect(page.getByRole('heading', { level: 1, name: 'Not allowed' })).toHaveCount(0)
      // A new document (without JavaScript) or the navigation (with it) closes the menu again.
      await expect(menuLink(name)).toBeHidden()
    }

    await menu.click()
    await menuLink('All settings').click()
    await expect(page).toHaveURL(/\/settings$/)
    await expect(page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible()
    const listed = page.getByRole('list', { name: 'Settings pages' }).getByRole('listitem')
    await expect(listed).toHaveCount(SETTINGS.length)
    for (const [index, [name, path]] of SETTINGS.entries()) {
      const link = listed.nth(index).getByRole('link', { name, exact: true })
      await expect(link).toHaveAttribute('href', path)
      // Each with its line of description.
      expect((await listed.nth(index).innerText()).length).toBeGreaterThan(name.length + 10)
    }
    await listed.getByRole('link', { name: 'Audit', exact: true }).click()
    await expect(page.getByRole('heading', { level: 1, name: 'Audit verification' })).toBeVisible()
  })

  test('with JavaScript the menu closes on Escape, giving the focus back, and on a click outside', async ({
    page,
    jsEnabled,
  }, testInfo) => {
    test.skip(!jsEnabled, 'Escape and outside clicks are handled by script')
    await signUp(page, newAccount(testInfo, 'escape'), jsEnabled)
    const menu = settingsMenu(page)
    const members = nav(page).getByRole('link', { name: 'Members', exact: true })

    await menu.click()
    await expect(members).toBeVisible()
    await members.focus()
    await page.keyboard.press('Escape')
    await expect(members).toBeHidden()
    await expect(menu).toBeFocused()

    // Enter on the focused summary opens it again, as a button would.
    await page.keyboard.press('Enter')
    await expect(members).toBeVisible()
    // A click on the page beside the open menu (its top left corner, which the menu never covers).
    await page.getByRole('main').click({ position: { x: 4, y: 4 } })
    await expect(members).toBeHidden()
  })

  test('a responder sees no Settings menu and is refused /settings; signed out it asks to log in', async ({
    page,
    newPage,
    jsEnabled,
    browserProblems,
  }, testInfo) => {
    const { engineerPage } = await adminInvitesEngineer(
      { page, newPage, jsEnabled, browserProblems },
      testInfo,
    )
    browserProblems.allowConsoleError(/status of 403/)
    await expect(settingsMenu(page)).toBeVisible()
    await expect(
      nav(engineerPage).getByRole('link', { name: 'Incidents', exact: true }),
    ).toBeVisible()
    await expect(settingsMenu(engineerPage)).toHaveCount(0)

    const refused = await engineerPage.goto('/settings')
    expect(refused?.status()).toBe(403)
    await expect(engineerPage.getByRole('heading', { level: 1, name: 'Not allowed' })).toBeVisible()
    await expect(engineerPage.getByRole('main').getByRole('link', { name: 'Members' })).toHaveCount(
      0,
    )

    await open(page, '/', jsEnabled)
    const visitor = await newPage()
    await visitor.goto('/settings')
    await expect(visitor).toHaveURL(/\/login\?redirectTo=%2Fsettings$/)
  })
})
