import type { ServerBuild } from '@remix-run/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiToken } from '~/domain/api/tokens.server'
import { IncidentSchema as ApiIncidentSchema } from '~/domain/api/schemas'
import { declareIncident } from '~/domain/incident/incident-service.server'
import { listIncidentRoles } from '~/domain/incident/incident-roles.server'
import { setUpTestDatabase } from '../support/database'
import { decodeEntities } from '../support/html'
import { startInProcessApp, type RunningApp } from '../support/in-process-app'
import {
  addSignedInMember,
  eventCount,
  loadIncident,
  type SignedInMember,
} from '../support/incidents'
import { loadRemixBuild } from '../support/remix-build'

/**
 * Reclassification, links and incident roles through the real app: the incident page's forms
 * (refusals as the person sees them, nothing written), the admin's roles page and the JSON API.
 */

const db = setUpTestDatabase('reclassification_http')

let build: ServerBuild
let app: RunningApp
let manager: SignedInMember
let engineer: SignedInMember
let admin: SignedInMember
let other: SignedInMember

beforeAll(async () => {
  build = await loadRemixBuild()
  app = await startInProcessApp(db, build)
  manager = await addSignedInMember(db, db.organizationId, 'manager', { name: 'Mara Manager' })
  engineer = await addSignedInMember(db, db.organizationId, 'engineer', { name: 'Erin Engineer' })
  admin = await addSignedInMember(db, db.organizationId, 'admin', { name: 'Ada Admin' })
  const otherOrg = await db.createOrganization('Other Org')
  other = await addSignedInMember(db, otherOrg, 'manager', { name: 'Otto Other' })
})
afterAll(async () => {
  await app?.close()
})

const declare = async (who: SignedInMember, title: string) =>
  (
    await declareIncident(db.orm, who.member, {
      title,
      summary: 'Card payments fail.',
      severity: 'SEV-2',
    })
  ).number

const versionOf = async (number: number) =>
  String((await loadIncident(db.orm, db.organizationId, number)).incident.version)

const page = async (number: number, who: SignedInMember) =>
  decodeEntities(await (await app.get(`/incidents/${number}`, { cookie: who.cookie })).text())

describe('the incident page', () => {
  it('reclassifies as a duplicate and shows the link on both incidents', async () => {
    const original = await declare(manager, 'Checkout down')
    const duplicate = await declare(manager, 'Payments failing')
    const response = await app.post(
      `/incidents/${duplicate}`,
      {
        intent: 'reclassify',
        classification: 'duplicate',
        targetNumber: `INC-${original}`,
        reason: 'Reported twice',
        version: await versionOf(duplicate),
      },
      { cookie: manager.cookie },
    )
    expect(response.status).toBe(302)
    const duplicatePage = await page(duplicate, manager)
    expect(duplicatePage).toContain(`Duplicate of <a`)
    expect(duplicatePage).toContain('Undo reclassification')
    expect(duplicatePage).toContain('reclassified the incident: duplicate of INC-')
    expect(await page(original, manager)).toContain(
      `INC-${duplicate} is a duplicate of this incident`,
    )
    // The list's open view leaves it out; the original stays.
    const list = await (await app.get('/incidents', { cookie: manager.cookie })).text()
    expect(list).toContain(`href="/incidents/${original}"`)
    expect(list).not.toContain(`href="/incidents/${duplicate}"`)
  })

  it('answers an engineer’s reclassification with 403 and writes nothing', async () => {
    const number = await declare(engineer, 'Search slow')
    const before = await eventCount(db, db.organizationId, number)
    const response = await app.post(
      `/incidents/${number}`,
      {
        intent: 'reclassify',
        classification: 'declined',
        reason: 'Not real',
        version: await versionOf(number),
      },
      { cookie: engineer.cookie },
    )
    expect(response.status).toBe(403)
    expect(await eventCount(db, db.organizationId, number)).toEqual(before)
    // Nor is the form offered to them.
    expect(await page(number, engineer)).not.toContain('aria-label="Reclassify"')
  })

  it('names another organization’s INC-n as not found, a stale form as a conflict; nothing written', async () => {
    const theirs = await declareIncident(db.orm, other.member, {
      title: 'Their incident',
      summary: '',
      severity: 'SEV-3',
    })
    const number = await declare(manager, 'Queue backlog')
    // This organization's INC-n of that number exists only if it was declared; ask for one that is not.
    const missing = theirs.number + 1000
    const before = await eventCount(db, db.organizationId, number)
    const notFound = await app.post(
      `/incidents/${number}`,
      {
        intent: 'reclassify',
        classification: 'merged',
        targetNumber: String(missing),
        reason: 'Same thing',
        version: await versionOf(number),
      },
      { cookie: manager.cookie },
    )
    expect(notFound.status).toBe(400)
    expect(decodeEntities(await notFound.text())).toContain(
      `There is no INC-${missing} in this organization.`,
    )
    // The other organization's incident, seen from there, is not this organization's INC-n.
    const fromThere = await app.post(
      `/incidents/${theirs.number}`,
      {
        intent: 'link',
        relatedNumber: String(number),
        version: String(
          (await loadIncident(db.orm, other.member.organization.id, theirs.number)).incident
            .version,
        ),
      },
      { cookie: other.cookie },
    )
    expect(fromThere.status).toBe(400)
    expect(decodeEntities(await fromThere.text())).toContain(
      `There is no INC-${number} in this organization.`,
    )

    const stale = await app.post(
      `/incidents/${number}`,
      {
        intent: 'reclassify',
        classification: 'declined',
        reason: 'Not an incident',
        version: String(Number(await versionOf(number)) - 1),
      },
      { cookie: manager.cookie },
    )
    expect(stale.status).toBe(409)
    expect(decodeEntities(await stale.text())).toContain(
      'This incident changed since you opened it.',
    )
    const bad = await app.post(
      `/incidents/${number}`,
      {
        intent: 'reclassify',
        classification: 'duplicate',
        targetNumber: 'INC-x',
        reason: '',
        version: await versionOf(number),
      },
      { cookie: manager.cookie },
    )
    expect(bad.status).toBe(400)
    const badPage = decodeEntities(await bad.text())
    expect(badPage).toContain('Give an incident number, e.g. INC-12')
    expect(badPage).toContain('Give a reason')
    expect(await eventCount(db, db.organizationId, number)).toEqual(before)
  })

  it('adds and removes a related link, and the commander assigns a Communications lead', async () => {
    const a = await declare(engineer, 'Cache misses')
    const b = await declare(manager, 'Slow pages')
    const linked = await app.post(
      `/incidents/${a}`,
      { intent: 'link', relatedNumber: `inc ${b}`, version: await versionOf(a) },
      { cookie: engineer.cookie },
    )
    expect(linked.status).toBe(302)
    expect(await page(b, manager)).toContain(`Related to INC-${a}`)

    const roles = await listIncidentRoles(db.orm, db.organizationId)
    const fields = new URLSearchParams({ intent: 'roles', version: await versionOf(a) })
    for (const role of roles) {
      fields.append('roleId', role.id)
      fields.append('holder', role.key === 'communications_lead' ? manager.member.user.id : '')
    }
    const saved = await fetch(`${app.baseUrl}/incidents/${a}`, {
      method: 'POST',
      headers: { Cookie: engineer.cookie, Origin: app.baseUrl },
      body: fields,
      redirect: 'manual',
    })
    expect(saved.status).toBe(302)
    const after = await page(a, engineer)
    expect(after).toContain('made Mara Manager Communications lead')

    const unlinked = await app.post(
      `/incidents/${a}`,
      { intent: 'unlink', relatedNumber: String(b), version: await versionOf(a) },
      { cookie: manager.cookie },
    )
    expect(unlinked.status).toBe(302)
    expect(await page(b, manager)).not.toContain(`Related to INC-${a}`)
  })
})

describe('the incident roles settings page', () => {
  it('lets an admin add a role and refuses a manager', async () => {
    const refused = await app.get('/admin/incident-roles', { cookie: manager.cookie })
    expect(refused.status).toBe(403)
    const added = await app.post(
      '/admin/incident-roles',
      { intent: 'add', name: 'Customer <liaison>' },
      { cookie: admin.cookie },
    )
    expect(added.status).toBe(302)
    const html = await (await app.get('/admin/incident-roles', { cookie: admin.cookie })).text()
    expect(html).toContain('Customer &lt;liaison&gt;')
    expect(html).not.toContain('Customer <liaison>')
    const twice = await app.post(
      '/admin/incident-roles',
      { intent: 'add', name: 'customer <LIAISON>' },
      { cookie: admin.cookie },
    )
    expect(twice.status).toBe(400)
    expect(decodeEntities(await twice.text())).toContain('There already is a role with this name.')
  })
})

describe('the JSON API', () => {
  it('gives classification, classifiedAsOf, relatedIncidents and roles, and 404 for another organization', async () => {
    const survivor = await declare(manager, 'Login loops')
    const merged = await declare(manager, 'Sessions expire')
    await app.post(
      `/incidents/${merged}`,
      {
        intent: 'reclassify',
        classification: 'merged',
        targetNumber: String(survivor),
        reason: 'One problem',
        version: await versionOf(merged),
      },
      { cookie: manager.cookie },
    )
    const { token } = await createApiToken(db.orm, manager.member, {
      name: 'reclass',
      expiresIn: 'never',
    })
    const get = (path: string, bearer = token) =>
      fetch(`${app.baseUrl}${path}`, { headers: { Authorization: `Bearer ${bearer}` } })
    const body = (await (await get(`/api/v1/incidents/${merged}`)).json()) as Record<
      string,
      unknown
    >
    expect(ApiIncidentSchema.safeParse(body).success).toBe(true)
    expect(body).toMatchObject({
      classification: 'merged',
      classifiedAsOf: `INC-${survivor}`,
      relatedIncidents: [
        {
          id: `INC-${survivor}`,
          kind: 'merged_into',
          direction: 'to',
          text: `Merged into INC-${survivor}`,
        },
      ],
      roles: [],
    })
    const target = (await (await get(`/api/v1/incidents/${survivor}`)).json()) as Record<
      string,
      unknown
    >
    expect(target).toMatchObject({
      classification: 'incident',
      classifiedAsOf: null,
      relatedIncidents: [{ id: `INC-${merged}`, kind: 'merged_into', direction: 'from' }],
    })
    const { token: otherToken } = await createApiToken(db.orm, other.member, {
      name: 'other',
      expiresIn: 'never',
    })
    // Only this organization has that many incidents: the other gets 404.
    expect((await get(`/api/v1/incidents/${merged}`, otherToken)).status).toBe(404)
  })
})
