import { describe, expect, it, beforeAll } from 'vitest'
import { DomainError } from '~/domain/domain-error'
import {
  CustomFieldConflictError,
  createCustomField,
  customFieldsIn,
  moveCustomField,
  setCustomFieldArchived,
  updateCustomField,
} from '~/domain/custom-fields/custom-field-definitions.server'
import { verifyAllOrganizations } from '~/domain/incident/audit.server'
import { setCustomFieldValues } from '~/domain/incident/custom-field-changes.server'
import { describeEvent } from '~/domain/incident/describe-event.server'
import { diffState, foldEvents } from '~/domain/incident/events'
import { stateOf } from '~/domain/incident/incident-queries.server'
import { incidentListPageView } from '~/domain/incident/incident-list-page.server'
import { listIncidents, parseIncidentFilters } from '~/domain/incident/incident-list.server'
import { declareIncident, transitionIncident } from '~/domain/incident/incident-service.server'
import { setUpTestDatabase } from '../support/database'
import { addMember, loadIncident, type TestMember } from '../support/incidents'

const db = setUpTestDatabase('custom_fields')

let admin: TestMember
let manager: TestMember
let engineer: TestMember
let outsider: TestMember
let otherOrgAdmin: TestMember

async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof DomainError) return error
    throw error
  }
  throw new Error('expected a refusal')
}

const definitions = () => db.inOrg((em) => customFieldsIn(em, db.organizationId))
const fieldRows = () =>
  db.query<{ key: string }>('select key from custom_field where organization_id = $1', [
    db.organizationId,
  ])

beforeAll(async () => {
  admin = await addMember(db, db.organizationId, 'admin', { name: 'Ada Admin' })
  manager = await addMember(db, db.organizationId, 'manager', { name: 'Max Manager' })
  engineer = await addMember(db, db.organizationId, 'engineer', { name: 'Eve Engineer' })
  outsider = await addMember(db, db.organizationId, 'engineer', { name: 'Oscar Outsider' })
  const other = await db.createOrganization('Other Org')
  otherOrgAdmin = await addMember(db, other, 'admin', { name: 'Olga Other' })
})

describe('field definitions', () => {
  it('lets only admins define fields, and writes nothing for anyone else', async () => {
    for (const member of [manager, engineer]) {
      const error = await refusal(
        createCustomField(db.orm, member, { label: 'Root cause area', kind: 'text' }),
      )
      expect(error.status).toBe(403)
    }
    expect(await fieldRows()).toEqual([])
  })

  it('defines fields of every kind with keys made from labels, in order', async () => {
    await createCustomField(db.orm, admin, {
      label: 'Customer impact',
      kind: 'single_choice',
      options: ['None', 'Some customers', 'All customers'],
      requiredFromStatus: 'mitigated',
      helpText: 'How many customers noticed.',
    })
    await createCustomField(db.orm, admin, {
      label: 'Regions',
      kind: 'multi_choice',
      options: ['EU', 'US', 'APAC'],
    })
    await createCustomField(db.orm, admin, { label: 'Affected orders', kind: 'number' })
    await createCustomField(db.orm, admin, { label: 'Customer contact', kind: 'member' })
    await createCustomField(db.orm, admin, { label: 'Contract review', kind: 'date' })
    await createCustomField(db.orm, admin, { label: 'Ticket', kind: 'text', key: 'ticket_ref' })
    const fields = await definitions()
    expect(fields.map((f) => [f.key, f.kind, f.position])).toEqual([
      ['customer_impact', 'single_choice', 1],
      ['regions', 'multi_choice', 2],
      ['affected_orders', 'number', 3],
      ['customer_contact', 'member', 4],
      ['contract_review', 'date', 5],
      ['ticket_ref', 'text', 6],
    ])
    expect(fields[0]!.options.map((o) => o.id)).toEqual(['none', 'some_customers', 'all_customers'])
    expect(fields[0]!.requiredFromStatus).toBe('mitigated')
  })

  it('refuses a choice field without options, options on other kinds, duplicate labels and bad keys', async () => {
    const cases: Array<[Parameters<typeof createCustomField>[2], string]> = [
      [{ label: 'Tier', kind: 'single_choice', options: [] }, 'options'],
      [{ label: 'Tier', kind: 'single_choice', options: ['Gold', 'gold'] }, 'options'],
      [{ label: 'Notes', kind: 'text', options: ['A'] }, 'options'],
      [{ label: 'customer IMPACT', kind: 'text' }, 'label'],
      [{ label: '   ', kind: 'text' }, 'label'],
      [{ label: 'Other ticket', kind: 'text', key: 'ticket_ref' }, 'key'],
      [{ label: 'Bad key', kind: 'text', key: '9lives' }, 'key'],
    ]
    for (const [input, field] of cases) {
      const error = await refusal(createCustomField(db.orm, admin, input))
      expect(error.status, JSON.stringify(input)).toBe(400)
      expect(Object.keys(error.fieldErrors), JSON.stringify(input)).toEqual([field])
    }
    expect(await fieldRows()).toHaveLength(6)
  })

  it('answers another organization’s field id with 404 and changes nothing', async () => {
    const [field] = await definitions()
    const calls = [
      updateCustomField(db.orm, otherOrgAdmin, field!.id, {
        version: field!.version,
        label: 'Hijacked',
        requiredFromStatus: null,
      }),
      setCustomFieldArchived(db.orm, otherOrgAdmin, field!.id, true, field!.version),
      moveCustomField(db.orm, otherOrgAdmin, field!.id, 'down'),
    ]
    for (const call of calls) expect((await refusal(call)).status).toBe(404)
    const [after] = await definitions()
    expect(after).toEqual(field)
  })

  it('refuses a change made from a stale form with a conflict', async () => {
    const [field] = await definitions()
    await updateCustomField(db.orm, admin, field!.id, {
      version: field!.version,
      label: 'Customer impact',
      helpText: 'How many customers noticed it.',
      requiredFromStatus: 'mitigated',
    })
    const stale = await refusal(
      updateCustomField(db.orm, admin, field!.id, {
        version: field!.version,
        label: 'Impact on customers',
        requiredFromStatus: null,
      }),
    )
    expect(stale).toBeInstanceOf(CustomFieldConflictError)
    expect(stale.status).toBe(409)
    const [after] = await definitions()
    expect(after!.label).toBe('Customer impact')
    expect(after!.requiredFromStatus).toBe('mitigated')
  })

  it('reorders active fields', async () => {
    const before = await definitions()
    await moveCustomField(db.orm, admin, before[1]!.id, 'up')
    expect((await definitions()).slice(0, 2).map((f) => f.key)).toEqual([
      'regions',
      'customer_impact',
    ])
    await moveCustomField(db.orm, admin, before[1]!.id, 'down')
    expect((await definitions()).slice(0, 2).map((f) => f.key)).toEqual([
      'customer_impact',
      'regions',
    ])
  })
})

describe('values on incidents', () => {
  let number: number

  it('requires the fields required from Detected on when a person declares, writing nothing until they are filled', async () => {
    const ticket = (await definitions()).find((f) => f.key === 'ticket_ref')!
    await updateCustomField(db.orm, admin, ticket.id, {
      version: ticket.version,
      label: ticket.label,
      requiredFromStatus: 'detected',
    })
    const [{ count: before }] = (await db.query<{ count: number }>(
      'select count(*)::int as count from incident where organization_id = $1',
      [db.organizationId],
    )) as [{ count: number }]
    const error = await refusal(
      declareIncident(db.orm, engineer, {
        title: 'Checkout errors',
        summary: '',
        severity: 'SEV-2',
        customFields: { regions: ['mars'] },
      }),
    )
    expect(error.fieldErrors).toEqual({
      'customFields.regions': ['Choose among the options.'],
      'customFields.ticket_ref': ['Fill in Ticket: required from detected on.'],
    })
    const [{ count: after }] = (await db.query<{ count: number }>(
      'select count(*)::int as count from incident where organization_id = $1',
      [db.organizationId],
    )) as [{ count: number }]
    expect(after).toBe(before)

    const declared = await declareIncident(db.orm, engineer, {
      title: 'Checkout errors',
      summary: '',
      severity: 'SEV-2',
      customFields: { ticket_ref: 'OPS-1', regions: ['us', 'eu'] },
    })
    number = declared.number
    const { incident, events } = await loadIncident(db.orm, db.organizationId, number)
    const fields = await definitions()
    const id = (key: string) => fields.find((f) => f.key === key)!.id
    expect(incident.customFields).toEqual({
      [id('ticket_ref')]: 'OPS-1',
      // In the options' order, whatever order they were sent in.
      [id('regions')]: ['eu', 'us'],
    })
    expect(events.map((e) => e.type)).toEqual([
      'incident.declared',
      'incident.custom_field_changed',
      'incident.custom_field_changed',
    ])
    await updateCustomField(db.orm, admin, id('ticket_ref'), {
      version: fields.find((f) => f.key === 'ticket_ref')!.version,
      label: 'Ticket',
      requiredFromStatus: null,
    })
  })

  it('declarations that pass no values (chat, alerts) are not held up by required fields', async () => {
    const done = await declareIncident(db.orm, engineer, {
      title: 'From chat',
      summary: '',
      severity: 'SEV-4',
    })
    expect(done.number).toBeGreaterThan(number)
  })

  it('validates each kind with a field error and writes nothing on invalid input', async () => {
    const cases: Array<[string, unknown, string]> = [
      ['affected_orders', 'twelve', 'Enter a number, such as 42 or 3.5.'],
      ['affected_orders', '1e20', 'Enter a number between -10^15 and 10^15.'],
      ['contract_review', '2026-02-30', 'Enter a date (YYYY-MM-DD).'],
      ['contract_review', '30/01/2026', 'Enter a date (YYYY-MM-DD).'],
      ['customer_impact', 'most', 'Choose one of the options.'],
      ['regions', ['eu', 'moon'], 'Choose among the options.'],
      ['customer_contact', 'not-a-user', 'Choose an active member of this organization.'],
      ['customer_contact', otherOrgAdmin.user.id, 'Choose an active member of this organization.'],
      ['ticket_ref', 'x'.repeat(1001), 'Use at most 1000 characters.'],
      ['ticket_ref', 'nul\u0000', 'This text contains a NUL character. Remove it.'],
      ['no_such_field', 'x', 'There is no such field.'],
    ]
    const before = await loadIncident(db.orm, db.organizationId, number)
    for (const [key, value, message] of cases) {
      const error = await refusal(
        setCustomFieldValues(db.orm, engineer, number, { values: { [key]: value } }),
      )
      expect(error.status, key).toBe(400)
      expect(error.fieldErrors, key).toEqual({ [`customFields.${key}`]: [message] })
    }
    const after = await loadIncident(db.orm, db.organizationId, number)
    expect(after.events).toHaveLength(before.events.length)
    expect(after.incident.customFields).toEqual(before.incident.customFields)
  })

  it('lets only those who may work the incident change values', async () => {
    const error = await refusal(
      setCustomFieldValues(db.orm, outsider, number, { values: { affected_orders: '3' } }),
    )
    expect(error.status).toBe(403)
    const cross = await refusal(
      setCustomFieldValues(db.orm, otherOrgAdmin, number, { values: { affected_orders: '3' } }),
    )
    expect(cross.status).toBe(404)
    await setCustomFieldValues(db.orm, manager, number, { values: { affected_orders: '3' } })
  })

  it('records each change with from and to on the hash chain, and the fold gives the stored values', async () => {
    const before = await loadIncident(db.orm, db.organizationId, number)
    await setCustomFieldValues(db.orm, engineer, number, {
      values: {
        affected_orders: '1250.5',
        contract_review: '2026-03-31',
        customer_contact: manager.user.id,
        customer_impact: 'some_customers',
        regions: ['eu'],
        ticket_ref: '',
      },
      version: before.incident.version,
    })
    const { incident, events } = await loadIncident(db.orm, db.organizationId, number)
    const changes = events.slice(before.events.length)
    expect(
      changes.map((e) =>
        e.type === 'incident.custom_field_changed'
          ? [e.payload.fieldKey, e.payload.from, e.payload.to]
          : e.type,
      ),
    ).toEqual([
      ['affected_orders', 3, 1250.5],
      ['contract_review', null, '2026-03-31'],
      ['customer_contact', null, manager.user.id],
      ['customer_impact', null, 'some_customers'],
      ['regions', ['eu', 'us'], ['eu']],
      ['ticket_ref', 'OPS-1', null],
    ])
    const impact = changes.find(
      (e) => e.type === 'incident.custom_field_changed' && e.payload.fieldKey === 'customer_impact',
    )!
    expect(impact.payload).toMatchObject({
      fieldLabel: 'Customer impact',
      kind: 'single_choice',
      fromText: null,
      toText: 'Some customers',
    })
    expect(diffState(stateOf(incident), foldEvents(events))).toEqual([])
    expect(await verifyAllOrganizations(db.orm)).toMatchObject({ ok: true })

    const stale = await refusal(
      setCustomFieldValues(db.orm, engineer, number, {
        values: { affected_orders: '7' },
        version: before.incident.version,
      }),
    )
    expect(stale.status).toBe(409)
    const nothing = await refusal(
      setCustomFieldValues(db.orm, engineer, number, { values: { affected_orders: '1250.50' } }),
    )
    expect(nothing.message).toBe('Nothing changed.')
  })

  it('refuses the step to a status that requires an empty field, then lets the step fill it', async () => {
    const { number: n } = await declareIncident(db.orm, engineer, {
      title: 'Search slow',
      summary: '',
      severity: 'SEV-3',
      customFields: {},
    })
    await transitionIncident(db.orm, engineer, n, { action: 'start-investigating' })
    const before = await loadIncident(db.orm, db.organizationId, n)
    const error = await refusal(
      transitionIncident(db.orm, engineer, n, { action: 'mark-mitigated' }),
    )
    expect(error.status).toBe(400)
    expect(error.message).toBe('Mitigated needs this field filled in first: Customer impact.')
    expect(error.fieldErrors).toEqual({
      'customFields.customer_impact': ['Fill in Customer impact: required from mitigated on.'],
    })
    const badValue = await refusal(
      transitionIncident(db.orm, engineer, n, {
        action: 'mark-mitigated',
        customFields: { customer_impact: 'everyone' },
      }),
    )
    expect(badValue.fieldErrors).toEqual({
      'customFields.customer_impact': ['Choose one of the options.'],
    })
    const unchanged = await loadIncident(db.orm, db.organizationId, n)
    expect(unchanged.incident.status).toBe('investigating')
    expect(unchanged.events).toHaveLength(before.events.length)

    await transitionIncident(db.orm, engineer, n, {
      action: 'mark-mitigated',
      customFields: { customer_impact: 'none' },
    })
    const after = await loadIncident(db.orm, db.organizationId, n)
    expect(after.incident.status).toBe('mitigated')
    expect(after.events.slice(-2).map((e) => e.type)).toEqual([
      'incident.custom_field_changed',
      'incident.status_changed',
    ])
    // A value the status requires cannot be cleared any more.
    const clear = await refusal(
      setCustomFieldValues(db.orm, engineer, n, { values: { customer_impact: '' } }),
    )
    expect(clear.fieldErrors).toEqual({
      'customFields.customer_impact': ['Fill in Customer impact: required from mitigated on.'],
    })
  })

  it('keeps an archived field’s history readable and refuses new values for it', async () => {
    const fields = await definitions()
    const impact = fields.find((f) => f.key === 'customer_impact')!
    // Rename and retire an option first: old values keep their meaning.
    await updateCustomField(db.orm, admin, impact.id, {
      version: impact.version,
      label: impact.label,
      requiredFromStatus: impact.requiredFromStatus,
      optionLabels: { some_customers: 'A few customers' },
      retiredOptions: ['none'],
      newOptions: ['Internal only'],
    })
    const renamed = (await definitions()).find((f) => f.key === 'customer_impact')!
    expect(renamed.options).toEqual([
      { id: 'none', label: 'None', retired: true },
      { id: 'some_customers', label: 'A few customers', retired: false },
      { id: 'all_customers', label: 'All customers', retired: false },
      { id: 'internal_only', label: 'Internal only', retired: false },
    ])
    const retired = await refusal(
      setCustomFieldValues(db.orm, engineer, number, { values: { customer_impact: 'none' } }),
    )
    expect(retired.fieldErrors).toEqual({
      'customFields.customer_impact': ['Choose one of the options.'],
    })

    await setCustomFieldArchived(db.orm, admin, renamed.id, true, renamed.version)
    const archived = await refusal(
      setCustomFieldValues(db.orm, engineer, number, {
        values: { customer_impact: 'all_customers' },
      }),
    )
    expect(archived.fieldErrors).toEqual({
      'customFields.customer_impact': ['This field is archived and cannot change.'],
    })
    const { events } = await loadIncident(db.orm, db.organizationId, number)
    const entry = events.find(
      (e) => e.type === 'incident.custom_field_changed' && e.payload.fieldKey === 'customer_impact',
    )!
    const words = describeEvent(entry, {
      name: () => null,
      serviceName: () => null,
      typeName: () => null,
      timeZone: 'UTC',
      formatBytes: String,
    })
    expect(words).toEqual({ summary: 'set Customer impact to Some customers', detail: null })
    // Archived fields no longer require anything.
    const { number: n } = await declareIncident(db.orm, engineer, {
      title: 'After archive',
      summary: '',
      severity: 'SEV-4',
      customFields: {},
    })
    await transitionIncident(db.orm, engineer, n, { action: 'start-investigating' })
    await transitionIncident(db.orm, engineer, n, { action: 'mark-mitigated' })
    const restored = (await definitions()).find((f) => f.key === 'customer_impact')!
    await setCustomFieldArchived(db.orm, admin, restored.id, false, restored.version)
    expect((await definitions()).find((f) => f.key === 'customer_impact')!.archivedAt).toBeNull()
  })
})

describe('the incident list', () => {
  it('filters by choice, multiple choice and member fields and shows chosen fields as columns', async () => {
    const make = async (title: string, values: Record<string, unknown>) =>
      (
        await declareIncident(db.orm, engineer, {
          title,
          summary: '',
          severity: 'SEV-3',
          customFields: values,
        })
      ).number
    const eu = await make('List EU', { regions: ['eu'], customer_contact: manager.user.id })
    const us = await make('List US', { regions: ['us', 'apac'], customer_contact: admin.user.id })
    const numbersFor = async (query: string) => {
      const filters = parseIncidentFilters(new URLSearchParams(`status=all&${query}`))
      const page = await listIncidents(db.orm, db.organizationId, engineer.user.id, filters, 100)
      return page.rows.map((r) => r.number).filter((n) => n === eu || n === us)
    }
    expect(await numbersFor('cf.regions=eu')).toEqual([eu])
    expect(await numbersFor('cf.regions=apac')).toEqual([us])
    expect(await numbersFor(`cf.customer_contact=${manager.user.id}`)).toEqual([eu])
    expect(await numbersFor(`cf.customer_contact=${admin.user.id}&cf.regions=eu`)).toEqual([])
    // A key that names no filterable field is ignored, like any unknown parameter.
    expect((await numbersFor('cf.ticket_ref=x&cf.nope=1')).sort()).toEqual([eu, us].sort())

    const view = await incidentListPageView(
      db.orm,
      engineer,
      new URL(`http://x/incidents?status=all&cf.regions=eu&col=regions&col=customer_contact`),
      new Date(),
    )
    expect(view.customFields.columns.map((c) => c.label)).toEqual(['Regions', 'Customer contact'])
    expect(view.customFields.filters.map((f) => [f.key, f.value])).toEqual([
      ['regions', 'eu'],
      ['customer_contact', ''],
      // Restored after archiving: at the end of the order.
      ['customer_impact', ''],
    ])
    const row = view.rows.find((r) => r.number === eu)!
    expect(row.custom).toEqual(['EU', 'Max Manager'])
    expect(view.rows.every((r) => r.number !== us)).toBe(true)
  })
})
