/**
 * Incidents made inside PostgreSQL: `generate_series` builds each incident, its timeline (the
 * declaration, then one entry per lifecycle step it has taken) and the SHA-256 chain over the
 * same canonical JSON as `eventHash` (app/domain/incident/events.ts), so `npm run audit:verify`
 * passes on the result and no row travels through Node. About 10× faster than building the rows
 * in Node (bench/generate-incidents.ts), which matters at a million incidents.
 *
 * The canonical JSON is spelled out here for the two event types used, with keys in the order
 * `canonicalJson` sorts them; `checkSample` replays a sample through the application's own
 * `verifyChain` and `foldEvents` so a change on either side fails loudly instead of producing a
 * chain the audit rejects.
 */
import type pg from 'pg'
import {
  diffState,
  foldEvents,
  verifyChain,
  type AnyEvent,
  type IncidentState,
} from '~/domain/incident/events'
import { toStoredEvent } from '~/domain/incident/event-store.server'
import { stateOf } from '~/domain/incident/incident-queries.server'
import { LIFECYCLE, TRANSITIONS } from '~/domain/incident/lifecycle'
import { markdownOf, runKeyOf, supersedesOf } from '~/domain/incident/timeline-runs'
import { SEVERITIES, type IncidentStatus } from '~/domain/incident/vocabulary'
import { renderMarkdown } from '~/utils/markdown.server'

/**
 * Half of these name "errors", so a search for it matches about half of the incidents; the rest
 * are everyday symptoms. No generated title contains "reconciliation".
 */
export const SQL_SYMPTOMS = [
  'errors above 5%',
  'latency above SLO',
  '5xx errors for some customers',
  'queue backlog growing',
  'errors from the database',
  'stale data after deploy',
  'elevated errors from provider',
  'certificate expiring',
  'errors in one region',
  'memory leak in workers',
] as const

const SUMMARIES = [
  'Detected by monitoring. Rolled back the last deploy; watching the dashboards.',
  'Detected by monitoring. Connection pool saturated, scaling replicas.',
  'Reported by customer support. Provider confirms degraded service on their side.',
  'Detected by monitoring. Error rate back under 1% for 15 minutes.',
]

/** The forward path; an incident has taken the first k steps (k = 0: still Detected). */
const PATH: IncidentStatus[] = [
  'detected',
  'investigating',
  'mitigated',
  'resolved',
  'postmortem',
  'closed',
]
const STEPS = PATH.slice(1).map((to, i) => {
  const step = TRANSITIONS.find((t) => t.from.includes(PATH[i]!) && t.to === to)
  if (!step) throw new Error(`no transition ${PATH[i]} → ${to}`)
  return { from: PATH[i]!, to, action: step.action, field: LIFECYCLE[to].stamps! }
})

export interface SqlIncidentOptions {
  organizationId: string
  /** First and last incident number to create (inclusive). */
  from: number
  to: number
  /** Declarations are spread evenly over [firstDeclaredAt, lastDeclaredAt] by number. */
  firstDeclaredAt: Date
  lastDeclaredAt: Date
  memberIds: string[]
  services: Array<{ id: string; name: string }>
  typeIds: string[]
  /** Incidents per INSERT statement (each its own transaction). */
  batchSize?: number
  /** Statements running at once (connections). */
  parallel?: number
  log?: (line: string) => void
}

/** ISO 8601 in UTC with milliseconds, as `Date.prototype.toISOString` writes it. */
const iso = (expr: string) =>
  `to_char((${expr}) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
/** A JSON string literal as JSON.stringify writes it (to_json escapes the same characters). */
const js = (expr: string) => `to_json((${expr})::text)::text`
const sha256 = (text: string) => `encode(sha256(convert_to(${text}, 'UTF8')), 'hex')`
const GENESIS = '0'.repeat(64)

/** `eventHash`'s canonical JSON (keys sorted as `canonicalJson` sorts them) for one event. */
function hashText(seq: number, type: string, at: string, payload: string, prev: string) {
  return `'{"actor_id":' || commander_json || ',"incident_id":' || id_json ||
    ',"occurred_at":' || ${at}_json || ',"organization_id":' || org_json ||
    ',"payload":' || ${payload} || ',"prev_hash":' || ${js(prev)} ||
    ',"seq":${seq},"type":"${type}"}'`
}

/**
 * One statement that creates incidents $2..$3 of organization $1 with their timelines. Every
 * choice comes from a hash of the incident's number, so a run is repeatable (apart from ids).
 */
export function batchStatement() {
  const h = (salt: number) => `(hashint8(g::bigint * 7919 + ${salt}) & 2147483647)`
  // Whole milliseconds only, so the stored timestamptz and the hashed ISO text agree.
  const at = (msExpr: string) =>
    `(timestamptz 'epoch' + (${msExpr})::float8 * interval '1 millisecond')`
  const gaps = [11, 12, 13, 14, 15].map((salt) => `(5 * 60000 + ${h(salt)} % (240 * 60000))`)
  const times = [1, 2, 3, 4, 5].map((n) => {
    const sum = Array.from({ length: n }, (_, i) => `b.gap${i + 1}`).join(' + ')
    return `greatest(b.declared_at, least(b.declared_at + (${sum}) * interval '1 millisecond', $14::timestamptz)) as t${n}`
  })
  // Each time also as the JSON string of its ISO text, computed once.
  const texts = [
    ...['declared_at', 'impact_started_at', 't1', 't2', 't3', 't4', 't5'].map(
      (column) => `${js(iso(column))} as ${column}_json`,
    ),
    ...['id', 'org', 'commander'].map((column) => `${js(column)} as ${column}_json`),
  ]
  const declared = `'{"assigneeIds":[],"commanderId":' || commander_json ||
     ',"declaredAt":' || declared_at_json || ',"declaredById":' || commander_json ||
     ',"impact":null,"impactStartedAt":' || impact_started_at_json ||
     ',"incidentTypeId":' || ${js('type_id')} || ',"number":' || g ||
     ',"serviceId":' || coalesce(${js('service_id')}, 'null') || ',"severity":' || ${js('severity')} ||
     ',"status":"detected","summary":' || ${js('summary')} || ',"title":' || ${js('title')} ||
     ',"urgency":null}'`
  const steps = STEPS.map((step, i) => {
    const n = i + 1
    const payload =
      `'{"action":"${step.action}","from":"${step.from}","reason":null,"stamped":{"at":' || ` +
      `t${n}_json || ',"field":"${step.field}"},"to":"${step.to}"}'`
    return { n, payload, prev: `h${n - 1}` }
  })
  // e0 carries the declaration and its hash h0; e1..e5 each add one step's payload and hash,
  // NULL beyond the incident's last step.
  const chain = steps.map(
    ({ n, payload, prev }) => `
    e${n} as (
      select e${n - 1}.*,
             case when k >= ${n} then ${payload} end as p${n},
             case when k >= ${n}
                  then ${sha256(hashText(n + 1, 'incident.status_changed', `t${n}`, payload, prev))}
             end as h${n}
        from e${n - 1}
    )`,
  )
  const when = (n: number) => `case when k >= ${n} then t${n} end`
  return `
    with base as (
      select g, gen_random_uuid() as id, $1::uuid as org,
             ${at(`$4::bigint + floor((g - $5::int) * $6::float8) + ${h(1)} % 60000`)} as declared_at,
             ($7::uuid[])[1 + ${h(2)} % cardinality($7::uuid[])] as commander,
             case when ${h(3)} % 10 = 0 then null
                  else 1 + ${h(4)} % cardinality($8::uuid[]) end as service_index,
             ($10::uuid[])[1 + ${h(5)} % cardinality($10::uuid[])] as type_id,
             ($11::text[])[1 + ${h(6)} % cardinality($11::text[])] as symptom,
             ($12::text[])[1 + ${h(7)} % cardinality($12::text[])] as summary,
             ($13::text[])[1 + ${h(8)} % cardinality($13::text[])] as severity,
             -- Steps taken: 3 % Detected, 7 % Investigating, 15 % Mitigated, 30 % Resolved,
             -- 10 % Postmortem, 35 % Closed.
             case when ${h(9)} % 100 < 3 then 0 when ${h(9)} % 100 < 10 then 1
                  when ${h(9)} % 100 < 25 then 2 when ${h(9)} % 100 < 55 then 3
                  when ${h(9)} % 100 < 65 then 4 else 5 end as k,
             ${h(10)} % 1800000 as impact_lead_ms,
             ${gaps.map((gap, i) => `${gap} as gap${i + 1}`).join(',\n             ')}
        from generate_series($2::int, $3::int) g
    ),
    times as (
      select b.*, ($8::uuid[])[b.service_index] as service_id,
             coalesce(($9::text[])[b.service_index], 'Platform') || ': ' || b.symptom as title,
             b.declared_at - b.impact_lead_ms * interval '1 millisecond' as impact_started_at,
             ${times.join(',\n             ')}
        from base b
    ),
    texts as (
      select times.*, ${texts.join(',\n             ')}
        from times
    ),
    e0 as (
      select texts.*, ${declared} as p0,
             ${sha256(hashText(1, 'incident.declared', 'declared_at', declared, `'${GENESIS}'`))} as h0
        from texts
    ),${chain.join(',')},
    final as materialized (select * from e${steps.length}),
    incidents as (
      insert into incident (id, organization_id, number, title, summary, severity, status,
                            service_id, incident_type_id, commander_id, declared_by_id,
                            impact_started_at, declared_at, acknowledged_at, mitigated_at,
                            resolved_at, postmortem_at, closed_at, version, last_event_seq,
                            last_event_hash, updated_at)
      select id, org, g, title, summary, severity,
             (array[${PATH.map((s) => `'${s}'`).join(', ')}])[k + 1],
             service_id, type_id, commander, commander, impact_started_at, declared_at,
             ${[1, 2, 3, 4, 5].map(when).join(', ')},
             k + 1, k + 1, coalesce(h5, h4, h3, h2, h1, h0),
             coalesce(${[5, 4, 3, 2, 1].map(when).join(', ')}, declared_at)
        from final
      returning 1
    ),
    events as (
      insert into incident_event (organization_id, incident_id, seq, type, actor_id, occurred_at,
                                  payload, prev_hash, hash)
      select f.org, f.id, v.seq, v.type, f.commander, v.at, v.payload::jsonb, v.prev, v.hash
        from final f
        cross join lateral (values
          (1, 'incident.declared', f.declared_at, f.p0, '${GENESIS}', f.h0),
          ${steps
            .map(
              ({ n, prev }) =>
                `(${n + 1}, 'incident.status_changed', f.t${n}, f.p${n}, f.${prev}, f.h${n})`,
            )
            .join(',\n          ')}
        ) as v(seq, type, at, payload, prev, hash)
       where v.hash is not null
      returning 1
    )
    select (select count(*) from incidents)::int as incidents,
           (select count(*) from events)::int as events`
}

/** Incidents `from`..`to` with their timelines; returns how many events were written. */
export async function insertIncidentsSql(pool: pg.Pool, options: SqlIncidentOptions) {
  const batchSize = options.batchSize ?? 25_000
  const parallel = options.parallel ?? 2
  const total = options.to - options.from + 1
  const span = options.lastDeclaredAt.getTime() - options.firstDeclaredAt.getTime()
  const perNumber = total > 1 ? span / (total - 1) : 0
  const sql = batchStatement()
  const started = performance.now()
  let next = options.from
  let done = 0
  let events = 0
  let lastReport = started
  const worker = async () => {
    while (next <= options.to) {
      const lo = next
      const hi = Math.min(options.to, lo + batchSize - 1)
      next = hi + 1
      const client = await pool.connect()
      try {
        await client.query('begin')
        // FORCE row-level security binds a non-superuser owner too.
        await client.query(
          `select set_config('app.organization_id', $1, true), set_config('synchronous_commit', 'off', true)`,
          [options.organizationId],
        )
        const { rows } = await client.query<{ incidents: number; events: number }>(sql, [
          options.organizationId,
          lo,
          hi,
          options.firstDeclaredAt.getTime(),
          options.from,
          perNumber,
          options.memberIds,
          options.services.map((s) => s.id),
          options.services.map((s) => s.name),
          options.typeIds,
          [...SQL_SYMPTOMS],
          SUMMARIES,
          [...SEVERITIES],
          new Date(),
        ])
        await client.query('commit')
        done += rows[0]!.incidents
        events += rows[0]!.events
      } catch (error) {
        await client.query('rollback').catch(() => {})
        throw error
      } finally {
        client.release()
      }
      const now = performance.now()
      if (options.log && (now - lastReport > 3000 || done === total)) {
        lastReport = now
        const rate = done / ((now - started) / 1000)
        options.log(
          `sql-incidents: ${done.toLocaleString('en')}/${total.toLocaleString('en')} incidents, ` +
            `${events.toLocaleString('en')} events, ${Math.round(rate).toLocaleString('en')} incidents/s, ` +
            `ETA ${((total - done) / rate).toFixed(0)} s`,
        )
      }
    }
  }
  await Promise.all(Array.from({ length: parallel }, worker))
  return { incidents: done, events }
}

/**
 * Replays `count` generated incidents through the application's chain check and fold, as
 * `npm run audit:verify` does, and throws on the first difference.
 */
export async function checkSample(pool: pg.Pool, organizationId: string, numbers: number[]) {
  const client = await pool.connect()
  try {
    await client.query('begin')
    await client.query(`select set_config('app.organization_id', $1, true)`, [organizationId])
    for (const number of numbers) {
      const { rows: incidents } = await client.query(
        `select * from incident where organization_id = $1 and number = $2`,
        [organizationId, number],
      )
      const row = incidents[0]
      if (!row) throw new Error(`INC-${number} was not generated`)
      const { rows: events } = await client.query(
        `select * from incident_event where incident_id = $1 order by seq`,
        [row.id],
      )
      const chain = events.map((e) =>
        toStoredEvent({
          id: e.id,
          organizationId: e.organization_id,
          incidentId: e.incident_id,
          seq: e.seq,
          type: e.type,
          actorId: e.actor_id,
          occurredAt: e.occurred_at,
          payload: e.payload,
          prevHash: e.prev_hash,
          hash: e.hash,
        }),
      )
      const broken = verifyChain(chain)
      if (broken)
        throw new Error(`INC-${number}: chain broken at seq ${broken.seq} (${broken.kind})`)
      const last = chain[chain.length - 1]!
      if (last.seq !== row.last_event_seq || last.hash !== row.last_event_hash) {
        throw new Error(`INC-${number}: the incident does not end where its chain does`)
      }
      const stored: IncidentState = stateOf({
        number: row.number,
        title: row.title,
        summary: row.summary,
        severity: row.severity,
        impact: row.impact,
        urgency: row.urgency,
        status: row.status,
        serviceId: row.service_id,
        incidentTypeId: row.incident_type_id,
        commanderId: row.commander_id,
        assigneeIds: row.assignee_ids,
        declaredById: row.declared_by_id,
        impactStartedAt: row.impact_started_at,
        declaredAt: row.declared_at,
        acknowledgedAt: row.acknowledged_at,
        mitigatedAt: row.mitigated_at,
        resolvedAt: row.resolved_at,
        postmortemAt: row.postmortem_at,
        closedAt: row.closed_at,
        customFields: row.custom_fields,
        classification: row.classification,
        classifiedAsOfId: row.classified_as_of_id,
        private: row.private,
        version: row.version,
      } as Parameters<typeof stateOf>[0])
      const differences = diffState(stored, foldEvents(chain as unknown as AnyEvent[]))
      if (differences.length) {
        throw new Error(`INC-${number}: replay differs in ${differences.join(', ')}`)
      }
    }
    await client.query('commit')
  } finally {
    client.release()
  }
}

/**
 * For a throwaway database about to receive a bulk load: drops the non-unique indexes of
 * `tables` (unique ones stay: constraints and ON CONFLICT targets need them) and, when connected
 * as a superuser, turns off the foreign-key checks of those tables (the loaded rows reference
 * rows made moments before). The returned function puts everything back: indexes rebuilt two at
 * a time, checks on. What `pg_restore` does, and for the same reason.
 */
export async function prepareBulkLoad(pool: pg.Pool, tables: string[]) {
  const present = (
    await pool.query<{ name: string }>(
      `select t as name from unnest($1::text[]) t where to_regclass(t) is not null`,
      [tables],
    )
  ).rows.map((r) => r.name)
  const { rows: indexes } = await pool.query<{ name: string; definition: string }>(
    `select format('%I.%I', n.nspname, c.relname) as name, pg_get_indexdef(i.indexrelid) as definition
       from pg_index i
       join pg_class c on c.oid = i.indexrelid
       join pg_namespace n on n.oid = c.relnamespace
      where i.indrelid = any(select to_regclass(t) from unnest($1::text[]) t) and not i.indisunique`,
    [present],
  )
  for (const index of indexes) await pool.query(`drop index ${index.name}`)
  const [{ superuser }] = (
    await pool.query<{ superuser: boolean }>(
      'select rolsuper as superuser from pg_roles where rolname = current_user',
    )
  ).rows as [{ superuser: boolean }]
  if (superuser) {
    for (const table of present) {
      await pool.query(`alter table ${table} disable trigger all`)
      await pool.query(`alter table ${table} enable trigger user`)
    }
  }
  return {
    dropped: indexes.length,
    foreignKeyChecksOff: superuser,
    restore: async () => {
      if (superuser) {
        for (const table of present) await pool.query(`alter table ${table} enable trigger all`)
      }
      let next = 0
      const build = async () => {
        const client = await pool.connect()
        try {
          await client.query(`set maintenance_work_mem = '256MB'`)
          while (next < indexes.length) await client.query(indexes[next++]!.definition)
        } finally {
          client.release()
        }
      }
      await Promise.all([build(), build()])
    },
  }
}

/**
 * The timeline read model (`incident_timeline_entry`, migration 0010) for generated events, in
 * one statement. Appending an event through the domain writes its row; bulk inserts do not, and
 * `fillTimelineEntries` (which derives them one by one in Node) takes minutes at a million
 * incidents. Generated timelines have few distinct texts, so each distinct summary or comment is
 * rendered once here with the application's own `markdownOf`, `runKeyOf`, `supersedesOf` and
 * `renderMarkdown`, and the rows are written by SQL. Returns the rows written, or null when the
 * organization has events this shortcut does not cover (no actor, corrections, alerts, SLA
 * signals, field changes, escalations): use `fillTimelineEntries` then.
 */
export async function fillTimelineFromTemplates(pool: pg.Pool, organizationId: string) {
  const client = await pool.connect()
  try {
    await client.query('begin')
    await client.query(`select set_config('app.organization_id', $1, true)`, [organizationId])
    const { rows: present } = await client.query<{ table: string | null }>(
      `select to_regclass('incident_timeline_entry')::text as table`,
    )
    if (!present[0]?.table) {
      await client.query('rollback')
      return 0
    }
    const covered = [
      'incident.declared',
      'incident.status_changed',
      'incident.severity_changed',
      'incident.assignment_changed',
      'comment.added',
    ]
    const { rows: others } = await client.query<{ n: number }>(
      `select count(*)::int as n from incident_event
        where organization_id = $1 and (actor_id is null or type <> all($2::text[]))`,
      [organizationId, covered],
    )
    if (others[0]!.n > 0) {
      await client.query('rollback')
      return null
    }
    const source = `case e.type when 'incident.declared' then e.payload->>'summary'
                                 when 'comment.added' then e.payload->>'body' end`
    const { rows: texts } = await client.query<{ type: string; source: string | null }>(
      `select distinct e.type, ${source} as source from incident_event e where e.organization_id = $1`,
      [organizationId],
    )
    const actorId = '00000000-0000-4000-8000-000000000000'
    const derived = texts.map((t) => {
      const payload =
        t.type === 'incident.declared'
          ? { summary: t.source }
          : t.type === 'comment.added'
            ? { body: t.source }
            : {}
      const entry = { type: t.type, actorId, payload }
      if (runKeyOf(entry) !== null || supersedesOf(entry) !== null) {
        throw new Error(
          `${t.type}: the timeline read model changed; update fillTimelineFromTemplates`,
        )
      }
      const markdown = markdownOf(entry)
      return {
        type: t.type,
        source: t.source,
        html: markdown ? renderMarkdown(markdown.source) : null,
        html_of: markdown?.of ?? null,
      }
    })
    const { rowCount } = await client.query(
      `insert into incident_timeline_entry
         (organization_id, incident_id, seq, run_key, run_start, html, html_of, supersedes_seq)
       select e.organization_id, e.incident_id, e.seq, null, e.seq, m.html, m.html_of, null
         from incident_event e
         left join jsonb_to_recordset($2::jsonb) as m(type text, source text, html text, html_of text)
           on m.type = e.type and m.source is not distinct from ${source}
        where e.organization_id = $1
       on conflict (incident_id, seq) do nothing`,
      [organizationId, JSON.stringify(derived)],
    )
    await client.query('commit')
    return rowCount ?? 0
  } catch (error) {
    await client.query('rollback').catch(() => {})
    throw error
  } finally {
    client.release()
  }
}
