import type { ServerBuild } from '@remix-run/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Role } from '~/domain/access/permissions'
import { NOTIFICATION_KINDS, NOTIFICATION_KIND_LABELS, wantsEmail } from '~/domain/notify/kinds'
import {
  PreferenceError,
  disabledKindsFor,
  getPreferences,
  savePreferences,
} from '~/domain/notify/preferences.server'
import { cookiePair, createUser, signIn, thrownBy } from '../support/access'
import { setUpTestDatabase } from '../support/database'
import { decodeEntities } from '../support/html'
import { addSignedInMember, type SignedInMember } from '../support/incidents'
import { randomIp, startInProcessApp, type RunningApp } from '../support/in-process-app'
import { loadRemixBuild } from '../support/remix-build'

/** Notification preferences: the page any member uses for themselves, and what the worker reads. */

const db = setUpTestDatabase('notification_prefs')

let build: ServerBuild
let app: RunningApp

beforeAll(async () => {
  build = await loadRemixBuild()
  app = await startInProcessApp(db, build)
})
afterAll(async () => {
  await app?.close()
})

type Person = SignedInMember

const person = (role: Role, organizationId = db.organizationId): Promise<Person> =>
  addSignedInMember(db, organizationId, role)

async function storedRows(userId: string) {
  return db.query<{ organization_id: string; disabled_kinds: string[] }>(
    'select organization_id, disabled_kinds from notification_preference where user_id = $1',
    [userId],
  )
}

/** Each kind's checkbox on the page: its label text and whether it is checked. */
function checkboxes(html: string) {
  return [
    ...html.matchAll(
      /<label[^>]*><input([^>]*name="receive"[^>]*)\/?><span>(.*?)<\/span><\/label>/g,
    ),
  ].map((m) => ({
    kind: /value="([^"]+)"/.exec(m[1]!)![1],
    checked: /\bchecked\b/.test(m[1]!),
    label: m[2],
  }))
}

function flashOf(html: string) {
  const banner = /<div role="(?:status|alert)"[^>]*>(.*?)<\/div>/s.exec(html)
  return banner ? banner[1]!.replace(/<!-- -->|<[^>]+>/g, '').trim() : null
}

/** Submits the form with these boxes checked, as a browser does (unchecked boxes send nothing). */
function save(who: Person, receive: readonly string[]) {
  return fetch(`${app.baseUrl}/account/notifications`, {
    method: 'POST',
    body: new URLSearchParams(receive.map((kind) => ['receive', kind])),
    redirect: 'manual',
    headers: { Cookie: who.cookie, Origin: app.baseUrl, 'X-Forwarded-For': randomIp() },
  })
}

async function pageOf(who: Person, extraCookie?: string) {
  const response = await app.get('/account/notifications', {
    cookie: extraCookie ? `${who.cookie}; ${extraCookie}` : who.cookie,
  })
  expect(response.status).toBe(200)
  return decodeEntities(await response.text())
}

describe('the preferences page', () => {
  it.each<Role>(['engineer', 'manager', 'admin'])(
    'shows a %s every kind, checked until turned off, with the breach note',
    async (role) => {
      const someone = await person(role)
      const html = await pageOf(someone)
      expect(checkboxes(html)).toEqual(
        NOTIFICATION_KINDS.map((kind) => ({
          kind,
          checked: true,
          label: NOTIFICATION_KIND_LABELS[kind],
        })),
      )
      expect(html).toContain(
        'E-mails about SLA breaches of incidents you command are always sent, even if you turn breach e-mails off.',
      )
      expect(html).toMatch(/<button[^>]*type="submit"[^>]*>Save preferences<\/button>/)
    },
  )

  it('stores the unchecked kinds, flashes, and shows them unchecked afterwards', async () => {
    const someone = await person('engineer')
    const receive = NOTIFICATION_KINDS.filter((k) => k !== 'sla.warning' && k !== 'sla.breached')
    const response = await save(someone, receive)
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe('/account/notifications')
    expect(await storedRows(someone.member.user.id)).toEqual([
      { organization_id: db.organizationId, disabled_kinds: ['sla.warning', 'sla.breached'] },
    ])
    const html = await pageOf(someone, cookiePair(response.headers.get('set-cookie')!))
    expect(flashOf(html)).toBe('Done: Notification preferences saved.')
    expect(
      checkboxes(html)
        .filter((c) => !c.checked)
        .map((c) => c.kind),
    ).toEqual(['sla.warning', 'sla.breached'])
  })

  it('saving again replaces the row; checking everything turns nothing off', async () => {
    const someone = await person('manager')
    expect((await save(someone, [])).status).toBe(302)
    expect((await storedRows(someone.member.user.id))[0]!.disabled_kinds).toEqual([
      ...NOTIFICATION_KINDS,
    ])
    expect((await save(someone, NOTIFICATION_KINDS)).status).toBe(302)
    expect(await storedRows(someone.member.user.id)).toEqual([
      { organization_id: db.organizationId, disabled_kinds: [] },
    ])
  })

  it('refuses a kind that does not exist and keeps what was stored', async () => {
    const someone = await person('engineer')
    await save(someone, ['incident.declared'])
    const before = await storedRows(someone.member.user.id)
    const response = await save(someone, ['incident.declared', 'marketing.newsletter'])
    expect(response.status).toBe(400)
    expect(decodeEntities(await response.text())).toContain(
      'Choose notification kinds from the list.',
    )
    expect(await storedRows(someone.member.user.id)).toEqual(before)
  })

  it('sends someone signed out to log in, and refuses someone without an organization', async () => {
    const signedOut = await app.get('/account/notifications')
    expect(signedOut.status).toBe(302)
    expect(signedOut.headers.get('location')).toMatch(/^\/login/)

    const loner = await createUser(db)
    const session = await signIn(db, { userId: loner.userId, organizationId: null })
    expect((await app.get('/account/notifications', { cookie: session.cookie })).status).toBe(403)
    const post = await fetch(`${app.baseUrl}/account/notifications`, {
      method: 'POST',
      body: new URLSearchParams(),
      redirect: 'manual',
      headers: { Cookie: session.cookie, Origin: app.baseUrl, 'X-Forwarded-For': randomIp() },
    })
    expect(post.status).toBe(403)
    expect(await storedRows(loner.userId)).toEqual([])
  })

  it('is linked from the account page', async () => {
    const someone = await person('engineer')
    const account = await app.get('/account', { cookie: someone.cookie })
    expect(await account.text()).toMatch(
      /<a[^>]*href="\/account\/notifications"[^>]*>Notification preferences<\/a>/,
    )
  })
})

describe('preference services', () => {
  it('refuse unknown kinds and store known ones once each, in the usual order', async () => {
    const { member } = await person('engineer')
    const error = await thrownBy(savePreferences(db.orm, member, ['sla.warning', 'bogus']))
    expect(error).toBeInstanceOf(PreferenceError)
    expect(await storedRows(member.user.id)).toEqual([])
    expect(
      await savePreferences(db.orm, member, ['sla.breached', 'incident.declared', 'sla.breached']),
    ).toEqual(['incident.declared', 'sla.breached'])
    expect(await getPreferences(db.orm, member)).toEqual({
      disabledKinds: ['incident.declared', 'sla.breached'],
    })
  })

  it('keep each organization’s preferences apart for a member of two', async () => {
    const otherOrganization = await db.createOrganization('Second Org')
    const { member } = await person('engineer')
    await db.query(
      `insert into membership (organization_id, user_id, role, active) values ($1, $2, 'manager', true)`,
      [otherOrganization, member.user.id],
    )
    const elsewhere = { ...member, organization: { ...member.organization, id: otherOrganization } }
    await savePreferences(db.orm, member, ['escalation'])
    await savePreferences(db.orm, elsewhere, ['sla.warning'])
    expect((await getPreferences(db.orm, member)).disabledKinds).toEqual(['escalation'])
    expect((await getPreferences(db.orm, elsewhere)).disabledKinds).toEqual(['sla.warning'])

    const here = await db.inOrg((em) => disabledKindsFor(em, db.organizationId, [member.user.id]))
    const there = await db.inOrg(
      (em) => disabledKindsFor(em, otherOrganization, [member.user.id]),
      otherOrganization,
    )
    expect(here).toEqual(new Map([[member.user.id, ['escalation']]]))
    expect(there).toEqual(new Map([[member.user.id, ['sla.warning']]]))
  })

  it('disabledKindsFor answers every user asked about, empty when they never saved', async () => {
    const saved = await person('engineer')
    const never = await person('engineer')
    await savePreferences(db.orm, saved.member, ['sla.breached'])
    const map = await db.inOrg((em) =>
      disabledKindsFor(em, db.organizationId, [
        saved.member.user.id,
        never.member.user.id,
        saved.member.user.id,
      ]),
    )
    expect(map).toEqual(
      new Map([
        [saved.member.user.id, ['sla.breached']],
        [never.member.user.id, []],
      ]),
    )
    expect(await db.inOrg((em) => disabledKindsFor(em, db.organizationId, []))).toEqual(new Map())
    // A breach of an incident they command still reaches them; other breaches do not.
    const disabled = map.get(saved.member.user.id)!
    expect(wantsEmail(disabled, 'sla.breached', { isCommander: true })).toBe(true)
    expect(wantsEmail(disabled, 'sla.breached', { isCommander: false })).toBe(false)
  })
})
