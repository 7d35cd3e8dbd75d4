import { createHash } from 'node:crypto'
import { LIFECYCLE, type StatusTimestampField } from './lifecycle'
import type { Impact, Urgency } from './triage'
import type {
  CustomFieldKind,
  CustomFieldValue,
  CustomFieldValues,
} from '~/domain/custom-fields/custom-field-values'
import type { IncidentStatus, Severity } from './vocabulary'
import type { ComponentState, PublicStatus } from '~/domain/status/status-vocabulary'

/**
 * The incident timeline: every change is an event, appended in the transaction that makes the
 * change, numbered per incident (`seq`, gap-free) and chained by SHA-256 to the event before it.
 * The incident row is a cache: folding its events must give it back exactly.
 */

export const GENESIS_HASH = '0'.repeat(64)

export interface IncidentState {
  number: number
  title: string
  summary: string
  severity: Severity
  impact: Impact | null
  urgency: Urgency | null
  status: IncidentStatus
  serviceId: string | null
  incidentTypeId: string | null
  commanderId: string | null
  /** Sorted, so equal sets compare equal. */
  assigneeIds: string[]
  declaredById: string | null
  /** Custom field values by field id; fields without a value are absent. */
  customFields: CustomFieldValues
  impactStartedAt: string
  declaredAt: string
  acknowledgedAt: string | null
  mitigatedAt: string | null
  resolvedAt: string | null
  postmortemAt: string | null
  closedAt: string | null
  /** Whether the incident counts (`incident`) or was declined, or is a duplicate of / merged into another. */
  classification: Classification
  /** The incident a duplicate or merged incident points to (its id); null otherwise. */
  classifiedAsOfId: string | null
  /** Who holds each incident role (role id → user id); roles nobody holds are absent. */
  roles: Record<string, string>
  /**
   * Visible only to its commander, assignees, viewers, incident-role holders and admins
   * (decision 037). Entries written before private incidents existed fold to `false`.
   */
  private: boolean
  /** Number of events applied: every event, comments too, moves the version on. */
  version: number
}

/** Fields a plain edit may change, with their values as stored in events. */
export interface EditableFields {
  title: string
  summary: string
  serviceId: string | null
  incidentTypeId: string | null
  impactStartedAt: string
}

export const CLASSIFICATIONS = ['incident', 'declined', 'duplicate', 'merged'] as const
export type Classification = (typeof CLASSIFICATIONS)[number]

/** How two incidents are linked: related, or the first is a duplicate of / merged into the second. */
export const LINK_KINDS = ['related', 'duplicate_of', 'merged_into'] as const
export type LinkKind = (typeof LINK_KINDS)[number]

/**
 * A link as one incident's chain records it: the other incident, the kind, and which end this
 * incident is (`to`: this incident names the other; `from`: the other names this one).
 */
export interface LinkPayload {
  relatedIncidentId: string
  relatedNumber: number
  kind: LinkKind
  direction: 'to' | 'from'
}

export type EventPayloads = {
  'incident.declared': Omit<
    IncidentState,
    | 'version'
    | 'acknowledgedAt'
    | 'mitigatedAt'
    | 'resolvedAt'
    | 'postmortemAt'
    | 'closedAt'
    | 'customFields'
    | 'classification'
    | 'classifiedAsOfId'
    | 'roles'
    | 'private'
  > & {
    /** Absent in declarations written before private incidents: not private. */
    private?: boolean
  }
  'incident.status_changed': {
    from: IncidentStatus
    to: IncidentStatus
    action: string
    reason: string | null
    /** The status timestamp this entry set, if it was the first entry. */
    stamped: { field: StatusTimestampField; at: string } | null
  }
  'incident.severity_changed': { from: Severity; to: Severity; reason: string }
  'incident.escalated': {
    from: Severity
    to: Severity
    reason: string
    commander: { from: string | null; to: string | null } | null
  }
  'incident.assignment_changed': {
    commander: { from: string | null; to: string | null } | null
    added: string[]
    removed: string[]
  }
  'incident.field_changed': {
    [K in keyof EditableFields]: { field: K; from: EditableFields[K]; to: EditableFields[K] }
  }[keyof EditableFields]
  /** `source` is set when the comment came from a chat channel (a Slack `/incident note`). */
  'comment.added': { body: string; source?: ChatSource }
  'comment.corrected': { supersedesSeq: number; body: string }
  /**
   * A custom field's value changed (null: no value). The field's key, label and kind are kept as
   * they were, so the entry reads the same after the field is renamed or archived; a choice
   * field's values come with their option labels (`fromText`, `toText`) for the same reason.
   */
  'incident.custom_field_changed': {
    fieldId: string
    fieldKey: string
    fieldLabel: string
    kind: CustomFieldKind
    from: CustomFieldValue | null
    to: CustomFieldValue | null
    fromText?: string | null
    toText?: string | null
  }
  'attachment.added': {
    attachmentId: string
    displayName: string
    contentType: string
    size: number
    sha256: string
    description: string
  }
  'attachment.withdrawn': { attachmentId: string; displayName: string; reason: string }
  /** The incident was made private, or public again (decision 037). */
  'incident.visibility_changed': { private: boolean; reason: string | null }
  /** A member was given sight of the private incident, or lost it. */
  'incident.viewer_added': { userId: string }
  'incident.viewer_removed': { userId: string }
  /** An SLA target passed its warning threshold without being met. */
  'sla.warning': SlaSignalPayload
  /** An SLA target passed its due time without being met. */
  'sla.breached': SlaSignalPayload
  /** A severity change moved the incident to that severity's targets. */
  'sla.retargeted': {
    severity: Severity
    policyVersion: number
    targets: { acknowledge: number | null; mitigate: number | null; resolve: number | null }
    warningPercent: number
  }
  /** An escalation rule fired for the event at `causeSeq`; its actions follow as their own events. */
  'escalation.fired': {
    ruleId: string
    ruleName: string
    trigger: 'declared' | 'warning' | 'breach' | 'reopened'
    causeSeq: number
    actions: string[]
  }
  /**
   * An inbound alert (Alertmanager, PagerDuty, generic JSON) fired for this incident: the one
   * that declared it, or a repeat with the same de-duplication key.
   */
  'alert.received': AlertPayload
  /** The source reported the alert resolved. */
  'alert.resolved': AlertPayload
  /**
   * A chat message made a timeline entry (📌 reaction or the "Add to timeline" shortcut). The
   * entry's actor is the message's author when they are a member; otherwise the member who
   * captured it, with the author's chat name in `author`.
   */
  'chat.message_captured': {
    body: string
    author: { userId: string | null; chatUserId: string; name: string }
    capturedBy: { userId: string; via: 'reaction' | 'shortcut' }
    source: ChatSource
  }
  /** The 📌 that captured the entry at `capturedSeq` was removed; the entry itself stays. */
  'chat.capture_retracted': { capturedSeq: number; source: ChatSource }
  /**
   * Someone posted a public update on the status page: the text visitors read, kept here so the
   * timeline shows what was published and when (component names as they were then).
   */
  'status.public_update_posted': {
    updateId: string
    title: string
    status: PublicStatus
    body: string
    components: Array<{ componentId: string; name: string; state: ComponentState }>
  }
  /**
   * A manager reclassified the incident (declined, duplicate of or merged into the target), or
   * undid that (`classification: 'incident'`, no target).
   */
  'incident.reclassified': {
    classification: Classification
    targetIncidentId: string | null
    targetNumber: number | null
    reason: string
  }
  /** A link to another incident, recorded on both incidents' chains. */
  'incident.link_added': LinkPayload
  'incident.link_removed': LinkPayload
  /** Someone took (userId) or left (null) an incident role. Key and name as they were then. */
  'incident.role_assigned': {
    roleId: string
    roleKey: string
    roleName: string
    userId: string | null
    previousUserId: string | null
  }
  /** The incident's postmortem moved between draft, in review and published. */
  'postmortem.status_changed': {
    postmortemId: string
    from: PostmortemStatus
    to: PostmortemStatus
    revision: number
  }
}

/** Where an entry that came from chat was written, so it is not posted back there. */
export interface ChatSource {
  kind: 'slack'
  channelId: string
  messageTs: string
  permalink: string | null
}

export type PostmortemStatus = 'draft' | 'in_review' | 'published'

export interface AlertPayload {
  integrationId: string
  integrationName: string
  source: 'alertmanager' | 'pagerduty' | 'generic'
  dedupKey: string
  /** The stored payload this came from (`alert_receipt`). */
  receiptId: string
  /** The alert's own title or name. */
  title: string
  /** Severity the alert asked for, if it named one. */
  severity: Severity | null
  /** A short plain-text account: labels, description, source link. */
  details: string | null
  /**
   * Set when this entry stands for several firings of the alert: those counted within the repeat
   * window since its last entry (and the firing that wrote it, if one did). The fields above are
   * the last firing's.
   */
  repeat?: AlertRepeat
}

/** How many firings one `alert.received` entry stands for, and when they came. */
export interface AlertRepeat {
  count: number
  /** ISO times of the first and last firing counted. */
  firstAt: string
  lastAt: string
  /** The first firing's receipt (`receiptId` is the last one's). */
  firstReceiptId: string
}

export interface SlaSignalPayload {
  target: 'acknowledge' | 'mitigate' | 'resolve'
  severity: Severity
  policyVersion: number
  /** Target length in seconds. */
  targetSeconds: number
  dueAt: string
  warnAt: string
}

export type EventType = keyof EventPayloads
export const EVENT_TYPES = [
  'incident.declared',
  'incident.status_changed',
  'incident.severity_changed',
  'incident.escalated',
  'incident.assignment_changed',
  'incident.field_changed',
  'incident.custom_field_changed',
  'comment.added',
  'comment.corrected',
  'attachment.added',
  'attachment.withdrawn',
  'sla.warning',
  'sla.breached',
  'sla.retargeted',
  'escalation.fired',
  'alert.received',
  'alert.resolved',
  'postmortem.status_changed',
  'chat.message_captured',
  'chat.capture_retracted',
  'status.public_update_posted',
  'incident.reclassified',
  'incident.link_added',
  'incident.link_removed',
  'incident.role_assigned',
  'incident.visibility_changed',
  'incident.viewer_added',
  'incident.viewer_removed',
] as const satisfies readonly EventType[]

export type AnyEvent = {
  [T in EventType]: { type: T; payload: EventPayloads[T] }
}[EventType]

interface StoredEventBase {
  id: string
  organizationId: string
  incidentId: string
  seq: number
  actorId: string | null
  occurredAt: string
  prevHash: string
  hash: string
}

/** An event as stored: its chain position and hashes, with the payload its type says. */
export type StoredEvent = {
  [T in EventType]: StoredEventBase & { type: T; payload: EventPayloads[T] }
}[EventType]

/** JSON with object keys sorted at every level: the same data always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null)
  if (Array.isArray(value)) {
    let text = '['
    for (let i = 0; i < value.length; i++) text += (i ? ',' : '') + canonicalJson(value[i])
    return text + ']'
  }
  const object = value as Record<string, unknown>
  // The default sort compares UTF-16 code units, as `<` does.
  const keys = Object.keys(object).sort()
  let text = '{'
  for (const key of keys) {
    const v = object[key]
    if (v === undefined) continue
    text += (text.length > 1 ? ',' : '') + JSON.stringify(key) + ':' + canonicalJson(v)
  }
  return text + '}'
}

export interface HashInput {
  prevHash: string
  seq: number
  organizationId: string
  incidentId: string
  type: string
  actorId: string | null
  occurredAt: string
  payload: unknown
}

export function eventHash(input: HashInput): string {
  return createHash('sha256').update(hashedText(input)).digest('hex')
}

/**
 * The canonical JSON of the hashed fields. Their keys are fixed, so they are written in sorted
 * order directly, which is what `canonicalJson` of the object gives (a property test holds the
 * two equal); only the payload is sorted key by key. A field that is undefined (absent, which
 * `canonicalJson` leaves out) takes the general path.
 */
function hashedText(input: HashInput): string {
  const fields = {
    actor_id: input.actorId,
    incident_id: input.incidentId,
    occurred_at: input.occurredAt,
    organization_id: input.organizationId,
    payload: input.payload,
    prev_hash: input.prevHash,
    seq: input.seq,
    type: input.type,
  }
  if (Object.values(fields).includes(undefined)) return canonicalJson(fields)
  return (
    `{"actor_id":${canonicalJson(fields.actor_id)},"incident_id":${canonicalJson(fields.incident_id)},` +
    `"occurred_at":${canonicalJson(fields.occurred_at)},` +
    `"organization_id":${canonicalJson(fields.organization_id)},` +
    `"payload":${canonicalJson(fields.payload)},"prev_hash":${canonicalJson(fields.prev_hash)},` +
    `"seq":${canonicalJson(fields.seq)},"type":${canonicalJson(fields.type)}}`
  )
}

const sortIds = (ids: Iterable<string>) => [...new Set(ids)].sort()

/** Applies one event to the state before it (undefined before the declaration). */
export function applyEvent(state: IncidentState | undefined, event: AnyEvent): IncidentState {
  if (event.type === 'incident.declared') {
    if (state) throw new FoldError('declared twice')
    return {
      ...event.payload,
      assigneeIds: sortIds(event.payload.assigneeIds),
      customFields: {},
      acknowledgedAt: null,
      mitigatedAt: null,
      resolvedAt: null,
      postmortemAt: null,
      closedAt: null,
      classification: 'incident',
      classifiedAsOfId: null,
      roles: {},
      private: event.payload.private ?? false,
      version: 1,
    }
  }
  if (!state) throw new FoldError(`${event.type} before the declaration`)
  const next: IncidentState = { ...state, version: state.version + 1 }
  switch (event.type) {
    case 'incident.status_changed': {
      if (event.payload.from !== state.status)
        throw new FoldError(`status was ${state.status}, event says ${event.payload.from}`)
      next.status = event.payload.to
      const field = LIFECYCLE[event.payload.to].stamps
      if (field && state[field] === null) next[field] = event.payload.stamped?.at ?? null
      return next
    }
    case 'incident.severity_changed':
      next.severity = event.payload.to
      return next
    case 'incident.escalated':
      next.severity = event.payload.to
      if (event.payload.commander) next.commanderId = event.payload.commander.to
      return next
    case 'incident.assignment_changed': {
      if (event.payload.commander) next.commanderId = event.payload.commander.to
      const assignees = new Set(state.assigneeIds)
      for (const id of event.payload.added) assignees.add(id)
      for (const id of event.payload.removed) assignees.delete(id)
      next.assigneeIds = sortIds(assignees)
      return next
    }
    case 'incident.field_changed': {
      const change = event.payload
      ;(next as unknown as Record<string, unknown>)[change.field] = change.to
      return next
    }
    case 'incident.custom_field_changed': {
      const values = { ...state.customFields }
      if (event.payload.to === null) delete values[event.payload.fieldId]
      else values[event.payload.fieldId] = event.payload.to
      next.customFields = values
      return next
    }
    case 'incident.reclassified':
      next.classification = event.payload.classification
      next.classifiedAsOfId = event.payload.targetIncidentId
      return next
    case 'incident.role_assigned': {
      const roles = { ...state.roles }
      if (event.payload.userId) roles[event.payload.roleId] = event.payload.userId
      else delete roles[event.payload.roleId]
      next.roles = roles
      return next
    }
    case 'incident.visibility_changed':
      next.private = event.payload.private
      return next
    case 'incident.viewer_added':
    case 'incident.viewer_removed':
    case 'incident.link_added':
    case 'incident.link_removed':
    case 'comment.added':
    case 'comment.corrected':
    case 'attachment.added':
    case 'attachment.withdrawn':
    case 'sla.warning':
    case 'sla.breached':
    case 'sla.retargeted':
    case 'escalation.fired':
    case 'alert.received':
    case 'alert.resolved':
    case 'postmortem.status_changed':
    case 'chat.message_captured':
    case 'chat.capture_retracted':
    case 'status.public_update_posted':
      return next
  }
}

export class FoldError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'FoldError'
  }
}

/** An incident's state is a pure fold of its events, oldest first. */
export function foldEvents(events: readonly AnyEvent[]): IncidentState {
  let state: IncidentState | undefined
  for (const event of events) state = applyEvent(state, event)
  if (!state) throw new FoldError('no events')
  return state
}

export type ChainProblem =
  | { kind: 'seq-gap'; seq: number; expected: number }
  | { kind: 'prev-hash'; seq: number }
  | { kind: 'hash'; seq: number }
  | { kind: 'fold'; seq: number; message: string }

/** Checks numbering and hashes of one incident's events (ordered by seq). */
export function verifyChain(events: readonly StoredEvent[]): ChainProblem | null {
  let prev = GENESIS_HASH
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!
    if (event.seq !== i + 1) return { kind: 'seq-gap', seq: event.seq, expected: i + 1 }
    if (event.prevHash !== prev) return { kind: 'prev-hash', seq: event.seq }
    if (eventHash(event) !== event.hash) return { kind: 'hash', seq: event.seq }
    prev = event.hash
  }
  return null
}

/** Compares the stored incident with the fold of its events; returns differing field names. */
export function diffState(stored: IncidentState, folded: IncidentState): string[] {
  const keys = Object.keys(folded) as Array<keyof IncidentState>
  return keys.filter((key) => canonicalJson(stored[key]) !== canonicalJson(folded[key]))
}
