import { defineEntity, type InferEntity } from '@mikro-orm/core'
import { createdAtColumn, updatedAtColumn } from './columns'
import { ROLES } from '~/domain/access/permissions'

export const UserSchema = defineEntity({
  name: 'User',
  tableName: 'app_user',
  properties: (p) => ({
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    email: p.string().length(320),
    displayName: p.string().length(120).fieldName('display_name'),
    passwordHash: p.text().nullable().fieldName('password_hash').hidden(),
    supabaseUserId: p.uuid().nullable().fieldName('supabase_user_id'),
    createdAt: createdAtColumn(p),
    updatedAt: updatedAtColumn(p),
    lastLoginAt: p.datetime().nullable().fieldName('last_login_at'),
  }),
})
export type User = InferEntity<typeof UserSchema>

export const MembershipSchema = defineEntity({
  name: 'Membership',
  tableName: 'membership',
  properties: (p) => ({
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    organizationId: p.uuid().fieldName('organization_id'),
    userId: p.uuid().fieldName('user_id'),
    role: p.enum([...ROLES]),
    active: p.boolean().default(true),
    createdAt: createdAtColumn(p),
    updatedAt: updatedAtColumn(p),
    lastSeenAt: p.datetime().nullable().fieldName('last_seen_at'),
  }),
})
export type Membership = InferEntity<typeof MembershipSchema>

export const SessionSchema = defineEntity({
  name: 'UserSession',
  tableName: 'user_session',
  properties: (p) => ({
    id: p.string().length(64).primary(),
    userId: p.uuid().fieldName('user_id'),
    activeOrganizationId: p.uuid().nullable().fieldName('active_organization_id'),
    createdAt: createdAtColumn(p),
    lastSeenAt: p.datetime().fieldName('last_seen_at'),
    expiresAt: p.datetime().fieldName('expires_at'),
    revokedAt: p.datetime().nullable().fieldName('revoked_at'),
    ip: p.string().length(64).nullable(),
    userAgent: p.string().length(400).nullable().fieldName('user_agent'),
  }),
})
export type UserSession = InferEntity<typeof SessionSchema>

export const InvitationSchema = defineEntity({
  name: 'Invitation',
  tableName: 'invitation',
  properties: (p) => ({
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    organizationId: p.uuid().fieldName('organization_id'),
    email: p.string().length(320),
    role: p.enum([...ROLES]),
    tokenHash: p.string().length(64).fieldName('token_hash').hidden(),
    invitedBy: p.uuid().nullable().fieldName('invited_by'),
    createdAt: createdAtColumn(p),
    expiresAt: p.datetime().fieldName('expires_at'),
    acceptedAt: p.datetime().nullable().fieldName('accepted_at'),
    acceptedBy: p.uuid().nullable().fieldName('accepted_by'),
    revokedAt: p.datetime().nullable().fieldName('revoked_at'),
  }),
})
export type Invitation = InferEntity<typeof InvitationSchema>

export const LoginAttemptSchema = defineEntity({
  name: 'LoginAttempt',
  tableName: 'login_attempt',
  properties: (p) => ({
    id: p.bigint('number').primary().autoincrement(),
    email: p.string().length(320),
    ip: p.string().length(64),
    succeeded: p.boolean(),
    createdAt: createdAtColumn(p),
  }),
})
export type LoginAttempt = InferEntity<typeof LoginAttemptSchema>
