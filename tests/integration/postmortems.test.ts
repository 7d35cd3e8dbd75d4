import type { ServerBuild } from '@remix-run/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyOrganization } from '~/domain/incident/audit.server'
import { IncidentError } from '~/domain/incident/incident-errors'
import {
  assignIncident,
  declareIncident,
  transitionIncident,
} from '~/domain/incident/incident-service.server'
import type { TransitionAction } from '~/domain/incident/lifecycle'
import type { Severity } from '~/domain/incident/vocabulary'
import {
  PUBLISHED_EDIT_MESSAGE,
  PostmortemConflictError,
  PostmortemInputError,
  appendRevision,
  getPostmortemView,
  getRevisionPair,
  listRevisions,
  lockPostmortem,
  savePostmortem,
  setPostmortemStatus,
} from '~/domain/postmortem/postmortem.server'
import {
  POSTMORTEM_SECTION_MAX,
  type PostmortemSections,
  type PostmortemStatus,
} from '~/domain/postmortem/vocabulary'
import { thrownBy } from '../support/access'
import { setUpTestDatabase } from '../support/database'
import { decodePage } from '../support/html'
import {
  addSignedInMember,
  loadIncident,
  type SignedInMember,
  type TestMember,
} from '../support/incidents'
import { startInProcessApp, type RunningApp } from '../support/in-process-app'
import { loadRemixBuild } from '../support/remix-build'

/**
 * Postmortems through the service and through the real app over HTTP (plain form posts, as a
 * browser without JavaScript sends them): created on entering Postmortem, append-only
 * revisions, stale and invalid saves that write nothing, roles, other organizations' incidents,
 * status changes on the incident's timeline, and the close guard.
 */

const db = setUpTestDatabase('postmortems')

let build: ServerBuild
let app: RunningApp
let admin: SignedInMember // declares, so commands, every incident below
let manager: SignedInMember
let engineer: SignedInMember // involved in nothing
let assignee: SignedInMember // engineer assigned to one incident
let other: { organizationId: string; admin: SignedInMember; number: number }

const textOf = (html: string) =>
  html
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .replace(/\( /g, '(')
    .replace(/ \)/g, ')')

/** Values of the checked checkboxes named `name` (value "on" when a box has none). */
const checked = (html: string, name: string) =>
  [...html.matchAll(/<input\b[^>]*>/g)]
    .map((m) => m[0])
    .filter((tag) => tag.includes(`name="${name}"`) && / checked=""/.test(tag))
    .map((tag) => /value="([^"]*)"/.exec(tag)?.[1] ?? 'on')

const text = (sections: Partial<PostmortemSections> = {}): PostmortemSections => ({
  summary: '',
  customerImpact: '',
  rootCause: '',
  wentWell: '',
  wentPoorly: '',
  lessons: '',
  ...sections,
})

const START = Date.parse('2026-11-20T10:00:00Z')
const at = (minutes: number) => new Date(START + minutes * 60_000)

const TO_POSTMORTEM: TransitionAction[] = [
  'start-investigating',
  'mark-mitigated',
  'mark-resolved',
  'start-postmortem',
]

/** Declares an incident and walks it to `steps.length` steps along the lifecycle. */
async function incidentIn(
  who: TestMember,
  options: { severity?: Severity; steps?: TransitionAction[]; assign?: string[] } = {},
) {
  const { number } = await declareIncident(
    db.orm,
    who,
    { title: 'Checkout errors', summary: 'Payments fail', severity: options.severity ?? 'SEV-2' },
    at(0),
  )
  if (options.assign)
    await assignIncident(
      db.orm,
      who,
      number,
      { commanderId: who.user.id, assigneeIds: options.assign },
      at(0),
    )
  let minute = 1
  for (const action of options.steps ?? TO_POSTMORTEM)
    await transitionIncident(db.orm, who, number, { action }, at(minute++))
  return number
}

async function postmortemRow(number: number, organizationId = db.organizationId) {
  const [row] = await db.query<{
    id: string
    status: string
    current_revision: number
    published_at: Date | null
    published_by: string | null
    created_by: string | null
  }>(
    `select p.id, p.status, p.current_revision, p.published_at, p.published_by, p.created_by
       from postmortem p join incident i on i.id = p.incident_id
      where i.organization_id = $1 and i.number = $2`,
    [organizationId, number],
  )
  return row ?? null
}

async function revisionRows(number: number, organizationId = db.organizationId) {
  return db.query<{
    revision: number
    status: string
    sections: PostmortemSections
    timeline: Array<{ seq: number; note: string }>
    source: string
    change_note: string | null
    author_id: string | null
  }>(
    `select r.revision, r.status, r.sections, r.timeline, r.source, r.change_note, r.author_id
       from postmortem_revision r
       join postmortem p on p.id = r.postmortem_id
       join incident i on i.id = p.incident_id
      where i.organization_id = $1 and i.number = $2
      order by r.revision`,
    [organizationId, number],
  )
}

/** One of this organization's incidents, in Postmortem, whose number the other organization lacks. */
async function ourNumberTheyLack() {
  const [{ max }] = (await db.query<{ max: number }>(
    'select coalesce(max(number), 0)::int as max from incident where organization_id = $1',
    [other.organizationId],
  )) as [{ max: number }]
  for (;;) {
    const number = await incidentIn(admin.member)
    if (number > max) return number
  }
}

beforeAll(async () => {
  build = await loadRemixBuild()
  app = await startInProcessApp(db, build)
  admin = await addSignedInMember(db, db.organizationId, 'admin', { name: 'Ada Admin' })
  manager = await addSignedInMember(db, db.organizationId, 'manager', { name: 'Max Manager' })
  engineer = await addSignedInMember(db, db.organizationId, 'engineer', { name: 'Eve Engineer' })
  assignee = await addSignedInMember(db, db.organizationId, 'engineer', { name: 'Ash Assignee' })
  const otherOrganizationId = await db.createOrganization('Elsewhere Inc')
  const otherAdmin = await addSignedInMember(db, otherOrganizationId, 'admin')
  other = {
    organizationId: otherOrganizationId,
    admin: otherAdmin,
    number: await incidentIn(otherAdmin.member),
  }
})

afterAll(async () => {
  await app?.close()
})

describe('creation', () => {
  it('creates a draft postmortem when the incident enters Postmortem, not before', async () => {
    const number = await incidentIn(admin.member, {
      steps: ['start-investigating', 'mark-mitigated', 'mark-resolved'],
    })
    expect(await postmortemRow(number)).toBeNull()
    expect(await getPostmortemView(db.orm, admin.member, number)).toBeNull()
    await transitionIncident(db.orm, admin.member, number, { action: 'start-postmortem' }, at(9))
    const row = await postmortemRow(number)
    expect(row).toMatchObject({
      status: 'draft',
      current_revision: 0,
      created_by: admin.member.user.id,
    })
    const view = await getPostmortemView(db.orm, admin.member, number)
    expect(view?.postmortem).toMatchObject({ id: row!.id, status: 'draft', currentRevision: 0 })
    expect(view?.revision).toBeNull()
    expect(view?.incident).toMatchObject({ number, severity: 'SEV-2', status: 'postmortem' })
  })

  it('creates one lazily, once, for an incident already in Postmortem without one', async () => {
    const number = await incidentIn(admin.member)
    await db.query(
      'delete from postmortem where incident_id = (select id from incident where organization_id = $1 and number = $2)',
      [db.organizationId, number],
    )
    const [a, b] = await Promise.all([
      getPostmortemView(db.orm, manager.member, number),
      getPostmortemView(db.orm, engineer.member, number),
    ])
    expect(a?.postmortem.id).toBe(b?.postmortem.id)
    const [{ count }] = (await db.query<{ count: number }>(
      `select count(*)::int as count from postmortem p join incident i on i.id = p.incident_id
        where i.organization_id = $1 and i.number = $2`,
      [db.organizationId, number],
    )) as [{ count: number }]
    expect(count).toBe(1)
  })
})

describe('saving', () => {
  it('saves every change as the next revision, with its author, and shows the newest', async () => {
    const number = await incidentIn(admin.member)
    const { events } = await loadIncident(db.orm, db.organizationId, number)
    const declared = events.find((e) => e.type === 'incident.declared')!
    const resolved = events.find(
      (e) => e.type === 'incident.status_changed' && e.payload.to === 'resolved',
    )!
    const first = await savePostmortem(
      db.orm,
      admin.member,
      number,
      {
        sections: text({ summary: 'Payments failed for 20 minutes.' }),
        timeline: [
          { seq: resolved.seq, note: 'Fix deployed' },
          { seq: declared.seq, note: '' },
        ],
        changeNote: 'First pass',
        revision: 0,
      },
      at(30),
    )
    expect(first.revision).toBe(1)
    const second = await savePostmortem(
      db.orm,
      manager.member,
      number,
      {
        sections: text({ summary: 'Payments failed for 20 minutes.', lessons: 'Canary deploys.' }),
        timeline: [{ seq: declared.seq, note: 'Pager fired' }],
        changeNote: null,
        revision: 1,
      },
      at(31),
    )
    expect(second.revision).toBe(2)

    const rows = await revisionRows(number)
    expect(rows.map((r) => [r.revision, r.author_id, r.source, r.change_note])).toEqual([
      [1, admin.member.user.id, 'human', 'First pass'],
      [2, manager.member.user.id, 'human', null],
    ])
    // Stored oldest first whatever order the form sent.
    expect(rows[0]!.timeline.map((t) => t.seq)).toEqual([declared.seq, resolved.seq])
    expect((await postmortemRow(number))?.current_revision).toBe(2)

    const view = await getPostmortemView(db.orm, engineer.member, number)
    expect(view?.revision).toMatchObject({
      revision: 2,
      authorName: 'Max Manager',
      source: 'human',
    })
    expect(view?.revision?.sections.lessons).toBe('Canary deploys.')
    expect(view?.timelineEntries).toEqual([
      expect.objectContaining({
        seq: declared.seq,
        eventId: declared.id,
        actor: 'Ada Admin',
        summary: 'declared the incident as SEV-2',
        note: 'Pager fired',
      }),
    ])

    const listed = await listRevisions(db.orm, admin.member, number)
    expect(listed?.revisions.map((r) => [r.revision, r.authorName])).toEqual([
      [2, 'Max Manager'],
      [1, 'Ada Admin'],
    ])
    const pair = await getRevisionPair(db.orm, admin.member, number, 1, 2)
    expect(pair?.from.sections.lessons).toBe('')
    expect(pair?.to.sections.lessons).toBe('Canary deploys.')
    expect(pair?.to.timelineLines).toEqual([
      `#${declared.seq} Ada Admin declared the incident as SEV-2 — Pager fired`,
    ])
    expect(await getRevisionPair(db.orm, admin.member, number, 1, 3)).toBeNull()
  })

  it('keeps revisions append-only: the application role can neither update nor delete them', async () => {
    const number = await incidentIn(admin.member)
    await savePostmortem(db.orm, admin.member, number, {
      sections: text({ summary: 'Original' }),
      timeline: [],
      changeNote: null,
      revision: 0,
    })
    const update = await thrownBy(
      db.inOrg((em) => em.execute(`update postmortem_revision set change_note = 'rewritten'`)),
    )
    expect(String(update)).toMatch(/permission denied/)
    const remove = await thrownBy(db.inOrg((em) => em.execute(`delete from postmortem_revision`)))
    expect(String(remove)).toMatch(/permission denied/)
    expect((await revisionRows(number))[0]!.sections.summary).toBe('Original')
  })

  it('refuses a save from an older revision and writes nothing', async () => {
    const number = await incidentIn(admin.member)
    const base = { timeline: [], changeNote: null }
    await savePostmortem(db.orm, admin.member, number, {
      ...base,
      sections: text({ summary: 'One' }),
      revision: 0,
    })
    await savePostmortem(db.orm, manager.member, number, {
      ...base,
      sections: text({ summary: 'Two' }),
      revision: 1,
    })
    const error = await thrownBy(
      savePostmortem(db.orm, admin.member, number, {
        ...base,
        sections: text({ summary: 'Stale' }),
        revision: 1,
      }),
    )
    expect(error).toBeInstanceOf(PostmortemConflictError)
    expect(error).toMatchObject({ currentRevision: 2, baseRevision: 1 })
    expect((await revisionRows(number)).map((r) => r.sections.summary)).toEqual(['One', 'Two'])
  })

  it('refuses too long text, NUL characters and long notes per field, writing nothing', async () => {
    const number = await incidentIn(admin.member)
    const error = await thrownBy(
      savePostmortem(db.orm, admin.member, number, {
        sections: text({
          summary: 'x'.repeat(POSTMORTEM_SECTION_MAX + 1),
          rootCause: 'bad\u0000byte',
        }),
        timeline: [{ seq: 1, note: 'n'.repeat(1001) }],
        changeNote: 'c'.repeat(501),
        revision: 0,
      }),
    )
    expect(error).toBeInstanceOf(PostmortemInputError)
    const fields = (error as PostmortemInputError).fieldErrors
    expect(Object.keys(fields).sort()).toEqual(['changeNote', 'note-1', 'rootCause', 'summary'])
    expect(fields.summary![0]).toMatch(/under 20,000 characters/)
    expect(fields.rootCause![0]).toMatch(/NUL character/)
    expect(await revisionRows(number)).toEqual([])
    expect((await postmortemRow(number))?.current_revision).toBe(0)
  })

  it('refuses timeline entries that are not events of this incident', async () => {
    const number = await incidentIn(admin.member)
    const small = await incidentIn(admin.member, { steps: [] })
    const { events } = await loadIncident(db.orm, db.organizationId, number)
    const beyond = events.length + 5
    const error = await thrownBy(
      savePostmortem(db.orm, admin.member, number, {
        sections: text({ summary: 'S' }),
        timeline: [
          { seq: 1, note: '' },
          { seq: beyond, note: '' },
        ],
        changeNote: null,
        revision: 0,
      }),
    )
    expect(error).toBeInstanceOf(PostmortemInputError)
    expect((error as PostmortemInputError).fieldErrors.timeline![0]).toContain(`#${beyond}`)
    // An event number the other incident has but this one does not have is refused too.
    const { events: smallEvents } = await loadIncident(db.orm, db.organizationId, small)
    expect(smallEvents.length).toBeLessThan(events.length)
    const zero = await thrownBy(
      savePostmortem(db.orm, admin.member, number, {
        sections: text({ summary: 'S' }),
        timeline: [{ seq: 0, note: '' }],
        changeNote: null,
        revision: 0,
      }),
    )
    expect(zero).toBeInstanceOf(PostmortemInputError)
    expect(await revisionRows(number)).toEqual([])
  })

  it('numbers revisions without gaps when two saves race (the row lock serialises them)', async () => {
    const number = await incidentIn(admin.member)
    const results = await Promise.allSettled(
      [admin, manager].map((who, i) =>
        savePostmortem(db.orm, who.member, number, {
          sections: text({ summary: `Writer ${i}` }),
          timeline: [],
          changeNote: null,
          revision: 0,
        }),
      ),
    )
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult
    expect(refused.reason).toBeInstanceOf(PostmortemConflictError)
    expect((await revisionRows(number)).map((r) => r.revision)).toEqual([1])
  })
})

describe('who may edit', () => {
  it('lets the commander, assignees, managers and admins edit; other engineers read only', async () => {
    const number = await incidentIn(admin.member, { assign: [assignee.member.user.id] })
    const input = (revision: number) => ({
      sections: text({ summary: `rev ${revision}` }),
      timeline: [],
      changeNote: null,
      revision,
    })
    const refused = await thrownBy(savePostmortem(db.orm, engineer.member, number, input(0)))
    expect(refused).toBeInstanceOf(IncidentError)
    expect(refused).toMatchObject({ status: 403 })
    const refusedStatus = await thrownBy(
      setPostmortemStatus(db.orm, engineer.member, number, { to: 'in_review', revision: 0 }),
    )
    expect(refusedStatus).toMatchObject({ status: 403 })

    expect((await savePostmortem(db.orm, assignee.member, number, input(0))).revision).toBe(1)
    expect((await savePostmortem(db.orm, manager.member, number, input(1))).revision).toBe(2)
    expect((await savePostmortem(db.orm, admin.member, number, input(2))).revision).toBe(3)

    expect((await getPostmortemView(db.orm, engineer.member, number))?.canEdit).toBe(false)
    expect((await getPostmortemView(db.orm, assignee.member, number))?.canEdit).toBe(true)
    expect((await getPostmortemView(db.orm, manager.member, number))?.canEdit).toBe(true)
    expect(await revisionRows(number)).toHaveLength(3)
  })

  it("answers not found for another organization's incident", async () => {
    const number = await ourNumberTheyLack()
    await savePostmortem(db.orm, admin.member, number, {
      sections: text({ summary: 'Ours' }),
      timeline: [],
      changeNote: null,
      revision: 0,
    })
    const outsider = other.admin.member
    expect(await getPostmortemView(db.orm, outsider, number)).toBeNull()
    expect(await listRevisions(db.orm, outsider, number)).toBeNull()
    expect(await getRevisionPair(db.orm, outsider, number, 1, 1)).toBeNull()
    const save = await thrownBy(
      savePostmortem(db.orm, outsider, number, {
        sections: text({ summary: 'Theirs' }),
        timeline: [],
        changeNote: null,
        revision: 1,
      }),
    )
    expect(save).toMatchObject({ status: 404 })
    const status = await thrownBy(
      setPostmortemStatus(db.orm, outsider, number, { to: 'published', revision: 1 }),
    )
    expect(status).toMatchObject({ status: 404 })
    const locked = await thrownBy(
      db.inOrg((em) => lockPostmortem(em, other.organizationId, number), other.organizationId),
    )
    expect(locked).toMatchObject({ status: 404 })
    expect((await revisionRows(number)).map((r) => r.sections.summary)).toEqual(['Ours'])
    expect((await postmortemRow(number))?.status).toBe('draft')
  })
})

describe('status', () => {
  it('moves draft → in review → published → draft as revisions and timeline events', async () => {
    const number = await incidentIn(admin.member)
    await savePostmortem(db.orm, admin.member, number, {
      sections: text({ summary: 'Root cause found', lessons: 'More alerts' }),
      timeline: [{ seq: 1, note: 'start' }],
      changeNote: null,
      revision: 0,
    })
    /** Moves the postmortem on as `who`, `minute` minutes after the incident was declared. */
    const setStatus = (
      who: SignedInMember,
      to: PostmortemStatus,
      revision: number,
      minute: number,
    ) => setPostmortemStatus(db.orm, who.member, number, { to, revision }, at(minute))
    const review = await setStatus(manager, 'in_review', 1, 60)
    expect(review).toEqual({ revision: 2, status: 'in_review' })
    const published = await setStatus(manager, 'published', 2, 61)
    expect(published).toEqual({ revision: 3, status: 'published' })
    const row = await postmortemRow(number)
    expect(row).toMatchObject({ status: 'published', published_by: manager.member.user.id })
    expect(row?.published_at?.toISOString()).toBe(at(61).toISOString())

    // A published postmortem is read-only until it is returned to draft.
    const refused = await thrownBy(
      savePostmortem(db.orm, admin.member, number, {
        sections: text({ summary: 'Sneaky edit' }),
        timeline: [],
        changeNote: null,
        revision: 3,
      }),
    )
    expect(refused).toBeInstanceOf(IncidentError)
    expect((refused as Error).message).toBe(PUBLISHED_EDIT_MESSAGE)

    const back = await setStatus(admin, 'draft', 3, 62)
    expect(back).toEqual({ revision: 4, status: 'draft' })
    expect(await postmortemRow(number)).toMatchObject({
      status: 'draft',
      published_at: null,
      published_by: null,
    })

    const rows = await revisionRows(number)
    expect(rows.map((r) => r.status)).toEqual(['draft', 'in_review', 'published', 'draft'])
    // Same content on every status revision.
    for (const r of rows) {
      expect(r.sections.summary).toBe('Root cause found')
      expect(r.timeline).toEqual([{ seq: 1, note: 'start' }])
    }

    const { events } = await loadIncident(db.orm, db.organizationId, number)
    const changes = events.filter((e) => e.type === 'postmortem.status_changed')
    expect(changes.map((e) => [e.payload, e.actorId])).toEqual([
      [
        { postmortemId: row!.id, from: 'draft', to: 'in_review', revision: 2 },
        manager.member.user.id,
      ],
      [
        { postmortemId: row!.id, from: 'in_review', to: 'published', revision: 3 },
        manager.member.user.id,
      ],
      [
        { postmortemId: row!.id, from: 'published', to: 'draft', revision: 4 },
        admin.member.user.id,
      ],
    ])
    // The timeline entries keep the incident's chain and replay intact.
    const audit = await verifyOrganization(db.orm, db.organizationId)
    expect(audit.problem).toBeNull()
    expect(audit.ok).toBe(true)
  })

  it('refuses moves the table does not allow, empty summaries and stale forms, writing nothing', async () => {
    const number = await incidentIn(admin.member)
    const empty = await thrownBy(
      setPostmortemStatus(db.orm, admin.member, number, { to: 'in_review', revision: 0 }),
    )
    expect((empty as Error).message).toMatch(/Write and save a summary/)
    const same = await thrownBy(
      setPostmortemStatus(db.orm, admin.member, number, { to: 'draft', revision: 0 }),
    )
    expect((same as Error).message).toMatch(/already draft/)
    await savePostmortem(db.orm, admin.member, number, {
      sections: text({ summary: 'Done' }),
      timeline: [],
      changeNote: null,
      revision: 0,
    })
    const stale = await thrownBy(
      setPostmortemStatus(db.orm, admin.member, number, { to: 'published', revision: 0 }),
    )
    expect(stale).toBeInstanceOf(PostmortemConflictError)
    await setPostmortemStatus(db.orm, admin.member, number, { to: 'published', revision: 1 })
    const skip = await thrownBy(
      setPostmortemStatus(db.orm, admin.member, number, { to: 'in_review', revision: 2 }),
    )
    expect((skip as Error).message).toMatch(/cannot move to in review/)
    expect((await revisionRows(number)).map((r) => r.status)).toEqual(['draft', 'published'])
    const { events } = await loadIncident(db.orm, db.organizationId, number)
    expect(events.filter((e) => e.type === 'postmortem.status_changed')).toHaveLength(1)
  })

  it('lets a generated draft be appended by another caller through appendRevision under the lock', async () => {
    const number = await incidentIn(admin.member)
    const revision = await db.inOrg(async (em) => {
      const { postmortem } = await lockPostmortem(em, db.organizationId, number)
      return appendRevision(
        em,
        postmortem,
        {
          sections: text({ summary: 'From the template' }),
          timeline: [{ seq: 2, note: '' }],
          source: 'template',
          generator: null,
          changeNote: 'Accepted draft',
          authorId: admin.member.user.id,
        },
        at(70),
      )
    })
    expect(revision).toBe(1)
    expect(await revisionRows(number)).toEqual([
      expect.objectContaining({ revision: 1, source: 'template', status: 'draft' }),
    ])
    const missing = await thrownBy(
      db.inOrg((em) => lockPostmortem(em, db.organizationId, other.number + 5000)),
    )
    expect(missing).toMatchObject({ status: 404 })
  })
})

describe('close guard', () => {
  async function setRequired(on: boolean) {
    await db.query('update organization set require_postmortem = $1 where id = $2', [
      on,
      db.organizationId,
    ])
  }
  const close = (number: number) =>
    transitionIncident(db.orm, admin.member, number, { action: 'close' }, at(120))

  async function publish(number: number) {
    await savePostmortem(db.orm, admin.member, number, {
      sections: text({ summary: 'Written' }),
      timeline: [],
      changeNote: null,
      revision: 0,
    })
    await setPostmortemStatus(db.orm, admin.member, number, { to: 'published', revision: 1 })
  }

  it.each(['SEV-1', 'SEV-2'] as const)(
    'refuses to close a %s incident until its postmortem is published, when required',
    async (severity) => {
      await setRequired(true)
      try {
        const number = await incidentIn(admin.member, { severity })
        const before = await loadIncident(db.orm, db.organizationId, number)
        const error = await thrownBy(close(number))
        expect(error).toBeInstanceOf(IncidentError)
        expect(error).toMatchObject({ status: 400, field: null })
        expect((error as Error).message).toBe(
          `${severity} incidents need a published postmortem before they can be closed. Publish the postmortem first.`,
        )
        const after = await loadIncident(db.orm, db.organizationId, number)
        expect(after.incident.status).toBe('postmortem')
        expect(after.events).toHaveLength(before.events.length)

        // In review is not enough.
        await savePostmortem(db.orm, admin.member, number, {
          sections: text({ summary: 'Written' }),
          timeline: [],
          changeNote: null,
          revision: 0,
        })
        await setPostmortemStatus(db.orm, admin.member, number, { to: 'in_review', revision: 1 })
        expect(await thrownBy(close(number))).toBeInstanceOf(IncidentError)
        await setPostmortemStatus(db.orm, admin.member, number, { to: 'published', revision: 2 })
        expect((await close(number)).status).toBe('closed')
      } finally {
        await setRequired(false)
      }
    },
  )

  it('closes SEV-3 incidents without a published postmortem even when required', async () => {
    await setRequired(true)
    try {
      const number = await incidentIn(admin.member, { severity: 'SEV-3' })
      expect((await close(number)).status).toBe('closed')
    } finally {
      await setRequired(false)
    }
  })

  it.each(['SEV-1', 'SEV-2', 'SEV-3'] as const)(
    'closes a %s incident without a published postmortem when not required',
    async (severity) => {
      await setRequired(false)
      const number = await incidentIn(admin.member, { severity })
      expect((await close(number)).status).toBe('closed')
    },
  )

  it('closes a published SEV-1 when required, and the postmortem stays readable after closing', async () => {
    await setRequired(true)
    try {
      const number = await incidentIn(admin.member, { severity: 'SEV-1' })
      await publish(number)
      expect((await close(number)).status).toBe('closed')
      const view = await getPostmortemView(db.orm, engineer.member, number)
      expect(view?.postmortem.status).toBe('published')
      expect(view?.incident.status).toBe('closed')
    } finally {
      await setRequired(false)
    }
  })
})

describe('over HTTP', () => {
  async function page(who: SignedInMember, url: string) {
    const response = await app.get(url, { cookie: who.cookie })
    return { status: response.status, html: decodePage(await response.text()) }
  }
  const post = (who: SignedInMember, url: string, fields: Array<[string, string]>) =>
    fetch(`${app.baseUrl}${url}`, {
      method: 'POST',
      headers: { Cookie: who.cookie, Origin: app.baseUrl, 'X-Forwarded-For': '10.9.8.7' },
      body: new URLSearchParams(fields),
      redirect: 'manual',
    })
  const saveFields = (revision: number, over: Record<string, string> = {}) =>
    Object.entries({
      intent: 'save',
      summary: 'Checkout failed',
      customerImpact: '',
      rootCause: '',
      wentWell: '',
      wentPoorly: '',
      lessons: '',
      changeNote: '',
      revision: String(revision),
      ...over,
    })

  it('shows the editor with every section, the timeline picker and the links', async () => {
    const number = await incidentIn(admin.member)
    const { status, html } = await page(admin, `/incidents/${number}/postmortem`)
    expect(status).toBe(200)
    for (const label of [
      'Summary',
      'Customer impact',
      'Root cause and contributing factors',
      'What went well',
      'What went poorly',
      'Lessons',
      'Change note',
      'Draft source',
    ])
      expect(html).toContain(`>${label}</label>`)
    expect(html).toContain('Save postmortem')
    expect(html).toContain('Generate draft')
    expect(html).toContain(`action="/incidents/${number}/postmortem/drafts"`)
    expect(html).toContain('<option value="template" selected="">Template</option>')
    expect(html).not.toContain('value="llm"')
    expect(html).toContain('Include #1')
    expect(html).toContain(`href="/incidents/${number}#event-1"`)
    expect(html).toContain('Revision history')
    expect(html).toContain(`href="/incidents/${number}/postmortem/print"`)
    expect(html).toContain(`href="/incidents/${number}/postmortem/action-items"`)
    expect(html).toContain('Send for review')
    expect(html).toContain('Publish postmortem')
    expect(html).toContain('data-postmortem-status="draft"')

    expect(html).toContain('No action items yet.')
    const row = await postmortemRow(number)
    await db.query(
      `insert into action_item (organization_id, postmortem_id, incident_id, title, owner_id, priority)
       select organization_id, id, incident_id, 'Add a canary stage', $2, 'high' from postmortem where id = $1`,
      [row!.id, manager.member.user.id],
    )
    const withItem = await page(engineer, `/incidents/${number}/postmortem`)
    expect(withItem.html).toMatch(/<th scope="row"[^>]*>Add a canary stage<\/th>/)
    expect(withItem.html).toContain('Max Manager')

    const incidentPage = await page(admin, `/incidents/${number}`)
    expect(incidentPage.html).toContain(`href="/incidents/${number}/postmortem"`)
    expect(incidentPage.html).toMatch(/data-testid="postmortem-status">\(Draft\)/)
  })

  it('lists the recent drafts with their status and a link to each', async () => {
    const number = await incidentIn(admin.member)
    const requested = await post(admin, `/incidents/${number}/postmortem/drafts`, [
      ['mode', 'template'],
      ['revision', '0'],
    ])
    expect(requested.status).toBe(303)
    const location = requested.headers.get('location') ?? ''
    expect(location).toMatch(new RegExp(`^/incidents/${number}/postmortem/drafts/[0-9a-f-]{36}$`))
    const { html } = await page(admin, `/incidents/${number}/postmortem`)
    expect(textOf(html)).toMatch(/Recent drafts Template draft — Queued, .+ by Ada Admin/)
    expect(html).toContain(`href="${location}"`)
    // Readers do not see drafts.
    expect((await page(engineer, `/incidents/${number}/postmortem`)).html).not.toContain(
      'Recent drafts',
    )
  })

  it('offers the language model only when one is configured', async () => {
    const withModel = await startInProcessApp(db, build, {
      LLM_BASE_URL: 'http://127.0.0.1:9/v1',
      LLM_MODEL: 'tiny-model',
    })
    try {
      const number = await incidentIn(admin.member)
      const response = await withModel.get(`/incidents/${number}/postmortem`, {
        cookie: admin.cookie,
      })
      expect(decodePage(await response.text())).toContain(
        '<option value="llm">Language model (tiny-model)</option>',
      )
    } finally {
      await withModel.close()
    }
  })

  it('saves with the chosen timeline, then refuses a stale form keeping what was typed', async () => {
    const number = await incidentIn(admin.member)
    const saved = await post(admin, `/incidents/${number}/postmortem`, [
      ...saveFields(0, { changeNote: 'First' }),
      ['include', '1'],
      ['note-1', 'Alert fired'],
      ['include', '3'],
      ['note-2', 'ignored: not included'],
    ])
    expect(saved.status).toBe(302)
    expect(saved.headers.get('location')).toBe(`/incidents/${number}/postmortem`)
    expect(await revisionRows(number)).toEqual([
      expect.objectContaining({
        revision: 1,
        change_note: 'First',
        author_id: admin.member.user.id,
        timeline: [
          { seq: 1, note: 'Alert fired' },
          { seq: 3, note: '' },
        ],
      }),
    ])
    const shown = await page(admin, `/incidents/${number}/postmortem`)
    expect(shown.html).toContain('Revision 1 by Ada Admin')
    expect(checked(shown.html, 'include')).toEqual(['1', '3'])

    const stale = await post(admin, `/incidents/${number}/postmortem`, [
      ...saveFields(0, { summary: 'My unsaved words' }),
    ])
    expect(stale.status).toBe(409)
    const html = decodePage(await stale.text())
    expect(html).toContain('Someone saved revision 1 of this postmortem')
    expect(html).toContain('My unsaved words')
    expect(html).toContain(`/incidents/${number}/postmortem/revisions?from=0&to=1`)
    // The form now carries the newest revision, so saving again replaces it deliberately.
    expect(html).toMatch(/name="revision" value="1"/)
    expect(await revisionRows(number)).toHaveLength(1)
  })

  it('answers field errors with the typed text kept and writes nothing', async () => {
    const number = await incidentIn(admin.member)
    const response = await post(admin, `/incidents/${number}/postmortem`, [
      ...saveFields(0, { rootCause: 'bad\u0000byte', lessons: 'Keep me' }),
      ['include', '999'],
    ])
    expect(response.status).toBe(400)
    const html = decodePage(await response.text())
    expect(html).toContain('NUL character')
    expect(html).toContain('Keep me')
    expect(await revisionRows(number)).toEqual([])

    const badTimeline = await post(admin, `/incidents/${number}/postmortem`, [
      ...saveFields(0),
      ['include', '999'],
    ])
    expect(badTimeline.status).toBe(400)
    expect(decodePage(await badTimeline.text())).toContain('#999 is not an event of this incident')
    expect(await revisionRows(number)).toEqual([])
  })

  it('renders sections as sanitised Markdown and notes as text for readers', async () => {
    const number = await incidentIn(admin.member)
    const saved = await post(admin, `/incidents/${number}/postmortem`, [
      ...saveFields(0, {
        summary: 'Payments **failed** <img src=x onerror=alert(1)> <script>alert(2)</script>',
        lessons: '[click](javascript:alert(3))',
      }),
      ['include', '1'],
      ['note-1', '<b onmouseover=alert(4)>note</b>'],
    ])
    expect(saved.status).toBe(302)
    const response = await app.get(`/incidents/${number}/postmortem`, { cookie: engineer.cookie })
    const html = await response.text()
    // The page's markup, without the serialised loader data (a JSON string, escaped for scripts).
    const raw = html.slice(html.indexOf('<main'), html.indexOf('</main>'))
    expect(raw).toContain('<strong>failed</strong>')
    expect(raw).not.toMatch(/onerror|<script>alert|javascript:alert|<b onmouseover/)
    expect(raw).toContain('&lt;b onmouseover=alert(4)&gt;note&lt;/b&gt;')
  })

  it('refuses an engineer who is not involved with 403 and shows them the read-only view', async () => {
    const number = await incidentIn(admin.member)
    const view = await page(engineer, `/incidents/${number}/postmortem`)
    expect(view.status).toBe(200)
    expect(view.html).not.toContain('Save postmortem')
    expect(view.html).not.toContain('Generate draft')
    expect(view.html).toContain(
      'Only the commander, assignees, managers and admins can edit this postmortem.',
    )
    const save = await post(engineer, `/incidents/${number}/postmortem`, saveFields(0))
    expect(save.status).toBe(403)
    const status = await post(engineer, `/incidents/${number}/postmortem`, [
      ['intent', 'status'],
      ['to', 'in_review'],
      ['revision', '0'],
    ])
    expect(status.status).toBe(403)
    expect(await revisionRows(number)).toEqual([])
  })

  it("answers 404 on every postmortem page for another organization's incident", async () => {
    const number = await ourNumberTheyLack()
    expect((await post(admin, `/incidents/${number}/postmortem`, saveFields(0))).status).toBe(302)
    const before = await revisionRows(number)
    for (const url of [
      `/incidents/${number}/postmortem`,
      `/incidents/${number}/postmortem/revisions`,
      `/incidents/${number}/postmortem/revisions?from=1&to=1`,
    ])
      expect((await page(other.admin, url)).status, url).toBe(404)
    expect((await post(other.admin, `/incidents/${number}/postmortem`, saveFields(1))).status).toBe(
      404,
    )
    expect(
      (
        await post(other.admin, `/incidents/${number}/postmortem`, [
          ['intent', 'status'],
          ['to', 'published'],
          ['revision', '1'],
        ])
      ).status,
    ).toBe(404)
    expect(await revisionRows(number)).toEqual(before)
    expect((await postmortemRow(number))?.status).toBe('draft')
  })

  it('answers 404 for an incident that has not reached Postmortem', async () => {
    const number = await incidentIn(admin.member, { steps: ['start-investigating'] })
    expect((await page(admin, `/incidents/${number}/postmortem`)).status).toBe(404)
    expect((await post(admin, `/incidents/${number}/postmortem`, saveFields(0))).status).toBe(404)
  })

  it('changes status with the buttons and lists revisions with their differences', async () => {
    const number = await incidentIn(admin.member)
    await post(admin, `/incidents/${number}/postmortem`, saveFields(0, { summary: 'Line A' }))
    const r2 = await post(admin, `/incidents/${number}/postmortem`, [
      ...saveFields(1, { summary: 'Line A\nLine B', lessons: 'Old lesson' }),
      ['include', '2'],
    ])
    expect(r2.status).toBe(302)
    await post(admin, `/incidents/${number}/postmortem`, saveFields(2, { summary: 'Line B' }))
    const publish = await post(admin, `/incidents/${number}/postmortem`, [
      ['intent', 'status'],
      ['to', 'published'],
      ['revision', '3'],
    ])
    expect(publish.status).toBe(302)
    const published = await page(admin, `/incidents/${number}/postmortem`)
    expect(published.html).toContain('data-postmortem-status="published"')
    expect(published.html).toContain('Return to draft')
    expect(published.html).not.toContain('Save postmortem')
    expect(published.html).toContain('Published postmortems are read-only')

    const history = await page(admin, `/incidents/${number}/postmortem/revisions`)
    expect(history.status).toBe(200)
    expect(textOf(history.html)).toContain(
      'Changes from revision 3 (Draft) to revision 4 (Published)',
    )
    expect(history.html.match(/data-revision="\d+"/g)).toHaveLength(4)
    expect(history.html).toContain('Draft → Published')

    const diff = await page(admin, `/incidents/${number}/postmortem/revisions?from=1&to=3`)
    expect(diff.status).toBe(200)
    expect(diff.html).toMatch(/<del>(?:(?!<\/del>).)*Removed: <\/span>Line A<\/del>/)
    expect(diff.html).toMatch(/<ins[^>]*>(?:(?!<\/ins>).)*Added: <\/span>Line B<\/ins>/)
    const d12 = await page(admin, `/incidents/${number}/postmortem/revisions?from=1&to=2`)
    expect(d12.html).toMatch(/<ins[^>]*>(?:(?!<\/ins>).)*Added: <\/span>Line B<\/ins>/)
    expect(d12.html).not.toMatch(/<del>/)
    expect(d12.html).toMatch(/<ins[^>]*>(?:(?!<\/ins>).)*Added: <\/span>#2 Ada Admin [^<]+<\/ins>/)
    expect(textOf(d12.html)).toContain('Lessons 1 line added, 0 lines removed')
    expect(textOf(d12.html)).toContain('Root cause and contributing factors No changes')

    expect(
      (await page(admin, `/incidents/${number}/postmortem/revisions?from=9&to=1`)).status,
    ).toBe(404)
    expect(
      (await page(admin, `/incidents/${number}/postmortem/revisions?from=x&to=1`)).status,
    ).toBe(400)
  })

  it('shows the close refusal reason on the incident page', async () => {
    await db.query('update organization set require_postmortem = true where id = $1', [
      db.organizationId,
    ])
    try {
      const number = await incidentIn(admin.member, { severity: 'SEV-2' })
      const { incident } = await loadIncident(db.orm, db.organizationId, number)
      const response = await post(admin, `/incidents/${number}`, [
        ['intent', 'transition'],
        ['action', 'close'],
        ['version', String(incident.version)],
      ])
      expect(response.status).toBe(400)
      expect(decodePage(await response.text())).toContain(
        'SEV-2 incidents need a published postmortem before they can be closed. Publish the postmortem first.',
      )
    } finally {
      await db.query('update organization set require_postmortem = false where id = $1', [
        db.organizationId,
      ])
    }
  })

  it('lets only admins change the postmortem setting, refusing a stale form', async () => {
    expect((await page(manager, '/admin/postmortems')).status).toBe(403)
    expect((await post(manager, '/admin/postmortems', [['requirePostmortem', 'on']])).status).toBe(
      403,
    )
    const form = await page(admin, '/admin/postmortems')
    expect(form.status).toBe(200)
    expect(form.html).toContain(
      'Require a published postmortem before closing SEV-1 and SEV-2 incidents',
    )
    expect(form.html).toContain('Save postmortem settings')
    expect(form.html).toContain('href="/admin/postmortems"')
    const version = /name="version" value="([^"]+)"/.exec(form.html)![1]!
    const on = await post(admin, '/admin/postmortems', [
      ['requirePostmortem', 'on'],
      ['version', version],
    ])
    expect(on.status).toBe(302)
    const [row] = await db.query<{ require_postmortem: boolean }>(
      'select require_postmortem from organization where id = $1',
      [db.organizationId],
    )
    expect(row?.require_postmortem).toBe(true)
    // The same (now stale) form again: refused, nothing changed.
    const stale = await post(admin, '/admin/postmortems', [['version', version]])
    expect(stale.status).toBe(409)
    expect(decodePage(await stale.text())).toContain('These settings changed since you opened them')
    const reread = await page(admin, '/admin/postmortems')
    expect(checked(reread.html, 'requirePostmortem')).toEqual(['on'])
    const fresh = /name="version" value="([^"]+)"/.exec(reread.html)![1]!
    const off = await post(admin, '/admin/postmortems', [['version', fresh]])
    expect(off.status).toBe(302)
    const [after] = await db.query<{ require_postmortem: boolean }>(
      'select require_postmortem from organization where id = $1',
      [db.organizationId],
    )
    expect(after?.require_postmortem).toBe(false)
  })
})
