import type { DraftResult, GeneratedStatement } from '../../../db/entities/postmortem'
import { personNamer } from '~/domain/access/person-name'
import type { StoredEvent } from '~/domain/incident/events'
import type { Impact, Urgency } from '~/domain/incident/triage'
import { STATUS_LABELS, type IncidentStatus, type Severity } from '~/domain/incident/vocabulary'
import { SLA_TARGET_LABELS, formatDuration as formatSlaDuration } from '~/domain/sla/policy'
import { formatDuration, formatInZone } from '~/utils/time'
import {
  POSTMORTEM_SECTIONS,
  type PostmortemSection,
  type PostmortemSections,
  type PostmortemTimelineEntry,
} from './vocabulary'

/**
 * The template draft: a postmortem written from the incident's own record, with no model and no
 * network, so it is always available. Pure: the same incident and events give byte-identical
 * output. Every statement cites the events it rests on; what only the people involved know (the
 * cause, the lessons) is written as a marked prompt for the author, citing what to start from.
 */

/** Recorded on the draft and on the revision that accepts it. */
export const TEMPLATE_VERSION = 'template-1'

/** Opens every statement the author must complete; also how the page and tests recognise one. */
export const PROMPT_MARK = 'To fill in:'

/** The facts of the incident a draft is written from, with ids already turned into names. */
export interface DraftIncident {
  number: number
  title: string
  summary: string
  severity: Severity
  impact: Impact | null
  urgency: Urgency | null
  status: IncidentStatus
  serviceName: string | null
  incidentTypeName: string | null
  commanderId: string | null
  impactStartedAt: string
  declaredAt: string
  acknowledgedAt: string | null
  mitigatedAt: string | null
  resolvedAt: string | null
}

export interface DraftSource {
  incident: DraftIncident
  /** The incident's events, oldest first. */
  events: readonly StoredEvent[]
  /** Display names by user id. */
  people: Readonly<Record<string, string>>
  /** The organization's time zone, for the times written into the text. */
  timeZone: string
  /** Service and incident type names by id, for describing events that name them. */
  catalog?: {
    services: Readonly<Record<string, string>>
    incidentTypes: Readonly<Record<string, string>>
  }
}

/** A comment as it reads now: the latest correction's text, citing the original and corrections. */
interface CommentView {
  seq: number
  body: string
  events: StoredEvent[]
}

/** Most comments put on the default timeline; beyond it, the longest ones are kept. */
const TIMELINE_COMMENT_LIMIT = 10
/** Most comments quoted in the root cause section. */
const QUOTED_COMMENT_LIMIT = 5
const QUOTE_MAX = 240

/** The draft's prose names someone who left the organization "a former member". */
export const formerMemberNamer = (source: Pick<DraftSource, 'people'>) =>
  personNamer((id) => source.people[id], 'a former member')

export function buildTemplateDraft(source: DraftSource): DraftResult {
  const { incident, events, timeZone } = source
  const at = (iso: string) => formatInZone(iso, timeZone)
  const name = formerMemberNamer(source)
  const since = (from: string, to: string) =>
    formatDuration(new Date(to).getTime() - new Date(from).getTime())

  const statements: GeneratedStatement[] = []
  const say = (section: PostmortemSection, text: string, cited: ReadonlyArray<StoredEvent>) => {
    statements.push(statement(section, text, cited))
  }

  const declared = events.find((e) => e.type === 'incident.declared')
  const declaredCite = declared ? [declared] : []
  const lastFieldChange = (field: string) =>
    [...events]
      .reverse()
      .find((e) => e.type === 'incident.field_changed' && e.payload.field === field)
  const withField = (field: string) => {
    const change = lastFieldChange(field)
    return change ? [...declaredCite, change] : declaredCite
  }
  const stamped = (field: 'acknowledgedAt' | 'mitigatedAt' | 'resolvedAt') =>
    events.find((e) => e.type === 'incident.status_changed' && e.payload.stamped?.field === field)

  const severityChanges = events.filter(
    (e) => e.type === 'incident.severity_changed' || e.type === 'incident.escalated',
  )
  const breaches = events.filter((e) => e.type === 'sla.breached')
  const warnings = events.filter((e) => e.type === 'sla.warning')
  const rules = events.filter((e) => e.type === 'escalation.fired')
  const alerts = events.filter((e) => e.type === 'alert.received' || e.type === 'alert.resolved')
  const evidence = currentEvidence(events)
  const reopens = events.filter(
    (e) => e.type === 'incident.status_changed' && e.payload.action === 'reopen',
  )
  const comments = currentComments(events)
  const commentEvents = comments.flatMap((c) => c.events)

  // Summary: what happened, who led, how it went.
  const where = [
    incident.serviceName ? ` affecting ${incident.serviceName}` : '',
    incident.incidentTypeName ? ` (${incident.incidentTypeName})` : '',
  ].join('')
  say(
    'summary',
    `INC-${incident.number} “${incident.title}” was declared on ${at(incident.declaredAt)} as ${incident.severity}${where}.`,
    [
      ...withField('title'),
      ...withField('serviceId').slice(1),
      ...withField('incidentTypeId').slice(1),
    ],
  )
  if (incident.summary.trim()) {
    say(
      'summary',
      `Summary recorded on the incident: ${oneLine(incident.summary)}`,
      withField('summary'),
    )
  }
  if (incident.commanderId) {
    const handover = [...events]
      .reverse()
      .find(
        (e) =>
          (e.type === 'incident.assignment_changed' || e.type === 'incident.escalated') &&
          e.payload.commander?.to === incident.commanderId,
      )
    say(
      'summary',
      `${name(incident.commanderId)} was the incident commander.`,
      handover ? [handover] : declaredCite,
    )
  }
  const milestones: Array<[string, string | null, StoredEvent | undefined]> = [
    ['acknowledged', incident.acknowledgedAt, stamped('acknowledgedAt')],
    ['mitigated', incident.mitigatedAt, stamped('mitigatedAt')],
    ['resolved', incident.resolvedAt, stamped('resolvedAt')],
  ]
  for (const [word, time, event] of milestones) {
    if (!time || !event) continue
    say(
      'summary',
      `It was ${word} on ${at(time)}, ${since(incident.impactStartedAt, time)} after the impact began.`,
      [event],
    )
  }
  for (const e of severityChanges) {
    if (e.type !== 'incident.severity_changed' && e.type !== 'incident.escalated') continue
    const how = e.type === 'incident.escalated' ? 'was force-escalated' : 'changed'
    say(
      'summary',
      `On ${at(e.occurredAt)} the severity ${how} from ${e.payload.from} to ${e.payload.to} (${name(e.actorId) ?? 'the system'}): ${oneLine(e.payload.reason)}`,
      [e],
    )
  }

  // Customer impact: when it began and how long it lasted; what the alerts said.
  const impactEnd = incident.mitigatedAt ?? incident.resolvedAt
  const impactEndEvent = stamped('mitigatedAt') ?? stamped('resolvedAt')
  if (impactEnd && impactEndEvent) {
    say(
      'customerImpact',
      `Customer impact began on ${at(incident.impactStartedAt)} and lasted ${since(incident.impactStartedAt, impactEnd)}, until the incident was ${incident.mitigatedAt ? 'mitigated' : 'resolved'} on ${at(impactEnd)}.`,
      [...withField('impactStartedAt'), impactEndEvent],
    )
  } else {
    say(
      'customerImpact',
      `Customer impact began on ${at(incident.impactStartedAt)}; the incident has not been marked mitigated.`,
      withField('impactStartedAt'),
    )
  }
  if (incident.impact || incident.urgency) {
    const parts = [
      incident.impact ? `impact ${incident.impact}` : null,
      incident.urgency ? `urgency ${incident.urgency}` : null,
    ].filter(Boolean)
    say('customerImpact', `Triage at declaration: ${parts.join(', ')}.`, declaredCite)
  }
  const received = alerts.filter((e) => e.type === 'alert.received')
  if (received.length) {
    const titles = unique(
      received.map((e) => (e.type === 'alert.received' ? oneLine(e.payload.title, 120) : '')),
    )
    // A counted entry stands for every firing within its repeat window.
    const firings = received.reduce(
      (n, e) => n + (e.type === 'alert.received' ? (e.payload.repeat?.count ?? 1) : 0),
      0,
    )
    say(
      'customerImpact',
      `${count(firings, 'alert', 'alerts')} reported the problem: ${titles.join('; ')}.`,
      received,
    )
  }
  say(
    'customerImpact',
    `${PROMPT_MARK} who was affected, how many customers, and what they could not do. Start from the declaration${received.length ? ' and the alerts' : ''}.`,
    [...declaredCite, ...received],
  )

  // Root cause: only people know it; quote what responders wrote and ask.
  for (const comment of quotable(comments)) {
    say(
      'rootCause',
      `${name(comment.events[0]!.actorId) ?? 'A responder'} wrote: “${oneLine(comment.body, QUOTE_MAX)}”`,
      comment.events,
    )
  }
  const causeBasis = [...commentEvents, ...evidence, ...alerts]
  say(
    'rootCause',
    `${PROMPT_MARK} what caused the incident, and what made it worse or harder to find? ${
      causeBasis.length
        ? `Start from ${describeBasis(comments.length, evidence.length, alerts.length)}.`
        : 'Nothing was written on the incident; start from the declaration.'
    }`,
    causeBasis.length ? sortBySeq(causeBasis) : declaredCite,
  )

  // What went well: response times and automatic help, as recorded.
  const acknowledged = stamped('acknowledgedAt')
  if (incident.acknowledgedAt && acknowledged) {
    say(
      'wentWell',
      `Responders acknowledged the incident ${since(incident.declaredAt, incident.acknowledgedAt)} after it was declared.`,
      [acknowledged],
    )
  }
  if (incident.mitigatedAt && stamped('mitigatedAt') && !breachOf(breaches, 'mitigate')) {
    say(
      'wentWell',
      `Mitigation came ${since(incident.impactStartedAt, incident.mitigatedAt)} after the impact began, without breaching a mitigation target.`,
      [stamped('mitigatedAt')!],
    )
  }
  for (const e of rules) {
    if (e.type !== 'escalation.fired') continue
    say(
      'wentWell',
      `The escalation rule “${e.payload.ruleName}” fired on ${at(e.occurredAt)}${e.payload.actions.length ? `: ${e.payload.actions.join('; ')}` : ''}.`,
      [e],
    )
  }
  if (evidence.length) {
    say(
      'wentWell',
      `${count(evidence.length, 'piece of evidence was', 'pieces of evidence were')} attached to the incident.`,
      evidence,
    )
  }
  say(
    'wentWell',
    `${PROMPT_MARK} what helped the response (people, tools, runbooks)? Check the timeline${commentEvents.length ? ' and the comments' : ''}.`,
    commentEvents.length ? commentEvents : declaredCite,
  )

  // What went poorly: breaches, warnings, reopenings, forced escalations.
  for (const e of breaches) {
    if (e.type !== 'sla.breached') continue
    say(
      'wentPoorly',
      `The ${SLA_TARGET_LABELS[e.payload.target].toLowerCase()} target of ${formatSlaDuration(e.payload.targetSeconds)} for ${e.payload.severity} was breached: it was due on ${at(e.payload.dueAt)}.`,
      [e],
    )
  }
  const unbreachedWarnings = warnings.filter(
    (e) => e.type === 'sla.warning' && !breachOf(breaches, e.payload.target),
  )
  for (const e of unbreachedWarnings) {
    if (e.type !== 'sla.warning') continue
    say(
      'wentPoorly',
      `The ${SLA_TARGET_LABELS[e.payload.target].toLowerCase()} target for ${e.payload.severity} came close to being breached (warning on ${at(e.occurredAt)}).`,
      [e],
    )
  }
  for (const e of reopens) {
    if (e.type !== 'incident.status_changed') continue
    say(
      'wentPoorly',
      `The incident was reopened on ${at(e.occurredAt)} from ${STATUS_LABELS[e.payload.from]}${e.payload.reason ? `: ${oneLine(e.payload.reason)}` : '.'}`,
      [e],
    )
  }
  const poorBasis = sortBySeq([...breaches, ...unbreachedWarnings, ...reopens, ...commentEvents])
  say(
    'wentPoorly',
    `${PROMPT_MARK} what slowed the response or made it harder? ${
      breaches.length || reopens.length
        ? 'Explain the breaches and reopenings above.'
        : 'Look for waits and hand-overs in the timeline.'
    }`,
    poorBasis.length ? poorBasis : declaredCite,
  )

  // Lessons: the author's, built on what went poorly.
  const lessonBasis = sortBySeq([...breaches, ...reopens, ...severityChanges, ...commentEvents])
  say(
    'lessons',
    `${PROMPT_MARK} what will we change so this does not happen again, or is found and fixed sooner? Turn each point under “What went poorly” into an action item with an owner and a due date.`,
    lessonBasis.length ? lessonBasis : declaredCite,
  )

  return {
    sections: sectionsFrom(statements),
    timeline: defaultTimeline(events, comments),
    statements,
  }
}

/**
 * The text of each section from its statements: one paragraph each, ending with the events it
 * cites (`(events #3, #7)`) or, for a statement citing none, the words "No cited event".
 */
export function sectionsFrom(statements: ReadonlyArray<GeneratedStatement>): PostmortemSections {
  const sections = Object.fromEntries(POSTMORTEM_SECTIONS.map((s) => [s, ''])) as PostmortemSections
  for (const section of POSTMORTEM_SECTIONS) {
    sections[section] = statements
      .filter((s) => s.section === section)
      .map((s) => `${s.text} ${citationText(s)}`)
      .join('\n\n')
  }
  return sections
}

export function citationText(statement: Pick<GeneratedStatement, 'eventSeqs' | 'flagged'>) {
  if (statement.flagged || statement.eventSeqs.length === 0) return '(No cited event)'
  const seqs = statement.eventSeqs.map((seq) => `#${seq}`).join(', ')
  return statement.eventSeqs.length === 1 ? `(event ${seqs})` : `(events ${seqs})`
}

/**
 * The events a postmortem's timeline starts with: the declaration, status and severity changes,
 * escalations, SLA breaches, alerts, evidence and the key comments (all of them up to ten,
 * otherwise the ten longest, as the substantive ones), oldest first.
 */
export function defaultTimeline(
  events: readonly StoredEvent[],
  comments: CommentView[] = currentComments(events),
): PostmortemTimelineEntry[] {
  const keyComments = new Set(
    [...comments]
      .sort((a, b) => b.body.length - a.body.length || a.seq - b.seq)
      .slice(0, TIMELINE_COMMENT_LIMIT)
      .map((c) => c.events[c.events.length - 1]!.seq),
  )
  const entries: PostmortemTimelineEntry[] = []
  for (const e of events) {
    const note = timelineNote(e, keyComments)
    if (note !== null) entries.push({ seq: e.seq, note })
  }
  return entries
}

function timelineNote(e: StoredEvent, keyComments: ReadonlySet<number>): string | null {
  switch (e.type) {
    case 'incident.declared':
      return `Declared as ${e.payload.severity}`
    case 'incident.status_changed':
      return `${STATUS_LABELS[e.payload.from]} → ${STATUS_LABELS[e.payload.to]}`
    case 'incident.severity_changed':
      return `Severity ${e.payload.from} → ${e.payload.to}`
    case 'incident.escalated':
      return `Force-escalated ${e.payload.from} → ${e.payload.to}`
    case 'escalation.fired':
      return `Escalation rule “${e.payload.ruleName}” fired`
    case 'sla.breached':
      return `${SLA_TARGET_LABELS[e.payload.target]} target breached`
    case 'alert.received':
      return `Alert: ${oneLine(e.payload.title, 120)}`
    case 'alert.resolved':
      return `Alert resolved: ${oneLine(e.payload.title, 120)}`
    case 'attachment.added':
      return `Evidence: ${e.payload.displayName}`
    case 'comment.added':
    case 'comment.corrected':
      return keyComments.has(e.seq) ? `Comment: ${oneLine(e.payload.body, 80)}` : null
    default:
      return null
  }
}

function statement(
  section: PostmortemSection,
  text: string,
  cited: ReadonlyArray<StoredEvent>,
): GeneratedStatement {
  const events = sortBySeq(uniqueBy(cited, (e) => e.id))
  return {
    section,
    text,
    eventIds: events.map((e) => e.id),
    eventSeqs: events.map((e) => e.seq),
    flagged: events.length === 0,
  }
}

/** Comments as they read now: a correction replaces the text of the comment it supersedes. */
function currentComments(events: readonly StoredEvent[]): CommentView[] {
  const bySeq = new Map<number, CommentView>()
  for (const e of events) {
    if (e.type === 'comment.added')
      bySeq.set(e.seq, { seq: e.seq, body: e.payload.body, events: [e] })
    if (e.type === 'comment.corrected') {
      const original = bySeq.get(e.payload.supersedesSeq)
      if (original) {
        original.body = e.payload.body
        original.events.push(e)
      }
    }
  }
  return [...bySeq.values()].filter((c) => c.body.trim() !== '')
}

/** Evidence still attached: added and not withdrawn since. */
function currentEvidence(events: readonly StoredEvent[]): StoredEvent[] {
  const withdrawn = new Set(
    events.flatMap((e) => (e.type === 'attachment.withdrawn' ? [e.payload.attachmentId] : [])),
  )
  return events.filter(
    (e) => e.type === 'attachment.added' && !withdrawn.has(e.payload.attachmentId),
  )
}

function quotable(comments: CommentView[]) {
  return [...comments]
    .sort((a, b) => b.body.length - a.body.length || a.seq - b.seq)
    .slice(0, QUOTED_COMMENT_LIMIT)
    .sort((a, b) => a.seq - b.seq)
}

function breachOf(breaches: readonly StoredEvent[], target: string) {
  return breaches.some((e) => e.type === 'sla.breached' && e.payload.target === target)
}

function describeBasis(comments: number, evidence: number, alerts: number) {
  const parts = [
    comments === 1 ? 'the comment' : comments ? `the ${comments} comments` : null,
    evidence ? 'the evidence' : null,
    alerts ? 'the alerts' : null,
  ].filter((p): p is string => p !== null)
  if (parts.length <= 1) return parts.join('')
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`
}

/** Text on one line, cut at `max` characters with an ellipsis. */
function oneLine(text: string, max = 500) {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length > max ? `${flat.slice(0, max - 1).trimEnd()}…` : flat
}

function count(n: number, one: string, many: string) {
  return `${n === 1 ? 'One' : String(n)} ${n === 1 ? one : many}`
}

function sortBySeq(events: ReadonlyArray<StoredEvent>) {
  return uniqueBy(events, (e) => e.id).sort((a, b) => a.seq - b.seq)
}

function uniqueBy<T>(items: ReadonlyArray<T>, key: (item: T) => string): T[] {
  const seen = new Set<string>()
  return items.filter((item) => {
    const k = key(item)
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}

function unique(items: string[]) {
  return [...new Set(items)]
}
