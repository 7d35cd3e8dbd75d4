import { describe, expect, it } from 'vitest'
import { createRule } from '~/domain/escalation/escalation.server'
import type { EscalationAction } from '~/domain/escalation/rules'
import { verifyOrganization } from '~/domain/incident/audit.server'
import { lockIncident } from '~/domain/incident/event-store.server'
import {
  assignCommanderAsSystem,
  changeSeverityAsSystem,
  declareIncident,
} from '~/domain/incident/incident-service.server'
import type { Severity } from '~/domain/incident/vocabulary'
import { relayEvents } from '~/domain/notify/fanout.server'
import { createLogger } from '~/utils/logger.server'
import { setUpTestDatabase } from '../support/database'
import { addMember, loadIncident, type TestMember } from '../support/incidents'

// Rule firings change incidents through the incident's own system commands: the same entries,
// chain and SLA effects as a person's change, with no one as the actor.

const db = setUpTestDatabase('escalation_firing')
const logger = createLogger({ name: 'test', level: 'silent', pretty: false })
const APP_URL = 'https://incidentflow.example.test'
const NOW = new Date('2025-05-06T10:00:00.000Z')

async function drain() {
  let total = 0
  for (;;) {
    const handled = await relayEvents({
      orm: db.orm,
      boss: db.boss,
      logger,
      appUrl: APP_URL,
      now: () => NOW,
    })
    total += handled
    if (handled === 0) return total
  }
}

interface Crew {
  organizationId: string
  admin: TestMember
  engineer: TestMember
  oncall: TestMember
}

/**
 * An organization with a rule, after the default ones, that fires on every declaration with
 * `actions`.
 */
async function crewWithRule(
  name: string,
  actions: (people: { oncall: TestMember; engineer: TestMember }) => EscalationAction[],
) {
  const organizationId = await db.createOrganization(name)
  const admin = await addMember(db, organizationId, 'admin')
  const engineer = await addMember(db, organizationId, 'engineer')
  const oncall = await addMember(db, organizationId, 'engineer', { name: 'Olive Oncall' })
  await createRule(db.orm, admin, {
    name: 'Every declaration: escalate',
    trigger: 'declared',
    target: null,
    maxSeverity: 'SEV-4',
    actions: actions({ oncall, engineer }),
  })
  return { organizationId, admin, engineer, oncall } satisfies Crew
}

async function declare(crew: Crew, severity: Severity) {
  return declareIncident(
    db.orm,
    crew.engineer,
    { title: 'Checkout errors', summary: '', severity, impactStartedAt: NOW },
    NOW,
  )
}

const entries = (events: Array<{ seq: number; type: string; actorId: string | null }>) =>
  events.map((e) => `${e.seq} ${e.type}${e.actorId ? ' by someone' : ''}`)

describe('an escalation rule that raises severity and assigns a commander', () => {
  it('appends the firing, the severity change with its SLA retarget, and the new commander, as the system', async () => {
    const crew = await crewWithRule('Firing Org', ({ oncall }) => [
      { type: 'raise-severity' },
      { type: 'assign-commander', userId: oncall.user.id },
    ])
    const { number } = await declare(crew, 'SEV-3')
    await drain()

    const { incident, events } = await loadIncident(db.orm, crew.organizationId, number)
    expect(entries(events)).toEqual([
      '1 incident.declared by someone',
      '2 escalation.fired',
      '3 incident.severity_changed',
      '4 sla.retargeted',
      '5 incident.assignment_changed',
    ])
    expect(events[2]!.payload).toEqual({
      from: 'SEV-3',
      to: 'SEV-2',
      reason: 'Escalation rule “Every declaration: escalate”',
    })
    expect(events[3]!.payload).toMatchObject({ severity: 'SEV-2' })
    expect(events[4]!.payload).toEqual({
      commander: { from: crew.engineer.user.id, to: crew.oncall.user.id },
      added: [],
      removed: [],
    })
    expect(incident).toMatchObject({
      severity: 'SEV-2',
      commanderId: crew.oncall.user.id,
      version: 5,
      lastEventSeq: 5,
    })
    // The chain and the fold of the events agree with the row.
    expect(await verifyOrganization(db.orm, crew.organizationId)).toMatchObject({
      ok: true,
      incidents: 1,
      events: 5,
    })
    // Every entry went through the outbox and was fanned out in turn: the new commander hears
    // of the command the rule gave them, once.
    expect(
      await db.query(`select 1 from event_outbox where incident_id = $1`, [incident.id]),
    ).toEqual([])
    const emails = await db.query<{ to_address: string; kind: string; idempotency_key: string }>(
      `select to_address, kind, idempotency_key from email_outbox where organization_id = $1`,
      [crew.organizationId],
    )
    expect(emails).toEqual([
      {
        to_address: crew.oncall.user.email,
        kind: 'incident.assigned',
        idempotency_key: `event:${incident.id}:5:${crew.oncall.user.id}`,
      },
    ])
    // A second relay fires nothing again.
    expect(await drain()).toBe(0)
    expect((await loadIncident(db.orm, crew.organizationId, number)).events).toHaveLength(5)
  })

  it('records the firing but changes nothing when the severity is already the highest and the member left', async () => {
    const crew = await crewWithRule('Quiet Firing Org', ({ oncall }) => [
      { type: 'raise-severity' },
      { type: 'assign-commander', userId: oncall.user.id },
    ])
    await db.query(`update membership set active = false where user_id = $1`, [crew.oncall.user.id])
    const { number } = await declare(crew, 'SEV-1')
    await drain()

    const { incident, events } = await loadIncident(db.orm, crew.organizationId, number)
    // The default rule for a major declaration (notify managers) fires first, then this one.
    expect(entries(events)).toEqual([
      '1 incident.declared by someone',
      '2 escalation.fired',
      '3 escalation.fired',
    ])
    expect(events[2]!.payload).toMatchObject({ ruleName: 'Every declaration: escalate' })
    expect(incident).toMatchObject({
      severity: 'SEV-1',
      commanderId: crew.engineer.user.id,
      version: 3,
    })
    expect(await verifyOrganization(db.orm, crew.organizationId)).toMatchObject({ ok: true })
  })

  it('leaves the commander as it is when the rule names the current commander', async () => {
    const crew = await crewWithRule('Same Commander Org', ({ engineer }) => [
      { type: 'assign-commander', userId: engineer.user.id },
    ])
    const { number } = await declare(crew, 'SEV-4')
    await drain()
    const { incident, events } = await loadIncident(db.orm, crew.organizationId, number)
    expect(events.filter((e) => e.type === 'incident.assignment_changed')).toEqual([])
    expect(events.filter((e) => e.type === 'escalation.fired')).toHaveLength(1)
    expect(incident.commanderId).toBe(crew.engineer.user.id)
  })

  it('changes nothing on a closed incident, and says so', async () => {
    const crew = await crewWithRule('Closed Org', ({ oncall }) => [
      { type: 'assign-commander', userId: oncall.user.id },
    ])
    const { id, number } = await declare(crew, 'SEV-3')
    // Closed behind the lifecycle's back: the system commands must check the status themselves.
    await db.query(`update incident set status = 'closed' where id = $1`, [id])
    const changed = await db.inOrg(async (em) => {
      const incident = await lockIncident(em, crew.organizationId, number, undefined)
      return [
        await changeSeverityAsSystem(em, incident, 'SEV-1', 'Escalation rule “x”', NOW),
        await assignCommanderAsSystem(em, incident, crew.oncall.user.id, NOW),
      ]
    }, crew.organizationId)
    expect(changed).toEqual([false, false])
    const { incident, events } = await loadIncident(db.orm, crew.organizationId, number)
    expect(entries(events)).toEqual(['1 incident.declared by someone'])
    expect(incident).toMatchObject({ severity: 'SEV-3', commanderId: crew.engineer.user.id })
  })
})
