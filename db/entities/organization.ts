import { defineEntity, type InferEntity } from '@mikro-orm/core'

export const OrganizationSchema = defineEntity({
  name: 'Organization',
  tableName: 'organization',
  properties: (p) => ({
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    name: p.string().length(120),
    slug: p.string().length(64).unique(),
    timezone: p.string().length(64).default('UTC'),
    createdAt: p
      .datetime()
      .defaultRaw('now()')
      .onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .defaultRaw('now()')
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  }),
})

export type Organization = InferEntity<typeof OrganizationSchema>
