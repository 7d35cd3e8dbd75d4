import { spawnSync } from 'node:child_process'
import type { TestProject } from 'vitest/node'
import { migrate } from '../../db/migrate'
import { TEMPLATE_DATABASE, databaseUrl, quoteIdent, withAdminClient } from './postgres-server'
import { TestPostgresUnavailable, serverChoice, startThrowawayPostgres } from './throwaway-postgres'

/** The server TEST_POSTGRES names; Debian's package is installed first when it is missing. */
function chosenServer() {
  try {
    return serverChoice()
  } catch (error) {
    if (
      !(error instanceof TestPostgresUnavailable) ||
      !/^\d+$/.test(process.env.TEST_POSTGRES ?? '')
    )
      throw error
    process.stderr.write(`${error.message}\nTrying npm run setup:services…\n`)
    spawnSync('bash', ['tests/support/setup-test-services.sh'], { stdio: ['ignore', 2, 2] })
    return serverChoice()
  }
}

/**
 * One real PostgreSQL for the whole integration run: the embedded one by default, or Debian's
 * PostgreSQL 15 with TEST_POSTGRES=15 (tests/support/throwaway-postgres.ts). A database migrated
 * once and marked as a template lets every test file clone a fully migrated database of its own
 * in ~100 ms.
 */
export default async function setup(project: TestProject) {
  const started = performance.now()
  const postgres = await startThrowawayPostgres(chosenServer(), 'vitest integration run')
  const { server } = postgres
  try {
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
      `Test PostgreSQL ${postgres.major} on port ${server.port}, template migrated in ${Math.round(performance.now() - started)} ms\n`,
    )
  } catch (error) {
    await postgres.stop().catch(() => {})
    throw error
  }

  return () => postgres.stop()
}
