import { randomUUID } from 'node:crypto'
import type { ServerBuild } from '@remix-run/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Role } from '~/domain/access/permissions'
import { loadQueueStats, STUCK_AFTER_SECONDS } from '~/domain/queues/queue-stats.server'
import { sendJob } from '~/queue/send.server'
import { createMember, signIn } from '../support/access'
import { setUpTestDatabase } from '../support/database'
import { decodeEntities } from '../support/html'
import { startInProcessApp, type RunningApp } from '../support/in-process-app'
import { loadRemixBuild } from '../support/remix-build'

/**
 * The admins' "Jobs" section (on /admin/deliveries) and the queue numbers behind it and behind
 * /metrics, with jobs enqueued and no worker running, so they wait. Ages are computed from the
 * clock the test gives: the domain function's `now`, and the web process's test clock for the
 * page.
 */

const db = setUpTestDatabase('job_queues')

let build: ServerBuild
let app: RunningApp
let admin: string

async function cookieFor(role: Role, organizationId = db.organizationId) {
  const member = await createMember(db, { role, organizationId })
  return (await signIn(db, { userId: member.userId, organizationId })).cookie
}

const textOf = (html: string) =>
  decodeEntities(
    html
      .replace(/<!-- -->/g, '')
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' '),
  )

/** The cells of the queue's row in the Jobs table, as text. */
function rowOf(html: string, label: string): string[] {
  const row = new RegExp(`<tr[^>]*aria-label="${label}"[^>]*>([\\s\\S]*?)</tr>`).exec(html)
  if (!row) throw new Error(`no row "${label}" in the page`)
  return [...row[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((m) => textOf(m[1]!).trim())
}

async function emailJob(options: { startAfter?: Date } = {}) {
  return sendJob(
    db.boss,
    'email-deliver',
    { outboxId: randomUUID(), organizationId: db.organizationId },
    options,
  )
}

async function startAfterOf(jobIds: string[]): Promise<Date> {
  const rows = await db.query<{ start_after: Date }>(
    `select min(start_after) as start_after from pgboss.job where id = any($1::uuid[])`,
    [jobIds],
  )
  return rows[0]!.start_after
}

beforeAll(async () => {
  build = await loadRemixBuild()
  app = await startInProcessApp(db, build)
  admin = await cookieFor('admin')
})
afterAll(async () => {
  await app?.close()
})

describe('queue numbers (one domain function for the page and the metrics)', () => {
  it('counts waiting, scheduled, running and failed jobs per queue, with the oldest wait from the given clock', async () => {
    const waiting = [await emailJob(), await emailJob(), await emailJob()]
    await emailJob({ startAfter: new Date(Date.now() + 6 * 3600_000) })
    const reportJob = await sendJob(db.boss, 'report-generate', {
      reportId: randomUUID(),
      organizationId: db.organizationId,
    })
    // Handed to a worker: active. Then one that ran out of retries, as pg-boss leaves it.
    const [fetched] = await db.boss.fetch('report-generate')
    expect(fetched?.id).toBe(reportJob)
    const failed = await sendJob(db.boss, 'alert-ingest', {
      receiptId: randomUUID(),
      organizationId: db.organizationId,
    })
    await db.query(
      `update pgboss.job set state = 'failed', completed_on = now() where name = 'alert-ingest' and id = $1`,
      [failed],
    )

    const oldest = await startAfterOf(waiting)
    const now = new Date(oldest.getTime() + 754_000)
    const stats = await loadQueueStats(db.orm, { now })
    const email = stats.queues.find((q) => q.queue === 'email-deliver')!
    expect(email).toMatchObject({
      waiting: 3,
      scheduled: 1,
      active: 0,
      failedLastHour: 0,
      oldestWaitingSeconds: 754,
      stuck: true,
      needsAttention: true,
    })
    expect(stats.queues.find((q) => q.queue === 'report-generate')).toMatchObject({
      waiting: 0,
      active: 1,
      stuck: false,
    })
    expect(stats.queues.find((q) => q.queue === 'alert-ingest')).toMatchObject({
      waiting: 0,
      failedLastHour: 1,
      stuck: false,
      needsAttention: true,
    })
    // Every queue of the contract is listed, idle ones as zeros.
    expect(stats.queues.find((q) => q.queue === 'postmortem-draft')).toMatchObject({
      waiting: 0,
      scheduled: 0,
      active: 0,
      failedLastHour: 0,
      oldestWaitingSeconds: null,
      needsAttention: false,
    })

    // The same jobs a moment after they were queued: not stuck; the failure an hour later: gone.
    const early = await loadQueueStats(db.orm, { now: new Date(oldest.getTime() + 30_000) })
    expect(early.queues.find((q) => q.queue === 'email-deliver')).toMatchObject({
      oldestWaitingSeconds: 30,
      stuck: false,
    })
    const later = await loadQueueStats(db.orm, { now: new Date(Date.now() + 2 * 3600_000) })
    expect(later.queues.find((q) => q.queue === 'alert-ingest')?.failedLastHour).toBe(0)
    expect(STUCK_AFTER_SECONDS['email-deliver']).toBeLessThan(754)
  })

  it('shows an organization its own newest dead letter, never another organization’s', async () => {
    const other = await db.createOrganization('Other Org')
    const mine = randomUUID()
    await sendJob(db.boss, 'dead-letter', {
      outboxId: mine,
      organizationId: db.organizationId,
      reason: 'Mailbox unavailable',
    })
    await sendJob(db.boss, 'dead-letter', {
      deliveryId: randomUUID(),
      organizationId: other,
      reason: 'Other organization endpoint secret-path',
    })
    const stats = await loadQueueStats(db.orm, {
      now: new Date(),
      organizationId: db.organizationId,
    })
    expect(stats.newestDeadLetter).toMatchObject({
      kind: 'email',
      itemId: mine,
      reason: 'Mailbox unavailable',
    })
    const theirs = await loadQueueStats(db.orm, { now: new Date(), organizationId: other })
    expect(theirs.newestDeadLetter).toMatchObject({ kind: 'webhook' })
    expect(theirs.newestDeadLetter?.reason).toBe('Other organization endpoint secret-path')
    // Without an organization (the metrics) there is no dead letter to show.
    expect((await loadQueueStats(db.orm, { now: new Date() })).newestDeadLetter).toBeNull()
    await db.query(`delete from pgboss.job where name = 'dead-letter'`)
  })
})

describe('the Jobs section of /admin/deliveries', () => {
  it('refuses people who are not admins, and sends the signed-out to log in', async () => {
    for (const role of ['engineer', 'manager'] as const) {
      const response = await app.get('/admin/deliveries', { cookie: await cookieFor(role) })
      expect(response.status, role).toBe(403)
      expect(await response.text()).not.toContain('Job queues')
    }
    const signedOut = await app.get('/admin/deliveries')
    expect(signedOut.status).toBe(302)
    expect(signedOut.headers.get('location')).toMatch(/^\/login\?redirectTo=/)
  })

  it('shows each queue’s depth and the oldest wait by the app’s clock, and marks a stuck queue', async () => {
    // Nothing waits yet: every queue keeps up. (The report job fetched above still runs.)
    await db.query(`delete from pgboss.job where name in ('email-deliver', 'alert-ingest')`)
    const calm = await app.get('/admin/deliveries', { cookie: admin })
    expect(calm.status).toBe(200)
    const calmHtml = await calm.text()
    expect(textOf(calmHtml)).toContain('Every queue is keeping up.')
    expect(rowOf(calmHtml, 'E-mail delivery').slice(1, 3)).toEqual(['0', '—'])

    const ids = [await emailJob(), await emailJob()]
    await emailJob({ startAfter: new Date(Date.now() + 6 * 3600_000) })
    // The web process's clock moves 25 minutes ahead (this also queues an SLA sweep job).
    const moved = await app.post('/test/clock', { minutes: '25' })
    expect(moved.status).toBe(200)

    const response = await app.get('/admin/deliveries', { cookie: admin })
    expect(response.status).toBe(200)
    const html = await response.text()
    // The section says as of when: its first <time>.
    const section = html.slice(html.indexOf('id="jobs-heading"'))
    const at = new Date(/<time datetime="([^"]+)"/i.exec(section)![1]!)
    const waitedMinutes = Math.floor((at.getTime() - (await startAfterOf(ids)).getTime()) / 60_000)
    expect(waitedMinutes).toBeGreaterThanOrEqual(25)
    const [, waiting, oldest, scheduled, running, failed, state] = rowOf(html, 'E-mail delivery')
    expect({ waiting, oldest, scheduled, running, failed, state }).toEqual({
      waiting: '2',
      oldest: `${waitedMinutes} min`,
      scheduled: '1',
      running: '0',
      failed: '0',
      state: 'Stuck',
    })
    expect(html).toMatch(/<tr[^>]*aria-label="E-mail delivery"[^>]*class="bg-red-50"/)
    const text = textOf(html)
    expect(text).toMatch(/\d queues? needs? attention/)
    expect(text).toContain(
      `E-mail delivery: stuck: oldest waiting ${waitedMinutes} min (over 5 min)`,
    )
    // The report job fetched above is still running, and not stuck.
    expect(rowOf(html, 'Reports').slice(4)).toEqual(['1', '0', 'OK'])
  })
})
