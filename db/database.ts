import path from 'node:path'
import {
  attachOrStartEmbeddedPostgres,
  startEmbeddedPostgres,
  type RunningPostgres,
} from './embedded-postgres'

export interface DatabaseTarget {
  url: string
  /** Present when this process started the embedded server and must stop it on shutdown. */
  stop: () => Promise<void>
  embedded: boolean
  /** The embedded server's data directory (see RunningPostgres.dataDir). */
  dataDir?: string
}

export interface DatabaseSettings {
  DATABASE_URL?: string
  DATA_DIR: string
  EMBEDDED_POSTGRES_PORT: number
}

/**
 * DATABASE_URL set: use that server as it is. Unset: the embedded PostgreSQL in
 * `<DATA_DIR>/postgres`, owned (`own`) or shared with a process that already owns it (`share`).
 */
export async function resolveDatabase(
  env: DatabaseSettings,
  mode: 'own' | 'share',
  ownerLabel: string,
): Promise<DatabaseTarget> {
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, stop: async () => {}, embedded: false }
  const options = {
    dataDir: path.join(env.DATA_DIR, 'postgres'),
    port: env.EMBEDDED_POSTGRES_PORT,
    ownerLabel,
  }
  const running: RunningPostgres =
    mode === 'own'
      ? await startEmbeddedPostgres(options)
      : await attachOrStartEmbeddedPostgres(options)
  return { url: running.url(), stop: running.stop, embedded: true, dataDir: running.dataDir }
}

/** The URL with its password hidden, for logs and messages. */
export function describeDatabaseUrl(url: string) {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return '(unparseable DATABASE_URL)'
  }
}
