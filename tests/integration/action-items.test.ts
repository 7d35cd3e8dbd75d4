import type { ServerBuild } from '@remix-run/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { declareIncident } from '~/domain/incident/incident-service.server'
import { savePreferences } from '~/domain/notify/preferences.server'
import {
  ActionItemError,
  countActionItems,
  createActionItem,
  listActionItems,
  listMyActionItems,
  localDate,
  updateActionItem,
  addDays,
} from '~/domain/postmortem/action-items.server'
import { getPostmortemView } from '~/domain/postmortem/postmortem.server'
import { sweepOverdueActionItems } from '~/domain/postmortem/overdue-sweep.server'
import { silentLogger } from '../support/access'
import { setUpTestDatabase } from '../support/database'
import { decodePage } from '../support/html'
import { addMember, addSignedInMember, type SignedInMember } from '../support/incidents'
import { startInProcessApp, type RunningApp } from '../support/in-process-app'
import { incidentInPostmortem } from '../support/postmortems'
import { loadRemixBuild } from '../support/remix-build'

/**
 * Postmortem action items through the real app over HTTP (plain form posts, no JavaScript) and
 * through the service: adding and changing items, validation that writes nothing, roles, other
 * organizations' ids, the home page, the overdue sweep's e-mails (once per due date, preferences,
 * the organization's time zone) and the counts in analytics.
 */

const db = setUpTestDatabase('action-items')
const APP_URL = 'http://items.incidentflow.test'
const DAY = 86_400_000

let build: ServerBuild
let app: RunningApp

let manager: SignedInMember
let engineer: SignedInMember // not involved in the incident
let owner: SignedInMember // engineer who owns items
let number: number
let other: { id: string; manager: SignedInMember; number: number }

async function page(who: SignedInMember, url: string) {
  const response = await app.get(url, { cookie: who.cookie })
  return { status: response.status, html: decodePage(await response.text()) }
}

/** An incident declared by `who` three days ago and moved on to Postmortem. */
const postmortemIncident = (who: SignedInMember, title: string) =>
  incidentInPostmortem(db.orm, who.member, title, { daysAgo: 3, severity: 'SEV-2' })

async function postmortemId(who: SignedInMember, n: number) {
  const view = await getPostmortemView(db.orm, who.member, n)
  return view!.postmortem.id
}

const itemsUrl = (n: number) => `/incidents/${n}/postmortem/action-items`

async function itemRows(n: number, organizationId = db.organizationId) {
  return db.query<{
    id: string
    title: string
    owner_id: string | null
    due_on: string | null
    priority: string
    status: string
    completed_at: Date | null
    updated_at: Date
  }>(
    `select a.id, a.title, a.owner_id, a.due_on::text as due_on, a.priority, a.status,
            a.completed_at, a.updated_at
       from action_item a join incident i on i.id = a.incident_id
      where i.organization_id = $1 and i.number = $2 order by a.created_at, a.id`,
    [organizationId, n],
  )
}

/** The hidden fields of an item's edit form, as the page renders them for `row`. */
const editing = (row: { id: string; updated_at: Date }) => ({
  intent: 'update',
  itemId: row.id,
  version: row.updated_at.toISOString(),
})

const today = () => localDate(new Date(), 'UTC')

beforeAll(async () => {
  build = await loadRemixBuild()
  app = await startInProcessApp(db, build, { APP_URL })
  manager = await addSignedInMember(db, db.organizationId, 'manager', { name: 'Mara Manager' })
  engineer = await addSignedInMember(db, db.organizationId, 'engineer', { name: 'Eli Engineer' })
  owner = await addSignedInMember(db, db.organizationId, 'engineer', { name: 'Olga Owner' })
  number = await postmortemIncident(manager, 'Search index went stale')

  const otherId = await db.createOrganization('Elsewhere Ltd')
  const otherManager = await addSignedInMember(db, otherId, 'manager', { name: 'Omar Other' })
  other = {
    id: otherId,
    manager: otherManager,
    number: await postmortemIncident(otherManager, 'Elsewhere outage'),
  }
})

afterAll(async () => {
  await app?.close()
})

describe('adding action items', () => {
  it('adds an item through the plain form and lists it with owner, due date and priority', async () => {
    const due = addDays(today(), 7)
    const response = await app.post(
      itemsUrl(number),
      {
        intent: 'create',
        title: 'Alert on index lag',
        owner: owner.member.user.id,
        dueOn: due,
        priority: 'high',
      },
      { cookie: manager.cookie },
    )
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe(itemsUrl(number))

    const rows = await itemRows(number)
    expect(rows).toMatchObject([
      {
        title: 'Alert on index lag',
        owner_id: owner.member.user.id,
        due_on: due,
        priority: 'high',
        status: 'open',
        completed_at: null,
      },
    ])

    const { status, html } = await page(manager, itemsUrl(number))
    expect(status).toBe(200)
    expect(html).toContain('Alert on index lag')
    expect(html).toContain('Olga Owner')
    expect(html).toContain(`<time dateTime="${due}">`)
    expect(html).toContain('High')
    expect(html).toContain('Add action item')
    expect(html).toContain(`href="/incidents/${number}/postmortem"`)
  })

  it.each([
    ['an empty title', { title: '   ' }, 'Enter a title', 'value="2099-01-02"'],
    [
      'a due date in the past',
      { dueOn: '2020-01-01' },
      'Choose today or a later date.',
      'value="Keep this title"',
    ],
    [
      'an impossible date',
      { dueOn: '2099-02-30' },
      'Enter a date as YYYY-MM-DD.',
      'value="Keep this title"',
    ],
    [
      'a priority off the list',
      { priority: 'urgent' },
      'Choose a priority from the list',
      'value="Keep this title"',
    ],
  ])(
    'refuses %s with a field error, keeps the values and writes nothing',
    async (_, change, message, keptValue) => {
      const before = await itemRows(number)
      const response = await app.post(
        itemsUrl(number),
        {
          intent: 'create',
          title: 'Keep this title',
          owner: owner.member.user.id,
          dueOn: '2099-01-02',
          priority: 'low',
          ...change,
        },
        { cookie: manager.cookie },
      )
      expect(response.status).toBe(400)
      const html = decodePage(await response.text())
      expect(html).toContain(message)
      expect(html).toContain(keptValue)
      expect(await itemRows(number)).toEqual(before)
    },
  )

  it('refuses an owner who is not an active member of the organization', async () => {
    const before = await itemRows(number)
    const outsider = other.manager.member.user.id
    const leaver = await addMember(db, db.organizationId, 'engineer', { name: 'Lea Leaver' })
    await db.query(`update membership set active = false where user_id = $1`, [leaver.user.id])
    for (const ownerId of [outsider, leaver.user.id, 'not-a-uuid']) {
      const response = await app.post(
        itemsUrl(number),
        { intent: 'create', title: 'Nobody', owner: ownerId, dueOn: '2099-01-02', priority: 'low' },
        { cookie: manager.cookie },
      )
      expect(response.status).toBe(400)
      expect(decodePage(await response.text())).toContain(
        'Choose an owner from the active members of your team.',
      )
    }
    expect(await itemRows(number)).toEqual(before)
  })
})

describe('roles', () => {
  it('shows an uninvolved engineer the list without forms, and refuses their posts with 403', async () => {
    const { status, html } = await page(engineer, itemsUrl(number))
    expect(status).toBe(200)
    expect(html).toContain('Alert on index lag')
    expect(html).not.toContain('Add action item')
    expect(html).not.toContain('Save action item')

    const before = await itemRows(number)
    const created = await app.post(
      itemsUrl(number),
      {
        intent: 'create',
        title: 'Sneaky',
        owner: engineer.member.user.id,
        dueOn: '2099-01-02',
        priority: 'low',
      },
      { cookie: engineer.cookie },
    )
    expect(created.status).toBe(403)
    const [item] = before
    const updated = await app.post(
      itemsUrl(number),
      {
        ...editing(item!),
        status: 'done',
      },
      { cookie: engineer.cookie },
    )
    expect(updated.status).toBe(403)
    expect(await itemRows(number)).toEqual(before)
  })

  it('lets the owner change the status of their own item, and nothing else', async () => {
    const { html } = await page(owner, itemsUrl(number))
    expect(html).toContain('Save action item')
    expect(html).not.toContain('Add action item')

    const [item] = await itemRows(number)
    const retitled = await app.post(
      itemsUrl(number),
      {
        ...editing(item!),
        status: 'in_progress',
        title: 'Renamed by the owner',
      },
      { cookie: owner.cookie },
    )
    expect(retitled.status).toBe(403)
    expect((await itemRows(number))[0]).toEqual(item)

    const moved = await app.post(
      itemsUrl(number),
      {
        ...editing(item!),
        status: 'in_progress',
      },
      { cookie: owner.cookie },
    )
    expect(moved.status).toBe(302)
    expect((await itemRows(number))[0]).toMatchObject({
      status: 'in_progress',
      title: 'Alert on index lag',
    })
  })
})

describe('changing action items', () => {
  it('completing sets completed_at, reopening clears it', async () => {
    const [item] = await itemRows(number)
    const done = await app.post(
      itemsUrl(number),
      {
        ...editing(item!),
        title: 'Alert on index lag',
        owner: owner.member.user.id,
        dueOn: item!.due_on!,
        priority: 'medium',
        status: 'done',
      },
      { cookie: manager.cookie },
    )
    expect(done.status).toBe(302)
    const [completed] = await itemRows(number)
    expect(completed).toMatchObject({ status: 'done', priority: 'medium' })
    expect(completed!.completed_at).toBeInstanceOf(Date)

    const reopened = await app.post(
      itemsUrl(number),
      {
        ...editing(item!),
        version: completed!.updated_at.toISOString(),
        status: 'open',
      },
      { cookie: manager.cookie },
    )
    expect(reopened.status).toBe(302)
    expect((await itemRows(number))[0]).toMatchObject({ status: 'open', completed_at: null })
  })

  it('refuses a form rendered from an older version with a conflict message, keeping the input', async () => {
    const [item] = await itemRows(number)
    const stale = new Date(item!.updated_at.getTime() - 1000).toISOString()
    const response = await app.post(
      itemsUrl(number),
      {
        ...editing(item!),
        version: stale,
        title: 'Typed before the conflict',
        owner: owner.member.user.id,
        dueOn: item!.due_on!,
        priority: 'low',
        status: 'wont_do',
      },
      { cookie: manager.cookie },
    )
    expect(response.status).toBe(409)
    const html = decodePage(await response.text())
    expect(html).toContain('This action item changed since you opened it.')
    expect(html).toContain('value="Typed before the conflict"')
    expect((await itemRows(number))[0]).toEqual(item)
  })

  it('answers 404 for another organization’s postmortem and for another organization’s item', async () => {
    // Incident numbers are per organization: this one exists in A only.
    const onlyInA = await postmortemIncident(manager, 'Only in A')
    expect((await page(manager, itemsUrl(onlyInA))).status).toBe(200)
    expect((await page(other.manager, itemsUrl(onlyInA))).status).toBe(404)
    const [item] = await itemRows(number)
    const before = await itemRows(number)
    const response = await app.post(
      itemsUrl(other.number),
      {
        ...editing(item!),
        status: 'done',
      },
      { cookie: other.manager.cookie },
    )
    expect(response.status).toBe(404)
    expect(await itemRows(number)).toEqual(before)
    // …and the service says the same to a direct call.
    await expect(
      updateActionItem(db.orm, other.manager.member, other.number, item!.id, {
        version: item!.updated_at.toISOString(),
        status: 'done',
      }),
    ).rejects.toMatchObject({ status: 404 })
  })

  it('answers 404 for an incident without a postmortem', async () => {
    const { number: fresh } = await declareIncident(db.orm, manager.member, {
      title: 'Still burning',
      summary: '',
      severity: 'SEV-3',
      serviceId: null,
      impactStartedAt: new Date(),
    })
    expect((await page(manager, itemsUrl(fresh))).status).toBe(404)
    const error = await createActionItem(db.orm, manager.member, fresh, {
      title: 'x',
      ownerId: owner.member.user.id,
      dueOn: '2099-01-01',
      priority: 'low',
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ActionItemError)
    expect(error).toMatchObject({ status: 404 })
  })
})

describe('the owner’s home page', () => {
  it('lists open items, overdue first and marked "Overdue", each linking to its postmortem', async () => {
    const n = await postmortemIncident(manager, 'Cache stampede')
    const past = new Date(Date.now() - 10 * DAY)
    const make = (title: string, dueOn: string, at = new Date()) =>
      createActionItem(
        db.orm,
        manager.member,
        n,
        { title, ownerId: owner.member.user.id, dueOn, priority: 'medium' },
        at,
      )
    await make('Later item', addDays(today(), 30))
    const overdue = await make('Overdue item', addDays(today(), -3), past)
    const closed = await make('Closed item', addDays(today(), -2), past)
    await updateActionItem(db.orm, manager.member, n, closed.id, {
      version: closed.version,
      status: 'wont_do',
    })

    const mine = await listMyActionItems(db.orm, owner.member)
    expect(mine[0]).toMatchObject({ id: overdue.id, overdue: true })
    expect(mine.map((i) => i.title)).not.toContain('Closed item')

    const { html } = await page(owner, '/')
    expect(html).toContain('Your action items')
    const overdueAt = html.indexOf('Overdue item')
    const laterAt = html.indexOf('Later item')
    expect(overdueAt).toBeGreaterThan(0)
    expect(laterAt).toBeGreaterThan(overdueAt)
    expect(html.slice(overdueAt, laterAt)).toContain('Overdue')
    expect(html).toContain(`href="/incidents/${n}/postmortem"`)
    expect(html).not.toContain('Closed item')
  })
})

describe('the overdue sweep', () => {
  // Far in the future, so items other tests made with today's dates do not interfere.
  const created = new Date('2090-03-01T12:00:00Z')

  async function emailsFor(itemId: string) {
    return db.query<{ to_address: string; subject: string; body_text: string; kind: string }>(
      `select to_address, subject, body_text, kind from email_outbox
        where idempotency_key like $1 order by created_at`,
      [`action-item-overdue:${itemId}:%`],
    )
  }

  const sweep = (at: string) =>
    sweepOverdueActionItems(
      { orm: db.orm, boss: db.boss, logger: silentLogger, appUrl: APP_URL },
      new Date(at),
    )

  it('queues exactly one e-mail per overdue item, and none on the next run', async () => {
    const n = await postmortemIncident(manager, 'Queue backlog')
    const item = await createActionItem(
      db.orm,
      manager.member,
      n,
      {
        title: 'Add queue depth alert',
        ownerId: owner.member.user.id,
        dueOn: '2090-03-10',
        priority: 'high',
      },
      created,
    )
    await sweep('2090-03-10T23:59:00Z')
    expect(await emailsFor(item.id)).toEqual([])

    await sweep('2090-03-11T00:01:00Z')
    const emails = await emailsFor(item.id)
    expect(emails).toHaveLength(1)
    expect(emails[0]).toMatchObject({
      to_address: owner.member.user.email,
      kind: 'action_item.overdue',
    })
    expect(emails[0]!.subject).toBe(`[INC-${n}] Action item overdue: Add queue depth alert`)
    expect(emails[0]!.body_text).toContain(`${APP_URL}/incidents/${n}/postmortem/action-items`)
    const [row] = await db.query<{ notified: string }>(
      `select overdue_notified_on::text as notified from action_item where id = $1`,
      [item.id],
    )
    expect(row!.notified).toBe('2090-03-10')

    await sweep('2090-03-11T00:11:00Z')
    await sweep('2090-03-12T09:00:00Z')
    expect(await emailsFor(item.id)).toHaveLength(1)

    // A new due date is a new promise: the owner is told again once it passes.
    const [current] = await listActionItems(
      db.orm,
      db.organizationId,
      await postmortemId(manager, n),
      created,
    )
    await updateActionItem(
      db.orm,
      manager.member,
      n,
      item.id,
      { version: current!.version, status: 'in_progress', dueOn: '2090-03-20' },
      new Date('2090-03-12T10:00:00Z'),
    )
    await sweep('2090-03-19T12:00:00Z')
    expect(await emailsFor(item.id)).toHaveLength(1)
    await sweep('2090-03-21T00:05:00Z')
    expect(await emailsFor(item.id)).toHaveLength(2)

    // A new owner of an overdue item is told too, once.
    const [moved] = await listActionItems(
      db.orm,
      db.organizationId,
      item.postmortemId,
      new Date('2090-03-21T09:00:00Z'),
    )
    await updateActionItem(
      db.orm,
      manager.member,
      n,
      item.id,
      { version: moved!.version, status: 'in_progress', ownerId: engineer.member.user.id },
      new Date('2090-03-21T09:00:00Z'),
    )
    await sweep('2090-03-21T09:10:00Z')
    await sweep('2090-03-21T09:20:00Z')
    const all = await emailsFor(item.id)
    expect(all.map((e) => e.to_address)).toEqual([
      owner.member.user.email,
      owner.member.user.email,
      engineer.member.user.email,
    ])
  })

  it('respects the owner’s preference, and does not tell them later either', async () => {
    const quiet = await addSignedInMember(db, db.organizationId, 'engineer', {
      name: 'Quinn Quiet',
    })
    await savePreferences(db.orm, quiet.member, ['action_item.overdue'])
    const n = await postmortemIncident(manager, 'Disk filled up')
    const item = await createActionItem(
      db.orm,
      manager.member,
      n,
      { title: 'Rotate logs', ownerId: quiet.member.user.id, dueOn: '2090-04-01', priority: 'low' },
      created,
    )
    await sweep('2090-04-02T08:00:00Z')
    expect(await emailsFor(item.id)).toEqual([])
    await savePreferences(db.orm, quiet.member, [])
    await sweep('2090-04-02T09:00:00Z')
    expect(await emailsFor(item.id)).toEqual([])
  })

  it('goes by the organization’s time zone', async () => {
    await db.query(`update organization set timezone = 'Pacific/Auckland' where id = $1`, [
      other.id,
    ])
    const ownerB = other.manager
    const item = await createActionItem(
      db.orm,
      {
        ...ownerB.member,
        organization: { ...ownerB.member.organization, timezone: 'Pacific/Auckland' },
      },
      other.number,
      {
        title: 'Kiwi follow-up',
        ownerId: ownerB.member.user.id,
        dueOn: '2090-03-10',
        priority: 'medium',
      },
      created,
    )
    // 11 March begins in Auckland (UTC+13 in March) at 10 March 11:00 UTC.
    await sweep('2090-03-10T10:59:00Z')
    expect(await emailsFor(item.id)).toEqual([])
    await sweep('2090-03-10T11:01:00Z')
    expect(await emailsFor(item.id)).toHaveLength(1)
    expect(
      (
        await listActionItems(db.orm, other.id, item.postmortemId, new Date('2090-03-10T10:59:00Z'))
      )[0]?.overdue,
    ).toBe(false)
    expect(
      (
        await listActionItems(db.orm, other.id, item.postmortemId, new Date('2090-03-10T11:01:00Z'))
      )[0]?.overdue,
    ).toBe(true)
  })
})

describe('analytics', () => {
  it('counts open and overdue items in all and per owner, on the page and in the exports', async () => {
    const org = await db.createOrganization('Counting Co')
    const boss = await addSignedInMember(db, org, 'manager', { name: 'Bea Boss' })
    const helper = await addMember(db, org, 'engineer', { name: 'Hal Helper' })
    const n = await postmortemIncident(boss, 'Counted incident')
    const past = new Date(Date.now() - 20 * DAY)
    const add = (title: string, ownerId: string, dueOn: string, at = new Date()) =>
      createActionItem(db.orm, boss.member, n, { title, ownerId, dueOn, priority: 'low' }, at)
    await add('Overdue for Bea', boss.member.user.id, addDays(today(), -5), past)
    await add('Open for Bea', boss.member.user.id, addDays(today(), 5))
    await add('Overdue for Hal', helper.user.id, addDays(today(), -1), past)
    const done = await add('Done by Hal', helper.user.id, addDays(today(), -4), past)
    await updateActionItem(db.orm, boss.member, n, done.id, {
      version: done.version,
      status: 'done',
    })

    const counts = await countActionItems(db.orm, org)
    expect(counts).toMatchObject({ open: 3, overdue: 2 })
    expect(counts.owners).toEqual([
      { userId: boss.member.user.id, name: 'Bea Boss', open: 2, overdue: 1 },
      { userId: helper.user.id, name: 'Hal Helper', open: 1, overdue: 1 },
    ])

    const { status, html } = await page(boss, '/analytics')
    expect(status).toBe(200)
    expect(html).toContain('id="action-items-heading"')
    expect(html).toMatch(/Bea Boss<\/th><td[^>]*>2<\/td><td[^>]*>1<\/td>/)
    expect(html).toMatch(/Total<\/th><td[^>]*>3<\/td><td[^>]*>2<\/td>/)

    const json = (await (
      await app.get('/analytics/metrics.json', { cookie: boss.cookie })
    ).json()) as {
      actionItems: { open: number; overdue: number }
    }
    expect(json.actionItems).toMatchObject({ open: 3, overdue: 2 })
    const csv = await (await app.get('/analytics/metrics.csv', { cookie: boss.cookie })).text()
    expect(csv).toContain('action_items,all,,overdue,2')
    expect(csv).toContain('action_items,Hal Helper,,open,1')
  })
})
