import { baseEnvSchema, loadEnvOrExit } from '~/utils/env.server'
import { resolveDatabase } from '../database'
import { initORM } from '../orm'
import { DEMO_PASSWORD, seedDemo } from '../seed'

const env = loadEnvOrExit(baseEnvSchema)
const database = await resolveDatabase(env, 'share', 'npm run db:seed')
const orm = await initORM(database.url, { pool: { min: 0, max: 2 } })
try {
  const result = await seedDemo(orm)
  console.log(
    result.created
      ? `Seeded the demo organization "${result.organization}".`
      : 'The database already has users; nothing seeded.',
  )
  if (result.created && env.NODE_ENV !== 'production') {
    for (const user of result.users)
      console.log(`  ${user.role.padEnd(9)} ${user.email}  password: ${DEMO_PASSWORD}`)
  }
} catch (error) {
  console.error(`Seeding failed: ${error instanceof Error ? error.message : String(error)}`)
  process.exitCode = 1
} finally {
  await orm.close(true)
  await database.stop()
}
