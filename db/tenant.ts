import type { EntityManager, MikroORM } from '@mikro-orm/postgresql'

export const APP_ROLE = 'incidentflow_app'

/**
 * Who a unit of work acts for. Row-level security reads these transaction-local settings:
 * `organizationId` opens that organization's rows, `userId` the user's own memberships across
 * organizations, `invitationTokenHash` the one invitation whose link the visitor holds.
 */
export interface Scope {
  organizationId?: string | null
  userId?: string | null
  invitationTokenHash?: string | null
  /** SHA-256 of an integration or API token: opens the one `integration` or `api_token` row it names. */
  tokenHash?: string | null
}

/**
 * Runs `work` in one transaction on a fresh EntityManager, as the application role with the
 * scope's settings. Everything is transaction-local (`set_config(…, true)`), so nothing leaks to
 * the next user of the pooled connection, and a fresh fork means no identity map is shared
 * between scopes.
 */
export async function inScope<T>(
  orm: MikroORM,
  scope: Scope,
  work: (em: EntityManager) => Promise<T>,
): Promise<T> {
  const em = orm.em.fork({ clear: true })
  return em.transactional(async (tx) => {
    await tx.execute(
      `select set_config('role', ?, true), set_config('app.organization_id', ?, true),
              set_config('app.user_id', ?, true), set_config('app.invitation_token_hash', ?, true),
              set_config('app.token_hash', ?, true)`,
      [
        APP_ROLE,
        scope.organizationId ?? '',
        scope.userId ?? '',
        scope.invitationTokenHash ?? '',
        scope.tokenHash ?? '',
      ],
    )
    return work(tx)
  })
}

/**
 * Moves an open `inScope` transaction to another organization's rows. For workers that find
 * their work in a narrow cross-tenant table first (see `event_outbox`, `sla_deadline`) and then
 * handle it under the organization it belongs to, in the same transaction.
 */
export async function enterOrganization(em: EntityManager, organizationId: string) {
  await em.execute(`select set_config('app.organization_id', ?, true)`, [organizationId])
}
