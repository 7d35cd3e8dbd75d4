/**
 * Shapes a generated organization (bench/generate-incidents.ts) into what the analytics
 * dashboard sees in a real organization that has used IncidentFlow for a while:
 *
 * - declarations spread over `years` (the generator spreads them over one): each incident's
 *   times move back together by as much as it was declared before now, times (years − 1), so
 *   every duration stays as generated and the rate of incidents per day is 1/years of it;
 * - the default SLA policy attached to every incident, as a declaration does;
 * - a recorded breach for every target reached late or overdue now, as the SLA sweep records.
 *
 * All of it as the database owner under the organization's tenant setting, in batches; the
 * analytics triggers bring the facts up to date as they would for any change. Only the incident
 * rows change: the generated timelines keep their original times, so `audit:verify` does not
 * apply to a database shaped this way. Bench use only.
 */
import pg from 'pg'
import { DEFAULT_SLA_TARGETS } from '~/domain/sla/policy'

export interface ShapeOptions {
  years: number
  batchSize?: number
  log?: (line: string) => void
}

export async function shapeForAnalytics(
  databaseUrl: string,
  organizationId: string,
  options: ShapeOptions,
) {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`))
  const batchSize = options.batchSize ?? 50_000
  const started = performance.now()
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  const inOrganization = async (work: () => Promise<unknown>) => {
    await client.query('begin')
    try {
      await client.query(
        `select set_config('app.organization_id', $1, true), set_config('synchronous_commit', 'off', true)`,
        [organizationId],
      )
      await work()
      await client.query('commit')
    } catch (error) {
      await client.query('rollback').catch(() => {})
      throw error
    }
  }
  try {
    let policyId = ''
    await inOrganization(async () => {
      const { rows } = await client.query<{ id: string }>(
        `insert into sla_policy (organization_id, version, targets) values ($1, 1, $2)
         on conflict (organization_id, version) do update set targets = excluded.targets
         returning id`,
        [organizationId, JSON.stringify(DEFAULT_SLA_TARGETS)],
      )
      policyId = rows[0]!.id
    })
    const { rows: bounds } = await client.query<{ first: number; last: number }>(
      'select min(number) as first, max(number) as last from incident where organization_id = $1',
      [organizationId],
    )
    const first = Number(bounds[0]?.first ?? 1)
    const last = Number(bounds[0]?.last ?? 0)
    const stretch = Math.max(0, options.years - 1)
    for (let from = first; from <= last; from += batchSize) {
      const to = Math.min(last, from + batchSize - 1)
      await inOrganization(async () => {
        await client.query(
          `update incident i set
             impact_started_at = i.impact_started_at - x.shift,
             declared_at = i.declared_at - x.shift,
             acknowledged_at = i.acknowledged_at - x.shift,
             mitigated_at = i.mitigated_at - x.shift,
             resolved_at = i.resolved_at - x.shift,
             postmortem_at = i.postmortem_at - x.shift,
             closed_at = i.closed_at - x.shift,
             updated_at = i.updated_at - x.shift,
             sla_policy_id = $4
            from (select id, (now() - declared_at) * $5::float8 as shift
                    from incident where organization_id = $1 and number between $2 and $3) x
           where i.id = x.id`,
          [organizationId, from, to, policyId, stretch],
        )
        // The breaches the sweep would have recorded: reached late, or overdue and not reached.
        await client.query(
          `insert into sla_signal (organization_id, incident_id, target, kind, event_seq, signalled_at)
           select i.organization_id, i.id, t.target, 'breached', i.last_event_seq,
                  i.impact_started_at + t.seconds * interval '1 second'
             from incident i
             join sla_policy p on p.id = i.sla_policy_id
             cross join lateral (values
               ('acknowledge', (p.targets -> i.severity ->> 'acknowledge')::int,
                coalesce(i.acknowledged_at, i.mitigated_at, i.resolved_at)),
               ('mitigate', (p.targets -> i.severity ->> 'mitigate')::int,
                coalesce(i.mitigated_at, i.resolved_at)),
               ('resolve', (p.targets -> i.severity ->> 'resolve')::int, i.resolved_at)
             ) as t(target, seconds, reached)
            where i.organization_id = $1 and i.number between $2 and $3
              and t.seconds is not null
              and coalesce(t.reached, now()) > i.impact_started_at + t.seconds * interval '1 second'
           on conflict do nothing`,
          [organizationId, from, to],
        )
      })
      log(`shape-for-analytics: ${to - first + 1}/${last - first + 1} incidents`)
    }
    await client.query('vacuum analyze incident')
    await client.query('vacuum analyze analytics_fact')
    await client.query('vacuum analyze sla_signal')
    return { seconds: (performance.now() - started) / 1000 }
  } finally {
    await client.end()
  }
}
