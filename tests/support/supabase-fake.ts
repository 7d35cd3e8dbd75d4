import { randomBytes, randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose'

/**
 * A loopback fake of Supabase Auth's hosted HTTP API (`<project>/auth/v1`). Supabase's service
 * cannot run here (no Docker engine, no internet), so the tests fake it at the HTTP boundary:
 * the product's real @supabase/auth-js client and its real jose verification talk to this server
 * exactly as they would to Supabase. It answers the four endpoints the product uses, in the
 * shapes @supabase/auth-js 2.x sends and expects (see GoTrueClient.js / lib/fetch.js):
 *
 * - `GET  /auth/v1/.well-known/jwks.json` — the project's public signing key (ES256 JWK);
 * - `POST /auth/v1/token?grant_type=password` — `{ email, password, gotrue_meta_security }` →
 *   a session (`access_token`, `token_type`, `expires_in`, `expires_at`, `refresh_token`, `user`);
 * - `POST /auth/v1/otp` — `{ email, data, create_user, gotrue_meta_security, … }` and
 *   `?redirect_to=` → `{}`;
 * - `POST /auth/v1/verify` — `{ token_hash, type, gotrue_meta_security }` → a session, once.
 *
 * Errors follow API version 2024-01-01: `X-Supabase-Api-Version` header, `{ code, message }`.
 */

export interface FakeSupabaseUser {
  id: string
  email: string
  password: string
  emailVerified: boolean
}

export interface RecordedRequest {
  method: string
  path: string
  query: Record<string, string>
  headers: IncomingMessage['headers']
  body: Record<string, unknown> | null
}

export const FAKE_KEY_ID = 'fake-supabase-es256'

export async function startFakeSupabase(options: { anonKey: string }) {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true })
  const jwk = { ...(await exportJWK(publicKey)), kid: FAKE_KEY_ID, alg: 'ES256', use: 'sig' }
  const users = new Map<string, FakeSupabaseUser>()
  /** token_hash → e-mail, for magic links; each works once. */
  const magicLinks = new Map<string, string>()
  const requests: RecordedRequest[] = []
  let url = ''

  const issuer = () => `${url}/auth/v1`

  /** Signs an access token the way Supabase does; tests override claims to make bad ones. */
  async function signAccessToken(
    claims: JWTPayload = {},
    signing: { key?: CryptoKey | Uint8Array; alg?: string; kid?: string | null } = {},
  ) {
    const now = Math.floor(Date.now() / 1000)
    const alg = signing.alg ?? 'ES256'
    const kid = signing.kid === undefined ? FAKE_KEY_ID : signing.kid
    return new SignJWT({
      iss: issuer(),
      aud: 'authenticated',
      role: 'authenticated',
      iat: now,
      exp: now + 3600,
      aal: 'aal1',
      session_id: randomUUID(),
      is_anonymous: false,
      app_metadata: { provider: 'email', providers: ['email'] },
      amr: [{ method: 'password', timestamp: now }],
      ...claims,
    })
      .setProtectedHeader({ alg, typ: 'JWT', ...(kid ? { kid } : {}) })
      .sign(signing.key ?? privateKey)
  }

  async function sessionFor(user: FakeSupabaseUser, method: 'password' | 'otp') {
    const now = Math.floor(Date.now() / 1000)
    const accessToken = await signAccessToken({
      sub: user.id,
      email: user.email,
      user_metadata: { email: user.email, email_verified: user.emailVerified },
      amr: [{ method, timestamp: now }],
    })
    return {
      access_token: accessToken,
      token_type: 'bearer',
      expires_in: 3600,
      expires_at: now + 3600,
      refresh_token: randomBytes(9).toString('hex'),
      user: {
        id: user.id,
        aud: 'authenticated',
        role: 'authenticated',
        email: user.email,
        email_confirmed_at: user.emailVerified ? new Date().toISOString() : null,
        app_metadata: { provider: 'email', providers: ['email'] },
        user_metadata: { email: user.email, email_verified: user.emailVerified },
        identities: [],
        created_at: new Date().toISOString(),
        updated_at: new Date().toISOString(),
        is_anonymous: false,
      },
    }
  }

  function reply(res: ServerResponse, status: number, body?: unknown) {
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'X-Supabase-Api-Version': '2024-01-01',
    })
    res.end(body === undefined ? '' : JSON.stringify(body))
  }

  async function readJson(req: IncomingMessage) {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const text = Buffer.concat(chunks).toString('utf8')
    return text ? (JSON.parse(text) as Record<string, unknown>) : null
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const parsed = new URL(req.url ?? '/', 'http://fake.invalid')
    const body = req.method === 'POST' ? await readJson(req) : null
    requests.push({
      method: req.method ?? 'GET',
      path: parsed.pathname,
      query: Object.fromEntries(parsed.searchParams),
      headers: req.headers,
      body,
    })
    if (req.method === 'GET' && parsed.pathname === '/auth/v1/.well-known/jwks.json') {
      return reply(res, 200, { keys: [jwk] })
    }
    // Every API call carries the project's anon key, as the real gateway requires.
    if (req.headers.apikey !== options.anonKey) {
      return reply(res, 401, { code: 'no_api_key', message: 'Invalid API key' })
    }
    if (req.method === 'POST' && parsed.pathname === '/auth/v1/token') {
      if (parsed.searchParams.get('grant_type') !== 'password') {
        return reply(res, 400, { code: 'validation_failed', message: 'unsupported grant_type' })
      }
      const user = users.get(String(body?.email ?? ''))
      if (!user || user.password !== body?.password) {
        return reply(res, 400, {
          code: 'invalid_credentials',
          message: 'Invalid login credentials',
        })
      }
      return reply(res, 200, await sessionFor(user, 'password'))
    }
    if (req.method === 'POST' && parsed.pathname === '/auth/v1/otp') {
      return reply(res, 200, {})
    }
    if (req.method === 'POST' && parsed.pathname === '/auth/v1/verify') {
      const email = magicLinks.get(String(body?.token_hash ?? ''))
      const user = email ? users.get(email) : undefined
      if (!user || !['magiclink', 'email'].includes(String(body?.type))) {
        return reply(res, 403, {
          code: 'otp_expired',
          message: 'Email link is invalid or has expired',
        })
      }
      magicLinks.delete(String(body?.token_hash))
      return reply(res, 200, await sessionFor(user, 'otp'))
    }
    return reply(res, 404, { code: 'not_found', message: 'Not found' })
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => reply(res, 500, { message: String(error) }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    /** The project URL (SUPABASE_URL); the API is under `/auth/v1`. */
    url,
    issuer: issuer(),
    requests,
    signAccessToken,
    addUser(user: Partial<FakeSupabaseUser> & { email: string }): FakeSupabaseUser {
      const full = {
        id: randomUUID(),
        password: 'supabase password 123',
        emailVerified: true,
        ...user,
      }
      users.set(full.email, full)
      return full
    },
    /** Issues a magic link for a user and returns its token_hash. */
    issueMagicLink(email: string) {
      const tokenHash = randomBytes(28).toString('hex')
      magicLinks.set(tokenHash, email)
      return tokenHash
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}

export type FakeSupabase = Awaited<ReturnType<typeof startFakeSupabase>>
