import { randomUUID } from 'node:crypto'
import { UniqueConstraintViolationException } from '@mikro-orm/postgresql'
import { describe, expect, it } from 'vitest'
import { queueEmail, type OutgoingEmail } from '~/domain/email/outbox.server'
import { setUpTestDatabase } from '../support/database'

const db = setUpTestDatabase('transactional_enqueue')

function email(overrides: Partial<OutgoingEmail> = {}): OutgoingEmail {
  return {
    kind: 'incident-declared',
    to: 'oncall@example.test',
    subject: 'SEV-1 declared: checkout is down',
    text: 'Checkout returns 500 for every request.',
    idempotencyKey: `incident-declared:${randomUUID()}`,
    organizationId: db.organizationId,
    ...overrides,
  }
}

/** Committed state only: these queries run on a connection of their own. */
async function outboxRows(idempotencyKey: string) {
  return db.query<{ id: string; status: string }>(
    'select id, status from email_outbox where idempotency_key = $1',
    [idempotencyKey],
  )
}

async function deliveryJobs(outboxId: string) {
  return db.query<{ id: string; name: string; state: string; data: { outboxId: string } }>(
    `select id, name, state, data from pgboss.job where name = 'email-deliver' and data->>'outboxId' = $1`,
    [outboxId],
  )
}

async function countAllDeliveryJobs() {
  const [row] = await db.query<{ n: number }>(
    `select count(*)::int as n from pgboss.job where name = 'email-deliver'`,
  )
  return row?.n ?? 0
}

describe('queueEmail inside a transaction', () => {
  it('writes exactly one outbox row and one email-deliver job pointing at it when the transaction commits', async () => {
    const message = email()
    // As a request does it: the application role, under the organization's tenant scope.
    const row = await db.inOrg((em) => queueEmail(em, db.boss, message))

    const rows = await outboxRows(message.idempotencyKey)
    expect(rows).toEqual([{ id: row.id, status: 'pending' }])
    const jobs = await deliveryJobs(row.id)
    expect(jobs).toHaveLength(1)
    expect(jobs[0]).toMatchObject({ name: 'email-deliver', state: 'created' })
    expect(jobs[0]?.data).toEqual({ outboxId: row.id, organizationId: db.organizationId })
  })

  it('leaves neither an outbox row nor a job when the transaction rolls back', async () => {
    const message = email()
    const jobsBefore = await countAllDeliveryJobs()
    let queuedId: string | undefined

    await expect(
      db.em().transactional(async (em) => {
        const row = await queueEmail(em, db.boss, message)
        queuedId = row.id
        // Inside the transaction the job is there: it was inserted on the same connection.
        const visible = await em.execute<{ n: number }[]>(
          `select count(*)::int as n from pgboss.job where name = 'email-deliver' and data->>'outboxId' = ?`,
          [row.id],
        )
        expect(visible[0]?.n).toBe(1)
        throw new Error('the incident update failed after the e-mail was queued')
      }),
    ).rejects.toThrow('the incident update failed')

    expect(queuedId).toBeDefined()
    expect(await outboxRows(message.idempotencyKey)).toEqual([])
    expect(await deliveryJobs(queuedId!)).toEqual([])
    expect(await countAllDeliveryJobs()).toBe(jobsBefore)
    expect(await orphanJobs()).toEqual([])
  })

  it('queues one e-mail and one job when the same idempotency key is used twice', async () => {
    const message = email()
    const first = await db.em().transactional((em) => queueEmail(em, db.boss, message))
    const second = await db
      .em()
      .transactional((em) => queueEmail(em, db.boss, { ...message, subject: 'retried cause' }))

    expect(second.id).toBe(first.id)
    const rows = await outboxRows(message.idempotencyKey)
    expect(rows).toHaveLength(1)
    expect(await deliveryJobs(first.id)).toHaveLength(1)
  })

  it('queues one e-mail and one job when the same key is used twice in one transaction', async () => {
    const message = email()
    const [first, second] = await db
      .em()
      .transactional(async (em) => [
        await queueEmail(em, db.boss, message),
        await queueEmail(em, db.boss, message),
      ])

    expect(second.id).toBe(first.id)
    expect(await outboxRows(message.idempotencyKey)).toHaveLength(1)
    expect(await deliveryJobs(first.id)).toHaveLength(1)
  })

  it('keeps one row and one job when two open transactions race with the same key', async () => {
    const message = email()
    let releaseFirst!: () => void
    const firstMayCommit = new Promise<void>((resolve) => (releaseFirst = resolve))
    let firstQueued!: () => void
    const firstHasQueued = new Promise<void>((resolve) => (firstQueued = resolve))
    let loserId: string | undefined

    // A holds its transaction open after queueing; B then finds no committed row, inserts, and
    // waits on the unique index until A commits.
    const first = db.em().transactional(async (em) => {
      const row = await queueEmail(em, db.boss, message)
      firstQueued()
      await firstMayCommit
      return row
    })
    await firstHasQueued
    const second = db.em().transactional(async (em) => {
      const row = await queueEmail(em, db.boss, message)
      loserId = row.id
      return row
    })
    const secondSettled = second.then(
      (row) => ({ ok: true as const, row }),
      (error: unknown) => ({ ok: false as const, error }),
    )
    try {
      await waitForLockWaiter()
    } finally {
      releaseFirst()
    }

    const winner = await first
    const outcome = await secondSettled
    // Today the loser's transaction fails on the unique index (and rolls back whatever else it
    // did); answering with the winner's row would be as good. A second row or job would not.
    if (outcome.ok) expect(outcome.row.id).toBe(winner.id)
    else expect(outcome.error).toBeInstanceOf(UniqueConstraintViolationException)
    expect(loserId === undefined || loserId === winner.id).toBe(true)
    expect(await outboxRows(message.idempotencyKey)).toEqual([{ id: winner.id, status: 'pending' }])
    expect(await deliveryJobs(winner.id)).toHaveLength(1)
    expect(await orphanJobs()).toEqual([])
  })

  it('refuses to queue outside a transaction, writing nothing', async () => {
    const message = email()
    await expect(queueEmail(db.em(), db.boss, message)).rejects.toThrow(
      'queueEmail must run inside a transaction',
    )
    expect(await outboxRows(message.idempotencyKey)).toEqual([])
  })
})

/** Waits (bounded) until some session of this database is blocked on a lock. */
async function waitForLockWaiter() {
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    const [row] = await db.query<{ n: number }>(
      `select count(*)::int as n from pg_locks l join pg_stat_activity a on a.pid = l.pid
       where not l.granted and a.datname = current_database()`,
    )
    if ((row?.n ?? 0) > 0) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error('the second transaction never waited on the first')
}

/** Jobs whose outbox row does not exist: a job that escaped a rolled-back transaction. */
async function orphanJobs() {
  return db.query<{ id: string }>(
    `select j.id from pgboss.job j
     where j.name = 'email-deliver'
       and not exists (select 1 from email_outbox o where o.id::text = j.data->>'outboxId')`,
  )
}
