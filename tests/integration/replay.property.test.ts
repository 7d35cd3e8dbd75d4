import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { addCatalogEntry } from '~/domain/incident/catalog.server'
import { diffState, foldEvents, verifyChain } from '~/domain/incident/events'
import { stateOf } from '~/domain/incident/incident-queries.server'
import {
  addComment,
  assignIncident,
  changeSeverity,
  correctComment,
  declareIncident,
  editIncident,
  forceEscalate,
  transitionIncident,
} from '~/domain/incident/incident-service.server'
import { TRANSITIONS } from '~/domain/incident/lifecycle'
import { IMPACTS, URGENCIES, isHigher } from '~/domain/incident/triage'
import { SEVERITIES, type IncidentStatus, type Severity } from '~/domain/incident/vocabulary'
import { setUpTestDatabase } from '../support/database'
import { addMember, loadIncident, type TestMember } from '../support/incidents'

/**
 * Property: whatever valid history the real services write, the stored incident is exactly the
 * fold of its stored events, the chain verifies, and both agree with a simple model of what the
 * commands meant.
 */

const db = setUpTestDatabase('replay_property')

let admin: TestMember
/** An engineer who sometimes declares (and so commands) the incident and then works on it. */
let engineer: TestMember
/** Members that assignments pick from (the engineer and the admin among them). */
let pool: TestMember[]
let serviceIds: string[]

beforeAll(async () => {
  admin = await addMember(db, db.organizationId, 'admin', { name: 'Ada Admin' })
  engineer = await addMember(db, db.organizationId, 'engineer', { name: 'Erin Engineer' })
  const others = await Promise.all([
    addMember(db, db.organizationId, 'manager', { name: 'Max Manager' }),
    addMember(db, db.organizationId, 'engineer', { name: 'Omar Oncall' }),
    addMember(db, db.organizationId, 'engineer', { name: 'Pia Platform' }),
  ])
  pool = [engineer, admin, ...others]
  serviceIds = [
    await addCatalogEntry(db.orm, admin, 'service', 'Checkout', ''),
    await addCatalogEntry(db.orm, admin, 'service', 'Search', ''),
  ]
})

// Valid, non-blank text in any script (no NUL: PostgreSQL text and jsonb cannot hold it), at
// most 150 code points so a title fits its column.
const text = fc
  .string({ unit: 'grapheme', maxLength: 40 })
  .map((s) => Array.from(s.replace(/\0/g, '')).slice(0, 150).join(''))
const nonBlank = (prefix: string) => text.map((s) => `${prefix} ${s}`)

const declaration = fc.record({
  byEngineer: fc.boolean(),
  title: nonBlank('Incident'),
  summary: text,
  triage: fc.oneof(
    fc.record({ severity: fc.constantFrom(...SEVERITIES) }),
    fc.record({ impact: fc.constantFrom(...IMPACTS), urgency: fc.constantFrom(...URGENCIES) }),
  ),
  service: fc.option(fc.nat({ max: 1 }), { nil: null }),
})

const intent = fc.oneof(
  fc.record({
    kind: fc.constant('transition' as const),
    pick: fc.nat(),
    reason: fc.option(nonBlank('Because'), { nil: null }),
    asEngineer: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('severity' as const),
    pick: fc.nat(),
    reason: nonBlank('Reason'),
    asEngineer: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('escalate' as const),
    pick: fc.nat(),
    takeCommand: fc.boolean(),
    reason: nonBlank('Escalating'),
  }),
  fc.record({
    kind: fc.constant('assign' as const),
    commander: fc.option(fc.nat({ max: 4 }), { nil: null }),
    assignees: fc.subarray([0, 1, 2, 3, 4], { minLength: 2, maxLength: 3 }),
  }),
  fc.record({
    kind: fc.constant('edit' as const),
    field: fc.constantFrom('title' as const, 'summary' as const),
    value: text,
    asEngineer: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('comment' as const),
    body: nonBlank('Note'),
    asEngineer: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('correct' as const),
    pick: fc.nat(),
    body: nonBlank('Corrected'),
    asEngineer: fc.boolean(),
  }),
)

interface Model {
  status: IncidentStatus
  severity: Severity
  commanderId: string | null
  assigneeIds: string[]
  title: string
  summary: string
  comments: Array<{ seq: number; authorId: string }>
  events: number
}

const sameSet = (a: string[], b: string[]) =>
  a.length === b.length && [...a].sort().every((id, i) => id === [...b].sort()[i])

describe('replaying the timeline', () => {
  it('gives back the stored incident for any valid history written by the real services', async () => {
    const start = Date.now() - 30 * 86_400_000
    let run = 0
    await fc.assert(
      fc.asyncProperty(declaration, fc.array(intent, { maxLength: 15 }), async (decl, intents) => {
        run++
        let clock = start + run * 3_600_000
        const tick = () => new Date((clock += 60_000))
        const declarer = decl.byEngineer ? engineer : admin
        const declaredAt = tick()
        const { number } = await declareIncident(
          db.orm,
          declarer,
          {
            title: decl.title,
            summary: decl.summary,
            ...decl.triage,
            serviceId: decl.service === null ? null : serviceIds[decl.service],
            impactStartedAt: new Date(declaredAt.getTime() - 5 * 60_000),
          },
          declaredAt,
        )
        const declaredRow = await loadIncident(db.orm, db.organizationId, number)
        const model: Model = {
          status: 'detected',
          severity: declaredRow.incident.severity,
          commanderId: declarer.user.id,
          assigneeIds: [],
          title: decl.title.trim(),
          summary: decl.summary,
          comments: [],
          events: 1,
        }
        const involved = (m: TestMember) =>
          model.commanderId === m.user.id || model.assigneeIds.includes(m.user.id)
        const worker = (asEngineer: boolean) =>
          asEngineer && involved(engineer) ? engineer : admin

        const comment = async (body: string, asEngineer: boolean) => {
          const who = worker(asEngineer)
          const { seq } = await addComment(
            db.orm,
            who,
            number,
            { body, version: model.events },
            tick(),
          )
          model.comments.push({ seq, authorId: who.user.id })
          model.events++
        }

        for (const step of intents) {
          const closed = model.status === 'closed'
          switch (step.kind) {
            case 'transition': {
              const options = TRANSITIONS.filter((t) => t.from.includes(model.status))
              if (options.length === 0) {
                await comment('Closed, noted.', step.asEngineer)
                break
              }
              const transition = options[step.pick % options.length]!
              const reason = transition.requiresReason
                ? (step.reason ?? 'It came back')
                : step.reason
              await transitionIncident(
                db.orm,
                worker(step.asEngineer),
                number,
                { action: transition.action, reason, version: model.events },
                tick(),
              )
              model.status = transition.to
              model.events++
              break
            }
            case 'severity': {
              if (closed) {
                await comment(step.reason, step.asEngineer)
                break
              }
              const others = SEVERITIES.filter((s) => s !== model.severity)
              const severity = others[step.pick % others.length]!
              await changeSeverity(
                db.orm,
                worker(step.asEngineer),
                number,
                { severity, reason: step.reason, version: model.events },
                tick(),
              )
              model.severity = severity
              // The change itself, then `sla.retargeted` moving the incident to the new targets.
              model.events += 2
              break
            }
            case 'escalate': {
              const higher = SEVERITIES.filter((s) => isHigher(s, model.severity))
              if (closed || higher.length === 0) {
                await comment(step.reason, false)
                break
              }
              const severity = higher[step.pick % higher.length]!
              await forceEscalate(
                db.orm,
                admin,
                number,
                {
                  severity,
                  reason: step.reason,
                  takeCommand: step.takeCommand,
                  version: model.events,
                },
                tick(),
              )
              model.severity = severity
              if (step.takeCommand) model.commanderId = admin.user.id
              model.events += 2
              break
            }
            case 'assign': {
              const commanderId = step.commander === null ? null : pool[step.commander]!.user.id
              const assigneeIds = step.assignees.map((i) => pool[i]!.user.id)
              if (
                closed ||
                (commanderId === model.commanderId && sameSet(assigneeIds, model.assigneeIds))
              ) {
                await comment('Ownership stays as it is.', false)
                break
              }
              await assignIncident(
                db.orm,
                admin,
                number,
                { commanderId, assigneeIds, version: model.events },
                tick(),
              )
              model.commanderId = commanderId
              model.assigneeIds = [...assigneeIds].sort()
              model.events++
              break
            }
            case 'edit': {
              if (closed) {
                await comment(`Would have edited the ${step.field}.`, step.asEngineer)
                break
              }
              let value = step.field === 'title' ? `Title ${step.value}`.trim() : step.value
              if (value === model[step.field]) value = `${value} (edited)`
              await editIncident(
                db.orm,
                worker(step.asEngineer),
                number,
                { [step.field]: value, version: model.events },
                tick(),
              )
              model[step.field] = value
              model.events++
              break
            }
            case 'comment':
              await comment(step.body, step.asEngineer)
              break
            case 'correct': {
              if (model.comments.length === 0) {
                await comment(step.body, step.asEngineer)
                break
              }
              const original = model.comments[step.pick % model.comments.length]!
              const who =
                step.asEngineer && original.authorId === engineer.user.id ? engineer : admin
              const { seq } = await correctComment(
                db.orm,
                who,
                number,
                { seq: original.seq, body: step.body, version: model.events },
                tick(),
              )
              model.comments.push({ seq, authorId: who.user.id })
              model.events++
              break
            }
          }
        }

        const { incident, events } = await loadIncident(db.orm, db.organizationId, number)
        expect(verifyChain(events)).toBeNull()
        const folded = foldEvents(events)
        expect(diffState(stateOf(incident), folded)).toEqual([])
        expect(events).toHaveLength(model.events)
        expect(incident.lastEventSeq).toBe(model.events)
        expect(incident.lastEventHash).toBe(events[events.length - 1]!.hash)
        expect(folded).toMatchObject({
          number,
          status: model.status,
          severity: model.severity,
          commanderId: model.commanderId,
          assigneeIds: [...model.assigneeIds].sort(),
          title: model.title,
          summary: model.summary,
          version: model.events,
        })
      }),
      { numRuns: 100 },
    )
  })
})
