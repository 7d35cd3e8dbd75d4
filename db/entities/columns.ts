import type { defineEntity } from '@mikro-orm/core'

type Builders = typeof defineEntity.properties

/** `created_at`, set when the row is first written. */
export const createdAtColumn = (p: Builders) =>
  p
    .datetime()
    .onCreate(() => new Date())
    .fieldName('created_at')

/** `updated_at`, set on create and on every update through the ORM. */
export const updatedAtColumn = (p: Builders) =>
  p
    .datetime()
    .onCreate(() => new Date())
    .onUpdate(() => new Date())
    .fieldName('updated_at')
