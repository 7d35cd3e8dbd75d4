import { createHash, randomBytes } from 'node:crypto'
import { FieldRefusal } from '~/domain/domain-error'
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql'
import { ServiceSchema } from '../../../db/entities/incident'
import {
  AlertReceiptSchema,
  IntegrationSchema,
  type AlertOutcome,
  type Integration,
  type IntegrationKind,
} from '../../../db/entities/integration'
import { inScope } from '../../../db/tenant'
import type { Member } from '~/domain/access/guard.server'
import { can } from '~/domain/access/permissions'
import type { Severity } from '~/domain/incident/vocabulary'
import { now } from '~/utils/clock'

/**
 * Inbound alert integrations, for admins: each one belongs to a service and is reached at
 * `/hooks/<kind>/<token>`. The token is shown once, when it is made; the database keeps only its
 * SHA-256 and a short hint.
 */

/** Every integration token starts with this, so one found in a log or a paste is recognisable. */
export const TOKEN_PREFIX = 'ifa_'
/** The prefix and this many characters of the token are kept as its hint. */
const HINT_CHARS = 6
export const TOKEN_PATTERN = /^ifa_[A-Za-z0-9_-]{43}$/

export const RECEIPTS_SHOWN = 25

type Actorish = Pick<Member, 'user' | 'role' | 'organization'>

/** A refused request, with words for the admin who made it. */
export class IntegrationError extends FieldRefusal<keyof IntegrationInput> {}

/** A new token: 32 random bytes (base64url) behind the prefix, with what the database keeps. */
export function newIntegrationToken() {
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`
  return {
    token,
    hash: integrationTokenHash(token),
    hint: `${token.slice(0, TOKEN_PREFIX.length + HINT_CHARS)}…`,
  }
}

export function integrationTokenHash(token: string) {
  return createHash('sha256').update(token).digest('hex')
}

/** The URL a source posts to; contains the token, so it is shown only when the token is made. */
export function hookUrl(appUrl: string, kind: IntegrationKind, token: string) {
  return `${appUrl.replace(/\/+$/, '')}/hooks/${kind}/${token}`
}

export interface IntegrationInput {
  name: string
  serviceId: string
  kind: IntegrationKind
  defaultSeverity: Severity
  mitigateOnResolve: boolean
  /**
   * PagerDuty only; on an edit, empty keeps the stored secret. A PagerDuty integration without one
   * refuses every request (401) until it is entered: PagerDuty shows the secret only after the
   * subscription is created with the integration's URL.
   */
  signingSecret: string | null
  rateLimitPerMinute: number
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function requireSettings(member: Actorish) {
  if (!can(member.role, 'settings.manage'))
    throw new IntegrationError(null, 'Only admins can manage integrations.', 403)
}

const notFound = () => new IntegrationError(null, 'Integration not found.', 404)

/** Runs `work` as the member's organization, after the permission check every service makes. */
function asAdmin<T>(orm: MikroORM, member: Actorish, work: (em: EntityManager) => Promise<T>) {
  requireSettings(member)
  return inScope(orm, { organizationId: member.organization.id }, work)
}

/** The organization's integration, or the not-found error (also for another organization's id). */
async function requireIntegration(em: EntityManager, organizationId: string, id: string) {
  if (!UUID.test(id)) throw notFound()
  const integration = await em.findOne(IntegrationSchema, { id, organizationId })
  if (!integration) throw notFound()
  return integration
}

/** `change` on this organization's integration, as an admin, in one transaction; 404 for any other id. */
function onIntegration<T>(
  orm: MikroORM,
  member: Actorish,
  id: string,
  change: (integration: Integration, em: EntityManager) => Promise<T>,
) {
  return asAdmin(orm, member, async (em) =>
    change(await requireIntegration(em, member.organization.id, id), em),
  )
}

function checkText(input: Pick<IntegrationInput, 'name' | 'signingSecret'>) {
  const name = input.name.trim()
  if (!name) throw new IntegrationError('name', 'Give the integration a name.')
  if (name.length > 120) throw new IntegrationError('name', 'Use at most 120 characters.')
  const secret = input.signingSecret?.trim() || null
  if (secret && secret.length > 200)
    throw new IntegrationError('signingSecret', 'Use at most 200 characters.')
  // PostgreSQL text cannot hold U+0000, which a form post can carry.
  if (name.includes('\u0000') || secret?.includes('\u0000'))
    throw new IntegrationError(null, 'The text contains a NUL character. Remove it.')
  return { name, secret }
}

function checkRate(rate: number) {
  if (!Number.isInteger(rate) || rate < 1 || rate > 10_000)
    throw new IntegrationError('rateLimitPerMinute', 'Enter a whole number from 1 to 10000.')
}

async function requireActiveService(em: EntityManager, organizationId: string, serviceId: string) {
  const found = UUID.test(serviceId)
    ? await em.count(ServiceSchema, { id: serviceId, organizationId, active: true })
    : 0
  if (!found) throw new IntegrationError('serviceId', 'Choose one of the active services.')
}

/** Creates an integration; the token in the answer is never shown again. */
export async function createIntegration(
  orm: MikroORM,
  member: Actorish,
  input: IntegrationInput,
): Promise<{ id: string; kind: IntegrationKind; token: string }> {
  requireSettings(member)
  const { name, secret } = checkText(input)
  checkRate(input.rateLimitPerMinute)
  const token = newIntegrationToken()
  return asAdmin(orm, member, async (em) => {
    await requireActiveService(em, member.organization.id, input.serviceId)
    const integration = em.create(IntegrationSchema, {
      organizationId: member.organization.id,
      serviceId: input.serviceId,
      name,
      kind: input.kind,
      tokenHash: token.hash,
      tokenHint: token.hint,
      defaultSeverity: input.defaultSeverity,
      mitigateOnResolve: input.mitigateOnResolve,
      // Only PagerDuty signs its requests; a secret for another source would never be checked.
      signingSecret: input.kind === 'pagerduty' ? secret : null,
      rateLimitPerMinute: input.rateLimitPerMinute,
      active: true,
      createdBy: member.user.id,
    })
    await em.flush()
    return { id: integration.id, kind: integration.kind, token: token.token }
  })
}

/** What a form was rendered from: the integration's last change by an admin. */
export const versionOf = (integration: Pick<Integration, 'updatedAt'>) =>
  integration.updatedAt.toISOString()

/**
 * Saves an edit. The source cannot change (its URL would); an empty signing secret keeps the
 * stored one. A form rendered before another admin's change is refused (409) and changes nothing.
 */
export async function updateIntegration(
  orm: MikroORM,
  member: Actorish,
  integrationId: string,
  input: Omit<IntegrationInput, 'kind'> & { version: string },
): Promise<void> {
  await onIntegration(orm, member, integrationId, async (integration, em) => {
    if (versionOf(integration) !== input.version)
      throw new IntegrationError(
        null,
        'Another admin changed this integration since you opened it. Review the current settings below, then save again.',
        409,
      )
    const { name, secret } = checkText(input)
    checkRate(input.rateLimitPerMinute)
    if (input.serviceId !== integration.serviceId)
      await requireActiveService(em, member.organization.id, input.serviceId)
    integration.name = name
    integration.serviceId = input.serviceId
    integration.defaultSeverity = input.defaultSeverity
    integration.mitigateOnResolve = input.mitigateOnResolve
    integration.rateLimitPerMinute = input.rateLimitPerMinute
    if (integration.kind === 'pagerduty' && secret) integration.signingSecret = secret
    integration.updatedAt = now()
  })
}

/** A new token; the old URL stops working at once. The answer is the only time it is shown. */
export async function rotateIntegrationToken(
  orm: MikroORM,
  member: Actorish,
  integrationId: string,
): Promise<{ kind: IntegrationKind; token: string }> {
  const token = newIntegrationToken()
  return onIntegration(orm, member, integrationId, async (integration) => {
    integration.tokenHash = token.hash
    integration.tokenHint = token.hint
    integration.updatedAt = now()
    return { kind: integration.kind, token: token.token }
  })
}

export async function setIntegrationActive(
  orm: MikroORM,
  member: Actorish,
  integrationId: string,
  active: boolean,
): Promise<void> {
  await onIntegration(orm, member, integrationId, async (integration) => {
    integration.active = active
    integration.updatedAt = now()
  })
}

/** Deletes the integration with its receipts; incidents it declared stay. */
export async function deleteIntegration(
  orm: MikroORM,
  member: Actorish,
  integrationId: string,
): Promise<void> {
  await onIntegration(orm, member, integrationId, async (integration, em) => {
    em.remove(integration)
  })
}

export interface IntegrationSummary {
  id: string
  name: string
  kind: IntegrationKind
  service: { id: string; name: string; active: boolean } | null
  tokenHint: string
  defaultSeverity: Severity
  mitigateOnResolve: boolean
  rateLimitPerMinute: number
  active: boolean
  lastReceivedAt: Date | null
  lastReceipt: { status: ReceiptView['status']; receivedAt: Date } | null
}

export interface ReceiptView {
  id: string
  status: 'queued' | 'processed' | 'failed' | 'ignored'
  outcome: AlertOutcome[]
  error: string | null
  receivedAt: Date
  processedAt: Date | null
}

async function serviceMap(em: EntityManager, organizationId: string) {
  const services = await em.find(ServiceSchema, { organizationId })
  return new Map(services.map((s) => [s.id, { id: s.id, name: s.name, active: s.active }]))
}

function summary(
  integration: Integration,
  services: Awaited<ReturnType<typeof serviceMap>>,
  lastReceipt: IntegrationSummary['lastReceipt'],
): IntegrationSummary {
  return {
    id: integration.id,
    name: integration.name,
    kind: integration.kind,
    service: services.get(integration.serviceId) ?? null,
    tokenHint: integration.tokenHint,
    defaultSeverity: integration.defaultSeverity,
    mitigateOnResolve: integration.mitigateOnResolve,
    rateLimitPerMinute: integration.rateLimitPerMinute,
    active: integration.active,
    lastReceivedAt: integration.lastReceivedAt ?? null,
    lastReceipt,
  }
}

export async function listIntegrations(
  orm: MikroORM,
  member: Actorish,
): Promise<IntegrationSummary[]> {
  return asAdmin(orm, member, async (em) => {
    const organizationId = member.organization.id
    const integrations = await em.find(
      IntegrationSchema,
      { organizationId },
      { orderBy: { createdAt: 'asc', id: 'asc' } },
    )
    const services = await serviceMap(em, organizationId)
    const result: IntegrationSummary[] = []
    for (const integration of integrations) {
      const last = await em.findOne(
        AlertReceiptSchema,
        { organizationId, integrationId: integration.id },
        { orderBy: { receivedAt: 'desc', id: 'desc' }, fields: ['status', 'receivedAt'] },
      )
      result.push(
        summary(
          integration,
          services,
          last ? { status: last.status, receivedAt: last.receivedAt } : null,
        ),
      )
    }
    return result
  })
}

export interface IntegrationDetail extends IntegrationSummary {
  hasSigningSecret: boolean
  version: string
  createdAt: Date
  receipts: ReceiptView[]
}

/** One integration with its most recent receipts, for diagnosis. */
export async function getIntegration(
  orm: MikroORM,
  member: Actorish,
  integrationId: string,
): Promise<IntegrationDetail> {
  return asAdmin(orm, member, async (em) => {
    const organizationId = member.organization.id
    const integration = await requireIntegration(em, organizationId, integrationId)
    const receipts = await em.find(
      AlertReceiptSchema,
      { organizationId, integrationId: integration.id },
      {
        orderBy: { receivedAt: 'desc', id: 'desc' },
        limit: RECEIPTS_SHOWN,
        // The payload itself stays in the database: it may be large, and nobody reads it here.
        fields: ['id', 'status', 'outcome', 'error', 'receivedAt', 'processedAt'],
      },
    )
    const views: ReceiptView[] = receipts.map((r) => ({
      id: r.id,
      status: r.status,
      outcome: r.outcome ?? [],
      error: r.error ?? null,
      receivedAt: r.receivedAt,
      processedAt: r.processedAt ?? null,
    }))
    const last = views[0]
    return {
      ...summary(
        integration,
        await serviceMap(em, organizationId),
        last ? { status: last.status, receivedAt: last.receivedAt } : null,
      ),
      hasSigningSecret: Boolean(integration.signingSecret),
      version: versionOf(integration),
      createdAt: integration.createdAt,
      receipts: views,
    }
  })
}

/** The services an integration can belong to: the organization's active ones. */
export async function integrationServices(
  orm: MikroORM,
  member: Actorish,
): Promise<Array<{ id: string; name: string }>> {
  return asAdmin(orm, member, async (em) => {
    const services = await em.find(
      ServiceSchema,
      { organizationId: member.organization.id, active: true },
      { orderBy: { name: 'asc' } },
    )
    return services.map((s) => ({ id: s.id, name: s.name }))
  })
}
