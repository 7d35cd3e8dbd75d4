import type { ServerBuild } from '@remix-run/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Role } from '~/domain/access/permissions'
import {
  EscalationRuleError,
  activeRules,
  createRule,
  ensureDefaultRules,
  listRules,
} from '~/domain/escalation/escalation.server'
import { DEFAULT_ESCALATION_RULES } from '~/domain/escalation/rules'
import { declareIncident } from '~/domain/incident/incident-service.server'
import { cookiePair, thrownBy } from '../support/access'
import { setUpTestDatabase } from '../support/database'
import { decodeEntities } from '../support/html'
import { addMember, addSignedInMember, type SignedInMember } from '../support/incidents'
import { randomIp, startInProcessApp, type RunningApp } from '../support/in-process-app'
import { loadRemixBuild } from '../support/remix-build'

/**
 * Escalation rules: the defaults installed once per organization, and the admin page over HTTP
 * (plain form posts, as a browser without JavaScript sends them) with what each leaves stored.
 */

const db = setUpTestDatabase('admin_escalations')

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

const person = (role: Role, organizationId: string): Promise<Person> =>
  addSignedInMember(db, organizationId, role)

/** A new organization with a signed-in admin, so tests do not share rules. */
async function freshOrganization(name = 'Escalating Org') {
  const organizationId = await db.createOrganization(name)
  const admin = await person('admin', organizationId)
  return { organizationId, admin }
}

interface RuleRow {
  id: string
  name: string
  position: number
  enabled: boolean
  trigger: string
  target: string | null
  max_severity: string
  actions: unknown
  updated_by: string | null
}

async function storedRules(organizationId: string) {
  return db.query<RuleRow>(
    `select id, name, position, enabled, trigger, target, max_severity, actions, updated_by
       from escalation_rule where organization_id = $1 order by position, created_at, id`,
    [organizationId],
  )
}

async function ruleSetMarks(organizationId: string) {
  return db.query('select 1 from escalation_rule_set where organization_id = $1', [organizationId])
}

const names = (rows: Array<{ name: string }>) => rows.map((r) => r.name)
const DEFAULT_NAMES = DEFAULT_ESCALATION_RULES.map((r) => r.name)

describe('the default rules', () => {
  it('are installed on first use, once, at positions 1..n', async () => {
    const { organizationId, admin } = await freshOrganization()
    expect(await storedRules(organizationId)).toEqual([])
    expect(await listRules(db.orm, admin.member)).toHaveLength(DEFAULT_NAMES.length)
    await listRules(db.orm, admin.member)
    const rows = await storedRules(organizationId)
    expect(names(rows)).toEqual(DEFAULT_NAMES)
    expect(rows.map((r) => r.position)).toEqual(DEFAULT_NAMES.map((_, i) => i + 1))
    expect(rows[0]).toMatchObject({
      trigger: 'declared',
      target: null,
      max_severity: 'SEV-2',
      actions: [{ type: 'notify', group: 'managers' }],
    })
    expect(await ruleSetMarks(organizationId)).toHaveLength(1)
  })

  it('are installed once when many first uses race', async () => {
    const { organizationId } = await freshOrganization()
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        db.inOrg((em) => ensureDefaultRules(em, organizationId), organizationId),
      ),
    )
    expect(results.filter(Boolean)).toHaveLength(1)
    expect(names(await storedRules(organizationId))).toEqual(DEFAULT_NAMES)
  })

  it('are installed once when two page requests race', async () => {
    const { organizationId, admin } = await freshOrganization()
    const responses = await Promise.all([
      app.get('/admin/escalations', { cookie: admin.cookie }),
      app.get('/admin/escalations', { cookie: admin.cookie }),
    ])
    expect(responses.map((r) => r.status)).toEqual([200, 200])
    for (const response of responses) {
      const html = await response.text()
      for (const name of DEFAULT_NAMES) expect(html).toContain(name)
    }
    expect(names(await storedRules(organizationId))).toEqual(DEFAULT_NAMES)
  })

  it('do not come back once an admin deleted them all', async () => {
    const { organizationId, admin } = await freshOrganization()
    for (const rule of await listRules(db.orm, admin.member)) {
      const response = await app.post(
        '/admin/escalations',
        { intent: 'delete', id: rule.id },
        { cookie: admin.cookie },
      )
      expect(response.status).toBe(302)
    }
    expect(await storedRules(organizationId)).toEqual([])
    expect(await listRules(db.orm, admin.member)).toEqual([])
    expect(await db.inOrg((em) => activeRules(em, organizationId), organizationId)).toEqual([])
    expect(await storedRules(organizationId)).toEqual([])
  })

  it('ensureDefaultRules refuses to run outside a transaction', async () => {
    const error = await thrownBy(ensureDefaultRules(db.em(), db.organizationId))
    expect((error as Error).message).toMatch(/needs a transaction/)
  })
})

describe('activeRules', () => {
  it('lists enabled rules in position order', async () => {
    const { organizationId, admin } = await freshOrganization()
    const added = await createRule(db.orm, admin.member, {
      name: 'Reopened: tell the commander',
      trigger: 'reopened',
      target: null,
      maxSeverity: 'SEV-4',
      actions: [{ type: 'notify', group: 'commander' }],
    })
    await db.query(
      'update escalation_rule set enabled = false where organization_id = $1 and position = 1',
      [organizationId],
    )
    const active = await db.inOrg((em) => activeRules(em, organizationId), organizationId)
    expect(names(active)).toEqual([...DEFAULT_NAMES.slice(1), 'Reopened: tell the commander'])
    expect(active.at(-1)).toEqual({
      id: added.id,
      name: 'Reopened: tell the commander',
      enabled: true,
      trigger: 'reopened',
      target: null,
      maxSeverity: 'SEV-4',
      actions: [{ type: 'notify', group: 'commander' }],
    })
  })

  it('never shows another organization’s rules', async () => {
    const mine = await freshOrganization('Mine')
    const theirs = await freshOrganization('Theirs')
    await createRule(db.orm, theirs.admin.member, {
      name: 'Theirs only',
      trigger: 'declared',
      target: null,
      maxSeverity: 'SEV-1',
      actions: [{ type: 'raise-severity' }],
    })
    const active = await db.inOrg((em) => activeRules(em, mine.organizationId), mine.organizationId)
    expect(names(active)).toEqual(DEFAULT_NAMES)
  })
})

// ——— HTTP helpers ———

/** A form post as a browser sends it, repeated fields included (checkboxes, multi-selects). */
function post(path: string, fields: Array<[string, string]>, who: Person) {
  return fetch(`${app.baseUrl}${path}`, {
    method: 'POST',
    body: new URLSearchParams(fields),
    redirect: 'manual',
    headers: { Cookie: who.cookie, Origin: app.baseUrl, 'X-Forwarded-For': randomIp() },
  })
}

/** Follows the redirect with the flash cookie and returns the page's decoded HTML. */
async function pageAfter(who: Person, response: Response) {
  expect(response.status).toBe(302)
  expect(response.headers.get('location')).toBe('/admin/escalations')
  const setCookie = response.headers.get('set-cookie')
  const cookie = setCookie ? `${who.cookie}; ${cookiePair(setCookie)}` : who.cookie
  const page = await app.get('/admin/escalations', { cookie })
  expect(page.status).toBe(200)
  return decodeEntities(await page.text())
}

/** The flash banner's text ("Done: …"), or null. */
function flashOf(html: string) {
  const banner = /<div role="(?:status|alert)"[^>]*>(.*?)<\/div>/s.exec(html)
  return banner ? banner[1]!.replace(/<!-- -->|<[^>]+>/g, '').trim() : null
}

async function pageOf(who: Person, path = '/admin/escalations') {
  const page = await app.get(path, { cookie: who.cookie })
  expect(page.status).toBe(200)
  return decodeEntities(await page.text())
}

/** The opening tag of the control a <label> with this text points at. */
function controlLabelled(html: string, label: string) {
  const labels = [...html.matchAll(/<label[^>]*for="([^"]+)"[^>]*>(.*?)<\/label>/gs)]
  const found = labels.find((m) => m[2]!.replace(/<[^>]+>/g, '').trim() === label)
  if (!found) throw new Error(`no label "${label}"`)
  const id = found[1]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const control = new RegExp(`<(input|select|textarea)[^>]*\\bid="${id}"[^>]*>`, 's').exec(html)
  if (!control) throw new Error(`no control for "${label}"`)
  return control[0]
}

/** Values of the selected options of the select named `name`. */
function selected(html: string, name: string) {
  const select = new RegExp(`<select[^>]*name="${name}"[^>]*>(.*?)</select>`, 's').exec(html)
  if (!select) throw new Error(`no select ${name}`)
  return [...select[1]!.matchAll(/<option([^>]*)>/g)]
    .filter((m) => /\bselected\b/.test(m[1]!))
    .map((m) => /value="([^"]*)"/.exec(m[1]!)![1])
}

/** Whether the checkbox of this group with this value is checked. */
function checked(html: string, name: string, value: string) {
  const box = [...html.matchAll(/<input[^>]*>/g)]
    .map((m) => m[0])
    .find((tag) => tag.includes(`name="${name}"`) && tag.includes(`value="${value}"`))
  if (!box) throw new Error(`no checkbox ${name}=${value}`)
  return /\bchecked\b/.test(box)
}

function errorsOf(html: string) {
  return [...html.matchAll(/<ul id="[^"]*-error"[^>]*>(.*?)<\/ul>/gs)].map((m) =>
    m[1]!
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
  )
}

function ruleForm(overrides: Record<string, string | string[]> = {}): Array<[string, string]> {
  const fields: Record<string, string | string[]> = {
    intent: 'add-rule',
    name: 'Breach on majors',
    trigger: 'breach',
    target: 'acknowledge',
    maxSeverity: 'SEV-2',
    groups: ['managers'],
    ...overrides,
  }
  return Object.entries(fields).flatMap(([key, value]) =>
    (Array.isArray(value) ? value : [value]).map((v): [string, string] => [key, v]),
  )
}

async function addEndpoint(organizationId: string, description: string, enabled = true) {
  const [row] = await db.query<{ id: string }>(
    `insert into webhook_endpoint (organization_id, url, description, secret, event_types, enabled)
     values ($1, 'https://hooks.example.com/in', $2, 'whsec_test', '{escalation.fired}', $3)
     returning id`,
    [organizationId, description, enabled],
  )
  return row!.id
}

describe('who may use the page', () => {
  it.each<Role>(['engineer', 'manager'])(
    'a %s gets 403 on GET and POST, and nothing changes',
    async (role) => {
      const { organizationId } = await freshOrganization()
      const someone = await person(role, organizationId)
      expect((await app.get('/admin/escalations', { cookie: someone.cookie })).status).toBe(403)
      const response = await post('/admin/escalations', ruleForm(), someone)
      expect(response.status).toBe(403)
      // Not even the defaults were installed by the refused requests.
      expect(await storedRules(organizationId)).toEqual([])
      await expect(
        createRule(db.orm, someone.member, {
          name: 'x',
          trigger: 'declared',
          target: null,
          maxSeverity: 'SEV-1',
          actions: [{ type: 'raise-severity' }],
        }),
      ).rejects.toMatchObject({ status: 403 })
    },
  )

  it('sends someone signed out to the login page', async () => {
    const response = await app.get('/admin/escalations')
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toMatch(/^\/login/)
  })
})

describe('the rule list', () => {
  it('reads each rule as a sentence, in order, and says firings go to the timeline', async () => {
    const { admin } = await freshOrganization()
    await createRule(db.orm, admin.member, {
      name: 'Majors breaching acknowledge',
      trigger: 'breach',
      target: 'acknowledge',
      maxSeverity: 'SEV-2',
      actions: [{ type: 'notify', group: 'managers' }],
    })
    const html = await pageOf(admin)
    const sentences = [...html.matchAll(/<p class="mt-1">(When [^<]*)<\/p>/g)].map((m) => m[1])
    expect(sentences).toEqual([
      'When an incident is declared on SEV-2 or more severe: notify all managers',
      'When an SLA breach of the acknowledge target happens on any severity: notify all managers',
      'When an SLA breach of the resolve target happens on SEV-1: notify all admins',
      'When an SLA breach of the acknowledge target happens on SEV-2 or more severe: notify all managers',
    ])
    expect(html).toContain('Every firing is recorded on the incident timeline, naming the rule.')
  })
})

describe('adding a rule', () => {
  it('stores every kind of action, at the end of the list, and flashes', async () => {
    const { organizationId, admin } = await freshOrganization()
    const alice = await addMember(db, organizationId, 'engineer', { name: 'Alice Ops' })
    const bob = await addMember(db, organizationId, 'manager', { name: 'Bob Lead' })
    const endpoint = await addEndpoint(organizationId, 'Pager bridge')
    await listRules(db.orm, admin.member)
    const response = await post(
      '/admin/escalations',
      ruleForm({
        name: '  Everything at once  ',
        trigger: 'warning',
        target: 'mitigate',
        maxSeverity: 'SEV-3',
        groups: ['commander', 'admins'],
        raiseSeverity: 'on',
        notifyMemberIds: [alice.user.id, bob.user.id],
        webhookEndpointId: endpoint,
        commanderId: bob.user.id,
      }),
      admin,
    )
    const html = await pageAfter(admin, response)
    expect(flashOf(html)).toBe('Done: Rule “Everything at once” added.')
    expect(html).toContain(
      'When an SLA warning of the mitigate target happens on SEV-3 or more severe: notify the commander, notify all admins, raise the severity one step, notify Alice Ops, Bob Lead, send to webhook Pager bridge and make Bob Lead commander',
    )
    const rows = await storedRules(organizationId)
    expect(rows).toHaveLength(DEFAULT_NAMES.length + 1)
    expect(rows.at(-1)).toMatchObject({
      name: 'Everything at once',
      position: DEFAULT_NAMES.length + 1,
      enabled: true,
      trigger: 'warning',
      target: 'mitigate',
      max_severity: 'SEV-3',
      updated_by: admin.member.user.id,
      actions: [
        { type: 'notify', group: 'commander' },
        { type: 'notify', group: 'admins' },
        { type: 'raise-severity' },
        { type: 'notify-members', userIds: [alice.user.id, bob.user.id] },
        { type: 'webhook', endpointId: endpoint },
        { type: 'assign-commander', userId: bob.user.id },
      ],
    })
  })

  it('offers enabled webhook endpoints only, and explains when there are none', async () => {
    const { organizationId, admin } = await freshOrganization()
    let html = await pageOf(admin)
    expect(controlLabelled(html, 'Send to webhook endpoint')).toMatch(/\bdisabled\b/)
    expect(html).toContain('No enabled webhook endpoints yet')
    await addEndpoint(organizationId, 'Switched off', false)
    const on = await addEndpoint(organizationId, 'Switched on')
    html = await pageOf(admin)
    expect(controlLabelled(html, 'Send to webhook endpoint')).not.toMatch(/\bdisabled\b/)
    const select = /<select[^>]*name="webhookEndpointId"[^>]*>(.*?)<\/select>/s.exec(html)![1]!
    expect(select).toContain(`value="${on}"`)
    expect(select).toContain('Switched on')
    expect(select).not.toContain('Switched off')
  })

  it('labels every control of the form', async () => {
    const { admin } = await freshOrganization()
    const html = await pageOf(admin)
    for (const label of ['Rule name', 'When', 'SLA target', 'Severity at most']) {
      expect(controlLabelled(html, label)).toMatch(/^<(input|select)/)
    }
    expect(controlLabelled(html, 'Notify these members')).toMatch(/\bmultiple\b/)
    expect(controlLabelled(html, 'Make this member commander')).toMatch(/^<select/)
    for (const label of [
      'Notify the commander',
      'Notify the assignees',
      'Notify all managers',
      'Notify all admins',
      'Raise severity one step',
    ]) {
      expect(html).toMatch(
        new RegExp(`<label[^>]*><input[^>]*type="checkbox"[^>]*>${label}</label>`),
      )
    }
    expect(html).toMatch(/<button[^>]*value="add-rule"[^>]*>Add rule<\/button>/)
  })
})

describe('a rule that cannot be saved', () => {
  async function refused(fields: Array<[string, string]>, expectedError: string | RegExp) {
    const { organizationId, admin } = await freshOrganization()
    await listRules(db.orm, admin.member)
    const before = await storedRules(organizationId)
    const response = await post('/admin/escalations', fields, admin)
    expect(response.status).toBe(400)
    const html = decodeEntities(await response.text())
    expect(errorsOf(html).join(' | ')).toMatch(expectedError)
    expect(await storedRules(organizationId)).toEqual(before)
    return html
  }

  it('needs a name, and keeps what was typed', async () => {
    const html = await refused(
      ruleForm({ name: '   ', groups: ['assignees'] }),
      'Give the rule a name',
    )
    expect(checked(html, 'groups', 'assignees')).toBe(true)
    expect(checked(html, 'groups', 'managers')).toBe(false)
    expect(selected(html, 'maxSeverity')).toEqual(['SEV-2'])
    expect(selected(html, 'target')).toEqual(['acknowledge'])
  })

  it('refuses a name over 120 characters', async () => {
    const html = await refused(ruleForm({ name: 'x'.repeat(121) }), 'Use at most 120 characters')
    expect(controlLabelled(html, 'Rule name')).toContain(`value="${'x'.repeat(121)}"`)
    expect(controlLabelled(html, 'Rule name')).toContain('aria-invalid="true"')
  })

  it('needs at least one action', async () => {
    await refused(ruleForm({ groups: [] }), 'Choose at least one action')
  })

  it.each(['declared', 'reopened'])('refuses an SLA target for “%s”', async (trigger) => {
    await refused(
      ruleForm({ trigger, target: 'resolve' }),
      'An SLA target applies only to SLA warnings and breaches; choose Any',
    )
  })

  it('refuses an unknown trigger and severity', async () => {
    await refused(ruleForm({ trigger: 'sometimes' }), 'Choose when the rule fires')
    await refused(ruleForm({ maxSeverity: 'SEV-9' }), 'Choose a severity')
  })

  it('refuses a member of another organization, by the service too', async () => {
    const otherOrganization = await db.createOrganization('Elsewhere')
    const stranger = await addMember(db, otherOrganization, 'engineer')
    await refused(
      ruleForm({ notifyMemberIds: [stranger.user.id] }),
      'Choose active members of this organization.',
    )
    await refused(
      ruleForm({ commanderId: stranger.user.id }),
      'Choose an active member of this organization.',
    )
    const { admin } = await freshOrganization()
    const error = await thrownBy(
      createRule(db.orm, admin.member, {
        name: 'Sneaky',
        trigger: 'declared',
        target: null,
        maxSeverity: 'SEV-1',
        actions: [{ type: 'notify-members', userIds: [stranger.user.id] }],
      }),
    )
    expect(error).toBeInstanceOf(EscalationRuleError)
    expect((error as EscalationRuleError).fieldErrors).toEqual({
      notifyMemberIds: ['Choose active members of this organization.'],
    })
  })

  it('refuses a deactivated member and a malformed id', async () => {
    const { organizationId, admin } = await freshOrganization()
    const gone = await addMember(db, organizationId, 'engineer')
    await db.query('update membership set active = false where user_id = $1', [gone.user.id])
    await listRules(db.orm, admin.member)
    const before = await storedRules(organizationId)
    for (const fields of [
      ruleForm({ commanderId: gone.user.id }),
      ruleForm({ notifyMemberIds: ['not-a-uuid'] }),
    ]) {
      const response = await post('/admin/escalations', fields, admin)
      expect(response.status).toBe(400)
    }
    expect(await storedRules(organizationId)).toEqual(before)
  })

  it('refuses a webhook endpoint of another organization', async () => {
    const otherOrganization = await db.createOrganization('Hooks Elsewhere')
    const theirEndpoint = await addEndpoint(otherOrganization, 'Their hook')
    await refused(
      ruleForm({ webhookEndpointId: theirEndpoint }),
      'Choose an endpoint of this organization.',
    )
  })
})

describe('changing rules', () => {
  it('edits a rule in place: the form comes filled in, and saving keeps its position', async () => {
    const { organizationId, admin } = await freshOrganization()
    const alice = await addMember(db, organizationId, 'engineer', { name: 'Alice Edit' })
    const rule = await createRule(db.orm, admin.member, {
      name: 'To be edited',
      trigger: 'breach',
      target: 'resolve',
      maxSeverity: 'SEV-3',
      actions: [
        { type: 'notify', group: 'assignees' },
        { type: 'notify-members', userIds: [alice.user.id] },
        { type: 'raise-severity' },
      ],
    })
    const form = await pageOf(admin, `/admin/escalations?edit=${rule.id}`)
    expect(form).toContain('Edit “To be edited”')
    expect(controlLabelled(form, 'Rule name')).toContain('value="To be edited"')
    expect(selected(form, 'trigger')).toEqual(['breach'])
    expect(selected(form, 'target')).toEqual(['resolve'])
    expect(selected(form, 'maxSeverity')).toEqual(['SEV-3'])
    expect(selected(form, 'notifyMemberIds')).toEqual([alice.user.id])
    expect(checked(form, 'groups', 'assignees')).toBe(true)
    expect(checked(form, 'groups', 'managers')).toBe(false)
    expect(checked(form, 'raiseSeverity', 'on')).toBe(true)
    expect(form).toMatch(/<button[^>]*value="save-rule"[^>]*>Save rule<\/button>/)

    const response = await post(
      `/admin/escalations?edit=${rule.id}`,
      ruleForm({
        intent: 'save-rule',
        id: rule.id,
        name: 'Edited',
        trigger: 'declared',
        target: '',
        maxSeverity: 'SEV-1',
        groups: ['admins'],
      }),
      admin,
    )
    const html = await pageAfter(admin, response)
    expect(flashOf(html)).toBe('Done: Rule “Edited” saved.')
    const rows = await storedRules(organizationId)
    expect(rows.map((r) => r.name)).toEqual([...DEFAULT_NAMES, 'Edited'])
    expect(rows.at(-1)).toMatchObject({
      id: rule.id,
      position: DEFAULT_NAMES.length + 1,
      trigger: 'declared',
      target: null,
      max_severity: 'SEV-1',
      actions: [{ type: 'notify', group: 'admins' }],
    })
  })

  it('an invalid edit changes nothing and shows the errors on the edit form', async () => {
    const { organizationId, admin } = await freshOrganization()
    const [first] = await listRules(db.orm, admin.member)
    const before = await storedRules(organizationId)
    const response = await post(
      `/admin/escalations?edit=${first!.id}`,
      ruleForm({ intent: 'save-rule', id: first!.id, name: 'Renamed', groups: [] }),
      admin,
    )
    expect(response.status).toBe(400)
    const html = decodeEntities(await response.text())
    expect(errorsOf(html)).toContain('Choose at least one action')
    expect(controlLabelled(html, 'Rule name')).toContain('value="Renamed"')
    expect(await storedRules(organizationId)).toEqual(before)
  })

  it('disables and enables: a disabled rule is listed but no longer active', async () => {
    const { organizationId, admin } = await freshOrganization()
    const [first] = await listRules(db.orm, admin.member)
    let html = await pageAfter(
      admin,
      await post(
        '/admin/escalations',
        [
          ['intent', 'disable'],
          ['id', first!.id],
        ],
        admin,
      ),
    )
    expect(flashOf(html)).toBe('Done: Rule disabled.')
    expect(html).toMatch(/aria-label="Major incident declared: notify managers"[^>]*>.*?Disabled/s)
    expect((await storedRules(organizationId))[0]).toMatchObject({ id: first!.id, enabled: false })
    const active = await db.inOrg((em) => activeRules(em, organizationId), organizationId)
    expect(active.map((r) => r.id)).not.toContain(first!.id)

    html = await pageAfter(
      admin,
      await post(
        '/admin/escalations',
        [
          ['intent', 'enable'],
          ['id', first!.id],
        ],
        admin,
      ),
    )
    expect(flashOf(html)).toBe('Done: Rule enabled.')
    expect((await storedRules(organizationId))[0]).toMatchObject({ id: first!.id, enabled: true })
  })

  it('moves rules up and down, keeping positions 1..n; the ends do not move further', async () => {
    const { organizationId, admin } = await freshOrganization()
    const [a, b, c] = await listRules(db.orm, admin.member)
    const move = async (intent: string, id: string) =>
      pageAfter(
        admin,
        await post(
          '/admin/escalations',
          [
            ['intent', intent],
            ['id', id],
          ],
          admin,
        ),
      )
    const order = async () => (await storedRules(organizationId)).map((r) => [r.id, r.position])

    expect(flashOf(await move('move-down', a!.id))).toBe('Done: Rule moved down.')
    expect(await order()).toEqual([
      [b!.id, 1],
      [a!.id, 2],
      [c!.id, 3],
    ])
    expect(flashOf(await move('move-up', c!.id))).toBe('Done: Rule moved up.')
    expect(await order()).toEqual([
      [b!.id, 1],
      [c!.id, 2],
      [a!.id, 3],
    ])
    await move('move-up', b!.id)
    await move('move-down', a!.id)
    expect(await order()).toEqual([
      [b!.id, 1],
      [c!.id, 2],
      [a!.id, 3],
    ])
    // The page lists them in that order.
    const html = await pageOf(admin)
    const listed = [...html.matchAll(/<li aria-label="([^"]+)"/g)].map((m) => m[1])
    expect(listed).toEqual([b!.name, c!.name, a!.name])
  })

  it('keeps positions distinct when two moves race', async () => {
    const { organizationId, admin } = await freshOrganization()
    const [a, , c] = await listRules(db.orm, admin.member)
    const responses = await Promise.all([
      post(
        '/admin/escalations',
        [
          ['intent', 'move-down'],
          ['id', a!.id],
        ],
        admin,
      ),
      post(
        '/admin/escalations',
        [
          ['intent', 'move-up'],
          ['id', c!.id],
        ],
        admin,
      ),
    ])
    expect(responses.map((r) => r.status)).toEqual([302, 302])
    const positions = (await storedRules(organizationId)).map((r) => r.position)
    expect(positions).toEqual([1, 2, 3])
  })

  it('deletes a rule, even one that already fired', async () => {
    const { organizationId, admin } = await freshOrganization()
    const [first, second] = await listRules(db.orm, admin.member)
    const { id: incidentId } = await declareIncident(db.orm, admin.member, {
      title: 'Fired once',
      summary: '',
      severity: 'SEV-1',
    })
    await db.query(
      `insert into escalation_firing (organization_id, incident_id, cause_seq, rule_id)
       values ($1, $2, 1, $3)`,
      [organizationId, incidentId, first!.id],
    )
    const html = await pageAfter(
      admin,
      await post(
        '/admin/escalations',
        [
          ['intent', 'delete'],
          ['id', first!.id],
        ],
        admin,
      ),
    )
    expect(flashOf(html)).toBe('Done: Rule deleted.')
    expect((await storedRules(organizationId)).map((r) => r.id)).not.toContain(first!.id)
    expect((await storedRules(organizationId))[0]!.id).toBe(second!.id)
  })
})

describe('another organization’s rule ids', () => {
  it('answer 404 to every action and to the edit page, and their rule is untouched', async () => {
    const mine = await freshOrganization('Mine')
    const theirs = await freshOrganization('Theirs')
    const [their] = await listRules(db.orm, theirs.admin.member)
    const before = await storedRules(theirs.organizationId)

    expect(
      (await app.get(`/admin/escalations?edit=${their!.id}`, { cookie: mine.admin.cookie })).status,
    ).toBe(404)
    expect(
      (await app.get('/admin/escalations?edit=nonsense', { cookie: mine.admin.cookie })).status,
    ).toBe(404)
    for (const intent of ['enable', 'disable', 'move-up', 'move-down', 'delete']) {
      const response = await post(
        '/admin/escalations',
        [
          ['intent', intent],
          ['id', their!.id],
        ],
        mine.admin,
      )
      expect(response.status, intent).toBe(404)
    }
    const save = await post(
      '/admin/escalations',
      ruleForm({ intent: 'save-rule', id: their!.id, name: 'Hijacked' }),
      mine.admin,
    )
    expect(save.status).toBe(404)
    expect(await storedRules(theirs.organizationId)).toEqual(before)
    expect(names(await storedRules(mine.organizationId))).toEqual(DEFAULT_NAMES)
  })
})
