import * as z from 'zod'
import type { DraftResult, GeneratedStatement } from '../../../db/entities/postmortem'
import { describeEvent } from '~/domain/incident/describe-event.server'
import type { StoredEvent } from '~/domain/incident/events'
import { STATUS_LABELS } from '~/domain/incident/vocabulary'
import {
  defaultTimeline,
  formerMemberNamer,
  sectionsFrom,
  type DraftSource,
} from './draft-template'
import {
  POSTMORTEM_SECTIONS,
  POSTMORTEM_SECTION_LABELS,
  type PostmortemSection,
} from './vocabulary'

/**
 * The model draft: the incident's facts and its events, each labelled by id (`E12` is the event
 * numbered 12), sent to an OpenAI-compatible chat-completions endpoint that answers with
 * statements per section, each citing the ids it rests on. The reply is validated; citations are
 * mapped back to this incident's events, and a statement citing none of them is kept but flagged.
 *
 * `LLM_BASE_URL` is the API root *including* its version segment, as OpenAI's own clients take
 * it (`https://api.openai.com/v1`); the request goes to `${LLM_BASE_URL}/chat/completions`.
 */

/** Changes whenever the instructions or the reply format change; recorded on every draft. */
export const PROMPT_VERSION = 'llm-1'

export const DEFAULT_LLM_TIMEOUT_MS = 60_000

export interface LlmSettings {
  /** API root with its version, e.g. `https://api.openai.com/v1` (no trailing slash). */
  baseUrl: string
  /** Sent as `Authorization: Bearer …` when set; local endpoints may need none. */
  apiKey: string | null
  model: string
  timeoutMs: number
}

/** The endpoint from the environment, or null when `LLM_BASE_URL` or `LLM_MODEL` is unset. */
export function llmSettings(env: {
  LLM_BASE_URL?: string | undefined
  LLM_API_KEY?: string | undefined
  LLM_MODEL?: string | undefined
  LLM_TIMEOUT_MS?: number | undefined
}): LlmSettings | null {
  if (!env.LLM_BASE_URL || !env.LLM_MODEL) return null
  return {
    baseUrl: env.LLM_BASE_URL.replace(/\/+$/, ''),
    apiKey: env.LLM_API_KEY || null,
    model: env.LLM_MODEL,
    timeoutMs: env.LLM_TIMEOUT_MS ?? DEFAULT_LLM_TIMEOUT_MS,
  }
}

/** Why a model draft could not be made, in words for the person waiting on the draft page. */
export class LlmDraftError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'LlmDraftError'
  }
}

/** Most events put into one prompt; later ones are left out (and the prompt says so). */
const PROMPT_EVENT_LIMIT = 500
/** Longest comment text quoted into the prompt. */
const PROMPT_COMMENT_MAX = 2_000
/** Largest reply body read, in characters. */
const REPLY_MAX = 2_000_000
/** Statements kept per section, and characters per statement: keeps sections within limits. */
const STATEMENTS_PER_SECTION = 15
const STATEMENT_MAX = 1_000

const SYSTEM_PROMPT = `You write the first draft of a blameless incident postmortem for the engineers who handled the incident. They review and edit it before anyone else reads it.

Use only the facts in the incident record you are given. Each event in the record has an id such as E12. Every statement you write must cite, in "events", the ids of the events it rests on. Where the record does not tell (often the root cause, the contributing factors and the lessons), write a question for the author that begins with "To fill in:" and cite the events they should start from. Never blame a person.

Answer with one JSON object and nothing else, in exactly this form:
{"sections":{${POSTMORTEM_SECTIONS.map((s) => `"${s}":[{"text":"…","events":["E1"]}]`).join(',')}}}

The sections are: ${POSTMORTEM_SECTIONS.map((s) => `${s} (${POSTMORTEM_SECTION_LABELS[s]})`).join(', ')}. Write 1 to 6 statements per section, each one or two plain sentences.`

/** The two messages sent to the model: fixed instructions, then the incident record. */
export function buildPrompt(source: DraftSource): { system: string; user: string } {
  const { incident } = source
  const name = formerMemberNamer(source)
  const lines = [
    `Incident INC-${incident.number}: ${incident.title}`,
    `Severity: ${incident.severity}. Status: ${STATUS_LABELS[incident.status]}.`,
    `Service: ${incident.serviceName ?? 'none'}. Incident type: ${incident.incidentTypeName ?? 'none'}.`,
    `Commander: ${name(incident.commanderId) ?? 'none'}.`,
    `Impact: ${incident.impact ?? 'not set'}. Urgency: ${incident.urgency ?? 'not set'}.`,
    `Impact started: ${incident.impactStartedAt}. Declared: ${incident.declaredAt}.`,
    `Acknowledged: ${incident.acknowledgedAt ?? 'never'}. Mitigated: ${incident.mitigatedAt ?? 'never'}. Resolved: ${incident.resolvedAt ?? 'never'}.`,
    `Summary: ${incident.summary.trim() || '(none)'}`,
    '',
    'Events, oldest first (times in UTC):',
  ]
  const shown = source.events.slice(0, PROMPT_EVENT_LIMIT)
  for (const e of shown) lines.push(eventLine(e, source))
  if (source.events.length > shown.length)
    lines.push(`(${source.events.length - shown.length} later events are left out.)`)
  return { system: SYSTEM_PROMPT, user: lines.join('\n') }
}

function eventLine(e: StoredEvent, source: DraftSource): string {
  const services = source.catalog?.services ?? {}
  const types = source.catalog?.incidentTypes ?? {}
  const name = formerMemberNamer(source)
  const actor = name(e.actorId) ?? 'the system'
  const words = describeEvent(e, {
    name,
    serviceName: (id) => (id ? (services[id] ?? null) : null),
    typeName: (id) => (id ? (types[id] ?? null) : null),
    timeZone: 'UTC',
    formatBytes: (size) => `${size} bytes`,
  })
  const parts = [`E${e.seq} ${e.occurredAt} ${actor} ${words.summary}`]
  if (words.detail) parts.push(`— ${flat(words.detail)}`)
  if (e.type === 'comment.added' || e.type === 'comment.corrected')
    parts.push(`— "${flat(e.payload.body).slice(0, PROMPT_COMMENT_MAX)}"`)
  return parts.join(' ')
}

const flat = (text: string) => text.replace(/\s+/g, ' ').trim()

const completionSchema = z.object({
  model: z.string().max(200).optional(),
  choices: z
    .array(
      z.object({
        finish_reason: z.string().nullish(),
        message: z.object({ content: z.string().nullish() }),
      }),
    )
    .min(1),
})

const citation = z.union([z.string().max(40), z.number()])
const replyStatement = z.object({
  text: z.string().trim().min(1),
  events: z.array(citation).max(200).default([]),
})
const replySchema = z.object({
  sections: z.object(
    Object.fromEntries(
      POSTMORTEM_SECTIONS.map((s) => [s, z.array(replyStatement).default([])]),
    ) as Record<PostmortemSection, z.ZodDefault<z.ZodArray<typeof replyStatement>>>,
  ),
})

/** `E12`, `e12`, `#12`, `12` or 12 → 12; anything else → null. */
function seqOf(ref: string | number): number | null {
  if (typeof ref === 'number') return Number.isInteger(ref) && ref > 0 ? ref : null
  const match = /^\s*(?:E|#)?\s*(\d{1,9})\s*$/i.exec(ref)
  return match ? Number(match[1]) : null
}

/**
 * The model's reply text → statements. Citations are matched against this incident's events;
 * ids it does not have are dropped, and a statement left citing nothing is flagged.
 */
export function parseReply(content: string, events: readonly StoredEvent[]): GeneratedStatement[] {
  // Some endpoints wrap JSON in a Markdown fence even when asked for a JSON object.
  const text = content
    .trim()
    .replace(/^```(?:json)?\s*/i, '')
    .replace(/\s*```$/, '')
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new LlmDraftError('The model’s reply was not valid JSON.')
  }
  const parsed = replySchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new LlmDraftError(
      `The model’s reply did not have the expected form (${issue?.path.join('.') || 'reply'}: ${issue?.message ?? 'invalid'}).`,
    )
  }
  const bySeq = new Map(events.map((e) => [e.seq, e]))
  const statements: GeneratedStatement[] = []
  for (const section of POSTMORTEM_SECTIONS) {
    for (const item of parsed.data.sections[section].slice(0, STATEMENTS_PER_SECTION)) {
      const cited = [
        ...new Set(
          item.events.map(seqOf).filter((seq): seq is number => seq !== null && bySeq.has(seq)),
        ),
      ].sort((a, b) => a - b)
      const body = flat(item.text)
      statements.push({
        section,
        text: body.length > STATEMENT_MAX ? `${body.slice(0, STATEMENT_MAX - 1)}…` : body,
        eventIds: cited.map((seq) => bySeq.get(seq)!.id),
        eventSeqs: cited,
        flagged: cited.length === 0,
      })
    }
  }
  if (statements.length === 0) throw new LlmDraftError('The model’s reply contained no statements.')
  return statements
}

export interface LlmDraft {
  result: DraftResult
  /** The model that answered, as the endpoint names it (else the one asked for). */
  model: string
}

/**
 * Asks the model for a draft of the incident in `source`. Every failure (no answer in time, an
 * HTTP error, a reply that is not the agreed JSON) is an LlmDraftError whose message says why,
 * without the API key.
 */
export async function requestLlmDraft(
  settings: LlmSettings,
  source: DraftSource,
  fetchImpl: typeof fetch = fetch,
): Promise<LlmDraft> {
  const prompt = buildPrompt(source)
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    Accept: 'application/json',
  }
  if (settings.apiKey) headers.Authorization = `Bearer ${settings.apiKey}`
  const hide = (text: string) => (settings.apiKey ? text.split(settings.apiKey).join('***') : text)

  let response: Response
  let body: string
  try {
    response = await fetchImpl(`${settings.baseUrl}/chat/completions`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        model: settings.model,
        messages: [
          { role: 'system', content: prompt.system },
          { role: 'user', content: prompt.user },
        ],
        response_format: { type: 'json_object' },
        temperature: 0,
      }),
      signal: AbortSignal.timeout(settings.timeoutMs),
      redirect: 'error',
    })
    body = await response.text()
  } catch (error) {
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
      throw new LlmDraftError(
        `The model endpoint did not answer within ${settings.timeoutMs < 1000 ? `${settings.timeoutMs} ms` : `${Math.round(settings.timeoutMs / 1000)} s`}.`,
      )
    const code = (error as { cause?: { code?: string } }).cause?.code
    throw new LlmDraftError(`The model endpoint could not be reached${code ? ` (${code})` : ''}.`)
  }
  if (!response.ok) {
    throw new LlmDraftError(
      hide(`The model endpoint answered HTTP ${response.status}${errorMessage(body)}.`),
    )
  }
  if (body.length > REPLY_MAX) throw new LlmDraftError('The model endpoint’s answer was too large.')
  let completion: z.infer<typeof completionSchema>
  try {
    completion = completionSchema.parse(JSON.parse(body))
  } catch {
    throw new LlmDraftError('The model endpoint’s answer was not a chat completion.')
  }
  const choice = completion.choices[0]!
  if (choice.finish_reason === 'length')
    throw new LlmDraftError('The model’s reply was cut off before it was complete.')
  if (!choice.message.content?.trim()) throw new LlmDraftError('The model’s reply was empty.')
  const statements = parseReply(choice.message.content, source.events)
  return {
    result: {
      sections: sectionsFrom(statements),
      timeline: defaultTimeline(source.events),
      statements,
    },
    model: completion.model?.trim() || settings.model,
  }
}

/** `: <message>` from an OpenAI-style error body, short and on one line; '' when there is none. */
function errorMessage(body: string): string {
  try {
    const parsed = z
      .object({ error: z.object({ message: z.string() }) })
      .safeParse(JSON.parse(body))
    if (parsed.success) {
      const message = flat(parsed.data.error.message).slice(0, 300)
      return message ? `: ${message}` : ''
    }
  } catch {
    // Not JSON: the status alone says enough.
  }
  return ''
}
