import { randomBytes } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { logIn, signUp, THROTTLE, AccountError } from '../../app/domain/access/accounts.server'
import { createMember, thrownBy, uniqueEmail, type TestMember } from '../support/access'
import { setUpTestDatabase } from '../support/database'

const db = setUpTestDatabase('login')

const PASSWORD = 'correct horse battery staple 42'
const WRONG = 'correct horse battery staple 43'
const minutes = (n: number) => n * 60_000

/** A fresh address per test, so one test's failures never throttle another's. */
function ip() {
  return `10.${[1, 2, 3].map(() => randomBytes(1)[0]).join('.')}`
}

let member: TestMember

beforeAll(async () => {
  expect(THROTTLE).toEqual({ windowMinutes: 15, perAccount: 5, perAddress: 20 })
  member = await createMember(db, { role: 'engineer', password: PASSWORD })
})

async function attempts(email: string) {
  return db.query<{ succeeded: boolean; ip: string }>(
    'select succeeded, ip from login_attempt where email = $1 order by id',
    [email],
  )
}

describe('logIn', () => {
  it('signs in with the right password and answers the user and their organization', async () => {
    const outcome = await logIn(db.orm, {
      email: `  ${member.email.toUpperCase()} `,
      password: PASSWORD,
      ip: ip(),
    })
    expect(outcome).toEqual({
      ok: true,
      user: { id: member.userId, email: member.email, displayName: member.displayName },
      organizationId: db.organizationId,
    })
    const [user] = await db.query<{ last_login_at: Date | null }>(
      'select last_login_at from app_user where id = $1',
      [member.userId],
    )
    expect(user!.last_login_at).toBeInstanceOf(Date)
  })

  it('answers an unknown e-mail and a wrong password identically', async () => {
    const unknown = await logIn(db.orm, {
      email: uniqueEmail('nobody'),
      password: PASSWORD,
      ip: ip(),
    })
    const wrong = await logIn(db.orm, { email: member.email, password: WRONG, ip: ip() })
    expect(unknown).toEqual({ ok: false, reason: 'invalid' })
    expect(wrong).toEqual(unknown)
  })

  it('records both kinds of failure, so an unknown e-mail is throttled like a known one', async () => {
    const email = uniqueEmail('ghost')
    const from = ip()
    for (let i = 0; i < THROTTLE.perAccount; i++) {
      expect(await logIn(db.orm, { email, password: WRONG, ip: from })).toEqual({
        ok: false,
        reason: 'invalid',
      })
    }
    expect(await attempts(email)).toHaveLength(THROTTLE.perAccount)
    expect(await logIn(db.orm, { email, password: WRONG, ip: ip() })).toMatchObject({
      ok: false,
      reason: 'throttled',
    })
  })

  it('refuses an account without a password (invited elsewhere, Supabase only) like any other', async () => {
    const noPassword = await createMember(db, { role: 'engineer' })
    expect(await logIn(db.orm, { email: noPassword.email, password: '', ip: ip() })).toEqual({
      ok: false,
      reason: 'invalid',
    })
  })
})

describe('throttling per account', () => {
  it(`refuses even the right password after ${THROTTLE.perAccount} failures, until the window has passed`, async () => {
    const person = await createMember(db, { role: 'engineer', password: PASSWORD })
    const start = new Date('2030-01-01T09:00:00Z')
    // Failures from different addresses: the lock follows the account, not the address.
    for (let i = 0; i < THROTTLE.perAccount; i++) {
      const at = new Date(start.getTime() + i * 1000)
      expect(await logIn(db.orm, { email: person.email, password: WRONG, ip: ip() }, at)).toEqual({
        ok: false,
        reason: 'invalid',
      })
    }

    const soon = new Date(start.getTime() + minutes(1))
    const refused = await logIn(db.orm, { email: person.email, password: PASSWORD, ip: ip() }, soon)
    expect(refused).toMatchObject({ ok: false, reason: 'throttled' })
    const retryAfter = (refused as { retryAfterSeconds: number }).retryAfterSeconds
    // The first failure leaves the window 15 minutes after it happened.
    expect(retryAfter).toBe(THROTTLE.windowMinutes * 60 - 60)

    // A refused attempt is not counted: it does not push the end of the lock further out.
    const later = new Date(start.getTime() + minutes(14))
    const stillRefused = await logIn(
      db.orm,
      { email: person.email, password: PASSWORD, ip: ip() },
      later,
    )
    expect(stillRefused).toEqual({ ok: false, reason: 'throttled', retryAfterSeconds: 60 })

    const afterWindow = new Date(start.getTime() + minutes(THROTTLE.windowMinutes) + 1000)
    expect(
      await logIn(db.orm, { email: person.email, password: PASSWORD, ip: ip() }, afterWindow),
    ).toMatchObject({ ok: true, user: { id: person.userId } })
  })

  it('counts only failures since the last successful sign-in', async () => {
    const person = await createMember(db, { role: 'engineer', password: PASSWORD })
    const start = new Date('2030-02-01T09:00:00Z')
    const at = (seconds: number) => new Date(start.getTime() + seconds * 1000)
    for (let i = 0; i < THROTTLE.perAccount - 1; i++) {
      await logIn(db.orm, { email: person.email, password: WRONG, ip: ip() }, at(i))
    }
    expect(
      await logIn(db.orm, { email: person.email, password: PASSWORD, ip: ip() }, at(10)),
    ).toMatchObject({ ok: true })
    for (let i = 0; i < THROTTLE.perAccount - 1; i++) {
      await logIn(db.orm, { email: person.email, password: WRONG, ip: ip() }, at(20 + i))
    }
    expect(
      await logIn(db.orm, { email: person.email, password: PASSWORD, ip: ip() }, at(30)),
    ).toMatchObject({ ok: true })
  })
})

describe('throttling per address', () => {
  it(`refuses an address after ${THROTTLE.perAddress} failures across different e-mails`, async () => {
    const person = await createMember(db, { role: 'engineer', password: PASSWORD })
    const from = ip()
    const start = new Date('2030-03-01T09:00:00Z')
    for (let i = 0; i < THROTTLE.perAddress; i++) {
      const outcome = await logIn(
        db.orm,
        { email: uniqueEmail(`spray${i}`), password: WRONG, ip: from },
        new Date(start.getTime() + i * 1000),
      )
      expect(outcome, `attempt ${i + 1}`).toEqual({ ok: false, reason: 'invalid' })
    }

    const soon = new Date(start.getTime() + minutes(1))
    const refused = await logIn(db.orm, { email: person.email, password: PASSWORD, ip: from }, soon)
    expect(refused).toMatchObject({ ok: false, reason: 'throttled' })
    expect((refused as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(0)

    // The same person from another address is not affected.
    expect(
      await logIn(db.orm, { email: person.email, password: PASSWORD, ip: ip() }, soon),
    ).toMatchObject({ ok: true })

    // And the address is free again once the window has passed.
    const afterWindow = new Date(start.getTime() + minutes(THROTTLE.windowMinutes) + 20_000)
    expect(
      await logIn(db.orm, { email: person.email, password: PASSWORD, ip: from }, afterWindow),
    ).toMatchObject({ ok: true })
  })
})

describe('signUp', () => {
  it('creates the organization, the account (argon2id hash) and an admin membership together', async () => {
    const email = uniqueEmail('founder')
    const { user, organization } = await signUp(db.orm, {
      organizationName: 'Acme Corp',
      displayName: 'Ada',
      email: email.toUpperCase(),
      password: PASSWORD,
    })
    expect(user.email).toBe(email)
    expect(organization.slug).toMatch(/^acme-corp-[0-9a-f]{5}$/)
    const [row] = await db.query<{ password_hash: string; role: string; organization_id: string }>(
      `select u.password_hash, m.role, m.organization_id
         from app_user u join membership m on m.user_id = u.id where u.email = $1`,
      [email],
    )
    expect(row).toMatchObject({ role: 'admin', organization_id: organization.id })
    expect(row!.password_hash).toMatch(/^\$argon2id\$/)
    expect(await logIn(db.orm, { email, password: PASSWORD, ip: ip() })).toMatchObject({
      ok: true,
      organizationId: organization.id,
    })
  })

  it('refuses a common password before writing anything', async () => {
    const email = uniqueEmail('weak')
    const count = async () =>
      (await db.query<{ n: number }>('select count(*)::int as n from organization'))[0]!.n
    const before = await count()
    const error = await thrownBy(
      signUp(db.orm, {
        organizationName: 'Weak Co',
        displayName: 'W',
        email,
        password: 'qwerty123456',
      }),
    )
    expect(error).toBeInstanceOf(AccountError)
    expect(error).toMatchObject({ field: 'password' })
    expect(await count()).toBe(before)
    expect(await db.query('select 1 from app_user where email = $1', [email])).toEqual([])
  })

  it('refuses an e-mail that already has an account, and leaves no organization behind', async () => {
    const count = async () =>
      (await db.query<{ n: number }>('select count(*)::int as n from organization'))[0]!.n
    const before = await count()
    const error = await thrownBy(
      signUp(db.orm, {
        organizationName: 'Second Org',
        displayName: 'Again',
        email: member.email,
        password: PASSWORD,
      }),
    )
    expect(error).toBeInstanceOf(AccountError)
    expect(error).toMatchObject({ field: 'email' })
    expect(await count()).toBe(before)
  })
})
