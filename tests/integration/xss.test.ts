import type { AppLoadContext } from '@remix-run/node'
import { beforeAll, describe, expect, it } from 'vitest'
import { createSession } from '~/domain/access/session.server'
import { addCatalogEntry } from '~/domain/incident/catalog.server'
import {
  addComment,
  assignIncident,
  changeSeverity,
  correctComment,
  declareIncident,
  editIncident,
  transitionIncident,
} from '~/domain/incident/incident-service.server'
import { parseEnv, webEnvSchema, type WebEnv } from '~/utils/env.server'
import { createLogger } from '~/utils/logger.server'
import * as incidentPage from '~/routes/incidents.$number'
import { setUpTestDatabase } from '../support/database'
import { addMember, type TestMember } from '../support/incidents'
import { renderRoute } from '../support/render-route'
import { XSS_CORPUS, unsafeParts } from '../support/xss'

/**
 * The incident page, rendered by its real loader and component from data full of attacks in
 * every user-controlled field that reaches it: title, summary, comments, corrections, reasons,
 * a member's name and a service name.
 */

const db = setUpTestDatabase('xss')
const logger = createLogger({ name: 'test', level: 'silent', pretty: false })

const TITLE = '<script>alert(1)</script><img src=x onerror=alert(2)><svg onload=alert(3)>'
const EDITED_TITLE =
  '<iframe src="javascript:alert(4)"></iframe><a href="javascript:alert(5)">x</a>'
const NAME = '<script>alert("name")</script>'
const SERVICE = '<svg/onload=alert("service")>'
const CORPUS = XSS_CORPUS.join('\n\n')

let env: WebEnv
let admin: TestMember
let cookie: string
let number: number

beforeAll(async () => {
  env = parseEnv(webEnvSchema, { NODE_ENV: 'test', DATABASE_URL: db.url })
  admin = await addMember(db, db.organizationId, 'admin', { name: 'Ada Admin' })
  const named = await addMember(db, db.organizationId, 'engineer', { name: NAME })
  const serviceId = await addCatalogEntry(db.orm, admin, 'service', SERVICE, '')

  const declared = await declareIncident(db.orm, admin, {
    title: TITLE,
    summary: CORPUS,
    severity: 'SEV-2',
    serviceId,
  })
  number = declared.number
  await assignIncident(db.orm, admin, number, {
    commanderId: named.user.id,
    assigneeIds: [named.user.id, admin.user.id],
  })
  const { seq } = await addComment(db.orm, admin, number, { body: CORPUS })
  await correctComment(db.orm, admin, number, { seq, body: XSS_CORPUS.slice(0, 30).join('\n\n') })
  await editIncident(db.orm, admin, number, { title: EDITED_TITLE })
  await transitionIncident(db.orm, admin, number, { action: 'start-investigating' })
  await transitionIncident(db.orm, admin, number, { action: 'mark-mitigated' })
  await transitionIncident(db.orm, admin, number, {
    action: 'reopen',
    reason: '<img src=x onerror=alert("reason")>',
  })
  await changeSeverity(db.orm, admin, number, {
    severity: 'SEV-1',
    reason: '"><script>alert("severity")</script>',
  })

  const session = await createSession(db.orm, env, {
    userId: admin.user.id,
    organizationId: db.organizationId,
  })
  cookie = session.setCookie.split(';')[0]!
})

async function renderIncidentPage() {
  const context = {
    env,
    orm: db.orm,
    boss: db.boss,
    logger,
    nonce: 'test-nonce',
    requestId: 'xss-test',
    clientIp: '127.0.0.1',
  } as AppLoadContext
  return renderRoute({
    module: incidentPage,
    path: '/incidents/:number',
    request: new Request(`${env.APP_URL}/incidents/${number}`, { headers: { Cookie: cookie } }),
    context,
  })
}

describe('the incident page with attacks in every field', () => {
  it('renders with status 200 and nothing executable in its HTML', async () => {
    const { status, html } = await renderIncidentPage()
    expect(status).toBe(200)
    // The whole page was rendered: every event of the timeline is on it (the severity change
    // is followed by its `sla.retargeted` entry).
    expect(html.match(/data-event-type="/g)).toHaveLength(10)
    expect(html).toContain('aria-label="Timeline, oldest first"')
    expect(unsafeParts(html)).toEqual([])
  })

  it('shows titles, names, service and reasons as escaped text', async () => {
    const { html } = await renderIncidentPage()
    // The current title in the heading, the first one in the declaration and the edit.
    expect(html).toContain(
      '&lt;iframe src=&quot;javascript:alert(4)&quot;&gt;&lt;/iframe&gt;&lt;a href=&quot;javascript:alert(5)&quot;&gt;x&lt;/a&gt;',
    )
    expect(html).toContain(
      '&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;&lt;svg onload=alert(3)&gt;',
    )
    expect(html).toContain('&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;')
    expect(html).toContain('&lt;svg/onload=alert(&quot;service&quot;)&gt;')
    expect(html).toContain('Reason: &lt;img src=x onerror=alert(&quot;reason&quot;)&gt;')
    expect(html).toContain(
      'Reason: &quot;&gt;&lt;script&gt;alert(&quot;severity&quot;)&lt;/script&gt;',
    )
  })

  it('shows the summary, the comment and its correction through the sanitiser', async () => {
    const { html } = await renderIncidentPage()
    // Links that survive are rewritten; the corpus' one https link appears in each rendering.
    const rewritten = html.match(
      /<a href="https:\/\/ok\.example\/" rel="nofollow noopener noreferrer" target="_blank">click<\/a>/g,
    )
    expect(rewritten).toHaveLength(3)
    expect(html).not.toMatch(/<img[^>]*src="x"/)
  })

  it('answers 404 for another organization’s incident number', async () => {
    const other = await db.createOrganization('Elsewhere')
    const stranger = await addMember(db, other, 'admin')
    const session = await createSession(db.orm, env, {
      userId: stranger.user.id,
      organizationId: other,
    })
    const { status } = await renderRoute({
      module: incidentPage,
      path: '/incidents/:number',
      request: new Request(`${env.APP_URL}/incidents/${number}`, {
        headers: { Cookie: session.setCookie.split(';')[0]! },
      }),
      context: {
        env,
        orm: db.orm,
        boss: db.boss,
        logger,
        nonce: 'n',
        requestId: 'r',
        clientIp: '127.0.0.1',
      } as AppLoadContext,
    })
    expect(status).toBe(404)
  })
})
