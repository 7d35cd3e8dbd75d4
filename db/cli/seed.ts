import { baseEnvSchema, loadEnvOrExit } from '../../app/utils/env.server'
import { resolveDatabase } from '../database'
import { initORM } from '../orm'
import { seedDemo } from '../seed'

const env = loadEnvOrExit(baseEnvSchema)
const database = await resolveDatabase(env, 'share', 'npm run db:seed')
const orm = await initORM(database.url, { pool: { min: 0, max: 2 } })
try {
  const result = await seedDemo(orm.em.fork())
  console.log(
    result.created
      ? `Seeded the demo organization "${result.organization.name}".`
      : `The database already has data (organization "${result.organization.name}"); nothing seeded.`,
  )
} catch (error) {
  console.error(`Seeding failed: ${error instanceof Error ? error.message : String(error)}`)
  process.exitCode = 1
} finally {
  await orm.close(true)
  await database.stop()
}
