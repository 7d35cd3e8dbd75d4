import { randomBytes } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  addressDelaySeconds,
  logIn,
  signUp,
  THROTTLE,
  AccountError,
} from '~/domain/access/accounts.server'
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
  expect(THROTTLE).toEqual({
    windowMinutes: 15,
    perAccount: 5,
    perAddress: 100,
    addressDelayAfter: 20,
    addressDelayMaxSeconds: 10,
  })
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
  /**
   * Seconds after the start of the `i`th failure of an address going as fast as it may: the free
   * ones a second apart, then one every `addressDelayMaxSeconds` (never sooner than any wait).
   */
  const fastest = (i: number) =>
    i < THROTTLE.addressDelayAfter
      ? i
      : THROTTLE.addressDelayAfter -
        1 +
        (i - THROTTLE.addressDelayAfter + 1) * THROTTLE.addressDelayMaxSeconds

  /** `count` failures from `from` with different e-mails, at `fastest` times from `start`. */
  async function spray(from: string, start: Date, count: number) {
    for (let i = 0; i < count; i++) {
      const outcome = await logIn(
        db.orm,
        { email: uniqueEmail(`spray${i}`), password: WRONG, ip: from },
        new Date(start.getTime() + fastest(i) * 1000),
      )
      expect(outcome, `attempt ${i + 1}`).toEqual({ ok: false, reason: 'invalid' })
    }
  }

  it('doubles the wait after each failure beyond the first 20 from one address, up to 10 s', () => {
    expect(
      [0, 19, 20, 21, 22, 23, 24, 25, 99].map((failures) => addressDelaySeconds(failures)),
    ).toEqual([0, 0, 1, 2, 4, 8, 10, 10, 10])
  })

  it(`lets an address fail ${THROTTLE.addressDelayAfter} times freely, then makes it wait after each failure while others at the same address still sign in`, async () => {
    const person = await createMember(db, { role: 'engineer', password: PASSWORD })
    const from = ip()
    const start = new Date('2030-04-01T09:00:00Z')
    const at = (seconds: number) => new Date(start.getTime() + seconds * 1000)
    await spray(from, start, THROTTLE.addressDelayAfter)
    const last = fastest(THROTTLE.addressDelayAfter - 1)

    // Half a second after the 20th failure: wait a second.
    const early = await logIn(
      db.orm,
      { email: person.email, password: PASSWORD, ip: from },
      at(last + 0.5),
    )
    expect(early).toEqual({ ok: false, reason: 'throttled', retryAfterSeconds: 1 })
    // Once the second has passed, a wrong password counts again and the wait doubles.
    expect(
      await logIn(db.orm, { email: uniqueEmail('again'), password: WRONG, ip: from }, at(last + 1)),
    ).toEqual({ ok: false, reason: 'invalid' })
    expect(
      await logIn(db.orm, { email: person.email, password: PASSWORD, ip: from }, at(last + 2)),
    ).toEqual({ ok: false, reason: 'throttled', retryAfterSeconds: 1 })
    // Someone else behind the same address signs in once the short wait is over.
    expect(
      await logIn(db.orm, { email: person.email, password: PASSWORD, ip: from }, at(last + 3)),
    ).toMatchObject({ ok: true, user: { id: person.userId } })
  })

  it(`refuses an address after ${THROTTLE.perAddress} failures across different e-mails`, async () => {
    const person = await createMember(db, { role: 'engineer', password: PASSWORD })
    const from = ip()
    const start = new Date('2030-03-01T09:00:00Z')
    // As fast as the waits allow: all of them fit in the window.
    await spray(from, start, THROTTLE.perAddress)
    const lastAt = fastest(THROTTLE.perAddress - 1)
    expect(lastAt).toBeLessThan(THROTTLE.windowMinutes * 60)

    // Past the last short wait, the address is locked until its first failure leaves the window.
    const soonSeconds = lastAt + THROTTLE.addressDelayMaxSeconds + 1
    const soon = new Date(start.getTime() + soonSeconds * 1000)
    const refused = await logIn(db.orm, { email: person.email, password: PASSWORD, ip: from }, soon)
    expect(refused).toEqual({
      ok: false,
      reason: 'throttled',
      retryAfterSeconds: THROTTLE.windowMinutes * 60 - soonSeconds,
    })

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
