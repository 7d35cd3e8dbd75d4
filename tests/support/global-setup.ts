import { rm } from 'node:fs/promises'
import path from 'node:path'
import type { TestProject } from 'vitest/node'
import {
  EMBEDDED_PASSWORD,
  EMBEDDED_USER,
  startEmbeddedPostgres,
  type RunningPostgres,
} from '../../db/embedded-postgres'
import { migrate } from '../../db/migrate'
import {
  TEMPLATE_DATABASE,
  databaseUrl,
  freePort,
  makeServerTempDir,
  quoteIdent,
  withAdminClient,
  type TestPostgres,
} from './postgres-server'

/**
 * One real PostgreSQL for the whole integration run. A database migrated once and marked as a
 * template lets every test file clone a fully migrated database of its own in ~100 ms.
 */
export default async function setup(project: TestProject) {
  const started = performance.now()
  const tempDir = await makeServerTempDir('incidentflow-test-pg-')
  let running: RunningPostgres | undefined
  try {
    running = await startEmbeddedPostgres({
      dataDir: path.join(tempDir, 'data'),
      port: await freePort(),
      ephemeral: true,
      ownerLabel: 'vitest integration run',
    })
    const server: TestPostgres = {
      host: '127.0.0.1',
      port: running.port,
      user: EMBEDDED_USER,
      password: EMBEDDED_PASSWORD,
      templateDatabase: TEMPLATE_DATABASE,
    }
    await withAdminClient(server, (client) =>
      client.query(`create database ${quoteIdent(TEMPLATE_DATABASE)}`),
    )
    await migrate(databaseUrl(server, TEMPLATE_DATABASE))
    await withAdminClient(server, async (client) => {
      // CREATE DATABASE … TEMPLATE refuses while anyone is connected to the template.
      await client.query(
        'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
        [TEMPLATE_DATABASE],
      )
      await client.query(
        `alter database ${quoteIdent(TEMPLATE_DATABASE)} with is_template true allow_connections false`,
      )
    })
    project.provide('postgres', server)
    process.stderr.write(
      `Test PostgreSQL on port ${server.port}, template migrated in ${Math.round(performance.now() - started)} ms\n`,
    )
  } catch (error) {
    await running?.stop().catch(() => {})
    await rm(tempDir, { recursive: true, force: true })
    throw error
  }

  return async () => {
    await running?.stop()
    await rm(tempDir, { recursive: true, force: true })
  }
}
