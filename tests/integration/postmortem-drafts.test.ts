import type { ServerBuild } from '@remix-run/node'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Role } from '~/domain/access/permissions'
import {
  addComment,
  declareIncident,
  transitionIncident,
} from '~/domain/incident/incident-service.server'
import type { TransitionAction } from '~/domain/incident/lifecycle'
import { PROMPT_VERSION } from '~/domain/postmortem/draft-llm.server'
import { TEMPLATE_VERSION } from '~/domain/postmortem/draft-template'
import {
  DraftError,
  LLM_NOT_CONFIGURED,
  listDrafts,
  requestDraft,
} from '~/domain/postmortem/drafts.server'
import type { DraftResult, GeneratorRecord } from '../../db/entities/postmortem'
import { makePostmortemDraft, type PostmortemDraftDeps } from '../../jobs/handlers/postmortem-draft'
import { silentLogger } from '../support/access'
import {
  startChatCompletionsFake,
  type ChatCompletionsFake,
} from '../support/chat-completions-fake'
import { setUpTestDatabase } from '../support/database'
import { decodePage } from '../support/html'
import { addSignedInMember, loadIncident, type SignedInMember } from '../support/incidents'
import { startInProcessApp, type RunningApp } from '../support/in-process-app'
import { runWaitingJobs } from '../support/jobs'
import { loadRemixBuild } from '../support/remix-build'

/**
 * Postmortem drafts end to end: the Generate draft form post (303) and its JSON variant (202),
 * the draft row and its pg-boss job written in one transaction, the worker handler run on the
 * real job rows, the template draft, the model draft against a loopback fake of the hosted
 * chat-completions API, the status page, accepting (a new revision recording the generator) and
 * discarding, and the refusals: no model configured, roles, other organizations, a postmortem
 * saved after the draft was requested.
 */

const db = setUpTestDatabase('postmortem-drafts')
const KEY = 'sk-fake-postmortem-0123456789'
const MODEL = 'gpt-fake-1'
const MINUTE = 60_000

let build: ServerBuild
let fake: ChatCompletionsFake
/** The web app with a model configured, and one without. */
let app: RunningApp
let plainApp: RunningApp

let a: { manager: SignedInMember; bystander: SignedInMember }
let b: { manager: SignedInMember }
/** A's incident in Postmortem, and its events. */
let number: number
let eventIds: Map<number, string>

const person = (role: Role, organizationId: string) => addSignedInMember(db, organizationId, role)

function workerEnv(
  overrides: Partial<PostmortemDraftDeps['env']> = {},
): PostmortemDraftDeps['env'] {
  return {
    LLM_BASE_URL: fake.baseUrl,
    LLM_API_KEY: KEY,
    LLM_MODEL: MODEL,
    LLM_TIMEOUT_MS: 10_000,
    ...overrides,
  }
}

/** Takes every waiting draft job off the queue, as the worker does, and runs it. */
const runDraftJobs = (env: PostmortemDraftDeps['env'] = workerEnv()) =>
  runWaitingJobs(db.boss, 'postmortem-draft', 'draftId', (payload) =>
    makePostmortemDraft({ orm: db.orm, logger: silentLogger, env }, payload),
  )

async function jobsFor(draftId: string) {
  return db.query<{ id: string; state: string; data: unknown }>(
    `select id, state, data from pgboss.job where name = 'postmortem-draft' and data->>'draftId' = $1`,
    [draftId],
  )
}

async function draftRow(id: string) {
  const [row] = await db.query<{
    status: string
    mode: string
    error: string | null
    model: string | null
    prompt_version: string | null
    base_revision: number
    accepted_revision: number | null
    job_id: string | null
    result: DraftResult | null
    finished_at: Date | null
  }>('select * from postmortem_draft where id = $1', [id])
  return row!
}

async function currentRevision(organizationId: string, incidentNumber: number) {
  const [row] = await db.query<{ current_revision: number }>(
    `select p.current_revision from postmortem p join incident i on i.id = p.incident_id
      where i.organization_id = $1 and i.number = $2`,
    [organizationId, incidentNumber],
  )
  return row?.current_revision ?? 0
}

async function revisionRow(organizationId: string, incidentNumber: number, revision: number) {
  const [row] = await db.query<{
    source: string
    generator: GeneratorRecord | null
    sections: Record<string, string>
    timeline: Array<{ seq: number; note: string }>
    author_id: string | null
  }>(
    `select r.source, r.generator, r.sections, r.timeline, r.author_id
       from postmortem_revision r
       join postmortem p on p.id = r.postmortem_id
       join incident i on i.id = p.incident_id
      where i.organization_id = $1 and i.number = $2 and r.revision = $3`,
    [organizationId, incidentNumber, revision],
  )
  return row
}

async function countDraftJobs() {
  const [row] = await db.query<{ n: number }>(
    `select count(*)::int as n from pgboss.job where name = 'postmortem-draft'`,
  )
  return row!.n
}

async function countDrafts() {
  const [row] = await db.query<{ n: number }>(`select count(*)::int as n from postmortem_draft`)
  return row!.n
}

const DRAFT_URL = /^\/incidents\/(\d+)\/postmortem\/drafts\/([0-9a-f-]{36})$/

/** Posts "Generate draft" as the postmortem page's form does; returns the new draft's id. */
async function generate(who: SignedInMember, mode: string, on: RunningApp = app) {
  const response = await on.post(
    `/incidents/${number}/postmortem/drafts`,
    { mode, revision: String(await currentRevision(db.organizationId, number)) },
    { cookie: who.cookie },
  )
  expect(response.status).toBe(303)
  const location = response.headers.get('location') ?? ''
  const match = DRAFT_URL.exec(location)
  expect(match, `Location ${location}`).not.toBeNull()
  return match![2]!
}

async function page(who: SignedInMember, url: string) {
  const response = await app.get(url, { cookie: who.cookie })
  return { status: response.status, html: decodePage(await response.text()) }
}

const draftUrl = (id: string, n = number) => `/incidents/${n}/postmortem/drafts/${id}`
/** Posts the draft page's Accept or Discard button as A's manager. */
const decideDraft = (id: string, intent: 'accept' | 'discard') =>
  app.post(draftUrl(id), { intent }, { cookie: a.manager.cookie })
/**
 * A page waiting for the worker offers a link to look again (and, with JavaScript, looks again
 * by itself); it never reloads itself on a timer.
 */
const CHECK_AGAIN = />Check again<\/a>/
const TIMED_RELOAD = /http-equiv="refresh"/

async function incidentInPostmortem(who: SignedInMember, title: string) {
  const declaredAt = new Date(Date.now() - 5 * 60 * MINUTE)
  const { number: n } = await declareIncident(
    db.orm,
    who.member,
    {
      title,
      summary: 'Orders fail at payment',
      severity: 'SEV-2',
      impactStartedAt: new Date(declaredAt.getTime() - 10 * MINUTE),
    },
    declaredAt,
  )
  const at = (minutes: number) => new Date(declaredAt.getTime() + minutes * MINUTE)
  await transitionIncident(db.orm, who.member, n, { action: 'start-investigating' }, at(5))
  await addComment(
    db.orm,
    who.member,
    n,
    { body: 'The payment provider returns 502 for every card charge.' },
    at(10),
  )
  const steps: Array<[TransitionAction, number]> = [
    ['mark-mitigated', 40],
    ['mark-resolved', 60],
    ['start-postmortem', 90],
  ]
  for (const [action, minutes] of steps)
    await transitionIncident(db.orm, who.member, n, { action }, at(minutes))
  return n
}

beforeAll(async () => {
  build = await loadRemixBuild()
  fake = await startChatCompletionsFake()
  app = await startInProcessApp(db, build, {
    LLM_BASE_URL: fake.baseUrl,
    LLM_API_KEY: KEY,
    LLM_MODEL: MODEL,
  })
  plainApp = await startInProcessApp(db, build)
  a = {
    manager: await person('manager', db.organizationId),
    bystander: await person('engineer', db.organizationId),
  }
  const bId = await db.createOrganization('Borealis')
  b = { manager: await person('manager', bId) }
  number = await incidentInPostmortem(a.manager, 'Checkout payments fail')
  // B has an incident with the same number, so a foreign draft id cannot hide behind a 404 for
  // the incident.
  await incidentInPostmortem(b.manager, 'Borealis ledger stalls')
  const { events } = await loadIncident(db.orm, db.organizationId, number)
  eventIds = new Map(events.map((e) => [e.seq, e.id]))
})

afterAll(async () => {
  await app?.close()
  await plainApp?.close()
  await fake?.close()
})

beforeEach(async () => {
  fake.reset()
  // Jobs left by a test that failed halfway must not run in the next one.
  await runDraftJobs(workerEnv({ LLM_BASE_URL: undefined }))
})

describe('requesting a draft', () => {
  it('answers 303 to the draft page, which offers to check again until the worker has made the draft', async () => {
    const id = await generate(a.manager, 'template')
    const jobs = await jobsFor(id)
    expect(jobs).toHaveLength(1)
    // The job carries the id of the request that queued it (the worker logs under it).
    expect(jobs[0]!.data).toEqual({
      draftId: id,
      organizationId: db.organizationId,
      requestId: expect.any(String),
    })
    const row = await draftRow(id)
    expect(row).toMatchObject({ status: 'queued', mode: 'template', job_id: jobs[0]!.id })
    expect(row.base_revision).toBe(await currentRevision(db.organizationId, number))

    const queued = await page(a.manager, draftUrl(id))
    expect(queued.status).toBe(200)
    expect(queued.html).toContain('<h1 class="text-2xl font-bold">Draft</h1>')
    expect(queued.html).toContain('Status: <span data-draft-status="queued">Queued</span>')
    expect(queued.html).toMatch(CHECK_AGAIN)
    expect(queued.html).not.toMatch(TIMED_RELOAD)
    expect(queued.html).not.toContain('Accept draft')

    expect(await runDraftJobs()).toEqual({ [id]: 'done' })
    const ready = await page(a.manager, draftUrl(id))
    expect(ready.html).toContain('Status: <span data-draft-status="done">Ready for review</span>')
    expect(ready.html).not.toMatch(CHECK_AGAIN)
    expect(ready.html).toContain('Accept draft')
    expect(ready.html).toContain('Discard draft')
    expect(ready.html).toContain(TEMPLATE_VERSION)
    expect(ready.html).toContain(`href="/incidents/${number}#event-1"`)
    expect(ready.html).toContain('Root cause and contributing factors')
    expect(ready.html).toContain('To fill in:')
    expect(ready.html).not.toContain('No cited event')
  })

  it('answers 202 with the draft and a Location header to a client asking for JSON', async () => {
    const response = await app.post(
      `/incidents/${number}/postmortem/drafts`,
      { mode: 'template' },
      { cookie: a.manager.cookie, headers: { Accept: 'application/json' } },
    )
    expect(response.status).toBe(202)
    const body = (await response.json()) as { draft: { id: string; status: string; url: string } }
    expect(body.draft).toMatchObject({ status: 'queued', mode: 'template' })
    expect(response.headers.get('location')).toBe(draftUrl(body.draft.id))
    expect(body.draft.url).toBe(draftUrl(body.draft.id))
    expect(await jobsFor(body.draft.id)).toHaveLength(1)
  })

  it('sends a GET of the form address back to the postmortem page', async () => {
    const response = await app.get(`/incidents/${number}/postmortem/drafts`, {
      cookie: a.manager.cookie,
    })
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe(`/incidents/${number}/postmortem`)
  })

  it('leaves neither a draft nor a job when the transaction rolls back after the job was sent', async () => {
    const [jobsBefore, draftsBefore] = [await countDraftJobs(), await countDrafts()]
    // The last statement of the request (recording the job id) fails: everything before it,
    // pg-boss's job insert included, must roll back with it.
    await db.query(`
      create function fail_draft_job_id() returns trigger language plpgsql as $$
      begin
        if new.job_id is not null then raise exception 'refused for the test'; end if;
        return new;
      end $$`)
    await db.query(`
      create trigger fail_draft_job_id before update on postmortem_draft
        for each row execute function fail_draft_job_id()`)
    try {
      await expect(
        requestDraft(db.orm, db.boss, a.manager.member, number, 'template', {
          llmAvailable: false,
        }),
      ).rejects.toThrow(/refused for the test/)
    } finally {
      await db.query(`drop trigger fail_draft_job_id on postmortem_draft`)
      await db.query(`drop function fail_draft_job_id()`)
    }
    expect(await countDraftJobs()).toBe(jobsBefore)
    expect(await countDrafts()).toBe(draftsBefore)
  })

  it('refuses a model draft when no model is configured, and writes nothing', async () => {
    const [jobsBefore, draftsBefore] = [await countDraftJobs(), await countDrafts()]
    const form = await plainApp.post(
      `/incidents/${number}/postmortem/drafts`,
      { mode: 'llm' },
      { cookie: a.manager.cookie },
    )
    expect(form.status).toBe(303)
    expect(form.headers.get('location')).toBe(`/incidents/${number}/postmortem`)
    expect(form.headers.get('set-cookie')).toMatch(/flash=/)

    const json = await plainApp.post(
      `/incidents/${number}/postmortem/drafts`,
      { mode: 'llm' },
      { cookie: a.manager.cookie, headers: { Accept: 'application/json' } },
    )
    expect(json.status).toBe(400)
    expect(await json.json()).toEqual({
      error: { code: 'refused', message: LLM_NOT_CONFIGURED },
    })
    await expect(
      requestDraft(db.orm, db.boss, a.manager.member, number, 'llm', { llmAvailable: false }),
    ).rejects.toThrow(new DraftError(LLM_NOT_CONFIGURED, 400))
    expect(await countDraftJobs()).toBe(jobsBefore)
    expect(await countDrafts()).toBe(draftsBefore)
  })

  it('refuses an unknown mode and a form rendered from an older revision', async () => {
    const bad = await app.post(
      `/incidents/${number}/postmortem/drafts`,
      { mode: 'oracle' },
      { cookie: a.manager.cookie, headers: { Accept: 'application/json' } },
    )
    expect(bad.status).toBe(400)
    const current = await currentRevision(db.organizationId, number)
    const stale = await app.post(
      `/incidents/${number}/postmortem/drafts`,
      { mode: 'template', revision: String(current + 5) },
      { cookie: a.manager.cookie, headers: { Accept: 'application/json' } },
    )
    expect(stale.status).toBe(409)
    expect(((await stale.json()) as { error: { message: string } }).error.message).toContain(
      `saved as revision ${current} since you opened revision ${current + 5}`,
    )
  })
})

describe('the template draft', () => {
  it('is the same for the same incident, and cites this incident’s events', async () => {
    const first = await generate(a.manager, 'template')
    const second = await generate(a.manager, 'template')
    await runDraftJobs()
    const [one, two] = await db.query<{ result: string }>(
      `select result::text as result from postmortem_draft where id in ($1, $2)`,
      [first, second],
    )
    expect(one!.result).toBe(two!.result)
    const result = (await draftRow(first)).result!
    expect(result.statements.length).toBeGreaterThan(6)
    for (const s of result.statements) {
      expect(s.flagged).toBe(false)
      expect(s.eventIds).toEqual(s.eventSeqs.map((seq) => eventIds.get(seq)))
    }
    expect(result.timeline.map((t) => t.seq)).toEqual([...eventIds.keys()])
  })

  it('becomes the next revision when accepted, recording how it was made', async () => {
    const id = await generate(a.manager, 'template')
    await runDraftJobs()
    const before = await currentRevision(db.organizationId, number)
    const response = await decideDraft(id, 'accept')
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe(`/incidents/${number}/postmortem`)
    expect(response.headers.get('set-cookie')).toMatch(/flash=/)

    const revision = before + 1
    expect(await currentRevision(db.organizationId, number)).toBe(revision)
    const row = await draftRow(id)
    expect(row).toMatchObject({ status: 'accepted', accepted_revision: revision })
    const stored = await revisionRow(db.organizationId, number, revision)
    expect(stored).toMatchObject({ source: 'template', author_id: a.manager.member.user.id })
    expect(stored!.sections).toEqual(row.result!.sections)
    expect(stored!.timeline).toEqual(row.result!.timeline)
    expect(stored!.generator).toEqual({
      draftId: id,
      mode: 'template',
      model: null,
      promptVersion: TEMPLATE_VERSION,
      generatedAt: row.finished_at!.toISOString(),
      statements: row.result!.statements,
    })

    const again = await decideDraft(id, 'accept')
    expect(again.status).toBe(409)
    expect(decodePage(await again.text())).toContain(
      `This draft was already accepted as revision ${revision}.`,
    )
  })
})

describe('the model draft', () => {
  it('sends the key, the model and the labelled events, and maps citations back to event ids', async () => {
    fake.replies.push({
      kind: 'draft',
      sections: {
        summary: [{ text: 'Card payments failed for an hour.', events: ['E1', 'E5'] }],
        customerImpact: [{ text: 'Customers could not pay.' }],
        rootCause: [
          { text: 'The payment provider answered 502.', events: ['E3'] },
          { text: 'A config push preceded it.', events: ['E999'] },
        ],
        lessons: [{ text: 'To fill in: how do we fail over?', events: ['E3'] }],
      },
    })
    const id = await generate(a.manager, 'llm')
    expect((await draftRow(id)).mode).toBe('llm')
    expect(await runDraftJobs()).toEqual({ [id]: 'done' })

    expect(fake.requests).toHaveLength(1)
    const [request] = fake.requests
    expect(request!.path).toBe('/v1/chat/completions')
    expect(request!.headers.authorization).toBe(`Bearer ${KEY}`)
    expect(request!.body.model).toBe(MODEL)
    expect(request!.body.response_format).toEqual({ type: 'json_object' })
    const prompt = request!.body.messages?.[1]?.content ?? ''
    expect(prompt).toContain('Incident INC-')
    expect(prompt).toMatch(/^E3 .* commented — "The payment provider returns 502/m)

    const row = await draftRow(id)
    expect(row).toMatchObject({ status: 'done', model: MODEL, prompt_version: PROMPT_VERSION })
    expect(
      row.result!.statements.map((s) => [s.section, s.eventIds, s.eventSeqs, s.flagged]),
    ).toEqual([
      ['summary', [eventIds.get(1), eventIds.get(5)], [1, 5], false],
      ['customerImpact', [], [], true],
      ['rootCause', [eventIds.get(3)], [3], false],
      ['rootCause', [], [], true],
      ['lessons', [eventIds.get(3)], [3], false],
    ])

    const ready = await page(a.manager, draftUrl(id))
    expect(ready.html).toContain('Ready for review')
    expect(ready.html.match(/No cited event/g)).toHaveLength(2)
    expect(ready.html).toContain('2 statements cite no event')
    expect(ready.html).toContain(MODEL)
    expect(ready.html).toContain(PROMPT_VERSION)
    expect(ready.html).toContain(`href="/incidents/${number}#event-5"`)

    const accepted = await decideDraft(id, 'accept')
    expect(accepted.status).toBe(303)
    const revision = await currentRevision(db.organizationId, number)
    const stored = await revisionRow(db.organizationId, number, revision)
    expect(stored!.source).toBe('llm')
    expect(stored!.generator).toMatchObject({
      draftId: id,
      mode: 'llm',
      model: MODEL,
      promptVersion: PROMPT_VERSION,
      generatedAt: row.finished_at!.toISOString(),
    })
    expect(stored!.generator!.statements.filter((s) => s.flagged)).toHaveLength(2)
    expect(stored!.sections.customerImpact).toBe('Customers could not pay. (No cited event)')
  })

  it.each([
    [
      'an HTTP error',
      { kind: 'error' as const, status: 500, message: 'upstream overloaded' },
      'The model endpoint answered HTTP 500: upstream overloaded.',
    ],
    [
      'a reply that is not JSON',
      { kind: 'content' as const, content: 'Sure! Here is the postmortem.' },
      'The model’s reply was not valid JSON.',
    ],
    [
      'a reply slower than LLM_TIMEOUT_MS',
      { kind: 'slow' as const, delayMs: 5_000, sections: {} },
      'The model endpoint did not answer within 300 ms.',
    ],
  ])('fails the draft with its reason on %s', async (_, reply, reason) => {
    fake.replies.push(reply)
    const id = await generate(a.manager, 'llm')
    expect(await runDraftJobs(workerEnv({ LLM_TIMEOUT_MS: 300 }))).toEqual({ [id]: 'failed' })
    const row = await draftRow(id)
    expect(row).toMatchObject({ status: 'failed', error: reason, prompt_version: PROMPT_VERSION })
    expect(row.error).not.toContain(KEY)
    const failed = await page(a.manager, draftUrl(id))
    expect(failed.html).toContain('Status: <span data-draft-status="failed">Failed</span>')
    expect(failed.html).toContain(`Reason: ${reason}`)
    expect(failed.html).not.toMatch(CHECK_AGAIN)
    expect(failed.html).not.toContain('Accept draft')
  })

  it('fails with a reason when the worker has no model configured', async () => {
    const id = await generate(a.manager, 'llm')
    await runDraftJobs(workerEnv({ LLM_MODEL: undefined }))
    expect((await draftRow(id)).error).toBe(
      'The worker has no model configured (LLM_BASE_URL and LLM_MODEL). Use the template.',
    )
    expect(fake.requests).toHaveLength(0)
  })
})

describe('accepting and discarding', () => {
  it('refuses to accept a draft when the postmortem got a newer revision after it was requested', async () => {
    const first = await generate(a.manager, 'template')
    const second = await generate(a.manager, 'template')
    await runDraftJobs()
    expect((await decideDraft(first, 'accept')).status).toBe(303)
    const revision = await currentRevision(db.organizationId, number)

    const refused = await decideDraft(second, 'accept')
    expect(refused.status).toBe(409)
    const html = decodePage(await refused.text())
    expect(html).toContain(
      `The postmortem was saved as revision ${revision} after this draft was requested on revision ${revision - 1}`,
    )
    expect(await currentRevision(db.organizationId, number)).toBe(revision)
    expect((await draftRow(second)).status).toBe('done')

    const shown = await page(a.manager, draftUrl(second))
    expect(shown.html).toContain('so it can no longer be accepted')
    expect(shown.html).not.toContain('Accept draft')
  })

  it('discards a draft: the job then leaves it alone and it cannot be accepted', async () => {
    const id = await generate(a.manager, 'template')
    const before = await currentRevision(db.organizationId, number)
    const response = await decideDraft(id, 'discard')
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe(`/incidents/${number}/postmortem`)
    expect((await draftRow(id)).status).toBe('discarded')
    expect(await runDraftJobs()).toEqual({ [id]: 'skipped' })
    expect((await draftRow(id)).result).toBeNull()

    const accept = await decideDraft(id, 'accept')
    expect(accept.status).toBe(409)
    expect(decodePage(await accept.text())).toContain('This draft was discarded.')
    expect(await currentRevision(db.organizationId, number)).toBe(before)
    const shown = await page(a.manager, draftUrl(id))
    expect(shown.html).toContain('Status: <span data-draft-status="discarded">Discarded</span>')
    expect(shown.html).not.toContain('Discard draft')
  })

  it('lists the newest drafts first, for those who may edit only', async () => {
    const id = await generate(a.manager, 'template')
    const drafts = await listDrafts(db.orm, a.manager.member, number, { limit: 2 })
    expect(drafts).toHaveLength(2)
    expect(drafts[0]).toMatchObject({
      id,
      mode: 'template',
      status: 'queued',
      requestedBy: a.manager.member.user.displayName,
    })
    expect(await listDrafts(db.orm, a.bystander.member, number)).toEqual([])
    expect(await listDrafts(db.orm, b.manager.member, number)).not.toContainEqual(
      expect.objectContaining({ id }),
    )
  })
})

describe('who may', () => {
  let id: string
  beforeAll(async () => {
    id = await generate(a.manager, 'template')
    await runDraftJobs()
  })

  it('answers 403 to a member who cannot edit the postmortem', async () => {
    const request = await app.post(
      `/incidents/${number}/postmortem/drafts`,
      { mode: 'template' },
      { cookie: a.bystander.cookie },
    )
    expect(request.status).toBe(403)
    expect((await app.get(draftUrl(id), { cookie: a.bystander.cookie })).status).toBe(403)
    for (const intent of ['accept', 'discard']) {
      const response = await app.post(draftUrl(id), { intent }, { cookie: a.bystander.cookie })
      expect(response.status, intent).toBe(403)
    }
    expect((await draftRow(id)).status).toBe('done')
  })

  it('answers 404 for another organization’s draft, even on an incident with the same number', async () => {
    expect((await app.get(draftUrl(id), { cookie: b.manager.cookie })).status).toBe(404)
    for (const intent of ['accept', 'discard']) {
      const response = await app.post(draftUrl(id), { intent }, { cookie: b.manager.cookie })
      expect(response.status, intent).toBe(404)
    }
    expect((await draftRow(id)).status).toBe('done')
    expect((await app.get(draftUrl('not-a-uuid'), { cookie: a.manager.cookie })).status).toBe(404)
    expect((await app.get(draftUrl(id, 999), { cookie: a.manager.cookie })).status).toBe(404)
  })

  it('sends a visitor who is signed out to the login page', async () => {
    const response = await app.get(draftUrl(id))
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toMatch(/^\/login\?redirectTo=/)
  })
})
