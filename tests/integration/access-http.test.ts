import { randomBytes } from 'node:crypto'
import type { ServerBuild } from '@remix-run/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { THROTTLE } from '~/domain/access/accounts.server'
import { cookiePair, createMember, uniqueEmail, type TestMember } from '../support/access'
import { setUpTestDatabase } from '../support/database'
import { startInProcessApp, type RunningApp } from '../support/in-process-app'
import { loadRemixBuild } from '../support/remix-build'

const db = setUpTestDatabase('access_http')

const PASSWORD = 'correct horse battery staple 42'
const INVALID = 'Email or password is incorrect.'

let build: ServerBuild
let app: RunningApp

beforeAll(async () => {
  build = await loadRemixBuild()
  app = await startInProcessApp(db, build)
})
afterAll(async () => {
  await app?.close()
})

function logInForm(email: string, password: string, extra: Record<string, string> = {}) {
  return { email, password, redirectTo: '', website: '', ...extra }
}

/** The text of the form-level error banner (role="alert"), or null. */
function alertText(html: string) {
  const match = /<div[^>]*role="alert"[^>]*>(.*?)<\/div>/s.exec(html)
  return match ? match[1]!.replace(/<[^>]+>/g, '').trim() : null
}

async function sessionsOf(userId: string) {
  return db.query<{ id: string }>('select id from user_session where user_id = $1', [userId])
}

async function signedUpMember(role: 'admin' | 'manager' | 'engineer' = 'engineer') {
  return createMember(db, { role, password: PASSWORD })
}

describe('cross-site form submissions', () => {
  it('refuses a POST /login from another origin with 403, before any sign-in happens', async () => {
    const member = await signedUpMember()
    const response = await app.post('/login', logInForm(member.email, PASSWORD), {
      origin: 'https://evil.example',
    })
    expect(response.status).toBe(403)
    expect(await response.text()).toBe('Cross-site form submissions are not accepted.')
    expect(response.headers.get('set-cookie')).toBeNull()
    expect(await sessionsOf(member.userId)).toEqual([])
    // The action never ran: not even a sign-in attempt was recorded.
    expect(await db.query('select 1 from login_attempt where email = $1', [member.email])).toEqual(
      [],
    )
  })

  it('refuses a POST whose browser says it is cross-site, even without an Origin', async () => {
    const member = await signedUpMember()
    const response = await app.post('/login', logInForm(member.email, PASSWORD), {
      origin: null,
      headers: { 'Sec-Fetch-Site': 'cross-site' },
    })
    expect(response.status).toBe(403)
    expect(await sessionsOf(member.userId)).toEqual([])
  })

  it('accepts the same form from the app’s own origin: 302, a session row and its cookie', async () => {
    const member = await signedUpMember()
    const response = await app.post('/login', logInForm(member.email, PASSWORD))
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe('/')
    const setCookie = response.headers.get('set-cookie') ?? ''
    expect(setCookie).toMatch(/^session=[^;]+/)
    expect(await sessionsOf(member.userId)).toHaveLength(1)

    // The cookie signs the browser in on the next request.
    const home = await app.get('/', { cookie: cookiePair(setCookie) })
    expect(home.status).toBe(200)
    expect(await home.text()).toContain(member.displayName)
  })
})

describe('the session cookie', () => {
  it('is HttpOnly, SameSite=Lax, Path=/, host-only and lives SESSION_MAX_DAYS on http://localhost', async () => {
    const member = await signedUpMember()
    const response = await app.post('/login', logInForm(member.email, PASSWORD))
    const parts = (response.headers.get('set-cookie') ?? '')
      .split(';')
      .map((p) => p.trim().toLowerCase())
    expect(parts[0]).toMatch(/^session=/)
    expect(parts).toEqual(
      expect.arrayContaining(['httponly', 'samesite=lax', 'path=/', `max-age=${30 * 86400}`]),
    )
    expect(parts).not.toContain('secure')
    expect(parts.some((p) => p.startsWith('domain='))).toBe(false)
  })

  it('is __Host- prefixed and Secure when APP_URL is https', async () => {
    const secureApp = await startInProcessApp(db, build, {
      APP_URL: 'https://incidents.example.com',
    })
    try {
      const member = await signedUpMember()
      const response = await secureApp.post('/login', logInForm(member.email, PASSWORD))
      expect(response.status).toBe(302)
      const parts = (response.headers.get('set-cookie') ?? '')
        .split(';')
        .map((p) => p.trim().toLowerCase())
      expect(parts[0]).toMatch(/^__host-session=/)
      expect(parts).toEqual(
        expect.arrayContaining(['httponly', 'samesite=lax', 'path=/', 'secure']),
      )
    } finally {
      await secureApp.close()
    }
  })
})

describe('where a sign-in leads', () => {
  it.each([
    'https://evil.example/x',
    '//evil.example',
    '/\\evil.example',
    '/.//evil.example',
    '/..//evil.example',
    '/a/..//evil.example',
    '/%2e//evil.example',
    '/%2E%2e//evil.example/x?y=1',
    '/./\\evil.example',
    '/.//\tevil.example',
    '/.//evil.example\n',
  ])('refuses the open redirect %j and goes home', async (redirectTo) => {
    const member = await signedUpMember()
    const response = await app.post('/login', logInForm(member.email, PASSWORD, { redirectTo }))
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe('/')
  })

  it('follows a same-site relative redirectTo with its query', async () => {
    const member = await signedUpMember()
    const response = await app.post(
      '/login',
      logInForm(member.email, PASSWORD, { redirectTo: '/admin/members?x=1' }),
    )
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe('/admin/members?x=1')
  })

  it('sends a signed-out visitor of /admin/members to the log-in page, which remembers the way back', async () => {
    const response = await app.get('/admin/members')
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe('/login?redirectTo=%2Fadmin%2Fmembers')
    const login = await app.get('/login?redirectTo=%2Fadmin%2Fmembers')
    expect(login.status).toBe(200)
    expect(await login.text()).toMatch(/name="redirectTo" value="\/admin\/members"/)
  })

  it.each(['//evil.example', '/.//evil.example', '/a/..//evil.example', '/%2e//evil.example'])(
    'does not carry the unsafe redirectTo %j from the log-in URL into the form',
    async (target) => {
      const login = await app.get(`/login?redirectTo=${encodeURIComponent(target)}`)
      const html = await login.text()
      expect(html).toMatch(/name="redirectTo" value=""/)
      expect(html).not.toMatch(/value="[^"]*evil\.example/)
    },
  )

  it('answers /admin/members with 403 for an engineer and 200 for an admin', async () => {
    for (const [role, status] of [
      ['engineer', 403],
      ['admin', 200],
    ] as const) {
      const member = await signedUpMember(role)
      const login = await app.post('/login', logInForm(member.email, PASSWORD))
      const page = await app.get('/admin/members', {
        cookie: cookiePair(login.headers.get('set-cookie')!),
      })
      expect(page.status, role).toBe(status)
    }
  })
})

describe('failed sign-ins', () => {
  it('answer an unknown e-mail and a wrong password with the same status and the same message', async () => {
    const member = await signedUpMember()
    const unknown = await app.post('/login', logInForm(uniqueEmail('nobody'), PASSWORD))
    const wrong = await app.post('/login', logInForm(member.email, 'not the password at all'))
    expect(unknown.status).toBe(400)
    expect(wrong.status).toBe(400)
    const [unknownHtml, wrongHtml] = [await unknown.text(), await wrong.text()]
    expect(alertText(unknownHtml)).toBe(INVALID)
    expect(alertText(wrongHtml)).toBe(INVALID)
    for (const response of [unknown, wrong]) expect(response.headers.get('set-cookie')).toBeNull()
    // The password is never echoed back into the page.
    expect(wrongHtml).not.toContain('not the password at all')
  })

  it(`answer 429 with Retry-After after ${THROTTLE.perAccount} failures, even for the right password`, async () => {
    const member = await signedUpMember()
    for (let i = 0; i < THROTTLE.perAccount; i++) {
      const response = await app.post(
        '/login',
        logInForm(member.email, `wrong password number ${i}`),
      )
      expect(response.status).toBe(400)
    }
    const response = await app.post('/login', logInForm(member.email, PASSWORD))
    expect(response.status).toBe(429)
    const retryAfter = Number(response.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(THROTTLE.windowMinutes * 60)
    expect(alertText(await response.text())).toBe(
      `Too many sign-in attempts. Try again in ${Math.ceil(retryAfter / 60)} minutes.`,
    )
    expect(response.headers.get('set-cookie')).toBeNull()
    expect(await sessionsOf(member.userId)).toEqual([])
  })

  it('refuses a log-in form with the honeypot filled, even with the right password', async () => {
    const member = await signedUpMember()
    const response = await app.post(
      '/login',
      logInForm(member.email, PASSWORD, { website: 'https://spam.example' }),
    )
    expect(response.status).toBe(400)
    expect(await sessionsOf(member.userId)).toEqual([])
  })
})

describe('sign-up', () => {
  function signUpForm(overrides: Record<string, string> = {}) {
    return {
      organizationName: `Org ${randomBytes(3).toString('hex')}`,
      displayName: 'Founder',
      email: uniqueEmail('founder'),
      password: PASSWORD,
      website: '',
      ...overrides,
    }
  }

  async function written(form: { email: string; organizationName: string }) {
    const users = await db.query('select 1 from app_user where email = $1', [form.email])
    const organizations = await db.query('select 1 from organization where name = $1', [
      form.organizationName,
    ])
    return { users: users.length, organizations: organizations.length }
  }

  it('creates the organization and signs its first admin in', async () => {
    const form = signUpForm()
    const response = await app.post('/signup', form)
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe('/')
    expect(response.headers.get('set-cookie')).toMatch(/^session=/)
    expect(await written(form)).toEqual({ users: 1, organizations: 1 })
  })

  it('refuses a submission with the honeypot filled and writes nothing', async () => {
    const form = signUpForm({ website: 'https://spam.example' })
    const response = await app.post('/signup', form)
    expect(response.status).toBe(400)
    expect(response.headers.get('set-cookie')).toBeNull()
    expect(await written(form)).toEqual({ users: 0, organizations: 0 })
  })

  it('refuses a commonly used password with the field error and writes nothing', async () => {
    const form = signUpForm({ password: 'qwerty123456' })
    const response = await app.post('/signup', form)
    expect(response.status).toBe(400)
    const html = await response.text()
    expect(html).toContain('This password is on a list of commonly used passwords. Choose another.')
    expect(html).not.toContain('qwerty123456')
    expect(await written(form)).toEqual({ users: 0, organizations: 0 })
  })

  it('refuses a cross-site sign-up with 403 and writes nothing', async () => {
    const form = signUpForm()
    const response = await app.post('/signup', form, { origin: 'https://evil.example' })
    expect(response.status).toBe(403)
    expect(await written(form)).toEqual({ users: 0, organizations: 0 })
  })
})

describe('log-out', () => {
  async function loggedIn(member: TestMember) {
    const response = await app.post('/login', logInForm(member.email, PASSWORD))
    return cookiePair(response.headers.get('set-cookie')!)
  }

  it('ignores GET /logout (a link or an image cannot sign anyone out)', async () => {
    const member = await signedUpMember()
    const cookie = await loggedIn(member)
    const response = await app.get('/logout', { cookie })
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe('/')
    expect(response.headers.get('set-cookie')).toBeNull()
    expect(await sessionsOf(member.userId)).toHaveLength(1)
    expect(await (await app.get('/', { cookie })).text()).toContain(member.displayName)
  })

  it('refuses a cross-site POST /logout', async () => {
    const member = await signedUpMember()
    const cookie = await loggedIn(member)
    const response = await app.post('/logout', {}, { cookie, origin: 'https://evil.example' })
    expect(response.status).toBe(403)
    expect(await sessionsOf(member.userId)).toHaveLength(1)
  })

  it('deletes the session row on POST /logout and clears the cookie', async () => {
    const member = await signedUpMember()
    const cookie = await loggedIn(member)
    const response = await app.post('/logout', {}, { cookie })
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe('/login')
    expect(response.headers.get('set-cookie')).toMatch(/^session=; Max-Age=0/)
    expect(await sessionsOf(member.userId)).toEqual([])
    // The old cookie, replayed, signs no one in.
    const replay = await app.get('/admin/members', { cookie })
    expect(replay.status).toBe(302)
    expect(replay.headers.get('location')).toBe('/login?redirectTo=%2Fadmin%2Fmembers')
  })
})

describe('the members page over HTTP', () => {
  async function adminSession() {
    const organizationId = await db.createOrganization('Admin Http Org')
    const admin = await createMember(db, { organizationId, role: 'admin', password: PASSWORD })
    const login = await app.post('/login', logInForm(admin.email, PASSWORD))
    return { organizationId, admin, cookie: cookiePair(login.headers.get('set-cookie')!) }
  }

  it('answers 404 for another organization’s membership and changes nothing', async () => {
    const { cookie } = await adminSession()
    const victim = await createMember(db, { role: 'engineer' })
    for (const fields of <Record<string, string>[]>[
      { intent: 'change-role', membershipId: victim.membershipId, role: 'admin' },
      { intent: 'deactivate', membershipId: victim.membershipId },
    ]) {
      const response = await app.post('/admin/members', fields, { cookie })
      expect(response.status, fields.intent).toBe(404)
    }
    const [row] = await db.query('select role, active from membership where id = $1', [
      victim.membershipId,
    ])
    expect(row).toEqual({ role: 'engineer', active: true })
  })

  it('keeps the last admin an admin when they try to demote themselves', async () => {
    const { admin, cookie } = await adminSession()
    const response = await app.post(
      '/admin/members',
      { intent: 'change-role', membershipId: admin.membershipId, role: 'engineer' },
      { cookie },
    )
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe('/admin/members')
    const [row] = await db.query('select role from membership where id = $1', [admin.membershipId])
    expect(row).toEqual({ role: 'admin' })
    // The refusal is explained on the page the browser is sent back to.
    const flash = cookiePair(response.headers.get('set-cookie')!)
    const page = await app.get('/admin/members', { cookie: `${cookie}; ${flash}` })
    expect(await page.text()).toContain('The organization needs at least one active admin.')
  })

  it('sends an invitation: one outbox e-mail with the link', async () => {
    const { organizationId, cookie } = await adminSession()
    const email = uniqueEmail('invited')
    const response = await app.post(
      '/admin/members',
      { intent: 'invite', email, role: 'engineer' },
      { cookie },
    )
    expect(response.status).toBe(302)
    const rows = await db.query<{ body_text: string }>(
      `select body_text from email_outbox where organization_id = $1 and to_address = $2`,
      [organizationId, email],
    )
    expect(rows).toHaveLength(1)
    expect(rows[0]!.body_text).toMatch(/http:\/\/localhost:3000\/invitations\/[\w-]{43}/)
  })

  it('refuses a manager with 403 on POST as well as on GET', async () => {
    const manager = await signedUpMember('manager')
    const login = await app.post('/login', logInForm(manager.email, PASSWORD))
    const cookie = cookiePair(login.headers.get('set-cookie')!)
    const response = await app.post(
      '/admin/members',
      { intent: 'invite', email: uniqueEmail('sneaky'), role: 'admin' },
      { cookie },
    )
    expect(response.status).toBe(403)
    expect(await db.query(`select 1 from invitation where role = 'admin'`)).toEqual([])
  })
})
