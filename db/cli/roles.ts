/**
 * `npm run db:roles`: creates the cluster-wide role the schema refers to and lets DATABASE_URL's
 * role switch to it (db/app-role.ts). Run it on a new cluster before `pg_restore`
 * (docs/operations.md); `npm run db:migrate` does the same before migrating.
 */
import pg from 'pg'
import { baseEnvSchema, loadEnvOrExit } from '~/utils/env.server'
import { ensureAppRole } from '../app-role'
import { describeDatabaseUrl, resolveDatabase } from '../database'
import { APP_ROLE } from '../tenant'

const env = loadEnvOrExit(baseEnvSchema)
const database = await resolveDatabase(env, 'share', 'npm run db:roles')
const client = new pg.Client({ connectionString: database.url })
try {
  await client.connect()
  await ensureAppRole(client)
  console.log(`Role ${APP_ROLE} is ready on ${describeDatabaseUrl(database.url)}`)
} catch (error) {
  console.error(`Preparing roles failed: ${error instanceof Error ? error.message : String(error)}`)
  process.exitCode = 1
} finally {
  await client.end().catch(() => {})
  await database.stop()
}
