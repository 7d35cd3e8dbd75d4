import type { MikroORM } from '@mikro-orm/postgresql'
import { schemaStatus } from '../../db/migrate'

export interface Readiness {
  status: 'ok' | 'unavailable'
  checks: {
    database: { ok: boolean; latencyMs?: number; error?: string }
    migrations: { ok: boolean; pending: string[] }
  }
}

/** Database reachable and every known migration applied. */
export async function checkReadiness(orm: MikroORM, timeoutMs = 2000): Promise<Readiness> {
  const started = performance.now()
  const connection = orm.em.getConnection()
  const query = (sql: string) => connection.execute<{ name: string }[]>(sql)
  try {
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref(),
    )
    await Promise.race([query('select 1 as name'), timeout])
    const latencyMs = Math.round((performance.now() - started) * 10) / 10
    const migrations = await Promise.race([schemaStatus(query), timeout])
    return {
      status: migrations.ok ? 'ok' : 'unavailable',
      checks: { database: { ok: true, latencyMs }, migrations },
    }
  } catch (error) {
    return {
      status: 'unavailable',
      checks: {
        database: { ok: false, error: error instanceof Error ? error.message : 'unreachable' },
        migrations: { ok: false, pending: [] },
      },
    }
  }
}
