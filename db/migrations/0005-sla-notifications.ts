import { Migration } from '@mikro-orm/migrations'

const TENANT_TABLES = [
  'sla_policy',
  'sla_signal',
  'escalation_rule_set',
  'escalation_rule',
  'escalation_firing',
  'notification_preference',
  'webhook_endpoint',
  'webhook_delivery',
  'webhook_attempt',
]

/**
 * SLA policies, timers and signals; escalation rules; notification preferences; outbound
 * webhooks and their delivery log. Two narrow, id-only tables (`sla_deadline`, `event_outbox`)
 * let the worker find due incidents and undelivered events across organizations without
 * reading any tenant data; the work itself then runs under each organization's scope.
 */
export class Migration0005SlaNotifications extends Migration {
  override async up() {
    this.addSql(`
      create table sla_policy (
        id uuid primary key default gen_random_uuid(),
        organization_id uuid not null references organization (id) on delete cascade,
        version integer not null check (version > 0),
        targets jsonb not null,
        created_by uuid references app_user (id) on delete set null,
        created_at timestamptz not null default now(),
        unique (organization_id, version)
      )`)

    this.addSql(`alter table incident add column sla_policy_id uuid references sla_policy (id)`)
    this.addSql(`alter table incident add column sla_next_deadline timestamptz`)
    this.addSql(`
      create index incident_sla_deadline_idx on incident (organization_id, sla_next_deadline)
        where sla_next_deadline is not null`)

    // The sweep's entry point: one row per incident with a deadline ahead, holding ids and the
    // time only. Kept in step with incident.sla_next_deadline by the trigger below, so no code
    // path can change a deadline without the sweep seeing it.
    this.addSql(`
      create table sla_deadline (
        incident_id uuid primary key references incident (id) on delete cascade,
        tenant_id uuid not null references tenant (id) on delete cascade,
        due_at timestamptz not null
      )`)
    this.addSql(`create index sla_deadline_due_idx on sla_deadline (due_at)`)
    this.addSql(`
      create function incidentflow_track_sla_deadline() returns trigger language plpgsql as $$
      begin
        if new.sla_next_deadline is null then
          delete from sla_deadline where incident_id = new.id;
        else
          insert into sla_deadline (incident_id, tenant_id, due_at)
            values (new.id, new.organization_id, new.sla_next_deadline)
          on conflict (incident_id) do update set due_at = excluded.due_at;
        end if;
        return null;
      end $$`)
    this.addSql(`
      create trigger incident_track_sla_deadline
        after insert or update of sla_next_deadline on incident
        for each row execute function incidentflow_track_sla_deadline()`)

    // One row per threshold crossed: the primary key is what makes retries and overlapping
    // sweeps record each warning and breach once.
    this.addSql(`
      create table sla_signal (
        organization_id uuid not null references organization (id) on delete cascade,
        incident_id uuid not null references incident (id),
        target varchar(16) not null check (target in ('acknowledge', 'mitigate', 'resolve')),
        kind varchar(16) not null check (kind in ('warning', 'breached')),
        event_seq integer not null,
        signalled_at timestamptz not null,
        primary key (incident_id, target, kind)
      )`)

    this.addSql(`
      create table escalation_rule_set (
        organization_id uuid primary key references organization (id) on delete cascade,
        installed_at timestamptz not null default now()
      )`)
    this.addSql(`
      create table escalation_rule (
        id uuid primary key default gen_random_uuid(),
        organization_id uuid not null references organization (id) on delete cascade,
        name varchar(120) not null check (length(trim(name)) > 0),
        position integer not null default 0,
        enabled boolean not null default true,
        trigger varchar(16) not null check (trigger in ('declared', 'warning', 'breach', 'reopened')),
        target varchar(16) check (target in ('acknowledge', 'mitigate', 'resolve')),
        max_severity varchar(8) not null check (max_severity in ('SEV-1', 'SEV-2', 'SEV-3', 'SEV-4')),
        actions jsonb not null,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        updated_by uuid references app_user (id) on delete set null
      )`)
    this.addSql(
      `create index escalation_rule_org_idx on escalation_rule (organization_id, position)`,
    )
    this.addSql(`
      create table escalation_firing (
        organization_id uuid not null references organization (id) on delete cascade,
        incident_id uuid not null references incident (id),
        cause_seq integer not null,
        rule_id uuid not null references escalation_rule (id) on delete cascade,
        fired_at timestamptz not null default now(),
        primary key (incident_id, cause_seq, rule_id)
      )`)

    this.addSql(`
      create table notification_preference (
        organization_id uuid not null references organization (id) on delete cascade,
        user_id uuid not null references app_user (id) on delete cascade,
        disabled_kinds text[] not null default '{}',
        updated_at timestamptz not null default now(),
        primary key (organization_id, user_id)
      )`)

    // Every event that may notify someone: written by the change's own transaction, removed by
    // the worker in the transaction that fans it out into e-mails, webhooks and escalations.
    this.addSql(`
      create table event_outbox (
        id bigint generated always as identity primary key,
        tenant_id uuid not null references tenant (id) on delete cascade,
        incident_id uuid not null,
        event_seq integer not null,
        created_at timestamptz not null default now(),
        attempts integer not null default 0,
        next_attempt_at timestamptz not null default now(),
        last_error text,
        unique (incident_id, event_seq)
      )`)

    this.addSql(`
      create table webhook_endpoint (
        id uuid primary key default gen_random_uuid(),
        organization_id uuid not null references organization (id) on delete cascade,
        url varchar(2000) not null,
        description varchar(300) not null default '',
        secret text not null,
        event_types text[] not null,
        enabled boolean not null default true,
        disabled_reason varchar(300),
        created_by uuid references app_user (id) on delete set null,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      )`)
    this.addSql(`create index webhook_endpoint_org_idx on webhook_endpoint (organization_id)`)
    this.addSql(`
      create table webhook_delivery (
        id uuid primary key default gen_random_uuid(),
        organization_id uuid not null references organization (id) on delete cascade,
        endpoint_id uuid not null references webhook_endpoint (id) on delete cascade,
        message_id varchar(64) not null,
        idempotency_key varchar(200) not null unique,
        event_type varchar(64) not null,
        payload jsonb not null,
        status varchar(16) not null default 'pending'
          check (status in ('pending', 'succeeded', 'failed', 'dead')),
        attempts integer not null default 0,
        next_attempt_at timestamptz,
        last_attempt_at timestamptz,
        last_status_code integer,
        last_error text,
        delivered_at timestamptz,
        created_at timestamptz not null default now()
      )`)
    this.addSql(
      `create index webhook_delivery_endpoint_idx on webhook_delivery (organization_id, endpoint_id, created_at desc)`,
    )
    this.addSql(
      `create index webhook_delivery_dead_idx on webhook_delivery (organization_id, created_at desc) where status = 'dead'`,
    )
    this.addSql(`
      create table webhook_attempt (
        id uuid primary key default gen_random_uuid(),
        organization_id uuid not null references organization (id) on delete cascade,
        delivery_id uuid not null references webhook_delivery (id) on delete cascade,
        attempt integer not null,
        attempted_at timestamptz not null,
        duration_ms integer not null,
        status_code integer,
        error text,
        retry_at timestamptz,
        unique (delivery_id, attempt)
      )`)

    this.addSql(`alter table email_outbox drop constraint if exists email_outbox_status_check`)
    this.addSql(`
      alter table email_outbox add constraint email_outbox_status_check
        check (status in ('pending', 'sent', 'held', 'failed', 'dead'))`)
    this.addSql(
      `create index email_outbox_dead_idx on email_outbox (organization_id, created_at desc) where status in ('dead', 'failed')`,
    )

    for (const table of TENANT_TABLES) {
      this.addSql(`alter table ${table} enable row level security`)
      this.addSql(`alter table ${table} force row level security`)
      this.addSql(`
        create policy ${table}_tenant on ${table}
          using (organization_id = incidentflow_org()) with check (organization_id = incidentflow_org())`)
    }
    this.addSql(
      `grant select, insert on sla_policy, sla_signal, escalation_firing, webhook_attempt to incidentflow_app`,
    )
    this.addSql(
      `grant select, insert, update, delete on escalation_rule_set, escalation_rule, notification_preference, webhook_endpoint to incidentflow_app`,
    )
    this.addSql(`grant select, insert, update on webhook_delivery to incidentflow_app`)
    this.addSql(`grant select, insert, update, delete on sla_deadline to incidentflow_app`)
    this.addSql(`create index event_outbox_next_idx on event_outbox (next_attempt_at, id)`)
    this.addSql(`grant select, insert, update, delete on event_outbox to incidentflow_app`)
  }

  override async down() {
    this.addSql(
      `drop table if exists webhook_attempt, webhook_delivery, webhook_endpoint, event_outbox, notification_preference, escalation_firing, escalation_rule, escalation_rule_set, sla_signal, sla_deadline cascade`,
    )
    this.addSql(`drop trigger if exists incident_track_sla_deadline on incident`)
    this.addSql(`drop function if exists incidentflow_track_sla_deadline()`)
    this.addSql(
      `alter table incident drop column if exists sla_next_deadline, drop column if exists sla_policy_id`,
    )
    this.addSql(`drop table if exists sla_policy`)
  }
}
