import { randomUUID } from 'node:crypto'
import { generateKeyPair, UnsecuredJWT, type JWTPayload } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  SupabaseSignInError,
  supabasePasswordSignIn,
  supabaseSendMagicLink,
  supabaseVerifyMagicLink,
  verifySupabaseToken,
} from '~/domain/access/supabase.server'
import { createMember, createUser, thrownBy, uniqueEmail } from '../support/access'
import { setUpTestDatabase } from '../support/database'
import { startInProcessApp, type RunningApp } from '../support/in-process-app'
import { loadRemixBuild } from '../support/remix-build'
import { FAKE_KEY_ID, startFakeSupabase, type FakeSupabase } from '../support/supabase-fake'

const db = setUpTestDatabase('supabase')

const ANON_KEY = 'fake-anon-key'
const APP_URL = 'https://incidents.example.com'
const GENERIC = 'Supabase sign-in failed. Check your e-mail and password, or use the sign-in link.'
const NO_MEMBERSHIP =
  'There is no IncidentFlow membership for this e-mail address. Ask an admin of your organization for an invitation.'

let fake: FakeSupabase
let env: { SUPABASE_URL: string; SUPABASE_ANON_KEY: string; APP_URL: string }

beforeAll(async () => {
  fake = await startFakeSupabase({ anonKey: ANON_KEY })
  env = { SUPABASE_URL: fake.url, SUPABASE_ANON_KEY: ANON_KEY, APP_URL }
})
afterAll(async () => {
  await fake?.close()
})

async function supabaseUserRow(userId: string) {
  const [row] = await db.query<{ supabase_user_id: string | null }>(
    'select supabase_user_id from app_user where id = $1',
    [userId],
  )
  return row?.supabase_user_id ?? null
}

describe('verifySupabaseToken with the project’s JWKS (ES256)', () => {
  const subject = randomUUID()
  const good: JWTPayload = {
    sub: subject,
    email: 'Person@Example.Test',
    user_metadata: { email_verified: true },
  }

  it('accepts a well-formed token and answers the subject and the normalised e-mail', async () => {
    const token = await fake.signAccessToken(good)
    expect(await verifySupabaseToken(token, env)).toEqual({
      subject,
      email: 'person@example.test',
    })
  })

  it('accepts an unverified address when the token was earned through an e-mailed link', async () => {
    const token = await fake.signAccessToken({
      ...good,
      user_metadata: { email_verified: false },
      amr: [{ method: 'otp', timestamp: Math.floor(Date.now() / 1000) }],
    })
    expect(await verifySupabaseToken(token, env)).toMatchObject({ subject })
  })

  const now = () => Math.floor(Date.now() / 1000)
  it.each<[string, () => Promise<string>]>([
    [
      'another issuer',
      () => fake.signAccessToken({ ...good, iss: 'https://other.supabase.co/auth/v1' }),
    ],
    ['the issuer without /auth/v1', () => fake.signAccessToken({ ...good, iss: fake.url })],
    ['another audience', () => fake.signAccessToken({ ...good, aud: 'service' })],
    [
      'an expired token',
      () => fake.signAccessToken({ ...good, iat: now() - 7200, exp: now() - 60 }),
    ],
    ['role anon', () => fake.signAccessToken({ ...good, role: 'anon' })],
    ['role service_role', () => fake.signAccessToken({ ...good, role: 'service_role' })],
    ['no role', () => fake.signAccessToken({ ...good, role: undefined })],
    ['no subject', () => fake.signAccessToken({ ...good, sub: undefined })],
    ['no e-mail', () => fake.signAccessToken({ ...good, email: undefined })],
    [
      'HS256 signed with the public anon key (algorithm confusion)',
      () => fake.signAccessToken(good, { alg: 'HS256', key: new TextEncoder().encode(ANON_KEY) }),
    ],
    [
      'ES256 signed by another key claiming the project’s key id',
      async () => {
        const { privateKey } = await generateKeyPair('ES256')
        return fake.signAccessToken(good, { key: privateKey, kid: FAKE_KEY_ID })
      },
    ],
    [
      'an unsigned token (alg none)',
      async () =>
        new UnsecuredJWT({
          ...good,
          iss: fake.issuer,
          aud: 'authenticated',
          role: 'authenticated',
          iat: now(),
          exp: now() + 3600,
        }).encode(),
    ],
    ['a token with a tampered payload', async () => tamper(await fake.signAccessToken(good))],
  ])('rejects %s', async (_label, makeToken) => {
    const error = await thrownBy(verifySupabaseToken(await makeToken(), env))
    expect(error).toBeInstanceOf(SupabaseSignInError)
    expect((error as Error).message).toBe(GENERIC)
  })

  it('rejects an unverified e-mail address signed in by password', async () => {
    const token = await fake.signAccessToken({ ...good, user_metadata: { email_verified: false } })
    await expect(verifySupabaseToken(token, env)).rejects.toThrow(
      'Confirm your e-mail address with Supabase first.',
    )
  })
})

/** Changes the payload's e-mail without re-signing. */
function tamper(token: string) {
  const [header, payload, signature] = token.split('.')
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as JWTPayload
  claims.email = 'attacker@example.test'
  return [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.')
}

describe('verifySupabaseToken with the legacy HS256 secret', () => {
  const secret = 'super-secret-jwt-token-with-at-least-32-characters'
  const legacyEnv = () => ({ ...env, SUPABASE_JWT_SECRET: secret })
  const claims = () => ({
    sub: randomUUID(),
    email: 'legacy@example.test',
    user_metadata: { email_verified: true },
  })

  it('accepts an HS256 token signed with the secret', async () => {
    const payload = claims()
    const token = await fake.signAccessToken(payload, {
      alg: 'HS256',
      key: new TextEncoder().encode(secret),
      kid: null,
    })
    expect(await verifySupabaseToken(token, legacyEnv())).toEqual({
      subject: payload.sub,
      email: 'legacy@example.test',
    })
  })

  it('rejects an HS256 token signed with another secret', async () => {
    const token = await fake.signAccessToken(claims(), {
      alg: 'HS256',
      key: new TextEncoder().encode(`${secret}-but-not-quite`),
      kid: null,
    })
    await expect(verifySupabaseToken(token, legacyEnv())).rejects.toThrow(SupabaseSignInError)
  })

  it('rejects an ES256 token, even one the JWKS would accept', async () => {
    const token = await fake.signAccessToken(claims())
    expect(await verifySupabaseToken(token, env)).toBeTruthy()
    await expect(verifySupabaseToken(token, legacyEnv())).rejects.toThrow(SupabaseSignInError)
  })
})

describe('supabasePasswordSignIn', () => {
  it('signs in a member whose e-mail Supabase verified, linking the Supabase user on first use', async () => {
    const member = await createMember(db, { role: 'manager' })
    const identity = fake.addUser({ email: member.email })
    const before = fake.requests.length

    const signedIn = await supabasePasswordSignIn(
      db.orm,
      env,
      member.email.toUpperCase(),
      identity.password,
    )
    expect(signedIn).toEqual({
      user: { id: member.userId, email: member.email, displayName: member.displayName },
      organizationId: db.organizationId,
    })
    expect(await supabaseUserRow(member.userId)).toBe(identity.id)

    // What the SDK sent: the password grant with the anon key, the e-mail normalised.
    const call = fake.requests.slice(before).find((r) => r.path === '/auth/v1/token')
    expect(call).toMatchObject({
      method: 'POST',
      query: { grant_type: 'password' },
      body: { email: member.email, password: identity.password },
    })
    expect(call!.headers.apikey).toBe(ANON_KEY)

    // Linked: the next sign-in works too.
    expect(
      await supabasePasswordSignIn(db.orm, env, member.email, identity.password),
    ).toMatchObject({
      user: { id: member.userId },
    })
  })

  it('refuses a wrong Supabase password with the generic message', async () => {
    const member = await createMember(db, { role: 'engineer' })
    fake.addUser({ email: member.email })
    await expect(
      supabasePasswordSignIn(db.orm, env, member.email, 'not the password'),
    ).rejects.toThrow(GENERIC)
    expect(await supabaseUserRow(member.userId)).toBeNull()
  })

  it('refuses a Supabase user with no IncidentFlow account, pointing to an invitation', async () => {
    const identity = fake.addUser({ email: uniqueEmail('outsider') })
    const error = await thrownBy(
      supabasePasswordSignIn(db.orm, env, identity.email, identity.password),
    )
    expect(error).toBeInstanceOf(SupabaseSignInError)
    expect((error as Error).message).toBe(NO_MEMBERSHIP)
    expect(await db.query('select 1 from app_user where email = $1', [identity.email])).toEqual([])
  })

  it('refuses an account without an active membership, and does not link it', async () => {
    const loner = await createUser(db)
    const deactivated = await createMember(db, { role: 'engineer', active: false })
    for (const person of [loner, deactivated]) {
      const identity = fake.addUser({ email: person.email })
      await expect(
        supabasePasswordSignIn(db.orm, env, person.email, identity.password),
      ).rejects.toThrow(NO_MEMBERSHIP)
      expect(await supabaseUserRow(person.userId)).toBeNull()
    }
  })

  it('refuses a Supabase user other than the one already linked to the account', async () => {
    const member = await createMember(db, { role: 'engineer' })
    const linked = randomUUID()
    await db.query('update app_user set supabase_user_id = $2 where id = $1', [
      member.userId,
      linked,
    ])
    // Same e-mail, different Supabase user (say, the address was re-registered there).
    const impostor = fake.addUser({ email: member.email })
    await expect(
      supabasePasswordSignIn(db.orm, env, member.email, impostor.password),
    ).rejects.toThrow(GENERIC)
    expect(await supabaseUserRow(member.userId)).toBe(linked)
  })

  it('refuses when the Supabase address is not verified', async () => {
    const member = await createMember(db, { role: 'engineer' })
    const identity = fake.addUser({ email: member.email, emailVerified: false })
    await expect(
      supabasePasswordSignIn(db.orm, env, member.email, identity.password),
    ).rejects.toThrow('Confirm your e-mail address with Supabase first.')
  })

  it('refuses when Supabase is not configured', async () => {
    await expect(
      supabasePasswordSignIn(db.orm, { APP_URL }, 'someone@example.test', 'x'),
    ).rejects.toThrow('Supabase sign-in is not configured.')
  })
})

describe('magic links', () => {
  it('asks Supabase to e-mail a link that never creates a user and returns to our confirm page', async () => {
    const before = fake.requests.length
    expect(await supabaseSendMagicLink(env, ' Someone@Example.Test ')).toEqual({ sent: true })
    const call = fake.requests.slice(before).find((r) => r.path === '/auth/v1/otp')
    expect(call).toMatchObject({
      method: 'POST',
      query: { redirect_to: `${APP_URL}/auth/supabase/confirm` },
      body: { email: 'someone@example.test', create_user: false },
    })
  })

  it('signs a member in with the link’s token hash, once', async () => {
    const member = await createMember(db, { role: 'engineer' })
    fake.addUser({ email: member.email })
    const tokenHash = fake.issueMagicLink(member.email)
    const before = fake.requests.length

    expect(await supabaseVerifyMagicLink(db.orm, env, tokenHash, 'magiclink')).toMatchObject({
      user: { id: member.userId },
      organizationId: db.organizationId,
    })
    const call = fake.requests.slice(before).find((r) => r.path === '/auth/v1/verify')
    expect(call?.body).toMatchObject({ token_hash: tokenHash, type: 'magiclink' })

    await expect(supabaseVerifyMagicLink(db.orm, env, tokenHash, 'magiclink')).rejects.toThrow(
      'This sign-in link is invalid or has expired. Ask for a new one.',
    )
  })

  it('refuses a link for someone without a membership', async () => {
    const identity = fake.addUser({ email: uniqueEmail('linkonly') })
    const tokenHash = fake.issueMagicLink(identity.email)
    await expect(supabaseVerifyMagicLink(db.orm, env, tokenHash, 'magiclink')).rejects.toThrow(
      NO_MEMBERSHIP,
    )
  })
})

describe('through the app’s routes', () => {
  let app: RunningApp

  beforeAll(async () => {
    app = await startInProcessApp(db, await loadRemixBuild(), {
      SUPABASE_URL: fake.url,
      SUPABASE_ANON_KEY: ANON_KEY,
    })
  })
  afterAll(async () => {
    await app?.close()
  })

  async function sessions(userId: string) {
    return db.query('select 1 from user_session where user_id = $1', [userId])
  }

  it('signs a member in from the e-mailed link (/auth/supabase/confirm) with a session cookie', async () => {
    const member = await createMember(db, { role: 'engineer' })
    fake.addUser({ email: member.email })
    const tokenHash = fake.issueMagicLink(member.email)
    const response = await app.get(`/auth/supabase/confirm?token_hash=${tokenHash}&type=magiclink`)
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe('/')
    expect(response.headers.get('set-cookie')).toMatch(/^session=[^;]+; .*HttpOnly/)
    expect(await sessions(member.userId)).toHaveLength(1)

    // The same link again: back to the log-in page, no second session.
    const replay = await app.get(`/auth/supabase/confirm?token_hash=${tokenHash}&type=magiclink`)
    expect(replay.status).toBe(302)
    expect(replay.headers.get('location')).toBe('/login')
    expect(replay.headers.get('set-cookie')).toMatch(/^flash=/)
    expect(await sessions(member.userId)).toHaveLength(1)
  })

  it('signs a member in with the Supabase password form on /login', async () => {
    const member = await createMember(db, { role: 'engineer' })
    const identity = fake.addUser({ email: member.email })
    const response = await app.post('/login', {
      intent: 'supabase-password',
      email: member.email,
      password: identity.password,
      redirectTo: '/account',
      website: '',
    })
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe('/account')
    expect(await sessions(member.userId)).toHaveLength(1)
  })

  it('shows the invitation message on /login to a Supabase user without a membership', async () => {
    const identity = fake.addUser({ email: uniqueEmail('stranger') })
    const response = await app.post('/login', {
      intent: 'supabase-password',
      email: identity.email,
      password: identity.password,
      website: '',
    })
    expect(response.status).toBe(400)
    expect(await response.text()).toContain(NO_MEMBERSHIP)
  })
})
