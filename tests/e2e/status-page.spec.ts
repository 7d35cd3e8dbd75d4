import { newAccount, openSettingsPage, signUp, uniqueEmail } from './access'
import { expect, test } from './fixtures'
import { declareIncident } from './incident-steps'

/**
 * The public status page end to end, with JavaScript off (it is plain HTML without a script of
 * its own; the admin and incident forms are covered with JavaScript by their integration tests):
 * an admin adds a component and publishes the page, the incident's commander posts a public
 * update, a signed-out visitor reads it (and nothing internal) and subscribes, and the
 * confirmation e-mail's link confirms the subscription.
 */

test.describe('Public status page', () => {
  test('publish, post an update, read it signed out, subscribe and confirm', async ({
    page,
    newPage,
    jsEnabled,
  }, testInfo) => {
    test.skip(
      jsEnabled,
      'The status page and its forms work without JavaScript; run once, without.',
    )
    const admin = newAccount(testInfo, 'status')
    await signUp(page, admin, jsEnabled)

    await openSettingsPage(page, 'Status page')
    await expect(page.getByRole('heading', { level: 1, name: 'Status page' })).toBeVisible()
    const components = page.getByRole('form', { name: 'Add component' })
    await components.getByLabel('Component name').fill('Checkout API')
    await components.getByLabel('Description').fill('Payments and orders')
    await components.getByRole('button', { name: 'Add component' }).click()
    await expect(page.getByRole('status')).toHaveText('Done: Added Checkout API.')

    const settings = page.getByRole('form', { name: 'Page' })
    await settings.getByLabel('Publish the status page').check()
    await settings.getByLabel('Page title').fill('Acme Checkout status')
    await settings.getByRole('button', { name: 'Save page settings' }).click()
    await expect(page.getByRole('status')).toHaveText('Done: Status page published.')
    const publicPath = await page.getByRole('link', { name: /^\/status\// }).textContent()
    expect(publicPath).toMatch(/^\/status\/[a-z0-9-]+$/)

    // The admin declares, so commands the incident, and posts its first public update.
    await declareIncident(page, jsEnabled, {
      title: 'db-7 primary out of memory after deploy 4411',
      severity: 'SEV-2',
      summary: 'Internal: the pool leaks connections.',
    })
    await page.getByRole('link', { name: 'Public updates', exact: true }).click()
    await expect(page.getByRole('heading', { level: 1, name: /^Public updates/ })).toBeVisible()
    const post = page.getByRole('form', { name: 'Post public update' })
    await post.getByLabel('Public title').fill('Checkout errors')
    await post.getByLabel('Identified').check()
    await post
      .getByLabel('Message')
      .fill('Some payments fail. We found the cause and are fixing it.')
    await post.getByLabel('Checkout API').selectOption({ label: 'Partial outage' })
    await post.getByRole('button', { name: 'Post public update' }).click()
    await expect(page.getByRole('status')).toHaveText('Done: Public update posted.')
    await expect(page.getByRole('region', { name: 'Posted updates' })).toContainText(
      'Identified — Checkout errors',
    )

    // A visitor, signed out.
    const visitor = await newPage()
    const response = await visitor.goto(publicPath!)
    expect(response?.status()).toBe(200)
    await expect(
      visitor.getByRole('heading', { level: 1, name: 'Acme Checkout status' }),
    ).toBeVisible()
    await expect(visitor.getByText('Partial outage').first()).toBeVisible()
    const active = visitor.getByRole('region', { name: 'Active incidents' })
    await expect(active).toContainText('Checkout errors')
    await expect(active).toContainText('Some payments fail. We found the cause and are fixing it.')
    const body = await visitor.content()
    expect(body).not.toContain('db-7')
    expect(body).not.toContain('the pool leaks connections')
    expect(body).not.toContain(admin.name)
    await expect(visitor.getByRole('navigation')).toHaveCount(0)

    const email = uniqueEmail(testInfo, 'subscriber')
    await visitor.getByLabel('Email').fill(email)
    await visitor.getByRole('button', { name: 'Subscribe' }).click()
    await expect(visitor.getByRole('heading', { level: 1, name: 'Check your inbox' })).toBeVisible()

    // The confirmation e-mail reaches the outbox through the worker; its link confirms.
    await visitor.goto('/dev/outbox')
    const mail = visitor.getByRole('listitem').filter({ hasText: email })
    await expect(async () => {
      if ((await mail.count()) === 0) await visitor.reload()
      await expect(mail).toHaveCount(1, { timeout: 250 })
    }).toPass({ timeout: 15_000, intervals: [250, 500] })
    await expect(mail).toContainText('Confirm your subscription')
    await mail.getByRole('link', { name: /\/subscribe\/confirm\?token=/ }).click()
    await expect(
      visitor.getByRole('heading', { level: 1, name: 'Subscription confirmed' }),
    ).toBeVisible()
  })
})
