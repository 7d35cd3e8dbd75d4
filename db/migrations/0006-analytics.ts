import { Migration } from '@mikro-orm/migrations'

/**
 * Analytics facts: one narrow row per incident holding everything the dashboard counts, packed
 * into a small binary record, kept in step with `incident` and `sla_signal` by triggers in the
 * same transaction as every change (so the dashboard is never stale). The dashboard reads the
 * period's records in one aggregate and computes its tables in the web process; see
 * docs/decisions/013-analytics-queries.md for the measurements behind this, and
 * app/domain/analytics/analytics.server.ts for the reader of the record layout below.
 *
 * Record (big-endian), version 1:
 *   int4  declared_at, whole seconds since 2000-01-01 UTC
 *   int2  flags: bits 0–1 severity (0 = SEV-1 … 3 = SEV-4), bit 2 open,
 *         bits 3–4 / 5–6 / 7–8 SLA acknowledge / mitigate / resolve:
 *         0 no target, 1 met, 2 breached, 3 not reached yet (due time follows)
 *   int4  service, incident type, commander: analytics_dimension numbers (0 = none)
 *   int4  time to acknowledge, mitigate, resolve in whole seconds (−1 = not counted)
 *   int4  due time of each "not reached yet" target, seconds since 2000-01-01 UTC
 *   int2  number of assignees, then one int4 dimension number each
 */
export class Migration0006Analytics extends Migration {
  override async up() {
    // `incidentflow_org()` only reads a setting that PostgreSQL hands to parallel workers, so
    // it is parallel safe; saying so lets the period's facts be aggregated by several workers.
    this.addSql(`alter function incidentflow_org() parallel safe`)

    // Small per-organization numbers for services, incident types and members, so a record
    // carries 4 bytes instead of a 16-byte id for each.
    this.addSql(`
      create table analytics_dimension (
        organization_id uuid not null references organization (id) on delete cascade,
        id uuid not null,
        no integer generated always as identity unique,
        primary key (organization_id, id)
      )`)

    this.addSql(`
      create table analytics_fact (
        incident_id uuid primary key references incident (id) on delete cascade,
        organization_id uuid not null references organization (id) on delete cascade,
        declared_at timestamptz not null,
        impact_started_at timestamptz not null,
        open boolean not null,
        severity varchar(8) not null,
        service_id uuid,
        incident_type_id uuid,
        commander_id uuid,
        record bytea not null
      )`)
    // A day's records, when its page is (re)built.
    this.addSql(
      `create index analytics_fact_period_idx on analytics_fact (organization_id, declared_at)`,
    )
    // Open incidents by age: the open ones by impact start, for the last week's four buckets…
    this.addSql(`
      create index analytics_fact_open_idx on analytics_fact (organization_id, impact_started_at)
        where open`)
    // … and how many are open in all, per combination of the filters, so "over 7 days" is a
    // subtraction rather than a count of every open incident there ever was. (No check that the
    // count stays ≥ 0: a refresh proposes negative deltas, which PostgreSQL checks before it
    // finds the row they add to.)
    this.addSql(`
      create table analytics_open (
        organization_id uuid not null references organization (id) on delete cascade,
        severity varchar(8) not null,
        service_id uuid,
        incident_type_id uuid,
        commander_id uuid,
        open_count integer not null
      )`)
    this.addSql(`
      create unique index analytics_open_key on analytics_open
        (organization_id, severity, service_id, incident_type_id, commander_id) nulls not distinct`)
    // Day pages: the records of one UTC day of declarations, concatenated, as read under
    // `snapshot`. The dashboard reads a period as ~90 pages instead of ~100,000 rows. A page is
    // current when every transaction that changed that day's facts (`analytics_page_change`, one
    // row per day and transaction) is visible in its snapshot; otherwise the dashboard reads
    // that day from the facts and stores a new page. Lock-free for writers: a change only
    // inserts its (day, transaction) row.
    this.addSql(`
      create table analytics_page (
        organization_id uuid not null references organization (id) on delete cascade,
        day date not null,
        records bytea not null,
        snapshot pg_snapshot not null,
        primary key (organization_id, day)
      )`)
    // Large and incompressible: out of line, without compression.
    this.addSql(`alter table analytics_page alter column records set storage external`)
    this.addSql(`
      create table analytics_page_change (
        organization_id uuid not null references organization (id) on delete cascade,
        day date not null,
        xid xid8 not null,
        primary key (organization_id, day, xid)
      )`)

    // Records are short binary values that do not compress: store them inline, uncompressed.
    this.addSql(`alter table analytics_fact alter column record set storage main`)

    // The facts of some incidents, computed from their current rows: the one definition of the
    // record, used by the triggers and the back-fill below.
    this.addSql(`
      create function analytics_refresh(ids uuid[]) returns void language plpgsql as $$
      begin
        if ids is null or cardinality(ids) = 0 then
          return;
        end if;
        insert into analytics_dimension (organization_id, id)
          select distinct i.organization_id, d.id
            from incident i
            cross join lateral (
              select i.service_id union all select i.incident_type_id
              union all select i.commander_id union all select unnest(i.assignee_ids)
            ) as d(id)
           where i.id = any(ids) and d.id is not null
             -- Known ids first: a conflicting insert would still use up a number.
             and not exists (select 1 from analytics_dimension k
                              where k.organization_id = i.organization_id and k.id = d.id)
        on conflict do nothing;

        -- The days these facts leave and enter change in this transaction (see analytics_page).
        insert into analytics_page_change (organization_id, day, xid)
          select distinct f.organization_id, analytics_day(f.declared_at), pg_current_xact_id()
            from analytics_fact f where f.incident_id = any(ids)
          union
          select distinct i.organization_id, analytics_day(i.declared_at), pg_current_xact_id()
            from incident i where i.id = any(ids)
        on conflict do nothing;

        -- Open counts: take away what the facts counted before, add what they count now.
        insert into analytics_open (organization_id, severity, service_id, incident_type_id,
                                    commander_id, open_count)
        select d.organization_id, d.severity, d.service_id, d.incident_type_id, d.commander_id,
               sum(d.delta)::int
          from (
            select f.organization_id, f.severity, f.service_id, f.incident_type_id,
                   f.commander_id, -1 as delta
              from analytics_fact f where f.incident_id = any(ids) and f.open
            union all
            select i.organization_id, i.severity, i.service_id, i.incident_type_id,
                   i.commander_id, 1
              from incident i
             where i.id = any(ids) and i.status in ('detected', 'investigating', 'mitigated')
          ) d
         group by 1, 2, 3, 4, 5
        having sum(d.delta) <> 0
        on conflict (organization_id, severity, service_id, incident_type_id, commander_id)
          do update set open_count = analytics_open.open_count + excluded.open_count;

        insert into analytics_fact (incident_id, organization_id, declared_at, impact_started_at,
                                    open, severity, service_id, incident_type_id, commander_id,
                                    record)
        select i.id, i.organization_id, i.declared_at, i.impact_started_at, x.open, i.severity,
               i.service_id, i.incident_type_id, i.commander_id,
               int4send(analytics_seconds(i.declared_at))
               || int2send((x.severity_no | (x.open::int << 2) | (sla.ack << 3) | (sla.mit << 5)
                            | (sla.res << 7))::int2)
               || int4send(coalesce(ds.no, 0)) || int4send(coalesce(dt.no, 0))
               || int4send(coalesce(dc.no, 0))
               || int4send(analytics_duration(i.impact_started_at, i.acknowledged_at))
               || int4send(analytics_duration(i.impact_started_at, i.mitigated_at))
               || int4send(analytics_duration(i.impact_started_at, i.resolved_at))
               || case when sla.ack = 3 then int4send(analytics_seconds(due.ack)) else '' end
               || case when sla.mit = 3 then int4send(analytics_seconds(due.mit)) else '' end
               || case when sla.res = 3 then int4send(analytics_seconds(due.res)) else '' end
               || int2send(least(cardinality(i.assignee_ids), 32767)::int2)
               || coalesce((select string_agg(int4send(da.no), ''::bytea order by a.n)
                              from unnest(i.assignee_ids) with ordinality as a(id, n)
                              join analytics_dimension da
                                on da.organization_id = i.organization_id and da.id = a.id), '')
          from incident i
          cross join lateral (
            select i.status in ('detected', 'investigating', 'mitigated') as open,
                   (substring(i.severity from 5)::int - 1) as severity_no
          ) x
          left join lateral (
            select (t ->> 'acknowledge')::int as ack, (t ->> 'mitigate')::int as mit,
                   (t ->> 'resolve')::int as res
              from sla_policy p, jsonb_extract_path(p.targets, i.severity) t
             where p.id = i.sla_policy_id
          ) target on true
          cross join lateral (
            select i.impact_started_at + target.ack * interval '1 second' as ack,
                   i.impact_started_at + target.mit * interval '1 second' as mit,
                   i.impact_started_at + target.res * interval '1 second' as res
          ) due
          cross join lateral (
            select coalesce(bool_or(s.target = 'acknowledge'), false) as ack,
                   coalesce(bool_or(s.target = 'mitigate'), false) as mit,
                   coalesce(bool_or(s.target = 'resolve'), false) as res
              from sla_signal s where s.incident_id = i.id and s.kind = 'breached'
          ) breach
          cross join lateral (
            -- Reaching a later milestone reaches the earlier ones too, as on the SLA clock.
            select analytics_sla_code(due.ack, breach.ack,
                     coalesce(i.acknowledged_at, i.mitigated_at, i.resolved_at)) as ack,
                   analytics_sla_code(due.mit, breach.mit, coalesce(i.mitigated_at, i.resolved_at)) as mit,
                   analytics_sla_code(due.res, breach.res, i.resolved_at) as res
          ) sla
          left join analytics_dimension ds
            on ds.organization_id = i.organization_id and ds.id = i.service_id
          left join analytics_dimension dt
            on dt.organization_id = i.organization_id and dt.id = i.incident_type_id
          left join analytics_dimension dc
            on dc.organization_id = i.organization_id and dc.id = i.commander_id
         where i.id = any(ids)
        on conflict (incident_id) do update set
          declared_at = excluded.declared_at, impact_started_at = excluded.impact_started_at,
          open = excluded.open, severity = excluded.severity, service_id = excluded.service_id,
          incident_type_id = excluded.incident_type_id, commander_id = excluded.commander_id,
          record = excluded.record;
      end $$`)

    this.addSql(`
      create function analytics_day(t timestamptz) returns date language sql immutable
        parallel safe as
      $$ select (t at time zone 'UTC')::date $$`)
    this.addSql(`
      create function analytics_seconds(t timestamptz) returns integer language sql immutable
        parallel safe as
      $$ select floor(extract(epoch from t - timestamptz '2000-01-01 00:00:00+00'))::integer $$`)
    // Whole seconds from impact start to a milestone; −1 when not reached or negative (the
    // impact start was edited to after the milestone): those are not counted.
    this.addSql(`
      create function analytics_duration(started timestamptz, reached timestamptz)
        returns integer language sql immutable parallel safe as
      $$ select case when reached is null or reached < started then -1
                     else floor(extract(epoch from reached - started))::integer end $$`)
    // 0 no target, 1 met, 2 breached (recorded, or reached after the due time), 3 not reached.
    this.addSql(`
      create function analytics_sla_code(due timestamptz, breach_recorded boolean,
                                         reached timestamptz)
        returns integer language sql immutable parallel safe as
      $$ select case when due is null then 0
                     when breach_recorded then 2
                     when reached is null then 3
                     when reached <= due then 1
                     else 2 end $$`)

    // Statement-level triggers with transition tables: one set-based refresh per statement,
    // whether it touched one incident (a status change) or thousands (a bulk load).
    this.addSql(`
      create function analytics_incident_inserted() returns trigger language plpgsql as $$
      begin
        perform analytics_refresh(array(select id from new_rows));
        return null;
      end $$`)
    this.addSql(`
      create function analytics_incident_updated() returns trigger language plpgsql as $$
      begin
        perform analytics_refresh(array(
          select n.id from new_rows n join old_rows o on o.id = n.id
           where (n.severity, n.status, n.service_id, n.incident_type_id, n.commander_id,
                  n.assignee_ids, n.impact_started_at, n.declared_at, n.acknowledged_at,
                  n.mitigated_at, n.resolved_at, n.sla_policy_id)
                 is distinct from
                 (o.severity, o.status, o.service_id, o.incident_type_id, o.commander_id,
                  o.assignee_ids, o.impact_started_at, o.declared_at, o.acknowledged_at,
                  o.mitigated_at, o.resolved_at, o.sla_policy_id)));
        return null;
      end $$`)
    this.addSql(`
      create function analytics_breach_recorded() returns trigger language plpgsql as $$
      begin
        perform analytics_refresh(array(
          select distinct incident_id from new_rows where kind = 'breached'));
        return null;
      end $$`)
    this.addSql(`
      create trigger incident_analytics_inserted after insert on incident
        referencing new table as new_rows
        for each statement execute function analytics_incident_inserted()`)
    this.addSql(`
      create trigger incident_analytics_updated after update on incident
        referencing new table as new_rows old table as old_rows
        for each statement execute function analytics_incident_updated()`)
    this.addSql(`
      create trigger sla_signal_analytics after insert on sla_signal
        referencing new table as new_rows
        for each statement execute function analytics_breach_recorded()`)

    for (const table of [
      'analytics_dimension',
      'analytics_fact',
      'analytics_open',
      'analytics_page',
      'analytics_page_change',
    ]) {
      this.addSql(`alter table ${table} enable row level security`)
      this.addSql(`alter table ${table} force row level security`)
      this.addSql(`
        create policy ${table}_tenant on ${table}
          using (organization_id = incidentflow_org()) with check (organization_id = incidentflow_org())`)
    }
    this.addSql(`grant select, insert on analytics_dimension to incidentflow_app`)
    this.addSql(
      `grant select, insert, update on analytics_fact, analytics_open to incidentflow_app`,
    )
    this.addSql(
      `grant select, insert, update, delete on analytics_page, analytics_page_change to incidentflow_app`,
    )

    // Back-fill every organization's facts, under each organization's tenant setting (row-level
    // security is forced on the owner too).
    this.addSql(`
      do $$
      declare
        org uuid;
      begin
        for org in select id from tenant loop
          perform set_config('app.organization_id', org::text, true);
          perform analytics_refresh(array(select id from incident where organization_id = org));
        end loop;
        perform set_config('app.organization_id', '', true);
      end $$`)
  }

  override async down() {
    this.addSql(`drop trigger if exists incident_analytics_inserted on incident`)
    this.addSql(`drop trigger if exists incident_analytics_updated on incident`)
    this.addSql(`drop trigger if exists sla_signal_analytics on sla_signal`)
    this.addSql(
      `drop table if exists analytics_page_change, analytics_page, analytics_open, analytics_fact, analytics_dimension`,
    )
    this.addSql(`
      drop function if exists analytics_incident_inserted(), analytics_incident_updated(),
        analytics_breach_recorded(), analytics_refresh(uuid[]), analytics_day(timestamptz),
        analytics_seconds(timestamptz),
        analytics_duration(timestamptz, timestamptz),
        analytics_sla_code(timestamptz, boolean, timestamptz)`)
    this.addSql(`alter function incidentflow_org() parallel unsafe`)
  }
}
