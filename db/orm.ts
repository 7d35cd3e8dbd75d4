import { MikroORM, type Options } from '@mikro-orm/postgresql'
import type { EntityManager } from '@mikro-orm/postgresql'
import { Migrator } from '@mikro-orm/migrations'
import { entities } from './entities/registry'
import { migrationsList } from './migrations/list'

export const MIGRATIONS_TABLE = 'mikro_orm_migrations'

export function ormConfig(url: string, overrides: Partial<Options> = {}): Options {
  return {
    clientUrl: url,
    entities,
    extensions: [Migrator],
    // Entities are defined with defineEntity; there is no decorator metadata to read.
    discovery: { warnWhenNoEntities: true },
    forceUtcTimezone: true,
    // The request's data is loaded in loaders; lazy loading in a component would be an N+1.
    allowGlobalContext: false,
    pool: { min: 0, max: 10 },
    migrations: {
      tableName: MIGRATIONS_TABLE,
      migrationsList,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      // Progress goes through our own logging (`db:migrate` prints each applied migration).
      silent: true,
    },
    debug: false,
    ...overrides,
  }
}

export async function initORM(url: string, overrides: Partial<Options> = {}) {
  return MikroORM.init(ormConfig(url, overrides))
}

export type Orm = MikroORM
export type { EntityManager }
