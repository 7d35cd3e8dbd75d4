import type { EntityManager, MikroORM } from '@mikro-orm/postgresql'
import { DomainError, messagesPerField } from '~/domain/domain-error'
import { MembershipSchema } from '../../../db/entities/access'
import {
  EscalationRuleSchema,
  WebhookEndpointSchema,
  type EscalationRule,
} from '../../../db/entities/sla'
import { inScope } from '../../../db/tenant'
import { listMembers } from '~/domain/access/members.server'
import { can, type Role } from '~/domain/access/permissions'
import { SEVERITIES, type Severity } from '~/domain/incident/vocabulary'
import { SLA_TARGETS, SLA_TARGET_LABELS, type SlaTarget } from '~/domain/sla/policy'
import {
  DEFAULT_ESCALATION_RULES,
  ESCALATION_TRIGGERS,
  RECIPIENT_GROUPS,
  RULE_NAME_MAX,
  describeAction,
  type EscalationAction,
  type EscalationRuleData,
  type EscalationTrigger,
} from './rules'

/** Who manages rules: an admin (`settings.manage`) of the organization. */
export interface RuleEditor {
  role: Role
  user: { id: string }
  organization: { id: string }
}

/** A rule as an admin submits it. */
export interface RuleInput {
  name: string
  trigger: EscalationTrigger
  target: SlaTarget | null
  maxSeverity: Severity
  actions: EscalationAction[]
}

/**
 * A rule that cannot be saved. `fieldErrors` is keyed by the rule form's field names: name,
 * trigger, target, maxSeverity, actions, notifyMemberIds, webhookEndpointId, commanderId.
 */
export class EscalationRuleError extends DomainError {
  constructor(message: string, fieldErrors: Record<string, string> = {}, status: 400 | 403 = 400) {
    super(message, { fieldErrors: messagesPerField(fieldErrors), status })
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value)

/**
 * Installs the default rules the first time an organization's rules are needed, and never again
 * (an admin who deletes them all keeps an empty list). `em` must be inside a transaction under
 * the organization's scope. Two callers at once are safe: the second one's insert of the marker
 * row waits for the first transaction and then inserts nothing, so it adds no rules either.
 * Returns whether this call installed them.
 */
export async function ensureDefaultRules(em: EntityManager, organizationId: string) {
  if (!em.isInTransaction())
    throw new Error('ensureDefaultRules needs a transaction under the organization’s scope')
  const inserted = await em.execute<{ organization_id: string }[]>(
    `insert into escalation_rule_set (organization_id) values (?)
     on conflict (organization_id) do nothing
     returning organization_id`,
    [organizationId],
  )
  if (inserted.length === 0) return false
  // Plain inserts rather than a flush: the caller's unit of work may hold changes of its own.
  for (const [index, rule] of DEFAULT_ESCALATION_RULES.entries()) {
    await em.execute(
      `insert into escalation_rule
         (organization_id, name, position, enabled, trigger, target, max_severity, actions)
       values (?, ?, ?, ?, ?, ?, ?, ?::jsonb)`,
      [
        organizationId,
        rule.name,
        index + 1,
        rule.enabled,
        rule.trigger,
        rule.target,
        rule.maxSeverity,
        JSON.stringify(rule.actions),
      ],
    )
  }
  return true
}

function toRuleData(rule: EscalationRule): EscalationRuleData {
  return {
    id: rule.id,
    name: rule.name,
    enabled: rule.enabled,
    trigger: rule.trigger,
    target: rule.target ?? null,
    maxSeverity: rule.maxSeverity,
    actions: rule.actions,
  }
}

const ORDER = { position: 'asc', createdAt: 'asc', id: 'asc' } as const

async function rulesInOrder(em: EntityManager, organizationId: string) {
  return em.find(EscalationRuleSchema, { organizationId }, { orderBy: ORDER })
}

/** The organization's enabled rules in the order the admin arranged them. */
export async function activeRules(
  em: EntityManager,
  organizationId: string,
): Promise<EscalationRuleData[]> {
  await ensureDefaultRules(em, organizationId)
  const rules = await em.find(
    EscalationRuleSchema,
    { organizationId, enabled: true },
    { orderBy: ORDER },
  )
  return rules.map(toRuleData)
}

function assertEditor(member: RuleEditor) {
  if (!can(member.role, 'settings.manage'))
    throw new EscalationRuleError('Only admins can change escalation rules.', {}, 403)
}

/**
 * Runs a change to the rules with the organization's rule set locked, so concurrent edits (two
 * moves, a move and an add) apply one after the other and positions stay consistent.
 */
function withRulesLocked<T>(
  orm: MikroORM,
  member: RuleEditor,
  work: (em: EntityManager, organizationId: string) => Promise<T>,
) {
  assertEditor(member)
  const organizationId = member.organization.id
  return inScope(orm, { organizationId }, async (em) => {
    await ensureDefaultRules(em, organizationId)
    await em.execute(
      `select organization_id from escalation_rule_set where organization_id = ? for update`,
      [organizationId],
    )
    return work(em, organizationId)
  })
}

/** Every rule, enabled or not, in order (installing the defaults on first use). */
export async function listRules(orm: MikroORM, member: RuleEditor): Promise<EscalationRuleData[]> {
  assertEditor(member)
  const organizationId = member.organization.id
  return inScope(orm, { organizationId }, async (em) => {
    await ensureDefaultRules(em, organizationId)
    return (await rulesInOrder(em, organizationId)).map(toRuleData)
  })
}

/** One rule of the organization, or null (also for another organization's id). */
export async function getRule(
  orm: MikroORM,
  member: RuleEditor,
  id: string,
): Promise<EscalationRuleData | null> {
  assertEditor(member)
  if (!isUuid(id)) return null
  const organizationId = member.organization.id
  return inScope(orm, { organizationId }, async (em) => {
    const rule = await em.findOne(EscalationRuleSchema, { id, organizationId })
    return rule ? toRuleData(rule) : null
  })
}

export interface RuleChoices {
  /** Every member (inactive ones too, so old rules can still name them). */
  members: Array<{ userId: string; displayName: string; active: boolean }>
  /** Every webhook endpoint; only enabled ones are offered for new choices. */
  endpoints: Array<{ id: string; label: string; enabled: boolean }>
}

function endpointLabel(endpoint: { url: string; description: string }) {
  if (endpoint.description.trim()) return endpoint.description.trim()
  // The host only: a URL's path or query may carry a token.
  try {
    return new URL(endpoint.url).host
  } catch {
    return 'an endpoint'
  }
}

/** The people and endpoints a rule can name. */
export async function ruleChoices(orm: MikroORM, member: RuleEditor): Promise<RuleChoices> {
  assertEditor(member)
  const organizationId = member.organization.id
  const members = await listMembers(orm, organizationId)
  const endpoints = await inScope(orm, { organizationId }, (em) =>
    em.find(WebhookEndpointSchema, { organizationId }, { orderBy: { createdAt: 'asc' } }),
  )
  return {
    members: members.map((m) => ({
      userId: m.userId,
      displayName: m.displayName,
      active: m.active,
    })),
    endpoints: endpoints.map((e) => ({ id: e.id, label: endpointLabel(e), enabled: e.enabled })),
  }
}

/** Checks that need no database: shape, required parts, consistency. */
export function ruleInputProblems(input: RuleInput): Record<string, string> {
  const errors: Record<string, string> = {}
  const name = typeof input.name === 'string' ? input.name.trim() : ''
  if (!name) errors.name = 'Give the rule a name.'
  else if (name.length > RULE_NAME_MAX) errors.name = `Use at most ${RULE_NAME_MAX} characters.`
  if (!(ESCALATION_TRIGGERS as readonly string[]).includes(input.trigger))
    errors.trigger = 'Choose when the rule fires.'
  if (input.target !== null && !(SLA_TARGETS as readonly string[]).includes(input.target))
    errors.target = 'Choose an SLA target, or Any.'
  else if (input.target !== null && (input.trigger === 'declared' || input.trigger === 'reopened'))
    errors.target = 'An SLA target applies only to SLA warnings and breaches; choose Any.'
  if (!(SEVERITIES as readonly string[]).includes(input.maxSeverity))
    errors.maxSeverity = 'Choose a severity.'
  if (!Array.isArray(input.actions) || input.actions.length === 0) {
    errors.actions = 'Choose at least one action.'
    return errors
  }
  for (const action of input.actions) {
    switch (action.type) {
      case 'notify':
        if (!(RECIPIENT_GROUPS as readonly string[]).includes(action.group))
          errors.actions = 'Choose who to notify from the list.'
        break
      case 'notify-members':
        if (action.userIds.length === 0 || !action.userIds.every(isUuid))
          errors.notifyMemberIds = 'Choose members of this organization.'
        break
      case 'webhook':
        if (!isUuid(action.endpointId))
          errors.webhookEndpointId = 'Choose an endpoint of this organization.'
        break
      case 'assign-commander':
        if (!isUuid(action.userId)) errors.commanderId = 'Choose a member of this organization.'
        break
      case 'raise-severity':
        break
      default:
        errors.actions = 'Unknown action.'
    }
  }
  return errors
}

/** Checks against the organization's data; runs in the transaction that writes the rule. */
async function referenceProblems(em: EntityManager, organizationId: string, input: RuleInput) {
  const errors: Record<string, string> = {}
  const activeMembers = async (userIds: string[]) => {
    const unique = [...new Set(userIds)]
    const found = await em.count(MembershipSchema, {
      organizationId,
      userId: { $in: unique },
      active: true,
    })
    return found === unique.length
  }
  for (const action of input.actions) {
    if (action.type === 'notify-members' && !(await activeMembers(action.userIds)))
      errors.notifyMemberIds = 'Choose active members of this organization.'
    if (action.type === 'assign-commander' && !(await activeMembers([action.userId])))
      errors.commanderId = 'Choose an active member of this organization.'
    if (action.type === 'webhook') {
      const endpoint = await em.count(WebhookEndpointSchema, {
        id: action.endpointId,
        organizationId,
      })
      if (endpoint === 0) errors.webhookEndpointId = 'Choose an endpoint of this organization.'
    }
  }
  return errors
}

function normalise(input: RuleInput): RuleInput {
  return {
    name: input.name.trim(),
    trigger: input.trigger,
    target: input.target,
    maxSeverity: input.maxSeverity,
    actions: input.actions.map((action) =>
      action.type === 'notify-members'
        ? { type: action.type, userIds: [...new Set(action.userIds)] }
        : action,
    ),
  }
}

async function validated(em: EntityManager, organizationId: string, input: RuleInput) {
  const problems = ruleInputProblems(input)
  if (Object.keys(problems).length === 0)
    Object.assign(problems, await referenceProblems(em, organizationId, input))
  if (Object.keys(problems).length)
    throw new EscalationRuleError('Some parts of the rule need correcting.', problems)
  return normalise(input)
}

/** Adds a rule at the end of the list. */
export async function createRule(
  orm: MikroORM,
  member: RuleEditor,
  input: RuleInput,
): Promise<EscalationRuleData> {
  return withRulesLocked(orm, member, async (em, organizationId) => {
    const rule = await validated(em, organizationId, input)
    const [last] = await em.execute<{ max: number | null }[]>(
      `select max(position) as max from escalation_rule where organization_id = ?`,
      [organizationId],
    )
    const created = em.create(EscalationRuleSchema, {
      organizationId,
      ...rule,
      enabled: true,
      position: (last?.max ?? 0) + 1,
      updatedBy: member.user.id,
    })
    await em.flush()
    return toRuleData(created)
  })
}

/** Replaces what a rule does; its place and enabled state stay. Null when there is no such rule. */
export async function updateRule(
  orm: MikroORM,
  member: RuleEditor,
  id: string,
  input: RuleInput,
): Promise<EscalationRuleData | null> {
  assertEditor(member)
  if (!isUuid(id)) return null
  return withRulesLocked(orm, member, async (em, organizationId) => {
    const existing = await em.findOne(EscalationRuleSchema, { id, organizationId })
    if (!existing) return null
    const rule = await validated(em, organizationId, input)
    existing.name = rule.name
    existing.trigger = rule.trigger
    existing.target = rule.target
    existing.maxSeverity = rule.maxSeverity
    existing.actions = rule.actions
    existing.updatedBy = member.user.id
    await em.flush()
    return toRuleData(existing)
  })
}

export async function setRuleEnabled(
  orm: MikroORM,
  member: RuleEditor,
  id: string,
  enabled: boolean,
): Promise<boolean> {
  assertEditor(member)
  if (!isUuid(id)) return false
  return withRulesLocked(orm, member, async (em, organizationId) => {
    const changed = await em.nativeUpdate(
      EscalationRuleSchema,
      { id, organizationId },
      { enabled, updatedBy: member.user.id },
    )
    return changed > 0
  })
}

/** Deletes a rule. Its past firings stay on incident timelines, which name the rule. */
export async function deleteRule(orm: MikroORM, member: RuleEditor, id: string): Promise<boolean> {
  assertEditor(member)
  if (!isUuid(id)) return false
  return withRulesLocked(orm, member, async (em, organizationId) => {
    const deleted = await em.nativeDelete(EscalationRuleSchema, { id, organizationId })
    return deleted > 0
  })
}

/**
 * Swaps a rule with its neighbour above or below, then numbers the list 1..n so positions stay
 * distinct. Moving the first rule up (or the last down) changes nothing. False when there is no
 * such rule.
 */
export async function moveRule(
  orm: MikroORM,
  member: RuleEditor,
  id: string,
  direction: 'up' | 'down',
): Promise<boolean> {
  assertEditor(member)
  if (!isUuid(id)) return false
  return withRulesLocked(orm, member, async (em, organizationId) => {
    const rules = await rulesInOrder(em, organizationId)
    const index = rules.findIndex((r) => r.id === id)
    if (index === -1) return false
    const other = direction === 'up' ? index - 1 : index + 1
    if (other < 0 || other >= rules.length) return true
    ;[rules[index], rules[other]] = [rules[other]!, rules[index]!]
    rules.forEach((rule, i) => {
      if (rule.position !== i + 1) rule.position = i + 1
    })
    rules[other]!.updatedBy = member.user.id
    await em.flush()
    return true
  })
}

const TRIGGER_PHRASES: Record<EscalationTrigger, (target: string) => string> = {
  declared: () => 'an incident is declared',
  reopened: () => 'an incident is reopened',
  warning: (target) => `an SLA warning of ${target} happens`,
  breach: (target) => `an SLA breach of ${target} happens`,
}

function severityPhrase(maxSeverity: Severity) {
  if (maxSeverity === SEVERITIES[0]) return `on ${maxSeverity}`
  if (maxSeverity === SEVERITIES[SEVERITIES.length - 1]) return 'on any severity'
  return `on ${maxSeverity} or more severe`
}

function joinWords(parts: string[]) {
  if (parts.length <= 1) return parts.join('')
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`
}

/**
 * The rule as a sentence, e.g. "When an SLA breach of the acknowledge target happens on SEV-2 or
 * more severe: notify all managers".
 */
export function describeRule(
  rule: Pick<EscalationRuleData, 'trigger' | 'target' | 'maxSeverity' | 'actions'>,
  names: { member: (id: string) => string; endpoint: (id: string) => string },
): string {
  const target = rule.target
    ? `the ${SLA_TARGET_LABELS[rule.target].toLowerCase()} target`
    : 'any target'
  const when = TRIGGER_PHRASES[rule.trigger](target)
  const actions = joinWords(rule.actions.map((action) => describeAction(action, names)))
  return `When ${when} ${severityPhrase(rule.maxSeverity)}: ${actions}`
}
