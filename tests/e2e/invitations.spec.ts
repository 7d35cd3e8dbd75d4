import {
  adminInvitesEngineer,
  expectSubmittedBy,
  invitationLinkFor,
  invite,
  markDocument,
  settingsMenu,
  uniqueEmail,
} from './access'
import { expect, test } from './fixtures'

test.describe('invitations and member management', () => {
  test('an invited engineer joins through the e-mailed link and cannot manage members', async ({
    page,
    newPage,
    jsEnabled,
    browserProblems,
  }, testInfo) => {
    const { engineerPage, invitationUrl } = await adminInvitesEngineer(
      { page, newPage, jsEnabled, browserProblems },
      testInfo,
    )
    const baseURL = testInfo.project.use.baseURL!
    browserProblems.allowConsoleError(/status of 40[34]/)

    // No Settings menu (where "Members" is) in the engineer's navigation, and the page itself
    // refuses them.
    await expect(
      engineerPage.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Account' }),
    ).toBeVisible()
    await expect(settingsMenu(engineerPage)).toHaveCount(0)
    const refused = await engineerPage.goto('/admin/members')
    expect(refused?.status()).toBe(403)
    await expect(engineerPage.getByRole('heading', { level: 1, name: 'Not allowed' })).toBeVisible()
    await expect(engineerPage.getByRole('main')).toContainText('Your role does not allow this.')

    // A hand-made POST with the engineer's session (same origin, so past the cross-site check) is
    // refused by the permission check. The same request with the admin's session goes through,
    // which shows the forged request was well-formed.
    const forgedEmail = uniqueEmail(testInfo, 'forged')
    const forged = await engineerPage.request.post('/admin/members', {
      form: { intent: 'invite', email: forgedEmail, role: 'admin' },
      headers: { Origin: baseURL },
      maxRedirects: 0,
    })
    expect(forged.status()).toBe(403)
    expect(await forged.text()).toContain('Your role does not allow this.')
    const controlEmail = uniqueEmail(testInfo, 'control')
    const control = await page.request.post('/admin/members', {
      form: { intent: 'invite', email: controlEmail, role: 'engineer' },
      headers: { Origin: baseURL },
      maxRedirects: 0,
    })
    expect(control.status()).toBe(302)
    expect(control.headers()['location']).toBe('/admin/members')

    await page.reload()
    const pending = page.getByRole('region', { name: 'Pending invitations' })
    await expect(pending).toContainText(controlEmail)
    await expect(pending).not.toContainText(forgedEmail)
    // The accepted invitation is no longer pending; its person is a member.
    await expect(page.getByRole('region', { name: 'Members', exact: true })).toContainText(
      'Engineer',
    )

    // The link worked once.
    const reused = await engineerPage.goto(invitationUrl)
    expect(reused?.status()).toBe(404)
    await expect(engineerPage.getByRole('main')).toContainText(
      'This invitation link is no longer valid',
    )
  })

  test('role changes and deactivation count on the member’s next page load', async ({
    page,
    newPage,
    jsEnabled,
    browserProblems,
  }, testInfo) => {
    const { engineer, engineerPage } = await adminInvitesEngineer(
      { page, newPage, jsEnabled, browserProblems },
      testInfo,
    )
    const banner = engineerPage.getByRole('banner')
    const row = page.getByRole('row', { name: engineer.name, exact: true })
    await page.reload()
    await expect(row).toContainText(engineer.email)
    await expect(row.getByLabel('Role', { exact: true })).toHaveValue('engineer')

    // Engineer → Manager.
    if (jsEnabled) await expect(page.getByRole('heading', { level: 1 })).toBeVisible()
    await markDocument(page)
    await row.getByLabel('Role', { exact: true }).selectOption({ label: 'Manager' })
    await row.getByRole('button', { name: 'Change role' }).click()
    await expect(page.getByRole('status')).toHaveText('Done: Role changed to Manager.')
    await expectSubmittedBy(page, jsEnabled)
    await expect(row.getByLabel('Role', { exact: true })).toHaveValue('manager')
    await engineerPage.goto('/')
    await expect(banner).toContainText(`${engineer.name} · Manager`)
    await expect(engineerPage.getByRole('main')).toContainText('You are manager in')

    // Deactivated: still signed in, but no longer a member of anything.
    await row.getByRole('button', { name: 'Deactivate' }).click()
    await expect(page.getByRole('status')).toHaveText(
      'Done: Member deactivated; their access ended.',
    )
    await expect(row).toContainText('Deactivated')
    await engineerPage.goto('/')
    await expect(engineerPage.getByRole('main')).toContainText(
      'You are not an active member of any organization.',
    )
    await expect(banner).not.toContainText('Manager')
    await expect(engineerPage.getByTestId('organization-name')).toHaveCount(0)
    browserProblems.allowConsoleError(/status of 40[34]/)
    const refused = await engineerPage.goto('/admin/members')
    expect(refused?.status()).toBe(403)
    await expect(engineerPage.getByRole('main')).toContainText(
      'You are not an active member of any organization.',
    )

    // Reactivated: back, with the role they had.
    await row.getByRole('button', { name: 'Reactivate' }).click()
    await expect(page.getByRole('status')).toHaveText('Done: Member reactivated.')
    await expect(row).toContainText('Active')
    await engineerPage.goto('/')
    await expect(banner).toContainText(`${engineer.name} · Manager`)

    // A revoked invitation leaves the list, and its e-mailed link stops working.
    const revokedEmail = uniqueEmail(testInfo, 'revoked')
    await invite(page, revokedEmail, 'Engineer', jsEnabled)
    const pending = page.getByRole('region', { name: 'Pending invitations' })
    await pending
      .getByRole('listitem')
      .filter({ hasText: revokedEmail })
      .getByRole('button', { name: 'Revoke' })
      .click()
    await expect(page.getByRole('status')).toHaveText(
      'Done: Invitation revoked; its link no longer works.',
    )
    await expect(pending).not.toContainText(revokedEmail)
    const outsider = await newPage()
    const revokedLink = await invitationLinkFor(outsider, revokedEmail)
    const revoked = await outsider.goto((await revokedLink.getAttribute('href')) ?? '')
    expect(revoked?.status()).toBe(404)
  })
})
