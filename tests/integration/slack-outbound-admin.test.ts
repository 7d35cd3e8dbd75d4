import type { ServerBuild } from '@remix-run/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Role } from '~/domain/access/permissions'
import { declareIncident } from '~/domain/incident/incident-service.server'
import { createMember, signIn } from '../support/access'
import { setUpTestDatabase } from '../support/database'
import { decodeEntities } from '../support/html'
import { randomIp, startInProcessApp, type RunningApp } from '../support/in-process-app'
import { addMember } from '../support/incidents'
import { loadRemixBuild } from '../support/remix-build'

// Slack and Teams deliveries that gave up, on the Failed deliveries page (/admin/deliveries),
// through the real Remix app: listed with their reason, retried by an admin, refused to others.

const db = setUpTestDatabase('slack_outbound_admin')

let build: ServerBuild
let app: RunningApp
let admin: string

beforeAll(async () => {
  build = await loadRemixBuild()
  app = await startInProcessApp(db, build)
  admin = await cookieFor('admin')
})
afterAll(async () => {
  await app?.close()
})

async function cookieFor(role: Role, organizationId = db.organizationId) {
  const member = await createMember(db, { role, organizationId })
  return (await signIn(db, { userId: member.userId, organizationId })).cookie
}

const textOf = (html: string) =>
  decodeEntities(
    html
      .replace(/<!-- -->/g, '')
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' '),
  )

function retry(kind: string, id: string, cookie: string) {
  return fetch(`${app.baseUrl}/admin/deliveries`, {
    method: 'POST',
    headers: { Cookie: cookie, Origin: app.baseUrl, 'X-Forwarded-For': randomIp() },
    body: new URLSearchParams([
      ['intent', 'retry'],
      ['kind', kind],
      ['id', id],
    ]),
    redirect: 'manual',
  })
}

describe('Failed deliveries', () => {
  it('lists dead Slack and Teams deliveries with their reason, and retries one for an admin only', async () => {
    const declarer = await addMember(db, db.organizationId, 'admin')
    const { id: incidentId, number } = await declareIncident(db.orm, declarer, {
      title: 'Dead letters',
      summary: '',
      severity: 'SEV-3',
    })
    const [slack, teams] = await db.query<{ id: string }>(
      `insert into chat_delivery
         (organization_id, provider, incident_id, event_seq, kind, status, attempts, last_error)
       values ($1, 'slack', $2, 2, 'entry', 'dead', 3,
               'Gave up after 3 attempts. Last: Slack chat.postMessage: <not_in_channel>'),
              ($1, 'teams', $2, 1, 'card', 'dead', 8, 'Gave up after 8 attempts. Last: Teams answered HTTP 500')
       returning id`,
      [db.organizationId, incidentId],
    )

    const page = await (await app.get('/admin/deliveries', { cookie: admin })).text()
    const text = textOf(page)
    // Kind, target (no channel yet: the workspace), incident and what was to be done.
    expect(text).toContain(`Slack Slack INC-${number} · timeline entry`)
    expect(text).toContain(
      'Gave up after 3 attempts. Last: Slack chat.postMessage: <not_in_channel>',
    )
    expect(page).not.toContain('<not_in_channel>')
    expect(text).toContain(`Microsoft Teams Microsoft Teams INC-${number} · incident card`)
    expect(page).toContain(`aria-label="Slack INC-${number} · timeline entry"`)

    expect((await retry('slack', slack!.id, await cookieFor('manager'))).status).toBe(403)
    const other = await db.createOrganization('Another')
    expect((await retry('slack', slack!.id, await cookieFor('admin', other))).status).toBe(404)
    const [unchanged] = await db.query<{ status: string }>(
      `select status from chat_delivery where id = $1`,
      [slack!.id],
    )
    expect(unchanged!.status).toBe('dead')

    expect((await retry('slack', slack!.id, admin)).status).toBe(302)
    const [row] = await db.query<{ status: string; attempts: number; last_error: string | null }>(
      `select status, attempts, last_error from chat_delivery where id = $1`,
      [slack!.id],
    )
    expect(row).toEqual({ status: 'pending', attempts: 0, last_error: null })
    const jobs = await db.query<{ data: Record<string, string> }>(
      `select data from pgboss.job where name = 'chat-deliver' and data->>'incidentId' = $1`,
      [incidentId],
    )
    expect(jobs.map((j) => j.data.provider)).toContain('slack')

    const after = textOf(await (await app.get('/admin/deliveries', { cookie: admin })).text())
    expect(after).not.toContain('timeline entry')
    expect(after).toContain('incident card')
    // A second retry of the same delivery is refused (it is not failed any more): no new job.
    expect((await retry('slack', slack!.id, admin)).status).toBe(302)
    expect(
      await db.query(
        `select 1 from pgboss.job where name = 'chat-deliver' and data->>'incidentId' = $1`,
        [incidentId],
      ),
    ).toHaveLength(jobs.length)
    const [card] = await db.query<{ status: string }>(
      `select status from chat_delivery where id = $1`,
      [teams!.id],
    )
    expect(card!.status).toBe('dead')
  })
})
