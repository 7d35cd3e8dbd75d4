import type { ServerBuild } from '@remix-run/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Role } from '~/domain/access/permissions'
import { createMember, signIn } from '../support/access'
import { setUpTestDatabase } from '../support/database'
import { decodeEntities } from '../support/html'
import { randomIp, startInProcessApp, type RunningApp } from '../support/in-process-app'
import { loadRemixBuild } from '../support/remix-build'
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver'

// The Microsoft Teams section of /admin/integrations/slack through the Remix app: save (with the
// SSRF refusal as a field error), the host shown but never the URL, "Send test card", remove,
// and only for admins.

const db = setUpTestDatabase('teams_settings_page')
const PAGE = '/admin/integrations/slack'

let build: ServerBuild
let app: RunningApp
let receiver: WebhookReceiver
let admin: string

beforeAll(async () => {
  build = await loadRemixBuild()
  app = await startInProcessApp(db, build, { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' })
  receiver = await startWebhookReceiver()
  admin = await cookieFor('admin')
})
afterAll(async () => {
  await app?.close()
  await receiver?.close()
})

async function cookieFor(role: Role) {
  const member = await createMember(db, { role })
  return (await signIn(db, { userId: member.userId, organizationId: db.organizationId })).cookie
}

const textOf = (html: string) =>
  decodeEntities(
    html
      .replace(/<!-- -->/g, '')
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' '),
  )

function post(fields: Record<string, string>, cookie = admin) {
  return fetch(`${app.baseUrl}${PAGE}`, {
    method: 'POST',
    headers: { Cookie: cookie, Origin: app.baseUrl, 'X-Forwarded-For': randomIp() },
    body: new URLSearchParams(fields),
    redirect: 'manual',
  })
}

const stored = () =>
  db.query<{ url_ciphertext: string }>(
    `select url_ciphertext from teams_webhook where organization_id = $1`,
    [db.organizationId],
  )

describe('the Teams section', () => {
  it('saves a public webhook, shows only its host, sends a test card and removes it', async () => {
    let page = await (await app.get(PAGE, { cookie: admin })).text()
    expect(textOf(page)).toContain('Microsoft Teams')
    expect(textOf(page)).toContain('No Teams webhook is set.')
    expect(page).toMatch(/<label[^>]*for="teams-url"[^>]*>Teams webhook URL/)

    const refused = await post({ intent: 'teams-save', teamsUrl: 'http://10.0.0.7/hook' })
    expect(refused.status).toBe(400)
    const refusedPage = await refused.text()
    expect(textOf(refusedPage)).toContain('Teams cards are only sent to public addresses')
    expect(refusedPage).toMatch(
      /id="teams-url"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="teams-url"/,
    )
    // What the admin typed comes back in the field (JavaScript off keeps it too).
    expect(refusedPage).toContain('value="http://10.0.0.7/hook"')
    expect(await stored()).toEqual([])

    const empty = await post({ intent: 'teams-save', teamsUrl: '  ' })
    expect(empty.status).toBe(400)
    expect(textOf(await empty.text())).toContain('Paste the incoming webhook URL from Teams.')

    const url = `${receiver.baseUrl}/teams-secret-path/abc`
    expect((await post({ intent: 'teams-save', teamsUrl: url })).status).toBe(302)
    expect(await stored()).toHaveLength(1)
    page = await (await app.get(PAGE, { cookie: admin })).text()
    expect(textOf(page)).toContain(`Cards go to the webhook at 127.0.0.1:${receiver.port}.`)
    expect(page).not.toContain('teams-secret-path')

    expect((await post({ intent: 'teams-test' })).status).toBe(302)
    expect(receiver.requests.map((r) => r.path)).toEqual(['/teams-secret-path/abc'])
    expect(JSON.parse(receiver.requests[0]!.body)).toMatchObject({
      type: 'message',
      attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive' }],
    })

    receiver.replies.push({ status: 500, body: 'nope' })
    const failed = await post({ intent: 'teams-test' })
    expect(failed.status).toBe(400)
    expect(textOf(await failed.text())).toContain(
      'The test card was not delivered. Teams answered HTTP 500: nope',
    )

    expect((await post({ intent: 'teams-remove' })).status).toBe(302)
    expect(await stored()).toEqual([])
  })

  it('refuses managers and engineers, and writes nothing', async () => {
    for (const role of ['manager', 'engineer'] as const) {
      const cookie = await cookieFor(role)
      const response = await post(
        { intent: 'teams-save', teamsUrl: `${receiver.baseUrl}/theirs` },
        cookie,
      )
      expect(response.status).toBe(403)
    }
    expect(await stored()).toEqual([])
  })
})
