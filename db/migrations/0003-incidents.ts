import { Migration } from '@mikro-orm/migrations'

const TENANT_TABLES = [
  'service',
  'incident_type',
  'triage_matrix',
  'incident_counter',
  'incident',
  'incident_event',
]

/**
 * Incidents and their append-only, hash-chained timeline; service and incident-type catalogs;
 * the organization's triage matrix; and `tenant`, the one narrow list of organization ids that
 * organization-wide maintenance (audit verification, SLA sweeps) starts from.
 */
export class Migration0003Incidents extends Migration {
  override async up() {
    // Cross-tenant work (verifying every audit chain) needs the list of organizations and
    // nothing else; this table holds only their ids, so it carries no tenant data.
    this.addSql(
      `create table tenant (id uuid primary key references organization (id) on delete cascade)`,
    )
    this.addSql(`insert into tenant (id) select id from organization on conflict do nothing`)
    this.addSql(`
      create function incidentflow_register_tenant() returns trigger language plpgsql as $$
      begin
        insert into tenant (id) values (new.id) on conflict do nothing;
        return new;
      end $$`)
    this.addSql(`
      create trigger organization_register_tenant after insert on organization
        for each row execute function incidentflow_register_tenant()`)

    this.addSql(`
      create table service (
        id uuid primary key default gen_random_uuid(),
        organization_id uuid not null references organization (id) on delete cascade,
        name varchar(100) not null check (length(trim(name)) > 0),
        description varchar(500) not null default '',
        active boolean not null default true,
        created_at timestamptz not null default now()
      )`)
    this.addSql(`create unique index service_name_key on service (organization_id, lower(name))`)
    this.addSql(`
      create table incident_type (
        id uuid primary key default gen_random_uuid(),
        organization_id uuid not null references organization (id) on delete cascade,
        name varchar(100) not null check (length(trim(name)) > 0),
        description varchar(500) not null default '',
        active boolean not null default true,
        created_at timestamptz not null default now()
      )`)
    this.addSql(
      `create unique index incident_type_name_key on incident_type (organization_id, lower(name))`,
    )

    this.addSql(`
      create table triage_matrix (
        organization_id uuid primary key references organization (id) on delete cascade,
        matrix jsonb not null,
        updated_by uuid references app_user (id) on delete set null,
        updated_at timestamptz not null default now()
      )`)

    // One row per organization; the row lock taken by the increment serialises concurrent
    // declarations, and a rolled-back declaration rolls the number back: gap-free.
    this.addSql(`
      create table incident_counter (
        organization_id uuid primary key references organization (id) on delete cascade,
        last_number integer not null
      )`)

    this.addSql(`
      create table incident (
        id uuid primary key default gen_random_uuid(),
        organization_id uuid not null references organization (id) on delete cascade,
        number integer not null check (number > 0),
        title varchar(200) not null check (length(trim(title)) > 0),
        summary text not null default '',
        severity varchar(8) not null check (severity in ('SEV-1', 'SEV-2', 'SEV-3', 'SEV-4')),
        impact varchar(16) check (impact in ('extensive', 'significant', 'moderate', 'minor')),
        urgency varchar(16) check (urgency in ('critical', 'high', 'medium', 'low')),
        status varchar(16) not null
          check (status in ('detected', 'investigating', 'mitigated', 'resolved', 'postmortem', 'closed')),
        service_id uuid references service (id),
        incident_type_id uuid references incident_type (id),
        commander_id uuid references app_user (id),
        assignee_ids uuid[] not null default '{}',
        declared_by_id uuid references app_user (id),
        impact_started_at timestamptz not null,
        declared_at timestamptz not null,
        acknowledged_at timestamptz,
        mitigated_at timestamptz,
        resolved_at timestamptz,
        postmortem_at timestamptz,
        closed_at timestamptz,
        version integer not null default 1,
        last_event_seq integer not null default 0,
        last_event_hash char(64),
        updated_at timestamptz not null default now(),
        unique (organization_id, number)
      )`)
    // The default list: open incidents, most severe first, newest first.
    this.addSql(
      `create index incident_list_idx on incident (organization_id, severity, declared_at desc, id)`,
    )
    this.addSql(`create index incident_status_idx on incident (organization_id, status)`)
    this.addSql(
      `create index incident_declared_idx on incident (organization_id, declared_at desc, id)`,
    )
    this.addSql(`create index incident_assignees_idx on incident using gin (assignee_ids)`)
    // Title search is `lower(title) like '%…%'`: a trigram index serves any substring.
    this.addSql(`create extension if not exists pg_trgm`)
    this.addSql(
      `create index incident_title_trgm_idx on incident using gin (lower(title) gin_trgm_ops)`,
    )

    this.addSql(`
      create table incident_event (
        id uuid primary key default gen_random_uuid(),
        organization_id uuid not null references organization (id),
        incident_id uuid not null references incident (id),
        seq integer not null check (seq > 0),
        type varchar(48) not null,
        actor_id uuid references app_user (id),
        occurred_at timestamptz not null,
        payload jsonb not null,
        prev_hash char(64) not null,
        hash char(64) not null,
        unique (incident_id, seq)
      )`)
    this.addSql(
      `create index incident_event_org_idx on incident_event (organization_id, occurred_at)`,
    )

    // Append-only, whoever asks: corrections are new events.
    this.addSql(`
      create function incidentflow_refuse_change() returns trigger language plpgsql as $$
      begin
        raise exception 'incident_event is append-only: % refused', tg_op
          using errcode = 'insufficient_privilege';
      end $$`)
    this.addSql(`
      create trigger incident_event_append_only before update or delete on incident_event
        for each row execute function incidentflow_refuse_change()`)
    this.addSql(`
      create trigger incident_event_no_truncate before truncate on incident_event
        for each statement execute function incidentflow_refuse_change()`)

    for (const table of TENANT_TABLES) {
      this.addSql(`alter table ${table} enable row level security`)
      this.addSql(`alter table ${table} force row level security`)
      this.addSql(`
        create policy ${table}_tenant on ${table}
          using (organization_id = incidentflow_org()) with check (organization_id = incidentflow_org())`)
    }

    this.addSql(`grant select, insert on tenant to incidentflow_app`)
    this.addSql(
      `grant select, insert, update on service, incident_type, triage_matrix, incident_counter, incident to incidentflow_app`,
    )
    this.addSql(`grant select, insert on incident_event to incidentflow_app`)
  }

  override async down() {
    this.addSql(
      `drop table if exists incident_event, incident, incident_counter, triage_matrix, incident_type, service cascade`,
    )
    this.addSql(`drop trigger if exists organization_register_tenant on organization`)
    this.addSql(`drop table if exists tenant`)
    this.addSql(
      `drop function if exists incidentflow_refuse_change(), incidentflow_register_tenant()`,
    )
  }
}
