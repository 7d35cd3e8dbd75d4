import type { MikroORM } from '@mikro-orm/postgresql'
import type { Member } from '~/domain/access/guard.server'
import { getIntegration, integrationServices } from './integrations.server'

/**
 * What an integration's page shows: the integration with its recent receipts (times as ISO
 * strings), the services it may belong to, and the organization's time zone. Throws
 * `IntegrationError` 404 for another organization's integration.
 */
export async function integrationPage(
  orm: MikroORM,
  member: Pick<Member, 'user' | 'role' | 'organization'>,
  integrationId: string,
) {
  const integration = await getIntegration(orm, member, integrationId)
  const active = await integrationServices(orm, member)
  // The current service stays choosable even when it has been retired since.
  const services =
    integration.service && !active.some((s) => s.id === integration.service!.id)
      ? [...active, { id: integration.service.id, name: `${integration.service.name} (inactive)` }]
      : active
  return {
    timeZone: member.organization.timezone,
    services,
    integration: {
      ...integration,
      createdAt: integration.createdAt.toISOString(),
      lastReceivedAt: integration.lastReceivedAt?.toISOString() ?? null,
      receipts: integration.receipts.map((r) => ({
        ...r,
        receivedAt: r.receivedAt.toISOString(),
        processedAt: r.processedAt?.toISOString() ?? null,
      })),
    },
  }
}

export type IntegrationPage = Awaited<ReturnType<typeof integrationPage>>
