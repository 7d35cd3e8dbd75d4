import type { ServerBuild } from '@remix-run/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Role } from '~/domain/access/permissions'
import { declareIncident } from '~/domain/incident/incident-service.server'
import { SEVERITIES, type Severity } from '~/domain/incident/vocabulary'
import type { SlaTargets } from '~/domain/sla/policy'
import { cookiePair } from '../support/access'
import { setUpTestDatabase } from '../support/database'
import { decodeEntities } from '../support/html'
import { addSignedInMember, type SignedInMember } from '../support/incidents'
import { startInProcessApp, type RunningApp } from '../support/in-process-app'
import { loadRemixBuild } from '../support/remix-build'

/**
 * The SLA policy page over HTTP, as a browser without JavaScript uses it: what each save stores
 * (a new version row), what a refused save shows and keeps, and which version incidents run on.
 */

const db = setUpTestDatabase('admin_sla')

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

const person = (role: Role, organizationId: string, name?: string): Promise<Person> =>
  addSignedInMember(db, organizationId, role, { name })

async function freshOrganization() {
  const organizationId = await db.createOrganization('SLA Org')
  const admin = await person('admin', organizationId, 'Ada Admin')
  return { organizationId, admin }
}

async function versions(organizationId: string) {
  return db.query<{ id: string; version: number; targets: SlaTargets; created_by: string | null }>(
    'select id, version, targets, created_by from sla_policy where organization_id = $1 order by version',
    [organizationId],
  )
}

const textOf = (html: string) =>
  html
    .replace(/<!-- -->/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')

/** The opening tag of the control a <label> with this text points at. */
function controlLabelled(html: string, label: string) {
  const labels = [...html.matchAll(/<label[^>]*for="([^"]+)"[^>]*>(.*?)<\/label>/gs)]
  const found = labels.find((m) => m[2]!.replace(/<[^>]+>/g, '').trim() === label)
  if (!found) throw new Error(`no label "${label}"`)
  const id = found[1]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const control = new RegExp(`<input[^>]*\\bid="${id}"[^>]*>`, 's').exec(html)
  if (!control) throw new Error(`no control for "${label}"`)
  return { tag: control[0], id: found[1]! }
}

function valueOf(html: string, label: string) {
  return /\bvalue="([^"]*)"/.exec(controlLabelled(html, label).tag)?.[1] ?? ''
}

/** The error messages shown for the control with this label. */
function errorsFor(html: string, label: string) {
  const { tag, id } = controlLabelled(html, label)
  if (!/aria-invalid="true"/.test(tag)) return []
  const list = new RegExp(
    `<ul id="${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-error"[^>]*>(.*?)</ul>`,
    's',
  ).exec(html)
  return list ? [...list[1]!.matchAll(/<li>(.*?)<\/li>/g)].map((m) => m[1]) : []
}

function baseVersionOf(html: string) {
  return Number(/<input type="hidden" name="baseVersion" value="(\d+)"/.exec(html)?.[1])
}

function flashOf(html: string) {
  const banner = /<div role="(?:status|alert)"[^>]*>(.*?)<\/div>/s.exec(html)
  return banner ? banner[1]!.replace(/<!-- -->|<[^>]+>/g, '').trim() : null
}

function alertOf(html: string) {
  const alert = /<div id="[^"]*"[^>]*role="alert"[^>]*>(.*?)<\/div>/s.exec(html)
  return alert ? alert[1]!.replace(/<[^>]+>/g, '').trim() : null
}

type Row = { acknowledge: string; mitigate: string; resolve: string; warningPercent: string }

const TYPED: Record<Severity, Row> = {
  'SEV-1': { acknowledge: '10m', mitigate: '1h 30m', resolve: '3h', warningPercent: '80' },
  'SEV-2': { acknowledge: '20m', mitigate: '2h', resolve: '1d', warningPercent: '75' },
  'SEV-3': { acknowledge: '2h', mitigate: '', resolve: '3d', warningPercent: '60' },
  'SEV-4': { acknowledge: '1d', mitigate: '', resolve: '1w', warningPercent: '50' },
}
const STORED: SlaTargets = {
  'SEV-1': { acknowledge: 600, mitigate: 5400, resolve: 10_800, warningPercent: 80 },
  'SEV-2': { acknowledge: 1200, mitigate: 7200, resolve: 86_400, warningPercent: 75 },
  'SEV-3': { acknowledge: 7200, mitigate: null, resolve: 259_200, warningPercent: 60 },
  'SEV-4': { acknowledge: 86_400, mitigate: null, resolve: 604_800, warningPercent: 50 },
}

function policyForm(
  baseVersion: number,
  change: (rows: Record<Severity, Row>) => void = () => {},
): Record<string, string> {
  const rows = structuredClone(TYPED)
  change(rows)
  const fields: Record<string, string> = { baseVersion: String(baseVersion) }
  for (const severity of SEVERITIES) {
    for (const [key, value] of Object.entries(rows[severity])) fields[`${severity}.${key}`] = value
  }
  return fields
}

async function page(who: Person, extraCookie?: string) {
  const response = await app.get('/admin/sla', {
    cookie: extraCookie ? `${who.cookie}; ${extraCookie}` : who.cookie,
  })
  expect(response.status).toBe(200)
  return decodeEntities(await response.text())
}

describe('the SLA policy page', () => {
  it('shows version 1 from the defaults, labelled inputs per severity, and what targets mean', async () => {
    const { organizationId, admin } = await freshOrganization()
    const html = await page(admin)
    const text = textOf(html)
    expect(text).toContain('Current version: 1')
    expect(valueOf(html, 'SEV-1 acknowledge target')).toBe('15m')
    expect(valueOf(html, 'SEV-1 mitigate target')).toBe('1h')
    expect(valueOf(html, 'SEV-1 resolve target')).toBe('4h')
    expect(valueOf(html, 'SEV-3 mitigate target')).toBe('')
    expect(valueOf(html, 'SEV-4 resolve target')).toBe('7d')
    expect(valueOf(html, 'SEV-2 warning threshold (%)')).toBe('75')
    expect(controlLabelled(html, 'SEV-2 warning threshold (%)').tag).toContain('type="number"')
    expect(baseVersionOf(html)).toBe(1)
    expect(text).toContain('Every target runs from impact start')
    expect(text).toContain('Incidents keep the policy version in force when they were declared')
    expect(text).toContain(
      'When an incident’s severity changes, it moves to that severity’s targets',
    )
    expect(html).toMatch(/<button[^>]*type="submit"[^>]*>Save SLA policy<\/button>/)
    expect(text).toMatch(/1 Default targets/)
    expect(await versions(organizationId)).toHaveLength(1)
  })

  it.each<Role>(['engineer', 'manager'])(
    'answers a %s 403 on GET and POST, saving nothing',
    async (role) => {
      const { organizationId } = await freshOrganization()
      const someone = await person(role, organizationId)
      expect((await app.get('/admin/sla', { cookie: someone.cookie })).status).toBe(403)
      const response = await app.post('/admin/sla', policyForm(1), { cookie: someone.cookie })
      expect(response.status).toBe(403)
      expect((await versions(organizationId)).filter((v) => v.version > 1)).toEqual([])
    },
  )
})

describe('saving', () => {
  it('stores valid targets as version 2 and says so', async () => {
    const { organizationId, admin } = await freshOrganization()
    await page(admin)
    const response = await app.post('/admin/sla', policyForm(1), { cookie: admin.cookie })
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe('/admin/sla')
    const rows = await versions(organizationId)
    expect(rows.map((r) => r.version)).toEqual([1, 2])
    expect(rows[1]).toMatchObject({ targets: STORED, created_by: admin.member.user.id })

    const html = await page(admin, cookiePair(response.headers.get('set-cookie')!))
    expect(flashOf(html)).toBe('Done: SLA policy saved as version 2')
    expect(textOf(html)).toContain('Current version: 2')
    expect(valueOf(html, 'SEV-1 mitigate target')).toBe('1h 30m')
    expect(valueOf(html, 'SEV-4 resolve target')).toBe('7d')
    expect(baseVersionOf(html)).toBe(2)
    expect(textOf(html)).toMatch(/2 Ada Admin/)
  })

  it('refuses a duration it cannot read: field error, typed values kept, no new version', async () => {
    const { organizationId, admin } = await freshOrganization()
    const response = await app.post(
      '/admin/sla',
      policyForm(1, (rows) => {
        rows['SEV-2'].mitigate = 'soon'
        rows['SEV-4'].warningPercent = '100'
      }),
      { cookie: admin.cookie },
    )
    expect(response.status).toBe(400)
    const html = decodeEntities(await response.text())
    expect(errorsFor(html, 'SEV-2 mitigate target')).toEqual([
      'Enter a duration like 15m, 1h 30m or 3d, or leave it empty',
    ])
    expect(errorsFor(html, 'SEV-4 warning threshold (%)')).toEqual([
      'Enter a whole percentage from 1 to 99',
    ])
    expect(errorsFor(html, 'SEV-1 acknowledge target')).toEqual([])
    expect(valueOf(html, 'SEV-2 mitigate target')).toBe('soon')
    expect(valueOf(html, 'SEV-1 mitigate target')).toBe('1h 30m')
    expect(baseVersionOf(html)).toBe(1)
    expect((await versions(organizationId)).map((v) => v.version)).toEqual([1])
  })

  it('refuses a later target shorter than an earlier one, and one under a minute', async () => {
    const { organizationId, admin } = await freshOrganization()
    const response = await app.post(
      '/admin/sla',
      policyForm(1, (rows) => {
        rows['SEV-1'].resolve = '5m'
        rows['SEV-3'].acknowledge = '30s'
      }),
      { cookie: admin.cookie },
    )
    expect(response.status).toBe(400)
    const html = decodeEntities(await response.text())
    expect(errorsFor(html, 'SEV-1 resolve target')).toEqual([
      'A later target cannot be shorter than an earlier one.',
    ])
    expect(errorsFor(html, 'SEV-3 acknowledge target')).toEqual([
      'Enter a duration between 1 minute and 365 days.',
    ])
    expect((await versions(organizationId)).map((v) => v.version)).toEqual([1])
  })

  it('refuses a form opened before someone else saved: 409, conflict message, typed values kept', async () => {
    const { organizationId, admin } = await freshOrganization()
    const other = await person('admin', organizationId, 'Other Admin')
    await page(admin)
    // The other admin saves first, from the same version 1.
    const first = await app.post(
      '/admin/sla',
      policyForm(1, (rows) => (rows['SEV-1'].acknowledge = '5m')),
      { cookie: other.cookie },
    )
    expect(first.status).toBe(302)

    const stale = await app.post(
      '/admin/sla',
      policyForm(1, (rows) => (rows['SEV-1'].acknowledge = '7m')),
      { cookie: admin.cookie },
    )
    expect(stale.status).toBe(409)
    const html = decodeEntities(await stale.text())
    expect(alertOf(html)).toBe(
      'The SLA policy changed since you opened this page (now version 2). Review it and save again.',
    )
    expect(valueOf(html, 'SEV-1 acknowledge target')).toBe('7m')
    expect(valueOf(html, 'SEV-1 mitigate target')).toBe('1h 30m')
    // What the other save stored, beside what was typed.
    expect(textOf(html)).toContain('Version 2 has 5m.')
    expect((await versions(organizationId)).map((v) => v.version)).toEqual([1, 2])

    // Saving again from the page as shown now goes over version 2.
    expect(baseVersionOf(html)).toBe(2)
    const again = await app.post(
      '/admin/sla',
      policyForm(baseVersionOf(html), (rows) => (rows['SEV-1'].acknowledge = '7m')),
      { cookie: admin.cookie },
    )
    expect(again.status).toBe(302)
    const rows = await versions(organizationId)
    expect(rows.map((v) => v.version)).toEqual([1, 2, 3])
    expect(rows[2]!.targets['SEV-1'].acknowledge).toBe(420)
  })

  it('lets only one of two simultaneous saves from the same version through', async () => {
    const { organizationId, admin } = await freshOrganization()
    await page(admin)
    const responses = await Promise.all([
      app.post('/admin/sla', policyForm(1), { cookie: admin.cookie }),
      app.post(
        '/admin/sla',
        policyForm(1, (r) => (r['SEV-2'].resolve = '2d')),
        {
          cookie: admin.cookie,
        },
      ),
    ])
    expect(responses.map((r) => r.status).sort()).toEqual([302, 409])
    expect((await versions(organizationId)).map((v) => v.version)).toEqual([1, 2])
  })
})

describe('which version incidents run on', () => {
  it('a new incident takes the version in force; an older one keeps its own', async () => {
    const { organizationId, admin } = await freshOrganization()
    const before = await declareIncident(db.orm, admin.member, {
      title: 'Before the change',
      summary: '',
      severity: 'SEV-2',
    })
    const response = await app.post('/admin/sla', policyForm(1), { cookie: admin.cookie })
    expect(response.status).toBe(302)
    const after = await declareIncident(db.orm, admin.member, {
      title: 'After the change',
      summary: '',
      severity: 'SEV-2',
    })
    const [v1, v2] = await versions(organizationId)
    const incidents = await db.query<{ number: number; sla_policy_id: string }>(
      'select number, sla_policy_id from incident where organization_id = $1 order by number',
      [organizationId],
    )
    expect(incidents).toEqual([
      { number: before.number, sla_policy_id: v1!.id },
      { number: after.number, sla_policy_id: v2!.id },
    ])
  })
})
