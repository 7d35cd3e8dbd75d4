import type { ServerBuild } from '@remix-run/node'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { declareIncident } from '~/domain/incident/incident-service.server'
import { postPublicUpdate } from '~/domain/status/public-updates.server'
import {
  addComponent,
  addComponentGroup,
  archiveComponent,
  cancelMaintenance,
  saveStatusPageSettings,
  scheduleMaintenance,
  statusAdminView,
} from '~/domain/status/status-admin.server'
import { StatusPageError } from '~/domain/status/status-errors'
import { signLink } from '~/domain/status/subscriber-links.server'
import { SUBSCRIBE_LIMITS } from '~/domain/status/subscribers.server'
import { thrownBy } from '../support/access'
import { setUpTestDatabase } from '../support/database'
import { addMember, type TestMember } from '../support/incidents'
import { startInProcessApp, type RunningApp } from '../support/in-process-app'
import { childText, childrenNamed, parseXml } from '../support/xml'

const db = setUpTestDatabase('status_page')
const SECRET = 'status-page-test-secret-of-enough-length'
const APP_URL = 'http://app.example.test'
const links = () => ({ pageUrl: `${APP_URL}/status/${admin.organization.slug}`, secret: SECRET })

let admin: TestMember
let manager: TestMember
let commander: TestMember
let engineer: TestMember
let otherAdmin: TestMember
let app: RunningApp
let apiGroupId: string
let apiId: string
let webId: string
let otherComponentId: string

// Only Express's status paths are asked for: Remix is never reached.
const noBuild = {} as ServerBuild

async function expectRefused(promise: Promise<unknown>, status: number, message?: RegExp) {
  const error = await thrownBy(promise)
  expect(error).toBeInstanceOf(StatusPageError)
  expect((error as StatusPageError).status).toBe(status)
  if (message) expect((error as StatusPageError).message).toMatch(message)
}

const count = async (table: string, organizationId = db.organizationId) =>
  Number(
    (
      await db.query<{ n: string }>(
        `select count(*) as n from ${table} where organization_id = $1`,
        [organizationId],
      )
    )[0]!.n,
  )

beforeAll(async () => {
  admin = await addMember(db, db.organizationId, 'admin')
  manager = await addMember(db, db.organizationId, 'manager')
  commander = await addMember(db, db.organizationId, 'engineer')
  engineer = await addMember(db, db.organizationId, 'engineer')
  const otherOrg = await db.createOrganization('Other status org')
  otherAdmin = await addMember(db, otherOrg, 'admin')
  app = await startInProcessApp(db, noBuild, { APP_URL, SESSION_SECRET: SECRET })

  apiGroupId = await addComponentGroup(db.orm, admin, 'Platform')
  apiId = await addComponent(db.orm, admin, {
    name: 'API',
    description: 'The public REST API',
    groupId: apiGroupId,
    serviceIds: [],
  })
  webId = await addComponent(db.orm, admin, {
    name: 'Web app',
    description: '',
    groupId: null,
    serviceIds: [],
  })
  otherComponentId = await addComponent(db.orm, otherAdmin, {
    name: 'Their API',
    description: '',
    groupId: null,
    serviceIds: [],
  })
})

afterAll(async () => {
  await app?.close()
})

const page = () => `/status/${admin.organization.slug}`

describe('publishing', () => {
  it('answers 404 for a page never published, an unpublished one and an unknown slug', async () => {
    expect((await app.get(page())).status).toBe(404)
    expect((await app.get(`${page()}/status.json`)).status).toBe(404)
    await saveStatusPageSettings(
      db.orm,
      admin,
      { published: false, title: 'Acme status', intro: '', customHost: '' },
      { appHost: 'app.example.test', now: new Date() },
    )
    expect((await app.get(page())).status).toBe(404)
    expect((await app.get(`${page()}/feed.atom`)).status).toBe(404)
    expect((await app.get('/status/no-such-organization')).status).toBe(404)
  })

  it('serves the published page without a session: title, groups, components, no app shell', async () => {
    await saveStatusPageSettings(
      db.orm,
      admin,
      { published: true, title: 'Acme status', intro: 'Live state of Acme.', customHost: '' },
      { appHost: 'app.example.test', now: new Date() },
    )
    const response = await app.get(page())
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/html/)
    expect(response.headers.get('cache-control')).toBe('public, max-age=30')
    const html = await response.text()
    expect(html).toContain('<title>Acme status</title>')
    expect(html).toContain('All systems operational')
    expect(html).toContain('Platform')
    expect(html).toContain('API')
    expect(html).toContain('Web app')
    expect(html).not.toContain('Their API')
    expect(html).not.toContain('<script')
    expect(html).not.toContain('Log out')
  })

  it('refuses settings from a manager or an engineer (403), and changes nothing', async () => {
    for (const person of [manager, engineer]) {
      await expectRefused(
        saveStatusPageSettings(
          db.orm,
          person,
          { published: false, title: 'x', intro: '', customHost: '' },
          { appHost: 'app.example.test', now: new Date() },
        ),
        403,
      )
      await expectRefused(addComponentGroup(db.orm, person, 'Sneaky'), 403)
      await expectRefused(
        addComponent(db.orm, person, {
          name: 'Sneaky',
          description: '',
          groupId: null,
          serviceIds: [],
        }),
        403,
      )
    }
    expect((await app.get(page())).status).toBe(200)
    expect(await count('status_component_group')).toBe(1)
  })

  it('answers 404 for another organization’s group, service or component, and writes nothing', async () => {
    const [otherGroup] = await db.query<{ id: string }>(
      `insert into status_component_group (organization_id, name) values ($1, 'Theirs') returning id`,
      [otherAdmin.organization.id],
    )
    const before = await count('status_component')
    await expectRefused(
      addComponent(db.orm, admin, {
        name: 'X',
        description: '',
        groupId: otherGroup!.id,
        serviceIds: [],
      }),
      404,
    )
    await expectRefused(archiveComponent(db.orm, admin, otherComponentId, new Date()), 404)
    await expectRefused(
      scheduleMaintenance(
        db.orm,
        db.boss,
        admin,
        {
          title: 'Upgrade',
          message: '',
          startsAt: new Date(Date.now() + 3_600_000),
          endsAt: new Date(Date.now() + 7_200_000),
          componentIds: [otherComponentId],
        },
        { now: new Date(), links: links() },
      ),
      404,
    )
    expect(await count('status_component')).toBe(before)
    expect(await count('status_maintenance')).toBe(0)
  })
})

describe('custom host names', () => {
  it('refuses names that are not host names, with a field error', async () => {
    for (const host of [
      'not a host',
      'localhost',
      '10.0.0.1',
      'app.example.test',
      '-x.example.com',
    ]) {
      const error = await thrownBy(
        saveStatusPageSettings(
          db.orm,
          admin,
          { published: true, title: 'Acme status', intro: '', customHost: host },
          { appHost: 'app.example.test', now: new Date() },
        ),
      )
      expect(error).toBeInstanceOf(StatusPageError)
      expect((error as StatusPageError).field).toBe('customHost')
    }
  })

  it('serves the page at / of its host name, and refuses the name to a second organization', async () => {
    await saveStatusPageSettings(
      db.orm,
      admin,
      { published: true, title: 'Acme status', intro: '', customHost: 'Status.Acme.Example' },
      { appHost: 'app.example.test', now: new Date() },
    )
    const atRoot = await app.get('/', { headers: { 'X-Forwarded-Host': 'status.acme.example' } })
    expect(atRoot.status).toBe(200)
    const html = await atRoot.text()
    expect(html).toContain('Acme status')
    expect(html).toContain('action="http://status.acme.example/subscribe"')
    const json = await app.get('/status.json', {
      headers: { 'X-Forwarded-Host': 'status.acme.example' },
    })
    expect(json.status).toBe(200)
    expect((await json.json()).page.url).toBe('http://status.acme.example/')
    // Anything else on that host is not the application.
    expect(
      (await app.get('/incidents', { headers: { 'X-Forwarded-Host': 'status.acme.example' } }))
        .status,
    ).toBe(404)

    await saveStatusPageSettings(
      db.orm,
      otherAdmin,
      { published: true, title: 'Other', intro: '', customHost: '' },
      { appHost: 'app.example.test', now: new Date() },
    )
    const error = await thrownBy(
      saveStatusPageSettings(
        db.orm,
        otherAdmin,
        { published: true, title: 'Other', intro: '', customHost: 'status.acme.example' },
        { appHost: 'app.example.test', now: new Date() },
      ),
    )
    expect(error).toMatchObject({
      field: 'customHost',
      message: 'This host name is not available.',
    })
  })
})

describe('public updates', () => {
  let number: number

  beforeAll(async () => {
    ;({ number } = await declareIncident(db.orm, commander, {
      title: 'Internal: db-7 primary OOM after deploy 4411',
      summary: 'Secret internal notes',
      severity: 'SEV-2',
    }))
  })

  it('publishes the commander’s update apart from the timeline, which records it', async () => {
    await postPublicUpdate(
      db.orm,
      db.boss,
      commander,
      number,
      {
        title: 'Elevated API errors',
        status: 'investigating',
        body: 'Some API requests fail. We are looking into it.',
        components: [{ componentId: apiId, state: 'partial_outage' }],
      },
      { now: new Date(), links: links() },
    )
    const html = await (await app.get(page())).text()
    expect(html).toContain('Elevated API errors')
    expect(html).toContain('Some API requests fail. We are looking into it.')
    expect(html).toContain('Partial outage')
    expect(html).not.toContain('db-7')
    expect(html).not.toContain('Secret internal notes')
    expect(html).not.toContain(commander.user.displayName)

    const [event] = await db.query<{ type: string; payload: { body: string; status: string } }>(
      `select type, payload from incident_event e join incident i on i.id = e.incident_id
        where i.organization_id = $1 and i.number = $2 and type = 'status.public_update_posted'`,
      [db.organizationId, number],
    )
    expect(event?.payload).toMatchObject({
      status: 'investigating',
      body: 'Some API requests fail. We are looking into it.',
    })
  })

  it('refuses an engineer who does not command the incident (403), and writes nothing', async () => {
    const before = await count('public_update')
    await expectRefused(
      postPublicUpdate(
        db.orm,
        db.boss,
        engineer,
        number,
        { title: 'x', status: 'identified', body: 'x', components: [] },
        { now: new Date(), links: links() },
      ),
      403,
    )
    expect(await count('public_update')).toBe(before)
  })

  it('lets the incident’s Communications lead post, once they hold the role', async () => {
    const lead = await addMember(db, db.organizationId, 'engineer')
    const update = () =>
      postPublicUpdate(
        db.orm,
        db.boss,
        lead,
        number,
        {
          title: 'Elevated API errors',
          status: 'investigating',
          body: 'Still looking.',
          components: [{ componentId: apiId, state: 'partial_outage' }],
        },
        { now: new Date(), links: links() },
      )
    await expectRefused(update(), 403)
    await db.query(
      `insert into incident_role_holder (organization_id, incident_id, role_id, user_id, assigned_at)
       select i.organization_id, i.id, r.id, $3, now()
         from incident i join incident_role r on r.organization_id = i.organization_id
        where i.organization_id = $1 and i.number = $2 and r.key = 'communications_lead'`,
      [db.organizationId, number, lead.user.id],
    )
    await update()
  })

  it('lets a manager post, and answers 404 for another organization’s component', async () => {
    await expectRefused(
      postPublicUpdate(
        db.orm,
        db.boss,
        manager,
        number,
        {
          title: 'Elevated API errors',
          status: 'identified',
          body: 'Found it.',
          components: [{ componentId: otherComponentId, state: 'major_outage' }],
        },
        { now: new Date(), links: links() },
      ),
      404,
    )
    await postPublicUpdate(
      db.orm,
      db.boss,
      manager,
      number,
      {
        title: 'Elevated API errors',
        status: 'identified',
        body: 'We found the cause and are rolling back.',
        components: [{ componentId: apiId, state: 'degraded_performance' }],
      },
      { now: new Date(), links: links() },
    )
    const json = await (await app.get(`${page()}/status.json`)).json()
    expect(json.status.state).toBe('degraded_performance')
    expect(json.incidents).toHaveLength(1)
    expect(json.incidents[0].status).toBe('identified')
    expect(json.incidents[0].updates.map((u: { status: string }) => u.status)).toEqual([
      'identified',
      'investigating',
      'investigating',
    ])
  })

  it('refuses a field error for an empty message, and another organization’s incident is not found', async () => {
    const error = await thrownBy(
      postPublicUpdate(
        db.orm,
        db.boss,
        commander,
        number,
        { title: 'x', status: 'monitoring', body: '   ', components: [] },
        { now: new Date(), links: links() },
      ),
    )
    expect(error).toMatchObject({ field: 'body' })
    const other = await thrownBy(
      postPublicUpdate(
        db.orm,
        db.boss,
        otherAdmin,
        number,
        { title: 'x', status: 'monitoring', body: 'x', components: [] },
        { now: new Date(), links: links() },
      ),
    )
    expect(other).toMatchObject({ status: 404 })
  })

  it('refuses posting on a private incident, and hides updates of an incident made private', async () => {
    const { number: secret } = await declareIncident(db.orm, commander, {
      title: 'Private one',
      summary: '',
      severity: 'SEV-3',
    })
    await db.query(
      `update incident set private = true where organization_id = $1 and number = $2`,
      [db.organizationId, secret],
    )
    await expectRefused(
      postPublicUpdate(
        db.orm,
        db.boss,
        admin,
        secret,
        { title: 'x', status: 'investigating', body: 'x', components: [] },
        { now: new Date(), links: links() },
      ),
      403,
      /private/,
    )

    // The public incident made private later: its updates leave the page, feed and JSON.
    await db.query(
      `update incident set private = true where organization_id = $1 and number = $2`,
      [db.organizationId, number],
    )
    const html = await (await app.get(page())).text()
    expect(html).not.toContain('Elevated API errors')
    expect(html).toContain('All systems operational')
    expect(await (await app.get(`${page()}/feed.atom`)).text()).not.toContain('Elevated')
    const json = await (await app.get(`${page()}/status.json`)).json()
    expect(json.incidents).toEqual([])
    await db.query(
      `update incident set private = false where organization_id = $1 and number = $2`,
      [db.organizationId, number],
    )
    expect(await (await app.get(page())).text()).toContain('Elevated API errors')
  })

  it('answers a matching If-None-Match with 304, and a new update changes the ETag', async () => {
    // One instant for both views: the day's uptime figures move on with the clock.
    vi.useFakeTimers({ toFake: ['Date'], now: new Date() })
    try {
      const first = await app.get(page())
      const etag = first.headers.get('etag')!
      expect(etag).toMatch(/^"html-[\w-]+"$/)
      const again = await app.get(page(), { headers: { 'If-None-Match': etag } })
      expect(again.status).toBe(304)
      expect(await again.text()).toBe('')
    } finally {
      vi.useRealTimers()
    }
    const etag = (await app.get(page())).headers.get('etag')!
    await postPublicUpdate(
      db.orm,
      db.boss,
      commander,
      number,
      {
        title: 'Elevated API errors',
        status: 'resolved',
        body: 'All requests succeed again.',
        components: [],
      },
      { now: new Date(), links: links() },
    )
    const changed = await app.get(page(), { headers: { 'If-None-Match': etag } })
    expect(changed.status).toBe(200)
    expect(changed.headers.get('etag')).not.toBe(etag)
    const json = await (await app.get(`${page()}/status.json`)).json()
    expect(json.incidents).toEqual([])
    expect(json.pastIncidents[0].title).toBe('Elevated API errors')
    expect(json.status.state).toBe('operational')
  })

  it('sends browsers asking for gzip the copy compressed once, under an ETag of its own', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date() })
    try {
      const plain = await app.get(page(), { headers: { 'Accept-Encoding': 'identity' } })
      const zipped = await app.get(page(), { headers: { 'Accept-Encoding': 'gzip' } })
      expect(plain.headers.get('content-encoding')).toBeNull()
      expect(zipped.headers.get('content-encoding')).toBe('gzip')
      expect(zipped.headers.get('vary')).toMatch(/Accept-Encoding/)
      const plainTag = plain.headers.get('etag')!
      const zippedTag = zipped.headers.get('etag')!
      expect(zippedTag).toBe(`${plainTag.slice(0, -1)}-gz"`)
      // fetch decompresses: the same document either way.
      expect(await zipped.text()).toBe(await plain.text())
      const revalidated = await app.get(page(), {
        headers: { 'Accept-Encoding': 'gzip', 'If-None-Match': zippedTag },
      })
      expect(revalidated.status).toBe(304)
      const otherRepresentation = await app.get(page(), {
        headers: { 'Accept-Encoding': 'gzip', 'If-None-Match': plainTag },
      })
      expect(otherRepresentation.status).toBe(200)
    } finally {
      vi.useRealTimers()
    }
  })

  it('gives a JSON document of the documented shape and a well-formed Atom feed', async () => {
    const json = await (await app.get(`${page()}/status.json`)).json()
    expect(Object.keys(json).sort()).toEqual(
      [
        'components',
        'groups',
        'history',
        'incidents',
        'maintenance',
        'page',
        'pastIncidents',
        'status',
      ].sort(),
    )
    const api = json.components.find((c: { name: string }) => c.name === 'API')
    expect(api.history).toHaveLength(90)
    expect(api.groupId).toBe(apiGroupId)
    expect(typeof api.uptime).toBe('number')
    expect(api.uptime).toBeLessThan(100)
    expect(json.history).toMatchObject({ days: 90, uptimeRule: 1 })

    const atom = await app.get(`${page()}/feed.atom`)
    expect(atom.headers.get('content-type')).toMatch(/^application\/atom\+xml/)
    const feed = parseXml(await atom.text())
    expect(feed.name).toBe('feed')
    expect(feed.attributes.xmlns).toBe('http://www.w3.org/2005/Atom')
    expect(childText(feed, 'title')).toBe('Acme status')
    expect(childText(feed, 'id')).toBe(`${APP_URL}${page()}`)
    expect(Number.isNaN(Date.parse(childText(feed, 'updated')))).toBe(false)
    expect(
      childrenNamed(feed, 'link')
        .map((l) => l.attributes.rel)
        .sort(),
    ).toEqual(['alternate', 'self'])
    const entries = childrenNamed(feed, 'entry')
    expect(entries.map((e) => childText(e, 'title'))).toEqual([
      'Elevated API errors — Resolved',
      'Elevated API errors — Identified',
      'Elevated API errors — Investigating',
      'Elevated API errors — Investigating',
    ])
    for (const entry of entries) {
      expect(childText(entry, 'id')).toMatch(/^urn:uuid:/)
      expect(Number.isNaN(Date.parse(childText(entry, 'updated')))).toBe(false)
      expect(childText(entry, 'content')).not.toBe('')
    }
  })
})

describe('maintenance', () => {
  it('shows a window as upcoming, then cancelled windows disappear', async () => {
    const now = new Date()
    const id = await scheduleMaintenance(
      db.orm,
      db.boss,
      admin,
      {
        title: 'Database upgrade',
        message: 'Writes pause for a minute.',
        startsAt: new Date(now.getTime() + 86_400_000),
        endsAt: new Date(now.getTime() + 90_000_000),
        componentIds: [webId],
      },
      { now, links: links() },
    )
    const json = await (await app.get(`${page()}/status.json`)).json()
    expect(json.maintenance).toMatchObject([
      {
        title: 'Database upgrade',
        phase: 'upcoming',
        components: [{ id: webId, name: 'Web app' }],
      },
    ])
    const view = await statusAdminView(db.orm, admin, now)
    expect(view.maintenance[0]).toMatchObject({ title: 'Database upgrade', phase: 'Upcoming' })
    await cancelMaintenance(db.orm, admin, id, now)
    expect((await (await app.get(`${page()}/status.json`)).json()).maintenance).toEqual([])
  })

  it('refuses a window that ends before it starts, with a field error', async () => {
    const now = new Date()
    const error = await thrownBy(
      scheduleMaintenance(
        db.orm,
        db.boss,
        admin,
        {
          title: 'Backwards',
          message: '',
          startsAt: new Date(now.getTime() + 7_200_000),
          endsAt: new Date(now.getTime() + 3_600_000),
          componentIds: [],
        },
        { now, links: links() },
      ),
    )
    expect(error).toMatchObject({ field: 'endsAt' })
  })
})

describe('subscribers', () => {
  const outbox = async (to: string) =>
    db.query<{
      subject: string
      body_text: string
      headers: Record<string, string> | null
      kind: string
    }>(
      `select subject, body_text, headers, kind from email_outbox
        where organization_id = $1 and to_address = $2 order by created_at`,
      [db.organizationId, to],
    )
  const linkIn = (text: string, path: string) => {
    const match = new RegExp(`${APP_URL}(/status/[^\\s]+${path}\\?token=[\\w.-]+)`).exec(text)
    expect(match).not.toBeNull()
    return match![1]!
  }

  it('confirms by the e-mailed link (double opt-in), then e-mails updates with a one-click unsubscribe', async () => {
    const email = 'visitor@example.org'
    const answer = await app.post(`${page()}/subscribe`, { email: ' Visitor@Example.org ' })
    expect(answer.status).toBe(200)
    expect(await answer.text()).toContain('Check your inbox')
    const [confirmation] = await outbox(email)
    expect(confirmation!.kind).toBe('status.subscription_confirm')
    const [row] = await db.query<{ confirmed_at: Date | null }>(
      `select confirmed_at from status_subscriber where email = $1`,
      [email],
    )
    expect(row!.confirmed_at).toBeNull()

    // Nothing is sent to an address that has not confirmed.
    const { number } = await declareIncident(db.orm, commander, {
      title: 'T',
      summary: '',
      severity: 'SEV-3',
    })
    await postPublicUpdate(
      db.orm,
      db.boss,
      commander,
      number,
      { title: 'Slow logins', status: 'investigating', body: 'Logins are slow.', components: [] },
      { now: new Date(), links: links() },
    )
    expect(await outbox(email)).toHaveLength(1)

    const confirmed = await app.get(linkIn(confirmation!.body_text, '/subscribe/confirm'))
    expect(confirmed.status).toBe(200)
    expect(await confirmed.text()).toContain('Subscription confirmed')

    await postPublicUpdate(
      db.orm,
      db.boss,
      commander,
      number,
      { title: 'Slow logins', status: 'monitoring', body: 'A fix is out.', components: [] },
      { now: new Date(), links: links() },
    )
    const mails = await outbox(email)
    expect(mails).toHaveLength(2)
    const notice = mails[1]!
    expect(notice.subject).toContain('Slow logins — Monitoring')
    expect(notice.body_text).toContain('A fix is out.')
    expect(notice.headers!['List-Unsubscribe']).toMatch(
      /^<http:\/\/app\.example\.test\/status\/.+\/unsubscribe\?token=.+>$/,
    )
    expect(notice.headers!['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click')

    // RFC 8058 one-click: a POST to the header's URL.
    const unsubscribeUrl = notice.headers!['List-Unsubscribe']!.slice(APP_URL.length + 1, -1)
    const gone = await app.post(
      unsubscribeUrl,
      { 'List-Unsubscribe': 'One-Click' },
      { origin: null },
    )
    expect(gone.status).toBe(200)
    await postPublicUpdate(
      db.orm,
      db.boss,
      commander,
      number,
      { title: 'Slow logins', status: 'resolved', body: 'Done.', components: [] },
      { now: new Date(), links: links() },
    )
    expect(await outbox(email)).toHaveLength(2)
  })

  it('answers every address the same, and says nothing about who is subscribed', async () => {
    const fresh = await app.post(`${page()}/subscribe`, { email: 'new-person@example.org' })
    const known = await app.post(`${page()}/subscribe`, { email: 'visitor@example.org' })
    expect(fresh.status).toBe(known.status)
    const strip = (html: string) => html.replace(/new-person|visitor/g, '')
    expect(strip(await fresh.text())).toBe(strip(await known.text()))
  })

  it('refuses a bad address with 400 and stores nothing', async () => {
    const before = await count('status_subscriber')
    const answer = await app.post(`${page()}/subscribe`, { email: 'not-an-address' })
    expect(answer.status).toBe(400)
    expect(await count('status_subscriber')).toBe(before)
  })

  it('limits attempts per address and per client address', async () => {
    const ip = '10.99.0.1'
    for (let i = 0; i < SUBSCRIBE_LIMITS.perAddress; i++)
      expect((await app.post(`${page()}/subscribe`, { email: 'limited@example.org' })).status).toBe(
        200,
      )
    expect((await app.post(`${page()}/subscribe`, { email: 'limited@example.org' })).status).toBe(
      429,
    )
    expect(await outbox('limited@example.org')).toHaveLength(SUBSCRIBE_LIMITS.perAddress)
    for (let i = 0; i < SUBSCRIBE_LIMITS.perClient; i++)
      await app.post(`${page()}/subscribe`, { email: `a${i}@example.org` }, { ip })
    expect(
      (await app.post(`${page()}/subscribe`, { email: 'one-more@example.org' }, { ip })).status,
    ).toBe(429)
  })

  it('refuses a tampered, expired, wrong-purpose or other organization’s link', async () => {
    const [subscriber] = await db.query<{ id: string }>(
      `select id from status_subscriber where email = 'new-person@example.org'`,
    )
    const claims = { organizationId: db.organizationId, subscriberId: subscriber!.id }
    const valid = signLink(SECRET, { ...claims, purpose: 'confirm' }, new Date())
    const tampered = `${valid.slice(0, -2)}${valid.endsWith('A') ? 'B' : 'A'}`
    const expired = signLink(
      SECRET,
      { ...claims, purpose: 'confirm' },
      new Date(Date.now() - 3 * 86_400_000),
    )
    const wrongPurpose = signLink(SECRET, { ...claims, purpose: 'unsubscribe' }, new Date())
    const otherSecret = signLink(
      'another-secret-entirely-0123456789',
      { ...claims, purpose: 'confirm' },
      new Date(),
    )
    for (const token of [tampered, expired, wrongPurpose, otherSecret, 'garbage']) {
      const answer = await app.get(`${page()}/subscribe/confirm?token=${encodeURIComponent(token)}`)
      expect(answer.status).toBe(400)
    }
    // A valid link of this organization, presented at another organization's page.
    const otherPage = `/status/${otherAdmin.organization.slug}`
    expect((await app.get(`${otherPage}/subscribe/confirm?token=${valid}`)).status).toBe(400)
    const [row] = await db.query<{ confirmed_at: Date | null }>(
      `select confirmed_at from status_subscriber where id = $1`,
      [subscriber!.id],
    )
    expect(row!.confirmed_at).toBeNull()
    expect((await app.get(`${page()}/subscribe/confirm?token=${valid}`)).status).toBe(200)
  })
})
