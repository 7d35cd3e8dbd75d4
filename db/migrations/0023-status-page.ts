import { Migration } from '@mikro-orm/migrations'

/** The channel web processes LISTEN on; app/domain/status/status-cache.server.ts names it too. */
const CHANNEL = 'incidentflow_status'

const TENANT_TABLES = [
  'status_page',
  'status_component_group',
  'status_component',
  'public_update',
  'status_maintenance',
  'status_subscriber',
  'status_subscribe_attempt',
]

/** Tables whose every change alters what the public page shows (see the trigger below). */
const PAGE_TABLES = [
  'status_page',
  'status_component_group',
  'status_component',
  'public_update',
  'status_maintenance',
]

/**
 * The public status page (decision 040): one `status_page` per organization (served at
 * `/status/<organization slug>` once published, and at `/` of its custom host name), components
 * in groups (each mapping to services), public updates written apart from the internal timeline,
 * scheduled maintenance, and e-mail subscribers with double opt-in (`status_subscribe_attempt`
 * counts attempts per hashed address and client address, for the rate limit).
 *
 * An anonymous visitor names an organization by its slug or by the page's host name, neither of
 * them a secret. The one way from those to an organization is `incidentflow_status_page_for`,
 * which runs as its owner and sees only published pages and their organizations' id, name and
 * slug, through policies opened by the transaction-local `app.status_lookup` (which the function
 * sets and clears, and which never opens anything to the application role). The page's rows are
 * then read under that organization's scope, by code that selects only public columns.
 *
 * Every change to the page's tables sends `pg_notify('incidentflow_status', <organization id>)`
 * from the writing transaction, so each web process drops its cached rendering of that page at
 * commit; `*` (a host name changed or a page was unpublished) drops every page and the host map.
 * An incident made private or public again notifies too: its updates leave or rejoin the page.
 */
export class Migration0023StatusPage extends Migration {
  override async up() {
    this.addSql(`
      create table status_page (
        organization_id uuid primary key references organization (id) on delete cascade,
        published boolean not null default false,
        title text not null default '' check (length(title) <= 120),
        intro text not null default '' check (length(intro) <= 1000),
        custom_host text unique
          check (custom_host is null or (custom_host = lower(custom_host) and length(custom_host) <= 253)),
        updated_by uuid references app_user (id) on delete set null,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      )`)

    this.addSql(`
      create table status_component_group (
        id uuid primary key default gen_random_uuid(),
        organization_id uuid not null references organization (id) on delete cascade,
        name text not null check (length(name) between 1 and 100),
        position integer not null default 0,
        created_at timestamptz not null default now()
      )`)
    this.addSql(
      `create index status_component_group_org_idx on status_component_group (organization_id, position)`,
    )

    this.addSql(`
      create table status_component (
        id uuid primary key default gen_random_uuid(),
        organization_id uuid not null references organization (id) on delete cascade,
        group_id uuid references status_component_group (id) on delete set null,
        name text not null check (length(name) between 1 and 100),
        description text not null default '' check (length(description) <= 300),
        position integer not null default 0,
        service_ids uuid[] not null default '{}',
        created_at timestamptz not null default now(),
        archived_at timestamptz
      )`)
    this.addSql(
      `create index status_component_org_idx on status_component (organization_id, position)`,
    )

    this.addSql(`
      create table public_update (
        id uuid primary key default gen_random_uuid(),
        organization_id uuid not null references organization (id) on delete cascade,
        incident_id uuid references incident (id) on delete cascade,
        title text not null check (length(title) between 1 and 200),
        status text not null check (status in ('investigating', 'identified', 'monitoring', 'resolved')),
        body text not null check (length(body) between 1 and 5000),
        component_states jsonb not null default '[]',
        posted_by uuid references app_user (id) on delete set null,
        posted_at timestamptz not null
      )`)
    this.addSql(
      `create index public_update_org_idx on public_update (organization_id, posted_at desc)`,
    )
    this.addSql(
      `create index public_update_incident_idx on public_update (organization_id, incident_id, posted_at)`,
    )

    this.addSql(`
      create table status_maintenance (
        id uuid primary key default gen_random_uuid(),
        organization_id uuid not null references organization (id) on delete cascade,
        title text not null check (length(title) between 1 and 200),
        message text not null default '' check (length(message) <= 5000),
        starts_at timestamptz not null,
        ends_at timestamptz not null,
        component_ids uuid[] not null default '{}',
        created_by uuid references app_user (id) on delete set null,
        created_at timestamptz not null default now(),
        cancelled_at timestamptz,
        check (ends_at > starts_at)
      )`)
    this.addSql(
      `create index status_maintenance_org_idx on status_maintenance (organization_id, starts_at desc)`,
    )

    this.addSql(`
      create table status_subscriber (
        id uuid primary key default gen_random_uuid(),
        organization_id uuid not null references organization (id) on delete cascade,
        email text not null check (email = lower(email) and length(email) <= 254),
        created_at timestamptz not null default now(),
        confirmed_at timestamptz,
        unsubscribed_at timestamptz,
        confirmations_sent integer not null default 0,
        unique (organization_id, email)
      )`)
    this.addSql(`
      create index status_subscriber_confirmed_idx on status_subscriber (organization_id)
        where confirmed_at is not null and unsubscribed_at is null`)

    this.addSql(`
      create table status_subscribe_attempt (
        organization_id uuid not null references organization (id) on delete cascade,
        key_hash text not null,
        attempted_at timestamptz not null
      )`)
    this.addSql(`
      create index status_subscribe_attempt_idx
        on status_subscribe_attempt (organization_id, key_hash, attempted_at)`)

    // E-mail headers such as List-Unsubscribe travel with the outbox row to the provider.
    this.addSql(`alter table email_outbox add column if not exists headers jsonb`)

    for (const table of TENANT_TABLES) {
      this.addSql(`alter table ${table} enable row level security`)
      this.addSql(`alter table ${table} force row level security`)
      this.addSql(`
        create policy ${table}_tenant on ${table}
          using (organization_id = incidentflow_org()) with check (organization_id = incidentflow_org())`)
    }
    // An update of an incident the unit of work cannot see (a private one, for anyone who is not
    // its participant — the anonymous page reads with no person at all) is hidden with it, as
    // decision 037 hides the incident's other text.
    this.addSql(`drop policy public_update_tenant on public_update`)
    this.addSql(`
      create policy public_update_tenant on public_update
        using (organization_id = incidentflow_org()
               and (incident_id is null
                    or incidentflow_all_incidents()
                    or exists (select 1 from incident i where i.id = public_update.incident_id)))
        with check (organization_id = incidentflow_org())`)
    // Only the lookup function below (running as the owner, with app.status_lookup set) reads
    // across organizations, and only published pages and those organizations' name and slug.
    this.addSql(`
      create policy status_page_lookup on status_page for select
        using (current_user <> 'incidentflow_app'
               and published
               and current_setting('app.status_lookup', true) = 'on')`)
    this.addSql(`
      create policy organization_status_lookup on organization for select
        using (current_user <> 'incidentflow_app'
               and current_setting('app.status_lookup', true) = 'on')`)

    this.addSql(
      `grant select, insert, update, delete on status_page, status_component_group, status_component, status_maintenance, status_subscriber to incidentflow_app`,
    )
    this.addSql(`grant select, insert on public_update to incidentflow_app`)
    this.addSql(`grant select, insert, delete on status_subscribe_attempt to incidentflow_app`)

    this.addSql(`
      create or replace function incidentflow_status_page_for(p_slug text, p_host text)
      returns table (organization_id uuid, organization_name text, organization_slug text)
      language plpgsql volatile security definer
      set search_path = public, pg_temp
      as $$
      declare
        caller text := current_setting('app.status_lookup', true);
      begin
        perform set_config('app.status_lookup', 'on', true);
        return query
          select o.id, o.name::text, o.slug::text
            from status_page s
            join organization o on o.id = s.organization_id
           where s.published
             and ((p_slug is not null and o.slug = p_slug)
               or (p_host is not null and s.custom_host = lower(p_host)))
           limit 1;
        perform set_config('app.status_lookup', coalesce(caller, ''), true);
      end $$`)
    this.addSql(`
      create or replace function incidentflow_status_hosts()
      returns table (host text, organization_slug text)
      language plpgsql volatile security definer
      set search_path = public, pg_temp
      as $$
      declare
        caller text := current_setting('app.status_lookup', true);
      begin
        perform set_config('app.status_lookup', 'on', true);
        return query
          select s.custom_host, o.slug::text
            from status_page s
            join organization o on o.id = s.organization_id
           where s.published and s.custom_host is not null;
        perform set_config('app.status_lookup', coalesce(caller, ''), true);
      end $$`)
    for (const fn of ['incidentflow_status_page_for(text, text)', 'incidentflow_status_hosts()']) {
      this.addSql(`revoke all on function ${fn} from public`)
      this.addSql(`grant execute on function ${fn} to incidentflow_app`)
    }

    this.addSql(`
      create or replace function status_page_changed() returns trigger language plpgsql as $$
      begin
        if tg_op <> 'INSERT' then
          perform pg_notify('${CHANNEL}', old.organization_id::text);
        end if;
        if tg_op <> 'DELETE' then
          perform pg_notify('${CHANNEL}', new.organization_id::text);
        end if;
        return null;
      end $$`)
    // An incident made private (or public again) takes its updates off the page (or back).
    this.addSql(`
      create or replace function incident_visibility_status_changed() returns trigger
      language plpgsql as $$
      begin
        perform pg_notify('${CHANNEL}', new.organization_id::text);
        return null;
      end $$`)
    this.addSql(`
      create trigger incident_private_status_changed after update of private on incident
        for each row when (old.private is distinct from new.private)
        execute function incident_visibility_status_changed()`)
    // A host name added, changed or dropped, or a page (un)published: every process's host map.
    this.addSql(`
      create or replace function status_page_hosts_changed() returns trigger language plpgsql as $$
      begin
        perform pg_notify('${CHANNEL}', '*');
        return null;
      end $$`)
    this.addSql(`
      create trigger status_page_hosts_changed after update of custom_host, published on status_page
        for each row
        when (old.custom_host is distinct from new.custom_host or old.published is distinct from new.published)
        execute function status_page_hosts_changed()`)
    for (const table of PAGE_TABLES) {
      this.addSql(`
        create trigger ${table}_status_changed after insert or update or delete on ${table}
          for each row execute function status_page_changed()`)
    }
  }

  override async down() {
    for (const table of PAGE_TABLES) {
      this.addSql(`drop trigger if exists ${table}_status_changed on ${table}`)
    }
    this.addSql(`drop trigger if exists incident_private_status_changed on incident`)
    this.addSql(`drop function if exists incident_visibility_status_changed()`)
    this.addSql(`drop trigger if exists status_page_hosts_changed on status_page`)
    this.addSql(`drop function if exists status_page_changed(), status_page_hosts_changed()`)
    this.addSql(`drop function if exists incidentflow_status_page_for(text, text)`)
    this.addSql(`drop function if exists incidentflow_status_hosts()`)
    this.addSql(`drop policy if exists organization_status_lookup on organization`)
    this.addSql(`alter table email_outbox drop column if exists headers`)
    this.addSql(
      `drop table if exists status_subscribe_attempt, status_subscriber, status_maintenance, public_update, status_component, status_component_group, status_page cascade`,
    )
  }
}
