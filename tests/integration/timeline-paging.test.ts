import { randomUUID } from 'node:crypto'
import type { ServerBuild } from '@remix-run/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyOrganization } from '~/domain/incident/audit.server'
import type { AlertPayload } from '~/domain/incident/events'
import { appendEvent, lockIncident } from '~/domain/incident/event-store.server'
import {
  addComment,
  correctComment,
  declareIncident,
  editIncident,
} from '~/domain/incident/incident-service.server'
import { fillTimelineEntries } from '~/domain/incident/timeline.server'
import { inScope } from '../../db/tenant'
import { setUpTestDatabase } from '../support/database'
import { decodePage } from '../support/html'
import { addSignedInMember, type SignedInMember } from '../support/incidents'
import { startInProcessApp, type RunningApp } from '../support/in-process-app'
import { loadRemixBuild } from '../support/remix-build'
import { XSS_CORPUS, unsafeParts } from '../support/xss'

/**
 * Long incident timelines through the real app: the page shows the newest entries with a plain
 * link to older ones, repeated system entries as one entry with a count, and Markdown as it was
 * rendered when the entry was written.
 */

const db = setUpTestDatabase('timeline_paging')

let build: ServerBuild
let app: RunningApp
let admin: SignedInMember

/** Comments as the benchmark data has them, some with Markdown. */
const BODIES = [
  'Rolled back the last deploy; watching the dashboards.',
  'Connection pool saturated, scaling `replicas`.',
  'Provider confirms degraded service on their side.',
  'Error rate back under **1%** for 15 minutes.',
  'Customer support reports fewer tickets now.',
  'Added an alert for this signal so it pages earlier next time.',
]
const body = (i: number) => `${BODIES[i % BODIES.length]} (${i})`

const integrationId = randomUUID()
const alert = (details: string): AlertPayload => ({
  integrationId,
  integrationName: 'Search monitors',
  source: 'alertmanager',
  dedupKey: 'search-latency-high',
  receiptId: randomUUID(),
  title: 'Search latency high',
  severity: 'SEV-2',
  details,
})

type Append = (
  em: Parameters<typeof appendEvent>[0],
  incident: Parameters<typeof appendEvent>[1],
) => Promise<void>

/** Appends many events in one transaction, through the same path as every change. */
async function appendMany(number: number, append: Append) {
  await inScope(db.orm, { organizationId: db.organizationId }, async (em) => {
    const incident = await lockIncident(em, db.organizationId, number, undefined)
    await append(em, incident)
  })
}

const comments = (from: number, to: number, start: number): Append => {
  return async (em, incident) => {
    for (let i = from; i <= to; i++)
      await appendEvent(
        em,
        incident,
        'comment.added',
        { body: body(i) },
        admin.member.user.id,
        new Date(start + i * 60_000),
      )
  }
}

const alerts = (count: number, start: number): Append => {
  return async (em, incident) => {
    for (let i = 0; i < count; i++)
      await appendEvent(
        em,
        incident,
        'alert.received',
        alert(`firing ${i + 1}`),
        null,
        new Date(start + i * 60_000),
      )
  }
}

async function page(path: string) {
  const response = await app.get(path, { cookie: admin.cookie })
  const html = await response.text()
  return { status: response.status, html, bytes: Buffer.byteLength(html) }
}

/** The seqs of the timeline's entries on the page, in page order. */
const shownSeqs = (html: string) =>
  [...html.matchAll(/<li id="event-(\d+)"[^>]*data-event-type=/g)].map((m) => Number(m[1]))

/** The href of the link whose text is `text` (a plain `<a>`). */
function linkTo(html: string, text: string) {
  const match = new RegExp(`<a [^>]*href="([^"]+)"[^>]*>${text}</a>`).exec(html)
  return match ? match[1]!.replace(/&amp;/g, '&') : null
}

beforeAll(async () => {
  build = await loadRemixBuild()
  app = await startInProcessApp(db, build)
  admin = await addSignedInMember(db, db.organizationId, 'admin', { name: 'Ada Admin' })
})
afterAll(async () => {
  await app?.close()
})

describe('an incident with more than a thousand entries', () => {
  let number: number
  const start = Date.UTC(2026, 5, 1, 8, 0)

  beforeAll(async () => {
    const declared = await declareIncident(db.orm, admin.member, {
      title: 'Search degraded for a day',
      summary: 'Search is **slow** for everyone.',
      severity: 'SEV-2',
    })
    number = declared.number
    // #2–#1001 comments, #1002–#1031 the same alert firing again and again, #1032–#1051 comments.
    await appendMany(number, comments(1, 1000, start))
    await appendMany(number, alerts(30, start + 1001 * 60_000))
    await appendMany(number, comments(1001, 1020, start + 1040 * 60_000))
  }, 120_000)

  it('keeps its chain valid', async () => {
    const result = await verifyOrganization(db.orm, db.organizationId)
    expect(result).toMatchObject({ ok: true, problem: null })
    expect(result.events).toBeGreaterThanOrEqual(1051)
  })

  it('renders the newest 100 entries in under 150 KB, oldest first, with a link to older ones', async () => {
    const { status, html, bytes } = await page(`/incidents/${number}`)
    expect(status).toBe(200)
    expect(bytes).toBeLessThan(150 * 1024)
    const seqs = shownSeqs(html)
    // 100 entries: 20 comments, the alert's run (shown as its newest firing), 79 comments.
    expect(seqs).toHaveLength(100)
    expect(seqs.slice(-21)).toEqual([1031, ...Array.from({ length: 20 }, (_, i) => 1032 + i)])
    expect(seqs[0]).toBe(923)
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
    expect(linkTo(html, 'Show older entries')).toBe(`/incidents/${number}?before=923#timeline`)
    expect(linkTo(html, 'Show newer entries')).toBeNull()
    expect(linkTo(html, 'Show all 1051 entries')).toBe(`/incidents/${number}?timeline=all#timeline`)
  })

  it('sends the entries once: in the page, or in the data of a data request (navigation, live updates)', async () => {
    const times = (text: string, part: string) => text.split(part).length - 1
    const { html } = await page(`/incidents/${number}`)
    // The newest entry's markup names it twice (its id and its own link), and the data the page
    // hydrates from does not repeat it.
    expect(times(html, 'event-1051')).toBe(2)
    const data = await app.get(`/incidents/${number}.data`, { cookie: admin.cookie })
    expect(data.status).toBe(200)
    const encoded = await data.text()
    expect(times(encoded, 'event-1051')).toBe(2)
    expect(encoded).toContain('data-event-type')
    expect(encoded).not.toContain('"actorId"')
  })

  it('shows a re-firing alert once, with its count and first firing', async () => {
    const { html } = await page(`/incidents/${number}`)
    const run = /<li id="event-1031"[\s\S]*?<\/li><li id="event-1032"/.exec(html)![0]
    expect(run).toContain('data-event-type="alert.received"')
    expect(run).toContain('data-run-size="30"')
    const text = decodePage(run)
    expect(text).toContain(
      'alert received from Search monitors (Alertmanager): Search latency high',
    )
    expect(text).toContain('firing 30')
    expect(text).toMatch(/30 times since .+ \(#1002–#1031\)/)
    // The five firings before the newest are listed inside it; the rest are counted.
    for (let seq = 1026; seq <= 1030; seq++) expect(run).toContain(`id="event-${seq}"`)
    expect(run).not.toContain('id="event-1025"')
    expect(linkTo(run, 'Show each')).toBe(`/incidents/${number}?timeline=all#event-1002`)
  })

  it('shows the next older 100 entries behind "Show older entries", and the way back', async () => {
    const { html: newest } = await page(`/incidents/${number}`)
    const older = await page(linkTo(newest, 'Show older entries')!)
    expect(older.status).toBe(200)
    expect(shownSeqs(older.html)).toEqual(Array.from({ length: 100 }, (_, i) => 823 + i))
    expect(decodePage(older.html)).toContain(`(822)</p>`)
    expect(linkTo(older.html, 'Show older entries')).toBe(
      `/incidents/${number}?before=823#timeline`,
    )
    expect(linkTo(older.html, 'Show newer entries')).toBe(`/incidents/${number}?after=922#timeline`)

    const newer = await page(linkTo(older.html, 'Show newer entries')!)
    expect(shownSeqs(newer.html).slice(0, 3)).toEqual([923, 924, 925])
    expect(shownSeqs(newer.html)).toHaveLength(100)
    expect(linkTo(newer.html, 'Show newer entries')).toBeNull()
  })

  it('reaches the declaration at the end of "Show older entries"', async () => {
    let path = `/incidents/${number}`
    const seen: number[] = []
    for (let i = 0; i < 20; i++) {
      const { html } = await page(path)
      seen.unshift(...shownSeqs(html))
      const older = linkTo(html, 'Show older entries')
      if (!older) break
      path = older
    }
    // Every entry once, the alert's run as one.
    expect(seen).toHaveLength(1051 - 29)
    expect(seen[0]).toBe(1)
    expect(new Set(seen).size).toBe(seen.length)
  })

  it('serves the HTML stored when a comment was written, not a new rendering', async () => {
    const [row] = await db.query<{ html: string }>(
      `select t.html from incident_timeline_entry t join incident i on i.id = t.incident_id
        where i.organization_id = $1 and i.number = $2 and t.seq = 1051`,
      [db.organizationId, number],
    )
    expect(row!.html).toBe(`<p>Rolled back the last deploy; watching the dashboards. (1020)</p>\n`)
    // The owner rewrites the stored rendering; the page must show what is stored.
    const rewrite = (html: string) =>
      db.query(
        `update incident_timeline_entry set html = $3
          where incident_id = (select id from incident where organization_id = $1 and number = $2)
            and seq = 1051`,
        [db.organizationId, number, html],
      )
    await rewrite('<p>Stored rendering of #1051.</p>')
    try {
      const { html } = await page(`/incidents/${number}`)
      expect(html).toContain('<p>Stored rendering of #1051.</p>')
      expect(decodePage(html)).not.toContain('watching the dashboards. (1020)')
    } finally {
      await rewrite(row!.html)
    }
  })
})

describe('the full timeline', () => {
  it('lists every entry one by one, runs included, and links back to the newest', async () => {
    const declared = await declareIncident(db.orm, admin.member, {
      title: 'Alert storm',
      summary: '',
      severity: 'SEV-3',
    })
    const start = Date.UTC(2026, 5, 2, 8, 0)
    await appendMany(declared.number, alerts(5, start))
    await appendMany(declared.number, async (em, incident) => {
      const sla = (type: 'sla.warning' | 'sla.breached', target: 'acknowledge' | 'mitigate') =>
        appendEvent(
          em,
          incident,
          type,
          {
            target,
            severity: 'SEV-3',
            policyVersion: 1,
            targetSeconds: 3600,
            dueAt: new Date(start).toISOString(),
            warnAt: new Date(start).toISOString(),
          },
          null,
          new Date(start + 3_600_000),
        )
      await sla('sla.warning', 'acknowledge')
      await sla('sla.breached', 'acknowledge')
      await sla('sla.warning', 'mitigate')
    })

    const paged = await page(`/incidents/${declared.number}`)
    // The declaration, the alert's run, the SLA signals' run.
    expect(shownSeqs(paged.html)).toEqual([1, 6, 9])
    expect(paged.html).toContain('data-run-size="5"')
    expect(decodePage(paged.html)).toMatch(/3 SLA signals since .+ \(#7–#9\)/)
    expect(linkTo(paged.html, 'Show older entries')).toBeNull()

    const full = await page(linkTo(paged.html, 'Show all 9 entries')!)
    expect(full.status).toBe(200)
    expect(shownSeqs(full.html)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(full.html).not.toContain('data-run-size')
    expect(linkTo(full.html, 'Show the newest entries only')).toBe(
      `/incidents/${declared.number}#timeline`,
    )
  })
})

describe('comments and the summary through the stored HTML', () => {
  let number: number

  beforeAll(async () => {
    const declared = await declareIncident(db.orm, admin.member, {
      title: 'Hostile comments',
      summary: XSS_CORPUS.slice(0, 20).join('\n\n'),
      severity: 'SEV-3',
    })
    number = declared.number
    for (const attack of XSS_CORPUS)
      await addComment(db.orm, admin.member, number, { body: attack })
    const { seq } = await addComment(db.orm, admin.member, number, {
      body: XSS_CORPUS.join('\n\n'),
    })
    await correctComment(db.orm, admin.member, number, {
      seq,
      body: `Corrected: ${XSS_CORPUS.slice(20).join('\n\n')}`,
    })
    await editIncident(db.orm, admin.member, number, {
      summary: `Now: ${XSS_CORPUS.slice(20, 40).join('\n\n')}`,
    })
  })

  it('keeps every attack inert on the page', async () => {
    const { status, html } = await page(`/incidents/${number}`)
    expect(status).toBe(200)
    expect(shownSeqs(html).length).toBe(XSS_CORPUS.length + 4)
    // The page's own markup (the document's scripts and links) is around <main>.
    const main = /<main[\s\S]*<\/main>/.exec(html)![0]
    expect(main).toContain('aria-label="Timeline, oldest first"')
    expect(unsafeParts(main)).toEqual([])
  })

  it('stores sanitised HTML only', async () => {
    const rows = await db.query<{ html: string }>(
      `select t.html from incident_timeline_entry t join incident i on i.id = t.incident_id
        where i.organization_id = $1 and i.number = $2 and t.html is not null`,
      [db.organizationId, number],
    )
    expect(rows.length).toBe(XSS_CORPUS.length + 4)
    for (const row of rows) expect(unsafeParts(row.html)).toEqual([])
  })

  it('shows the summary as last set, and a corrected comment struck through with its correction', async () => {
    const { html } = await page(`/incidents/${number}`)
    // Every entry is on the page already: no paging links at all.
    expect(html).not.toMatch(/\?(before|after|timeline)=/)
    const text = decodePage(html)
    expect(text).toContain('Now: ')
    const corrected = XSS_CORPUS.length + 2
    expect(html).toMatch(
      new RegExp(`id="event-${corrected}"[\\s\\S]*?line-through[\\s\\S]*?Corrected in`),
    )
    expect(html).toContain(`href="#event-${corrected + 1}">#<!-- -->${corrected + 1}</a>`)
  })

  it('opens the correction form of one comment behind "Correct this comment"', async () => {
    const { html } = await page(`/incidents/${number}`)
    expect(html).not.toContain('aria-label="Correct comment #')
    const href = linkTo(html, 'Correct this comment')!
    const seq = Number(/^\/incidents\/\d+\?correct=(\d+)#correct-\1$/.exec(href)?.[1])
    expect(seq).toBeGreaterThan(1)
    const opened = await page(href)
    expect(opened.html.match(/aria-label="Correct comment #\d+"/g)).toEqual([
      `aria-label="Correct comment #${seq}"`,
    ])
    expect(opened.html).toMatch(new RegExp(`<textarea id="correct-${seq}" name="body"`))
  })

  it('fills the read model of events written without it exactly as appending does', async () => {
    const snapshot = () =>
      db.query(
        `select incident_id, seq, run_key, run_start, html, html_of, supersedes_seq
           from incident_timeline_entry order by incident_id, seq`,
      )
    const written = await snapshot()
    expect(written.length).toBeGreaterThan(1100)
    await db.query('delete from incident_timeline_entry where seq % 3 <> 0')
    const orm = db.orm
    const filled = await orm.em
      .fork()
      .transactional((em) => fillTimelineEntries((sql, params) => em.execute(sql, params), 100))
    expect(filled).toBeGreaterThan(700)
    expect(await snapshot()).toEqual(written)
  })
})

describe('migration 0010', () => {
  it('fills the read model of the events before it exactly as appending does, chains untouched', async () => {
    const snapshot = () =>
      db.query(
        `select incident_id, seq, run_key, run_start, html, html_of, supersedes_seq
           from incident_timeline_entry order by incident_id, seq`,
      )
    const written = await snapshot()
    const events = await db.query<{ n: number }>('select count(*)::int as n from incident_event')
    expect(written).toHaveLength(events[0]!.n)

    const migrator = db.orm.getMigrator()
    await migrator.down({ migrations: ['0010-timeline-rendered'] })
    expect(await db.query(`select to_regclass('incident_timeline_entry') as t`)).toEqual([
      { t: null },
    ])
    await migrator.up({ migrations: ['0010-timeline-rendered'] })

    expect(await snapshot()).toEqual(written)
    expect(await verifyOrganization(db.orm, db.organizationId)).toMatchObject({ ok: true })
    // The migration leaves no tenant setting behind in the session that ran it.
    const { html } = await page(`/incidents/1`)
    expect(shownSeqs(html)).toHaveLength(100)
  })
})
