import os from 'node:os'
import path from 'node:path'
import { createObjectStore } from '~/utils/storage/create-store.server'
import { randomBytes, randomUUID } from 'node:crypto'
import type { AppLoadContext } from '@remix-run/node'
import { expect } from 'vitest'
import { hashPassword } from '~/domain/access/password.server'
import type { Role } from '~/domain/access/permissions'
import { createSession } from '~/domain/access/session.server'
import { tokenHash } from '~/domain/access/tokens.server'
import { parseEnv, webEnvSchema, type WebEnv } from '~/utils/env.server'
import { createLogger } from '~/utils/logger.server'
import type { TestDatabase } from './database'

/**
 * Helpers for tests about people: accounts, memberships, sessions and the request context a
 * loader or action receives. Rows are written as the database owner (setup, not the thing under
 * test); everything the tests assert goes through the product's own functions.
 */

export const silentLogger = createLogger({ name: 'test', level: 'silent', pretty: false })

/** The web process's configuration for a test database, as server.ts would parse it. */
export function testEnv(db: TestDatabase, overrides: Record<string, string> = {}): WebEnv {
  return parseEnv(webEnvSchema, {
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    // Stored files of tests go to a scratch folder, never into a checkout's .data.
    DATA_DIR: path.join(os.tmpdir(), 'incidentflow-test-data'),
    ...overrides,
  })
}

/**
 * A fresh load context, as the express app builds one per request. getViewer memoises per
 * context object, so "the next request" must get a new one.
 */
export function loadContext(db: TestDatabase, env: WebEnv = testEnv(db)): AppLoadContext {
  return {
    env,
    orm: db.orm,
    boss: db.boss,
    store: createObjectStore(env),
    logger: silentLogger,
    nonce: 'test-nonce',
    requestId: `test-${randomBytes(4).toString('hex')}`,
    clientIp: '127.0.0.1',
  }
}

export function uniqueEmail(label = 'person') {
  return `${label}-${randomBytes(4).toString('hex')}@example.test`
}

export interface TestUser {
  userId: string
  email: string
  displayName: string
}

/** An account with an optional (argon2id-hashed) password; no membership. */
export async function createUser(
  db: TestDatabase,
  options: { email?: string; displayName?: string; password?: string } = {},
): Promise<TestUser> {
  const email = options.email ?? uniqueEmail()
  const displayName = options.displayName ?? email.split('@')[0]!
  const passwordHash = options.password ? await hashPassword(options.password) : null
  const [row] = await db.query<{ id: string }>(
    'insert into app_user (email, display_name, password_hash) values ($1, $2, $3) returning id',
    [email, displayName, passwordHash],
  )
  return { userId: row!.id, email, displayName }
}

export async function addMembership(
  db: TestDatabase,
  options: { userId: string; organizationId: string; role: Role; active?: boolean },
) {
  const [row] = await db.query<{ id: string }>(
    `insert into membership (organization_id, user_id, role, active) values ($1, $2, $3, $4)
     returning id`,
    [options.organizationId, options.userId, options.role, options.active ?? true],
  )
  return row!.id
}

export interface TestMember extends TestUser {
  membershipId: string
  organizationId: string
  role: Role
}

/** An account with one membership. */
export async function createMember(
  db: TestDatabase,
  options: {
    organizationId?: string
    role: Role
    email?: string
    displayName?: string
    password?: string
    active?: boolean
  },
): Promise<TestMember> {
  const organizationId = options.organizationId ?? db.organizationId
  const user = await createUser(db, options)
  const membershipId = await addMembership(db, {
    userId: user.userId,
    organizationId,
    role: options.role,
    active: options.active,
  })
  return { ...user, membershipId, organizationId, role: options.role }
}

/** Who acts, as a domain command receives it (what requireMember answers, minus the session). */
export function actorOf(member: TestMember) {
  return {
    user: { id: member.userId, email: member.email, displayName: member.displayName },
    role: member.role,
    organization: { id: member.organizationId },
  }
}

/**
 * An admin acting in the organization without an account or a membership of their own: for setup
 * that only needs an admin's permission (adding a service), and for the rules about the
 * organization's active admins, which a stand-in is not one of. Commands that record who acted
 * need a real member instead.
 */
export function standInAdmin(organizationId: string) {
  return {
    user: { id: randomUUID(), email: 'stand-in-admin@example.test', displayName: 'Stand-in Admin' },
    role: 'admin' as const,
    organization: { id: organizationId },
  }
}

export interface SignedIn {
  token: string
  /** The stored session's id (the SHA-256 of the token). */
  sessionId: string
  /** The Set-Cookie header createSession returned. */
  setCookie: string
  /** What a browser sends back: `name=value`. */
  cookie: string
}

/** Starts a real session, as the log-in action does. */
export async function signIn(
  db: TestDatabase,
  user: { userId: string; organizationId?: string | null },
  env: WebEnv = testEnv(db),
  now?: Date,
): Promise<SignedIn> {
  const { token, setCookie } = await createSession(
    db.orm,
    env,
    { userId: user.userId, organizationId: user.organizationId ?? null },
    now,
  )
  return { token, sessionId: tokenHash(token), setCookie, cookie: cookiePair(setCookie) }
}

/** `name=value` from a Set-Cookie header. */
export function cookiePair(setCookie: string) {
  return setCookie.split(';')[0]!.trim()
}

/** A browser request to the app carrying a cookie (or none). */
export function pageRequest(path: string, cookie?: string, init: RequestInit = {}) {
  const headers = new Headers(init.headers)
  if (cookie) headers.set('Cookie', cookie)
  return new Request(new URL(path, 'http://localhost:3000'), { ...init, headers })
}

/** Awaits something expected to throw and returns what it threw. */
export async function thrownBy(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection, but the promise resolved')
}

/** Asserts `promise` rejects with a Response of `status`; returns the response's body text. */
export async function expectThrownResponse(promise: Promise<unknown>, status: number) {
  const thrown = await thrownBy(promise)
  expect(thrown, 'thrown value').toBeInstanceOf(Response)
  const response = thrown as Response
  expect(response.status).toBe(status)
  return response.text()
}
