/**
 * Fills ONE new organization with N incidents and their timelines, fast enough for a million:
 *
 *   npx tsx bench/generate-incidents.ts --count 100000      (or BENCH_INCIDENTS=…)
 *   npx tsx bench/generate-incidents.ts --count 1000000 --sql   (built inside PostgreSQL)
 *
 * against DATABASE_URL (unset: the embedded development database in .data/). It creates the
 * organization, ~10 members (all with the password printed at the end), 8 services and 5
 * incident types, then N incidents of 3–8 events each. Every event is hashed with the real
 * `eventHash` into a valid chain and every incident row is the real `foldEvents` of its events,
 * so `npm run audit:verify` passes on the result. Rows are built in memory and inserted as the
 * owner in large multi-row INSERTs (`unnest` of one array per column), each batch in its own
 * transaction under the organization's tenant setting (FORCE row-level security applies to a
 * non-superuser owner too). Progress with rate and ETA goes to stderr every few seconds.
 */
import { randomUUID } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { hashPassword } from '~/domain/access/password.server'
import {
  GENESIS_HASH,
  eventHash,
  foldEvents,
  type AnyEvent,
  type EventPayloads,
  type IncidentState,
} from '~/domain/incident/events'
import { LIFECYCLE, TRANSITIONS, type Transition } from '~/domain/incident/lifecycle'
import { fillTimelineEntries } from '~/domain/incident/timeline.server'
import {
  DEFAULT_TRIAGE_MATRIX,
  IMPACTS,
  URGENCIES,
  triage,
  type Impact,
  type Urgency,
} from '~/domain/incident/triage'
import { SEVERITIES, type IncidentStatus, type Severity } from '~/domain/incident/vocabulary'
import { initORM } from '../db/orm'
import {
  fillTimelineFromTemplates,
  insertIncidentsSql,
  prepareBulkLoad,
} from './support/sql-incidents'

export interface GenerateOptions {
  count: number
  /** Password of every generated member (they can all log in). */
  password?: string
  organizationName?: string
  batchSize?: number
  /** Progress lines (default: stderr). */
  log?: (line: string) => void
  /** Fixed seed for the pseudo-random choices, so a run can be repeated. */
  seed?: number
  /**
   * Build the incidents inside PostgreSQL (bench/support/sql-incidents.ts) instead of here:
   * several times faster, with plainer timelines (the declaration, then the lifecycle steps taken)
   * and titles from SQL_SYMPTOMS, half of which say "errors".
   */
  sql?: boolean
  /**
   * The database is a throwaway one: drop the secondary indexes of the loaded tables during the
   * load and rebuild them after, skip foreign-key checks if connected as a superuser, and VACUUM
   * ANALYZE at the end (so autovacuum does not start during a measurement).
   */
  bulkLoad?: boolean
}

export interface GeneratedOrganization {
  organizationId: string
  slug: string
  /** The first member, an admin: the one a benchmark signs in as. */
  email: string
  password: string
  members: Array<{ id: string; email: string; role: string }>
  incidents: number
  events: number
  seconds: number
}

const DEFAULT_PASSWORD = 'bench-incidents-2026!'
const DAY = 86_400_000

const SERVICES = [
  'Checkout',
  'Search',
  'Payments API',
  'Sign-in',
  'Notifications',
  'Inventory',
  'Reporting',
  'Mobile gateway',
]
const TYPES = ['Outage', 'Degradation', 'Security', 'Data issue', 'Third-party']
const SYMPTOMS = [
  'latency above SLO',
  'error rate above 5%',
  'returns 500 for some customers',
  'queue backlog growing',
  'timeouts from the database',
  'stale data after deploy',
  'certificate expiring',
  'memory leak in workers',
  'elevated 429s from provider',
  'partial outage in one region',
]
const COMMENTS = [
  'Rolled back the last deploy; watching the dashboards.',
  'Connection pool saturated, scaling replicas.',
  'Provider confirms degraded service on their side.',
  'Error rate back under 1% for 15 minutes.',
  'Customer support reports fewer tickets now.',
  'Added an alert for this signal so it pages earlier next time.',
]
const MEMBERS: Array<{ name: string; role: 'admin' | 'manager' | 'engineer' }> = [
  { name: 'Bench Admin', role: 'admin' },
  { name: 'Mara Manager', role: 'manager' },
  { name: 'Milo Manager', role: 'manager' },
  { name: 'Erin Engineer', role: 'engineer' },
  { name: 'Omar Oncall', role: 'engineer' },
  { name: 'Pia Platform', role: 'engineer' },
  { name: 'Sam SRE', role: 'engineer' },
  { name: 'Dana Database', role: 'engineer' },
  { name: 'Nico Network', role: 'engineer' },
  { name: 'Fay Frontend', role: 'engineer' },
]

/** mulberry32: small, fast, seedable. */
function random(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface Batch {
  incidents: Record<string, unknown[]>
  events: Record<string, unknown[]>
  eventCount: number
}

const INCIDENT_COLUMNS = {
  id: 'uuid',
  organization_id: 'uuid',
  number: 'int',
  title: 'text',
  summary: 'text',
  severity: 'text',
  impact: 'text',
  urgency: 'text',
  status: 'text',
  service_id: 'uuid',
  incident_type_id: 'uuid',
  commander_id: 'uuid',
  assignee_ids: 'text',
  declared_by_id: 'uuid',
  impact_started_at: 'timestamptz',
  declared_at: 'timestamptz',
  acknowledged_at: 'timestamptz',
  mitigated_at: 'timestamptz',
  resolved_at: 'timestamptz',
  postmortem_at: 'timestamptz',
  closed_at: 'timestamptz',
  version: 'int',
  last_event_seq: 'int',
  last_event_hash: 'text',
  updated_at: 'timestamptz',
} as const

const EVENT_COLUMNS = {
  id: 'uuid',
  organization_id: 'uuid',
  incident_id: 'uuid',
  seq: 'int',
  type: 'text',
  actor_id: 'uuid',
  occurred_at: 'timestamptz',
  payload: 'text',
  prev_hash: 'text',
  hash: 'text',
} as const

/** `insert … select … from unnest($1::t1[], $2::t2[], …)`: one parameter per column. */
function unnestInsert(
  table: string,
  columns: Record<string, string>,
  casts: Record<string, string>,
) {
  const names = Object.keys(columns)
  const params = names.map((n, i) => `$${i + 1}::${columns[n]}[]`).join(', ')
  const select = names.map((n) => (casts[n] ? `${n}::${casts[n]}` : n)).join(', ')
  return `insert into ${table} (${names.join(', ')})
          select ${select} from unnest(${params}) as t(${names.join(', ')})`
}

const INSERT_INCIDENTS = unnestInsert('incident', INCIDENT_COLUMNS, { assignee_ids: 'uuid[]' })
const INSERT_EVENTS = unnestInsert('incident_event', EVENT_COLUMNS, {
  payload: 'jsonb',
  prev_hash: 'char(64)',
  hash: 'char(64)',
})

function emptyColumns(columns: Record<string, string>) {
  return Object.fromEntries(Object.keys(columns).map((c) => [c, [] as unknown[]]))
}

export async function generateIncidents(
  databaseUrl: string,
  options: GenerateOptions,
): Promise<GeneratedOrganization> {
  const started = performance.now()
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`))
  const count = options.count
  const batchSize = options.batchSize ?? 2000
  const password = options.password ?? DEFAULT_PASSWORD
  const rand = random(options.seed ?? 20_260_301)
  const pick = <T>(items: readonly T[]) => items[Math.floor(rand() * items.length)]!

  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 })
  /** One transaction under the organization's tenant setting, as the owner. */
  const inOrganization = async <T>(work: (client: pg.PoolClient) => Promise<T>) => {
    const client = await pool.connect()
    try {
      await client.query('begin')
      await client.query(
        `select set_config('app.organization_id', $1, true), set_config('synchronous_commit', 'off', true)`,
        [organizationId],
      )
      const result = await work(client)
      await client.query('commit')
      return result
    } catch (error) {
      await client.query('rollback').catch(() => {})
      throw error
    } finally {
      client.release()
    }
  }

  const organizationId = randomUUID()
  const suffix = organizationId.slice(0, 8)
  const slug = `bench-${suffix}`
  const passwordHash = await hashPassword(password)
  const members = MEMBERS.map((m, i) => ({
    id: randomUUID(),
    name: m.name,
    role: m.role,
    email: i === 0 ? `bench-${suffix}@example.test` : `member${i}-${suffix}@example.test`,
  }))
  const services = SERVICES.map((name) => ({ id: randomUUID(), name }))
  const types = TYPES.map((name) => ({ id: randomUUID(), name }))

  try {
    await inOrganization(async (client) => {
      await client.query(
        `insert into organization (id, name, slug, timezone) values ($1, $2, $3, 'UTC')`,
        [organizationId, options.organizationName ?? `Bench ${suffix}`, slug],
      )
      for (const m of members) {
        await client.query(
          'insert into app_user (id, email, display_name, password_hash) values ($1, $2, $3, $4)',
          [m.id, m.email, m.name, passwordHash],
        )
        await client.query(
          'insert into membership (organization_id, user_id, role, active) values ($1, $2, $3, true)',
          [organizationId, m.id, m.role],
        )
      }
      for (const s of services)
        await client.query('insert into service (id, organization_id, name) values ($1, $2, $3)', [
          s.id,
          organizationId,
          s.name,
        ])
      for (const t of types)
        await client.query(
          'insert into incident_type (id, organization_id, name) values ($1, $2, $3)',
          [t.id, organizationId, t.name],
        )
    })

    const memberIds = members.map((m) => m.id)
    // Declarations spread over the last year, oldest first, so numbers grow with time.
    const now = Date.now()
    const span = 365 * DAY
    const first = now - span

    const buildBatch = (from: number, to: number): Batch => {
      const incidents = emptyColumns(INCIDENT_COLUMNS)
      const events = emptyColumns(EVENT_COLUMNS)
      let eventCount = 0
      for (let number = from; number <= to; number++) {
        const incidentId = randomUUID()
        const declaredAtMs = Math.floor(first + (span * (number - 0.5)) / count + rand() * 60_000)
        let clock = declaredAtMs
        const at = (minMinutes: number, maxMinutes: number) => {
          clock += Math.floor((minMinutes + rand() * (maxMinutes - minMinutes)) * 60_000)
          return new Date(Math.min(clock, now)).toISOString()
        }
        const age = (now - declaredAtMs) / DAY
        const declarer = pick(memberIds)
        let severity: Severity
        let impact: Impact | null = null
        let urgency: Urgency | null = null
        if (rand() < 0.6) {
          impact = pick(IMPACTS)
          urgency = pick(URGENCIES)
          severity = triage(DEFAULT_TRIAGE_MATRIX, impact, urgency)
        } else {
          severity = pick(SEVERITIES)
        }
        const service = rand() < 0.9 ? pick(services) : null
        const declared: EventPayloads['incident.declared'] = {
          number,
          title: `${service?.name ?? 'Platform'}: ${pick(SYMPTOMS)}`,
          summary: `Detected by monitoring. ${pick(COMMENTS)}`,
          severity,
          impact,
          urgency,
          status: 'detected',
          serviceId: service?.id ?? null,
          incidentTypeId: pick(types).id,
          commanderId: declarer,
          assigneeIds: [],
          declaredById: declarer,
          impactStartedAt: new Date(declaredAtMs - Math.floor(rand() * 30 * 60_000)).toISOString(),
          declaredAt: new Date(declaredAtMs).toISOString(),
        }
        const history: Array<{ event: AnyEvent; actorId: string; occurredAt: string }> = [
          {
            event: { type: 'incident.declared', payload: declared },
            actorId: declarer,
            occurredAt: declared.declaredAt,
          },
        ]
        // Old incidents have mostly run their course; recent ones are often still open.
        const target = 3 + Math.floor(rand() * 6)
        const driven = age > 14 ? 0.85 : age > 2 ? 0.6 : 0.35
        let status: IncidentStatus = 'detected'
        let commander: string | null = declarer
        let current = severity
        const assignees = new Set<string>()
        const stamped = new Set<string>()
        while (history.length < target) {
          const actor = commander ?? declarer
          const roll = rand()
          const steps: Transition[] = TRANSITIONS.filter((t) => t.from.includes(status))
          if (steps.length && roll < driven) {
            // Reopen rarely; otherwise the forward step.
            const forward = steps.find((t) => t.action !== 'reopen')!
            const step =
              steps.length > 1 && rand() < 0.08
                ? steps.find((t) => t.action === 'reopen')!
                : forward
            const occurredAt = at(5, 240)
            const field = LIFECYCLE[step.to].stamps
            const stamp = field && !stamped.has(field) ? { field, at: occurredAt } : null
            if (field) stamped.add(field)
            history.push({
              event: {
                type: 'incident.status_changed',
                payload: {
                  from: status,
                  to: step.to,
                  action: step.action,
                  reason: step.requiresReason ? 'Errors came back after the fix.' : null,
                  stamped: stamp,
                },
              },
              actorId: actor,
              occurredAt,
            })
            status = step.to
          } else if (status !== 'closed' && roll < driven + (1 - driven) * 0.4) {
            const added = memberIds.filter((id) => !assignees.has(id) && rand() < 0.2).slice(0, 2)
            const newCommander: string | null = rand() < 0.3 ? pick(memberIds) : commander
            if (added.length === 0 && newCommander === commander) continue
            for (const id of added) assignees.add(id)
            history.push({
              event: {
                type: 'incident.assignment_changed',
                payload: {
                  commander:
                    newCommander !== commander ? { from: commander, to: newCommander } : null,
                  added: added.sort(),
                  removed: [],
                },
              },
              actorId: memberIds[1]!,
              occurredAt: at(1, 30),
            })
            commander = newCommander
          } else if (status !== 'closed' && roll < driven + (1 - driven) * 0.55) {
            const to = pick(SEVERITIES.filter((s) => s !== current))
            history.push({
              event: {
                type: 'incident.severity_changed',
                payload: { from: current, to, reason: 'Impact reassessed.' },
              },
              actorId: actor,
              occurredAt: at(1, 60),
            })
            current = to
          } else {
            history.push({
              event: { type: 'comment.added', payload: { body: pick(COMMENTS) } },
              actorId: actor,
              occurredAt: at(1, 90),
            })
          }
        }

        let prevHash = GENESIS_HASH
        history.forEach(({ event, actorId, occurredAt }, i) => {
          const seq = i + 1
          const hash = eventHash({
            prevHash,
            seq,
            organizationId,
            incidentId,
            type: event.type,
            actorId,
            occurredAt,
            payload: event.payload,
          })
          events.id!.push(randomUUID())
          events.organization_id!.push(organizationId)
          events.incident_id!.push(incidentId)
          events.seq!.push(seq)
          events.type!.push(event.type)
          events.actor_id!.push(actorId)
          events.occurred_at!.push(occurredAt)
          events.payload!.push(JSON.stringify(event.payload))
          events.prev_hash!.push(prevHash)
          events.hash!.push(hash)
          prevHash = hash
        })
        eventCount += history.length

        const state: IncidentState = foldEvents(history.map((h) => h.event))
        const row: Record<keyof typeof INCIDENT_COLUMNS, unknown> = {
          id: incidentId,
          organization_id: organizationId,
          number,
          title: state.title,
          summary: state.summary,
          severity: state.severity,
          impact: state.impact,
          urgency: state.urgency,
          status: state.status,
          service_id: state.serviceId,
          incident_type_id: state.incidentTypeId,
          commander_id: state.commanderId,
          assignee_ids: `{${state.assigneeIds.join(',')}}`,
          declared_by_id: state.declaredById,
          impact_started_at: state.impactStartedAt,
          declared_at: state.declaredAt,
          acknowledged_at: state.acknowledgedAt,
          mitigated_at: state.mitigatedAt,
          resolved_at: state.resolvedAt,
          postmortem_at: state.postmortemAt,
          closed_at: state.closedAt,
          version: state.version,
          last_event_seq: history.length,
          last_event_hash: prevHash,
          updated_at: history[history.length - 1]!.occurredAt,
        }
        for (const [column, value] of Object.entries(row)) incidents[column]!.push(value)
      }
      return { incidents, events, eventCount }
    }

    const insertBatch = (batch: Batch) =>
      inOrganization(async (client) => {
        await client.query(INSERT_INCIDENTS, Object.values(batch.incidents))
        await client.query(INSERT_EVENTS, Object.values(batch.events))
      })

    let done = 0
    let events = 0
    let lastReport = performance.now()
    const report = (force = false) => {
      const t = performance.now()
      if (!force && t - lastReport < 3000) return
      lastReport = t
      const seconds = (t - started) / 1000
      const rate = done / seconds
      const eta = rate > 0 ? (count - done) / rate : 0
      log(
        `generate-incidents: ${done.toLocaleString('en')}/${count.toLocaleString('en')} incidents, ` +
          `${events.toLocaleString('en')} events, ${Math.round(rate).toLocaleString('en')} incidents/s, ` +
          `elapsed ${seconds.toFixed(0)} s, ETA ${eta.toFixed(0)} s`,
      )
    }

    const bulk = options.bulkLoad
      ? await prepareBulkLoad(pool, [
          'incident',
          'incident_event',
          'incidentflow_search.incident_title',
          'analytics_fact',
          'incident_timeline_entry',
        ])
      : null
    if (bulk) {
      log(
        `generate-incidents: bulk load, ${bulk.dropped} indexes deferred, foreign-key checks ` +
          (bulk.foreignKeyChecksOff ? 'off' : 'on (not a superuser)'),
      )
    }
    if (options.sql) {
      const made = await insertIncidentsSql(pool, {
        organizationId,
        from: 1,
        to: count,
        firstDeclaredAt: new Date(first),
        lastDeclaredAt: new Date(now - 60_000),
        memberIds,
        services,
        typeIds: types.map((t) => t.id),
        log,
      })
      done = made.incidents
      events = made.events
    } else {
      // Building a batch (CPU, here) overlaps with inserting the previous one (PostgreSQL).
      let inFlight: Promise<void> | null = null
      for (let from = 1; from <= count; from += batchSize) {
        const to = Math.min(count, from + batchSize - 1)
        const batch = buildBatch(from, to)
        if (inFlight) await inFlight
        inFlight = insertBatch(batch).then(() => {
          done += to - from + 1
          events += batch.eventCount
          report()
        })
      }
      if (inFlight) await inFlight
    }
    // The incident page reads the timeline's read model, which appending an event writes and
    // these inserts do not: derive it from the events (by template when they allow, else one by
    // one as migration 0010 does).
    {
      const t = performance.now()
      const entries =
        (await fillTimelineFromTemplates(pool, organizationId)) ??
        (await fillReadModel(databaseUrl))
      log(
        `generate-incidents: ${entries.toLocaleString('en')} timeline read-model rows in ` +
          `${((performance.now() - t) / 1000).toFixed(1)} s`,
      )
    }
    if (bulk) {
      const t = performance.now()
      await bulk.restore()
      log(`generate-incidents: indexes rebuilt in ${((performance.now() - t) / 1000).toFixed(1)} s`)
    }

    await inOrganization((client) =>
      client.query(
        `insert into incident_counter (organization_id, last_number) values ($1, $2)
         on conflict (organization_id) do update set last_number = excluded.last_number`,
        [organizationId, count],
      ),
    )
    // Fresh statistics, so the first queries after a bulk load get sensible plans.
    if (options.bulkLoad) {
      const t = performance.now()
      const { rows } = await pool.query<{ name: string }>(
        `select t as name from unnest($1::text[]) t where to_regclass(t) is not null`,
        [
          [
            'incident',
            'incident_event',
            'incidentflow_search.incident_title',
            'analytics_fact',
            'incident_timeline_entry',
          ],
        ],
      )
      await pool.query(`vacuum (analyze) ${rows.map((r) => r.name).join(', ')}`)
      log(`generate-incidents: vacuum analyze in ${((performance.now() - t) / 1000).toFixed(1)} s`)
    } else {
      await pool.query('analyze incident')
      await pool.query('analyze incident_event')
    }
    report(true)
    return {
      organizationId,
      slug,
      email: members[0]!.email,
      password,
      members: members.map((m) => ({ id: m.id, email: m.email, role: m.role })),
      incidents: count,
      events,
      seconds: (performance.now() - started) / 1000,
    }
  } finally {
    await pool.end()
  }
}

/** `fillTimelineEntries` in one transaction, as the owner. */
async function fillReadModel(databaseUrl: string) {
  const orm = await initORM(databaseUrl, { pool: { min: 0, max: 1 } })
  try {
    return await orm.em
      .fork()
      .transactional((em) =>
        fillTimelineEntries(
          (sql, params) => em.execute<Array<Record<string, unknown>>>(sql, params ?? []),
          5000,
        ),
      )
  } finally {
    await orm.close(true)
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      count: { type: 'string' },
      password: { type: 'string' },
      'batch-size': { type: 'string' },
      sql: { type: 'boolean' },
    },
  })
  const count = Number(values.count ?? process.env.BENCH_INCIDENTS ?? 100_000)
  if (!Number.isInteger(count) || count < 1) {
    console.error('--count (or BENCH_INCIDENTS) must be a positive integer')
    process.exit(2)
  }
  const { baseEnvSchema, loadEnvOrExit } = await import('~/utils/env.server')
  const { resolveDatabase } = await import('../db/database')
  const env = loadEnvOrExit(baseEnvSchema)
  const database = await resolveDatabase(env, 'share', 'bench/generate-incidents.ts')
  try {
    const result = await generateIncidents(database.url, {
      count,
      password: values.password,
      batchSize: values['batch-size'] ? Number(values['batch-size']) : undefined,
      sql: values.sql,
    })
    console.log(
      `Generated ${result.incidents.toLocaleString('en')} incidents and ${result.events.toLocaleString('en')} events ` +
        `in ${result.seconds.toFixed(1)} s (${Math.round(result.incidents / result.seconds).toLocaleString('en')} incidents/s)`,
    )
    console.log(`Organization ${result.slug} (${result.organizationId})`)
    console.log(`Sign in as ${result.email} with password ${result.password}`)
  } finally {
    await database.stop()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
