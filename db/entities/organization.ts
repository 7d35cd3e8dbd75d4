import { defineEntity, type InferEntity } from '@mikro-orm/core'

export const OrganizationSchema = defineEntity({
  name: 'Organization',
  tableName: 'organization',
  properties: (p) => ({
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    name: p.string().length(120),
    slug: p.string().length(64).unique(),
    timezone: p.string().length(64).default('UTC'),
    /** Closing a SEV-1 or SEV-2 incident needs its postmortem published first. */
    requirePostmortem: p.boolean().default(false).fieldName('require_postmortem'),
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
