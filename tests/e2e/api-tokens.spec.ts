import { expectSubmittedBy, markDocument, newAccount, open, signUp } from './access'
import { expect, test } from './fixtures'

test.describe('API tokens', () => {
  test('a person creates a token, uses it against the API, and revokes it', async ({
    page,
    jsEnabled,
  }, testInfo) => {
    const account = newAccount(testInfo, 'api')
    await signUp(page, account, jsEnabled)

    await open(page, '/account', jsEnabled)
    await page.getByRole('link', { name: 'API tokens' }).click()
    await expect(page.getByRole('heading', { level: 1, name: 'API tokens' })).toBeVisible()
    await expect(page.getByText('No tokens yet.')).toBeVisible()

    await page.getByLabel('Token name').fill('Deploy bot')
    await page.getByLabel('Expires').selectOption({ label: '30 days' })
    await markDocument(page)
    await page.getByRole('button', { name: 'Create token' }).click()
    const secret = page.getByLabel('New API token')
    await expect(secret).toHaveValue(/^ifk_[A-Za-z0-9_-]{43}$/)
    await expectSubmittedBy(page, jsEnabled)
    await expect(page.getByText(/You will not see it again/)).toBeVisible()
    const token = await secret.inputValue()
    const auth = { Authorization: `Bearer ${token}` }

    const declared = await page.request.post('/api/v1/incidents', {
      headers: auth,
      data: { title: 'Declared by the deploy bot', severity: 'SEV-2' },
    })
    expect(declared.status()).toBe(201)
    const incident = (await declared.json()) as { number: number; links: { html: string } }
    expect(incident.links.html).toMatch(new RegExp(`/incidents/${incident.number}$`))

    // The incident page names the token's owner as the one who declared it.
    await open(page, `/incidents/${incident.number}`, jsEnabled)
    await expect(page.getByRole('heading', { level: 1 })).toContainText(
      'Declared by the deploy bot',
    )
    await expect(page.getByRole('main')).toContainText(account.name)
    await expect(page.getByRole('main')).toContainText('declared the incident as SEV-2')

    // Shown once: the list has its name and hint only.
    await open(page, '/account/tokens', jsEnabled)
    await expect(page.getByLabel('New API token')).toHaveCount(0)
    const row = page.getByRole('row', { name: /Deploy bot/ })
    await expect(row).toContainText(`ifk_…${token.slice(-4)}`)
    await expect(page.getByRole('main')).not.toContainText(token)

    await row.getByRole('button', { name: /Revoke/ }).click()
    await expect(page.getByRole('row', { name: /Deploy bot/ })).toContainText('Revoked')
    // The browser's session cookie goes along with this request and makes no difference.
    const refused = await page.request.get('/api/v1/incidents', { headers: auth })
    expect(refused.status()).toBe(401)
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('unauthorized')
  })
})
