import type { MikroORM } from '@mikro-orm/postgresql'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addCatalogEntry } from '~/domain/incident/catalog.server'
import {
  assignIncident,
  declareIncident,
  editIncident,
  transitionIncident,
} from '~/domain/incident/incident-service.server'
import {
  PAGE_SIZE,
  TITLE_SEARCH_CAP,
  encodeCursor,
  listIncidents,
  parseIncidentFilters,
  type IncidentListRow,
} from '~/domain/incident/incident-list.server'
import { TRANSITIONS } from '~/domain/incident/lifecycle'
import {
  INCIDENT_STATUSES,
  SEVERITIES,
  type IncidentStatus,
  type Severity,
} from '~/domain/incident/vocabulary'
import { initORM } from '../../db/orm'
import { inScope } from '../../db/tenant'
import { setUpTestDatabase } from '../support/database'
import { addMember, type TestMember } from '../support/incidents'

const db = setUpTestDatabase('incident_list')

const COUNT = 60
const WORDS = ['Checkout', 'Search', 'Payments', 'Sign-in', 'Webhooks', 'Exports']
/** Forward path only: the status at index k is reached by k transitions from Detected. */
const PATH: IncidentStatus[] = [
  'detected',
  'investigating',
  'mitigated',
  'resolved',
  'postmortem',
  'closed',
]
const BASE = Date.UTC(2026, 2, 1, 0, 0)
const HOUR = 3_600_000

interface Seeded {
  id: string
  number: number
  title: string
  severity: Severity
  status: IncidentStatus
  serviceId: string | null
  typeId: string
  commanderId: string
  assigneeIds: string[]
  declaredAt: Date
}

let viewer: TestMember
let engineer: TestMember
let services: string[]
let types: string[]
const seeded: Seeded[] = []

beforeAll(async () => {
  viewer = await addMember(db, db.organizationId, 'admin', { name: 'Vera Viewer' })
  engineer = await addMember(db, db.organizationId, 'engineer', { name: 'Erin Engineer' })
  services = [
    await addCatalogEntry(db.orm, viewer, 'service', 'Checkout', ''),
    await addCatalogEntry(db.orm, viewer, 'service', 'Search', ''),
  ]
  types = [
    await addCatalogEntry(db.orm, viewer, 'type', 'Outage', ''),
    await addCatalogEntry(db.orm, viewer, 'type', 'Degradation', ''),
  ]
  const seedOne = async (i: number): Promise<Seeded> => {
    // Three incidents share each declaration time, so the id decides their order; the 7-hour
    // step puts some declarations late in a UTC day.
    const declaredAt = new Date(BASE + Math.floor(i / 3) * 7 * HOUR)
    const severity = SEVERITIES[(i * 7) % 4]!
    const serviceId = i % 3 === 2 ? null : services[i % 3]!
    const typeId = types[i % 2]!
    const commanderId = i % 7 === 0 ? viewer.user.id : engineer.user.id
    const title = i === 41 ? 'Disk 100% full on the primary' : `${WORDS[i % WORDS.length]} incident`
    const { id, number } = await declareIncident(
      db.orm,
      viewer,
      {
        title,
        summary: '',
        severity,
        serviceId,
        incidentTypeId: typeId,
        commanderId,
        impactStartedAt: new Date(declaredAt.getTime() - 60_000),
      },
      declaredAt,
    )
    const assigneeIds = i % 5 === 0 ? [viewer.user.id] : []
    if (assigneeIds.length) {
      await assignIncident(db.orm, viewer, number, { commanderId, assigneeIds }, declaredAt)
    }
    const status = PATH[i % PATH.length]!
    for (let k = 0; k < PATH.indexOf(status); k++) {
      const step = TRANSITIONS.find((t) => t.from.includes(PATH[k]!) && t.to === PATH[k + 1])!
      await transitionIncident(db.orm, viewer, number, { action: step.action }, declaredAt)
    }
    return {
      id,
      number,
      title,
      severity,
      status,
      serviceId,
      typeId,
      commanderId,
      assigneeIds,
      declaredAt,
    }
  }
  // A few at a time, as concurrent requests would; the numbers are whatever each one got.
  for (let i = 0; i < COUNT; i += 4) {
    seeded.push(...(await Promise.all([i, i + 1, i + 2, i + 3].map(seedOne))))
  }
  // Another organization's incident never shows up in this one's list.
  const other = await db.createOrganization('Elsewhere')
  await declareIncident(db.orm, await addMember(db, other, 'admin'), {
    title: 'Checkout incident elsewhere',
    summary: '',
    severity: 'SEV-1',
  })
})

/** The list's order, computed here from the seeded data. */
type Ordered = Pick<Seeded, 'severity' | 'declaredAt' | 'id'>
function listOrder(a: Ordered, b: Ordered) {
  if (a.severity !== b.severity) return a.severity < b.severity ? -1 : 1
  if (a.declaredAt.getTime() !== b.declaredAt.getTime())
    return b.declaredAt.getTime() - a.declaredAt.getTime()
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

/** Every page of the list for `query` (a URL query string), following `next`. */
async function walk(query: string, pageSize = PAGE_SIZE, viewerId = viewer.user.id) {
  const pages: IncidentListRow[][] = []
  let after: string | null = null
  for (let guard = 0; guard < 100; guard++) {
    const params = new URLSearchParams(query)
    if (after) params.set('after', after)
    const page = await listIncidents(
      db.orm,
      db.organizationId,
      viewerId,
      parseIncidentFilters(params),
      pageSize,
    )
    pages.push(page.rows)
    after = page.next
    if (!after) return pages
  }
  throw new Error('pagination did not end')
}

const numbersOf = async (query: string) =>
  (await walk(query, 100))
    .flat()
    .map((r) => r.number)
    .sort((a, b) => a - b)
const expected = (keep: (s: Seeded) => boolean) =>
  seeded
    .filter(keep)
    .map((s) => s.number)
    .sort((a, b) => a - b)

describe('the incident list’s filters', () => {
  it('seeds every status, severity, service and type', () => {
    expect(new Set(seeded.map((s) => s.status))).toEqual(new Set(INCIDENT_STATUSES))
    expect(new Set(seeded.map((s) => s.severity))).toEqual(new Set(SEVERITIES))
  })

  it('shows the open incidents (Detected, Investigating, Mitigated) when no status is chosen', async () => {
    const open = expected((s) => ['detected', 'investigating', 'mitigated'].includes(s.status))
    expect(open.length).toBeGreaterThan(0)
    expect(await numbersOf('')).toEqual(open)
    expect(await numbersOf('status=open')).toEqual(open)
  })

  it('filters by one status, by several, and shows everything for all', async () => {
    expect(await numbersOf('status=resolved')).toEqual(expected((s) => s.status === 'resolved'))
    expect(await numbersOf('status=postmortem&status=closed')).toEqual(
      expected((s) => s.status === 'postmortem' || s.status === 'closed'),
    )
    expect(await numbersOf('status=open&status=closed')).toEqual(
      expected((s) => s.status !== 'resolved' && s.status !== 'postmortem'),
    )
    expect(await numbersOf('status=all')).toEqual(expected(() => true))
  })

  it('filters by severity', async () => {
    expect(await numbersOf('status=all&severity=SEV-1&severity=SEV-3')).toEqual(
      expected((s) => s.severity === 'SEV-1' || s.severity === 'SEV-3'),
    )
    expect(await numbersOf('status=all&severity=SEV-4')).toEqual(
      expected((s) => s.severity === 'SEV-4'),
    )
  })

  it('filters by service and by incident type', async () => {
    expect(await numbersOf(`status=all&service=${services[1]}`)).toEqual(
      expected((s) => s.serviceId === services[1]),
    )
    expect(await numbersOf(`status=all&type=${types[0]}`)).toEqual(
      expected((s) => s.typeId === types[0]),
    )
    expect(await numbersOf(`status=all&service=${services[0]}&type=${types[1]}`)).toEqual(
      expected((s) => s.serviceId === services[0] && s.typeId === types[1]),
    )
  })

  it('filters by assignee: "me" is the viewer as commander or assignee', async () => {
    const mine = expected(
      (s) => s.commanderId === viewer.user.id || s.assigneeIds.includes(viewer.user.id),
    )
    expect(mine.length).toBeGreaterThan(0)
    expect(mine.length).toBeLessThan(COUNT)
    expect(await numbersOf('status=all&assignee=me')).toEqual(mine)
    expect(await numbersOf(`status=all&assignee=${engineer.user.id}`)).toEqual(
      expected((s) => s.commanderId === engineer.user.id),
    )
    // "me" follows the viewer: the engineer's own view.
    const engineers = (await walk('status=all&assignee=me', 100, engineer.user.id))
      .flat()
      .map((r) => r.number)
      .sort((a, b) => a - b)
    expect(engineers).toEqual(expected((s) => s.commanderId === engineer.user.id))
  })

  it('searches titles case-insensitively', async () => {
    expect(await numbersOf('status=all&q=cHeCkOuT')).toEqual(
      expected((s) => s.title.toLowerCase().includes('checkout')),
    )
    expect(await numbersOf('status=all&q=sign-in incident')).toEqual(
      expected((s) => s.title.startsWith('Sign-in')),
    )
  })

  it('finds an incident by INC-12, inc-12 or 12', async () => {
    for (const q of ['INC-12', 'inc-12', '12', '  INC-12  ']) {
      expect(await numbersOf(`status=all&q=${encodeURIComponent(q)}`)).toEqual([12])
    }
  })

  it('treats % and _ in a search as plain characters', async () => {
    expect(await numbersOf('status=all&q=100%25')).toEqual(expected((s) => s.title.includes('%')))
    expect(await numbersOf('status=all&q=%25')).toHaveLength(1)
    expect(await numbersOf('status=all&q=_')).toEqual([])
  })

  it('filters by declaration date, both ends inclusive, in UTC days', async () => {
    const from = Date.UTC(2026, 2, 2)
    const to = Date.UTC(2026, 2, 4) // the end of 2026-03-03
    const inRange = expected((s) => s.declaredAt.getTime() >= from && s.declaredAt.getTime() < to)
    // The range cuts through the seeded days, with declarations late on its last day.
    expect(inRange.length).toBeGreaterThan(0)
    expect(inRange.length).toBeLessThan(COUNT)
    expect(
      seeded.some((s) => s.declaredAt.getTime() >= to - 4 * HOUR && s.declaredAt.getTime() < to),
    ).toBe(true)
    expect(await numbersOf('status=all&from=2026-03-02&to=2026-03-03')).toEqual(inRange)
    expect(await numbersOf('status=all&from=2026-03-03')).toEqual(
      expected((s) => s.declaredAt.getTime() >= Date.UTC(2026, 2, 3)),
    )
    expect(await numbersOf('status=all&to=2026-03-01')).toEqual(
      expected((s) => s.declaredAt.getTime() < Date.UTC(2026, 2, 2)),
    )
  })

  it('ignores malformed filter values instead of failing', async () => {
    expect(
      await numbersOf('status=all&service=not-a-uuid&type=42&assignee=someone&from=yesterday'),
    ).toEqual(expected(() => true))
  })
})

describe('keyset pagination', () => {
  it('walks all 60 incidents in pages of 25, each exactly once, most severe then newest first', async () => {
    const pages = await walk('status=all')
    expect(pages.map((p) => p.length)).toEqual([25, 25, 10])
    const ids = pages.flat().map((r) => r.id)
    expect(new Set(ids).size).toBe(COUNT)
    expect(ids).toEqual([...seeded].sort(listOrder).map((s) => s.id))
  })

  it('pages through a filtered list in small pages without losing ties', async () => {
    const pages = await walk('status=all&severity=SEV-2&severity=SEV-3', 4)
    const want = seeded
      .filter((s) => s.severity === 'SEV-2' || s.severity === 'SEV-3')
      .sort(listOrder)
      .map((s) => s.id)
    expect(pages.flat().map((r) => r.id)).toEqual(want)
    expect(pages.every((p) => p.length <= 4)).toBe(true)
    expect(pages.length).toBe(Math.ceil(want.length / 4))
  })

  it('ends with next = null exactly when the last row was shown', async () => {
    const exact = await listIncidents(
      db.orm,
      db.organizationId,
      viewer.user.id,
      parseIncidentFilters(new URLSearchParams('status=all')),
      COUNT,
    )
    expect(exact.rows).toHaveLength(COUNT)
    expect(exact.next).toBeNull()
  })

  it('ignores a garbage cursor and shows the first page', async () => {
    const first = await walk('status=all')
    for (const after of [
      'garbage',
      '%%%',
      Buffer.from('null').toString('base64url'),
      Buffer.from('["SEV-9","yesterday","nobody"]').toString('base64url'),
      encodeCursor({ severity: 'SEV-2', declaredAt: 'not a date', id: 'not-a-uuid' }),
    ]) {
      const page = await listIncidents(
        db.orm,
        db.organizationId,
        viewer.user.id,
        parseIncidentFilters(new URLSearchParams({ status: 'all', after })),
      )
      expect(page.rows.map((r) => r.id)).toEqual(first[0]!.map((r) => r.id))
    }
  })

  it('shows each row’s names and counts from the joined tables', async () => {
    const rows = (await walk('status=all', 100)).flat()
    const byNumber = new Map(rows.map((r) => [r.number, r]))
    const assigned = seeded.find((s) => s.assigneeIds.length > 0 && s.serviceId === services[0])!
    expect(byNumber.get(assigned.number)).toMatchObject({
      title: assigned.title,
      severity: assigned.severity,
      status: assigned.status,
      serviceName: 'Checkout',
      typeName: assigned.typeId === types[0] ? 'Outage' : 'Degradation',
      commanderName: assigned.commanderId === viewer.user.id ? 'Vera Viewer' : 'Erin Engineer',
      assigneeCount: 1,
      declaredAt: assigned.declaredAt.toISOString(),
    })
    const noService = seeded.find((s) => s.serviceId === null)!
    expect(byNumber.get(noService.number)?.serviceName).toBeNull()
  })
})

/**
 * Title search on an organization big enough for the planner to care: 6,000 incidents, one term
 * ("checkout") in more than TITLE_SEARCH_CAP of them, others in a few hundred, one in a single
 * title. Results are checked against the same rule computed here (case-insensitive substring of
 * the title, or the incident number), and the plans against what makes search fast: the title
 * index for the matches, the primary key or the list's own index for the page, no scan of the
 * organization's incidents.
 */
describe('title search at scale', () => {
  const LARGE = 6000
  interface Row {
    id: string
    number: number
    title: string
    severity: Severity
    status: IncidentStatus
    declaredAt: Date
  }
  let large: string
  const rows: Row[] = []
  /** The same ORM as the app's, recording each SQL statement listIncidents sends. */
  let recording: MikroORM
  const sent: Array<{ sql: string; params: readonly unknown[] }> = []

  const titleOf = (g: number) =>
    g === 4321
      ? 'Ledger RECONCILIATION stalled'
      : g % 10 === 0
        ? `Disk 100% full on shard ${g}`
        : `${g % 2 ? 'Checkout' : 'CHECKOUT'} latency on shard ${g}`

  beforeAll(async () => {
    large = await db.createOrganization('Large')
    const numbers = Array.from({ length: LARGE }, (_, k) => k + 1)
    // Two incidents share each declaration time, so the id decides their order.
    const declared = numbers.map((g) => new Date(BASE - Math.floor(g / 2) * 60_000))
    const inserted = await db.query<{ id: string; number: number }>(
      `insert into incident (organization_id, number, title, severity, status, impact_started_at, declared_at)
       select $1, t.number, t.title, t.severity, t.status, t.declared_at, t.declared_at
         from unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])
           as t(number, title, severity, status, declared_at)
       returning id, number`,
      [
        large,
        numbers,
        numbers.map(titleOf),
        numbers.map((g) => SEVERITIES[(g * 7) % 4]!),
        numbers.map((g) => INCIDENT_STATUSES[(g * 5) % 6]!),
        declared,
      ],
    )
    const ids = new Map(inserted.map((r) => [r.number, r.id]))
    for (const g of numbers) {
      rows.push({
        id: ids.get(g)!,
        number: g,
        title: titleOf(g),
        severity: SEVERITIES[(g * 7) % 4]!,
        status: INCIDENT_STATUSES[(g * 5) % 6]!,
        declaredAt: declared[g - 1]!,
      })
    }
    await db.query('analyze incident')
    await db.query('analyze incidentflow_search.incident_title')
    recording = await initORM(db.url, {
      pool: { min: 0, max: 2 },
      onQuery: (sql, params) => {
        sent.push({ sql, params })
        return sql
      },
    })
  })

  afterAll(async () => {
    await recording?.close(true)
  })

  const list = (query: string, pageSize = PAGE_SIZE, orm = db.orm) =>
    listIncidents(
      orm,
      large,
      viewer.user.id,
      parseIncidentFilters(new URLSearchParams(query)),
      pageSize,
    )

  /** Every matching number, following `next` through pages of 1,000. */
  async function allNumbers(query: string) {
    const found: number[] = []
    let after: string | null = null
    for (let guard = 0; guard < 20; guard++) {
      const params = new URLSearchParams(query)
      if (after) params.set('after', after)
      const page = await list(params.toString(), 1000)
      found.push(...page.rows.map((r) => r.number))
      after = page.next
      if (!after) return found.sort((a, b) => a - b)
    }
    throw new Error('pagination did not end')
  }

  const OPEN: IncidentStatus[] = ['detected', 'investigating', 'mitigated']
  const matching = (term: string, keep: (r: Row) => boolean = () => true) => {
    const number = /^(?:inc-)?(\d{1,9})$/i.exec(term)?.[1]
    return rows
      .filter(
        (r) =>
          keep(r) &&
          (r.title.toLowerCase().includes(term.toLowerCase()) || r.number === Number(number)),
      )
      .map((r) => r.number)
      .sort((a, b) => a - b)
  }

  it('has a common term above the cap and rarer ones below it', () => {
    expect(matching('checkout').length).toBeGreaterThan(TITLE_SEARCH_CAP)
    expect(matching('100%').length).toBeGreaterThan(PAGE_SIZE)
    expect(matching('100%').length).toBeLessThan(TITLE_SEARCH_CAP)
    expect(matching('reconciliation')).toEqual([4321])
  })

  it.each([
    ['checkout', 'status=all'],
    ['cHeCkOuT', 'status=all&severity=SEV-2'],
    ['checkout latency on shard 1', 'status=all'],
    ['reconciliation', 'status=all'],
    ['RECONCILIATION', ''],
    ['100%', 'status=all'],
    ['%', 'status=all&severity=SEV-1&severity=SEV-4'],
    ['_', 'status=all'],
    ['e', 'status=all'],
    ['qz', 'status=all'],
    ['4321', 'status=all'],
    ['INC-432', 'status=all'],
    ['shard 5', 'status=open'],
  ])('finds exactly the titles containing %j (%s)', async (term, query) => {
    const params = new URLSearchParams(query)
    params.set('q', term)
    const statuses = params.get('status') === 'all' ? INCIDENT_STATUSES : OPEN
    const severities = params.getAll('severity')
    expect(await allNumbers(params.toString())).toEqual(
      matching(
        term,
        (r) =>
          statuses.includes(r.status) &&
          (severities.length === 0 || severities.includes(r.severity)),
      ),
    )
  })

  it('pages through a common term in list order with the cursor', async () => {
    const want = rows
      .filter((r) => r.title.toLowerCase().includes('checkout') && OPEN.includes(r.status))
      .sort(listOrder)
      .map((r) => r.id)
    const got: string[] = []
    let after: string | null = null
    for (let page = 0; page < 4; page++) {
      const result = await list(`q=checkout${after ? `&after=${after}` : ''}`)
      got.push(...result.rows.map((r) => r.id))
      after = result.next
    }
    expect(got).toEqual(want.slice(0, 4 * PAGE_SIZE))
  })

  /** The plan of the page query listIncidents sent last, run as the application role. */
  async function pagePlan(query: string) {
    sent.length = 0
    await list(query, PAGE_SIZE, recording)
    const page = sent.filter((q) => q.sql.includes('from incident i')).at(-1)
    expect(page, 'the page query').toBeDefined()
    const sql = recording.em.getPlatform().formatQuery(page!.sql, [...page!.params])
    const [result] = await db.inOrg(
      (em) =>
        em.execute<Array<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>>(
          `explain (analyze, format json) ${sql}`,
        ),
      large,
    )
    const nodes: PlanNode[] = []
    const visit = (node: PlanNode) => {
      nodes.push(node)
      for (const child of node.Plans ?? []) visit(child)
    }
    visit(result!['QUERY PLAN'][0]!.Plan)
    return nodes.filter((n) => n['Relation Name'] === 'incident')
  }

  it('reads a rare term’s page by primary key', async () => {
    const scans = await pagePlan('status=all&q=reconciliation')
    expect(scans.map((n) => n['Node Type'])).not.toContain('Seq Scan')
    // By the incident's key: its primary key, or the (organization_id, id) key of migration 0025,
    // which the planner may prefer since the organization is in the query too.
    const byKey = ['incident_pkey', 'incident_organization_id_id_key']
    expect(
      scans.some((n) => byKey.includes(String(n['Index Name']))),
      JSON.stringify(scans),
    ).toBe(true)
  })

  it('walks the list index for a common term and stops at the page', async () => {
    const scans = await pagePlan('status=all&q=checkout')
    expect(scans.map((n) => n['Node Type'])).not.toContain('Seq Scan')
    const walk = scans.find((n) => n['Index Name'] === 'incident_list_idx')
    expect(walk, JSON.stringify(scans)).toBeDefined()
    // 26 rows (a page and one to tell whether there is a next) out of ~10 % non-matching titles.
    const read = walk!['Actual Rows'] + (walk!['Rows Removed by Filter'] ?? 0)
    expect(read).toBeLessThan(100)
  })

  it('finds the matches through the title index, as the application role, without a scan', async () => {
    const [{ index, copy }] = (await db.query<{ index: number; copy: number }>(
      `select 'incidentflow_search.incident_title_search_idx'::regclass::oid::int as index,
              'incidentflow_search.incident_title'::regclass::oid::int as copy`,
    )) as [{ index: number; copy: number }]
    const stats = await db.inOrg(async (em) => {
      // The counters include this backend's earlier, not yet reported transactions: compare
      // before and after, within one transaction.
      const counters = async () =>
        (
          await em.execute<Array<{ indexScans: number; seqScans: number }>>(
            `select pg_stat_get_xact_numscans(?)::int as "indexScans",
                    pg_stat_get_xact_numscans(?)::int as "seqScans"`,
            [index, copy],
          )
        )[0]!
      const before = await counters()
      const [found] = await em.execute<Array<{ ids: string[] | null }>>(
        'select incidentflow_title_search(?, ?) as ids',
        ['%reconciliation%', TITLE_SEARCH_CAP],
      )
      const after = await counters()
      return {
        ids: found!.ids,
        indexScans: after.indexScans - before.indexScans,
        seqScans: after.seqScans - before.seqScans,
      }
    }, large)
    expect(stats).toEqual({
      ids: [rows.find((r) => r.number === 4321)!.id],
      indexScans: 1,
      seqScans: 0,
    })
  })
})

interface PlanNode {
  'Node Type': string
  'Relation Name'?: string
  'Index Name'?: string
  'Actual Rows': number
  'Rows Removed by Filter'?: number
  Plans?: PlanNode[]
}

describe('the title index', () => {
  it('follows a title edit', async () => {
    const org = await db.createOrganization('Renames')
    const admin = await addMember(db, org, 'admin')
    const { number } = await declareIncident(db.orm, admin, {
      title: 'Original wording of the outage',
      summary: '',
      severity: 'SEV-3',
    })
    const search = async (q: string) =>
      (
        await listIncidents(
          db.orm,
          org,
          admin.user.id,
          parseIncidentFilters(new URLSearchParams({ q })),
        )
      ).rows.map((r) => r.number)
    expect(await search('original wording')).toEqual([number])
    await editIncident(db.orm, admin, number, { title: 'Reworded: queue stalled', version: 1 })
    expect(await search('original wording')).toEqual([])
    expect(await search('QUEUE STALLED')).toEqual([number])
  })

  it('answers only for the current organization and is the application role’s only way in', async () => {
    const [elsewhere] = await db.query<{ id: string }>(
      `select incident_id from incidentflow_search.incident_title where title = 'checkout incident elsewhere'`,
    )
    expect(elsewhere).toBeDefined()
    const ids = await db.inOrg(async (em) => {
      const [found] = await em.execute<Array<{ ids: string[] | null }>>(
        'select incidentflow_title_search(?, ?) as ids',
        ['%elsewhere%', TITLE_SEARCH_CAP],
      )
      return found!.ids
    })
    expect(ids).toEqual([])
    // Without an organization in scope nothing matches at all.
    const unscoped = await inScope(db.orm, {}, (em) =>
      em.execute<Array<{ ids: string[] | null }>>('select incidentflow_title_search(?, ?) as ids', [
        '%checkout%',
        TITLE_SEARCH_CAP,
      ]),
    )
    expect(unscoped).toEqual([{ ids: [] }])
    await expect(
      db.inOrg((em) => em.execute('select count(*) from incidentflow_search.incident_title')),
    ).rejects.toMatchObject({ code: '42501' })
  })
})
