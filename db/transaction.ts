import type { EntityManager } from '@mikro-orm/postgresql'
import type { SqlExecutor } from '~/queue/send.server'

interface PgConnection {
  query: (text: string, values: unknown[]) => Promise<{ rows: unknown[] }>
}

/**
 * Runs `$n`-parameterised SQL on the very connection of `em`'s open transaction, so work done by
 * other libraries (pg-boss's job insert) commits or rolls back with it. Knex hands a transaction
 * client the one connection the transaction holds.
 */
export async function transactionExecutor(em: EntityManager): Promise<SqlExecutor> {
  const trx = em.getTransactionContext<{
    client: { acquireConnection: () => Promise<PgConnection> }
  }>()
  if (!trx) throw new Error('transactionExecutor needs an EntityManager inside em.transactional()')
  const connection = await trx.client.acquireConnection()
  return { executeSql: (text, values) => connection.query(text, values) }
}
