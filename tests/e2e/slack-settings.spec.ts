import { expectSubmittedBy, markDocument, newAccount, open, signUp } from './access'
import { expect, test } from './fixtures'

/**
 * The Slack settings page through the browser, with JavaScript on and off: reached from
 * Integrations, it shows the app manifest with this server's request URLs, refuses a token that
 * is not a bot token under its field (before asking Slack), never puts a pasted secret back into
 * the page, and shows the Teams section.
 */

test.describe('Slack settings', () => {
  test('an admin reads the manifest; a wrong kind of token is refused and not echoed back', async ({
    page,
    jsEnabled,
    baseURL,
    browserProblems,
  }, testInfo) => {
    const admin = newAccount(testInfo, 'slack')
    await signUp(page, admin, jsEnabled)

    await open(page, '/admin/integrations', jsEnabled)
    await page.getByRole('link', { name: 'Slack and Microsoft Teams' }).click()
    await expect(
      page.getByRole('heading', { level: 1, name: 'Slack and Microsoft Teams' }),
    ).toBeVisible()
    await expect(page.getByRole('heading', { name: 'Connect a Slack workspace' })).toBeVisible()

    const manifest = JSON.parse(await page.getByLabel('App manifest (JSON)').inputValue()) as {
      features: { slash_commands: Array<{ command: string; url: string }> }
      settings: { interactivity: { request_url: string } }
    }
    expect(manifest.features.slash_commands[0]).toMatchObject({
      command: '/incident',
      url: `${baseURL}/hooks/slack/commands`,
    })
    expect(manifest.settings.interactivity.request_url).toBe(`${baseURL}/hooks/slack/interactivity`)

    const secret = 'd41d8cd98f00b204e9800998ecf8427e'
    await page.getByLabel('Bot token').fill('xoxp-a-user-token-not-a-bot-1234')
    await page.getByLabel('Signing secret').fill(secret)
    // The refusal is answered 400, which Chromium reports on the console.
    browserProblems.allowConsoleError(/status of 400/)
    await markDocument(page)
    await page.getByRole('button', { name: 'Connect Slack' }).click()
    await expect(page.getByText('Paste the bot token: it starts with xoxb-.')).toBeVisible()
    await expect(page.getByLabel('Bot token')).toHaveAttribute('aria-invalid', 'true')
    await expectSubmittedBy(page, jsEnabled)
    if (!jsEnabled) {
      // A new document: neither secret is in it.
      await expect(page.getByLabel('Bot token')).toHaveValue('')
      await expect(page.getByLabel('Signing secret')).toHaveValue('')
      expect(await page.content()).not.toContain(secret)
    }
    await expect(page.getByRole('heading', { name: 'Microsoft Teams', exact: true })).toBeVisible()
  })
})
