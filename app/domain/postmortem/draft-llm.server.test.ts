import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  startChatCompletionsFake,
  type ChatCompletionsFake,
} from '../../../tests/support/chat-completions-fake'
import type { StoredEvent } from '~/domain/incident/events'
import {
  LlmDraftError,
  PROMPT_VERSION,
  buildPrompt,
  llmSettings,
  parseReply,
  requestLlmDraft,
  type LlmSettings,
} from './draft-llm.server'
import type { DraftSource } from './draft-template'

const KEY = 'sk-test-0123456789abcdef'
const ALICE = '00000000-0000-4000-8000-00000000000a'

const event = (seq: number, type: StoredEvent['type'], payload: unknown, actorId: string | null) =>
  ({
    id: `00000000-0000-4000-9000-${String(seq).padStart(12, '0')}`,
    organizationId: '00000000-0000-4000-8000-000000000001',
    incidentId: '00000000-0000-4000-8000-000000000002',
    seq,
    type,
    actorId,
    occurredAt: new Date(Date.UTC(2026, 2, 10, 8, seq)).toISOString(),
    payload,
    prevHash: '0'.repeat(64),
    hash: '0'.repeat(64),
  }) as StoredEvent

const source: DraftSource = {
  incident: {
    number: 7,
    title: 'Search is slow',
    summary: 'p99 above 5 s',
    severity: 'SEV-3',
    impact: null,
    urgency: null,
    status: 'postmortem',
    serviceName: 'Search',
    incidentTypeName: null,
    commanderId: ALICE,
    impactStartedAt: '2026-03-10T07:55:00.000Z',
    declaredAt: '2026-03-10T08:01:00.000Z',
    acknowledgedAt: '2026-03-10T08:02:00.000Z',
    mitigatedAt: null,
    resolvedAt: null,
  },
  events: [
    event(
      1,
      'incident.declared',
      { title: 'Search is slow', severity: 'SEV-3', assigneeIds: [] },
      ALICE,
    ),
    event(
      2,
      'incident.status_changed',
      {
        from: 'detected',
        to: 'investigating',
        action: 'start-investigating',
        reason: null,
        stamped: { field: 'acknowledgedAt', at: '2026-03-10T08:02:00.000Z' },
      },
      ALICE,
    ),
    event(3, 'comment.added', { body: 'Index rebuild  is\nrunning' }, ALICE),
  ],
  people: { [ALICE]: 'Alice Ops' },
  timeZone: 'Europe/Zurich',
}

let fake: ChatCompletionsFake
let settings: LlmSettings

beforeAll(async () => {
  fake = await startChatCompletionsFake()
  settings = llmSettings({
    LLM_BASE_URL: `${fake.baseUrl}/`,
    LLM_API_KEY: KEY,
    LLM_MODEL: 'gpt-test-mini',
  })!
})
afterAll(() => fake.close())
beforeEach(() => fake.reset())

describe('model settings', () => {
  it('are off unless both the base URL and the model are set', () => {
    expect(llmSettings({})).toBeNull()
    expect(llmSettings({ LLM_BASE_URL: 'https://api.openai.com/v1' })).toBeNull()
    expect(llmSettings({ LLM_MODEL: 'gpt-4o-mini' })).toBeNull()
    expect(
      llmSettings({ LLM_BASE_URL: 'https://api.openai.com/v1//', LLM_MODEL: 'gpt-4o-mini' }),
    ).toEqual({
      baseUrl: 'https://api.openai.com/v1',
      apiKey: null,
      model: 'gpt-4o-mini',
      timeoutMs: 60_000,
    })
  })
})

describe('the prompt', () => {
  it('labels every event by its id and gives the incident facts', () => {
    const { system, user } = buildPrompt(source)
    expect(system).toContain('"events"')
    expect(system).toContain('To fill in:')
    expect(user).toContain('Incident INC-7: Search is slow')
    expect(user).toContain('Commander: Alice Ops.')
    expect(user).toMatch(/^E1 2026-03-10T08:01:00.000Z Alice Ops declared the incident as SEV-3/m)
    expect(user).toMatch(/^E2 .* Alice Ops start investigating: Detected → Investigating/m)
    expect(user).toContain(
      'E3 2026-03-10T08:03:00.000Z Alice Ops commented — "Index rebuild is running"',
    )
    expect(PROMPT_VERSION).toBe('llm-1')
  })
})

describe('asking the model for a draft', () => {
  it('posts a chat completion with the key, the model and a JSON reply format', async () => {
    fake.replies.push({
      kind: 'draft',
      sections: {
        summary: [{ text: 'Search slowed down for an hour.', events: ['E1', 'E2'] }],
        rootCause: [{ text: 'The index rebuild was running.', events: ['E3'] }],
      },
    })
    const draft = await requestLlmDraft(settings, source)
    expect(fake.requests).toHaveLength(1)
    const [request] = fake.requests
    expect(request!.method).toBe('POST')
    expect(request!.path).toBe('/v1/chat/completions')
    expect(request!.headers.authorization).toBe(`Bearer ${KEY}`)
    expect(request!.headers['content-type']).toBe('application/json')
    expect(request!.body.model).toBe('gpt-test-mini')
    expect(request!.body.response_format).toEqual({ type: 'json_object' })
    expect(request!.body.messages?.map((m) => m.role)).toEqual(['system', 'user'])
    expect(request!.body.messages?.[1]?.content).toBe(buildPrompt(source).user)
    expect(JSON.stringify(request!.body)).not.toContain(KEY)

    expect(draft.model).toBe('gpt-test-mini')
    expect(draft.result.statements).toEqual([
      {
        section: 'summary',
        text: 'Search slowed down for an hour.',
        eventIds: [source.events[0]!.id, source.events[1]!.id],
        eventSeqs: [1, 2],
        flagged: false,
      },
      {
        section: 'rootCause',
        text: 'The index rebuild was running.',
        eventIds: [source.events[2]!.id],
        eventSeqs: [3],
        flagged: false,
      },
    ])
    expect(draft.result.sections.summary).toBe('Search slowed down for an hour. (events #1, #2)')
    expect(draft.result.sections.lessons).toBe('')
    expect(draft.result.timeline.map((t) => t.seq)).toEqual([1, 2, 3])
  })

  it('flags a statement that cites no event, or only ids this incident does not have', async () => {
    fake.replies.push({
      kind: 'draft',
      model: 'gpt-test-mini-2026-01-01',
      sections: {
        summary: [
          { text: 'No citation here.' },
          { text: 'Cites an unknown id.', events: ['E99', 'X1'] },
          { text: 'Mixed.', events: ['E99', '#2', 3, 'e3'] },
        ],
      },
    })
    const draft = await requestLlmDraft(settings, source)
    expect(draft.model).toBe('gpt-test-mini-2026-01-01')
    expect(draft.result.statements.map((s) => [s.text, s.eventSeqs, s.flagged])).toEqual([
      ['No citation here.', [], true],
      ['Cites an unknown id.', [], true],
      ['Mixed.', [2, 3], false],
    ])
    expect(draft.result.sections.summary).toBe(
      'No citation here. (No cited event)\n\nCites an unknown id. (No cited event)\n\nMixed. (events #2, #3)',
    )
  })

  it('sends no Authorization header when no key is configured', async () => {
    await requestLlmDraft({ ...settings, apiKey: null }, source)
    expect(fake.requests[0]!.headers.authorization).toBeUndefined()
  })

  it('refuses a reply that is not JSON', async () => {
    fake.replies.push({ kind: 'content', content: 'Here is your postmortem: it went fine.' })
    await expect(requestLlmDraft(settings, source)).rejects.toThrow(
      new LlmDraftError('The model’s reply was not valid JSON.'),
    )
  })

  it('refuses a reply cut off at the length limit', async () => {
    fake.replies.push({ kind: 'content', content: '{"sections":{"summ', finishReason: 'length' })
    await expect(requestLlmDraft(settings, source)).rejects.toThrow(/cut off/)
  })

  it('turns an HTTP error into a reason, without the key', async () => {
    fake.replies.push({ kind: 'error', status: 500, message: 'The server had an error' })
    await expect(requestLlmDraft(settings, source)).rejects.toThrow(
      'The model endpoint answered HTTP 500: The server had an error.',
    )
    fake.replies.push({ kind: 'error', status: 401, message: `Incorrect API key provided: ${KEY}` })
    const error = await requestLlmDraft(settings, source).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(LlmDraftError)
    expect((error as Error).message).toBe(
      'The model endpoint answered HTTP 401: Incorrect API key provided: ***.',
    )
  })

  it('gives up on a slow reply after the configured timeout', async () => {
    fake.replies.push({ kind: 'slow', delayMs: 5_000, sections: {} })
    await expect(requestLlmDraft({ ...settings, timeoutMs: 200 }, source)).rejects.toThrow(
      'The model endpoint did not answer within 200 ms.',
    )
  })

  it('says so when the endpoint cannot be reached', async () => {
    const other = await startChatCompletionsFake()
    const closedUrl = other.baseUrl
    await other.close()
    await expect(requestLlmDraft({ ...settings, baseUrl: closedUrl }, source)).rejects.toThrow(
      'The model endpoint could not be reached (ECONNREFUSED).',
    )
  })
})

describe('reading the reply', () => {
  it('accepts JSON in a Markdown fence and ignores unknown sections', () => {
    const statements = parseReply(
      '```json\n{"sections":{"summary":[{"text":"  A   B ","events":["E1"]}],"extra":[]}}\n```',
      source.events,
    )
    expect(statements).toEqual([
      {
        section: 'summary',
        text: 'A B',
        eventIds: [source.events[0]!.id],
        eventSeqs: [1],
        flagged: false,
      },
    ])
  })

  it('refuses the wrong shape and an empty draft', () => {
    expect(() => parseReply('{"sections":{"summary":"text"}}', source.events)).toThrow(
      /did not have the expected form \(sections\.summary:/,
    )
    expect(() => parseReply('{"summary":[]}', source.events)).toThrow(/expected form \(sections:/)
    expect(() => parseReply('{"sections":{}}', source.events)).toThrow('contained no statements')
  })
})
