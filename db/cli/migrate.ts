import { baseEnvSchema, loadEnvOrExit } from '~/utils/env.server'
import { describeDatabaseUrl, resolveDatabase } from '../database'
import { migrate } from '../migrate'

const env = loadEnvOrExit(baseEnvSchema)

const database = await resolveDatabase(env, 'share', 'npm run db:migrate')
try {
  console.log(`Migrating ${describeDatabaseUrl(database.url)}`)
  await migrate(database.url, (line) => console.log(line))
} catch (error) {
  console.error(`Migration failed: ${error instanceof Error ? error.message : String(error)}`)
  process.exitCode = 1
} finally {
  await database.stop()
}
