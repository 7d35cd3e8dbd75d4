/**
 * `npm run audit:verify`: checks every incident's hash chain and that replaying its events gives
 * the stored incident. Prints `OK` or the first broken incident and seq; exits non-zero then.
 */
import { verifyAllOrganizations } from '~/domain/incident/audit.server'
import { baseEnvSchema, loadEnvOrExit } from '~/utils/env.server'
import { resolveDatabase } from '../database'
import { initORM } from '../orm'

const env = loadEnvOrExit(baseEnvSchema)
const database = await resolveDatabase(env, 'share', 'npm run audit:verify')
const orm = await initORM(database.url, { pool: { min: 0, max: 2 } })
const started = performance.now()
try {
  const result = await verifyAllOrganizations(orm)
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  if (result.ok) {
    console.log(
      `OK (${result.organizations} organizations, ${result.incidents} incidents, ${result.events} events, ${seconds}s)`,
    )
  } else {
    const p = result.problem!
    console.log(
      `BROKEN: organization ${p.organizationId}, INC-${p.number}, seq ${p.seq}: ${p.kind} — ${p.detail}`,
    )
    process.exitCode = 1
  }
} catch (error) {
  console.error(
    `Verification failed to run: ${error instanceof Error ? error.message : String(error)}`,
  )
  process.exitCode = 2
} finally {
  await orm.close(true)
  await database.stop()
}
