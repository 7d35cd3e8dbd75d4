import { Migration } from '@mikro-orm/migrations'

const TENANT_TABLES = ['incident_link', 'incident_role', 'incident_role_holder']

/** The analytics columns whose change refreshes an incident's facts (0006), plus its classification. */
const ANALYTICS_COLUMNS = `severity, status, service_id, incident_type_id, commander_id,
                  assignee_ids, impact_started_at, declared_at, acknowledged_at,
                  mitigated_at, resolved_at, sla_policy_id`

/**
 * Reclassification, related incidents and incident roles (decision 038).
 *
 * - `incident.classification`: `incident` (counted), `declined` (not an incident), `duplicate`
 *   or `merged`, the last two naming the surviving incident in `classified_as_of_id`. The row is
 *   a cache of the `incident.reclassified` entries, as the rest of the row is.
 * - `incident_link`: one row per link, read from both ends. `related` links are symmetric (one
 *   row per pair, whichever end added it); `duplicate_of` / `merged_into` rows point from the
 *   reclassified incident to the surviving one and exist while the classification does.
 * - `incident_role` (per organization: the built-ins `communications_lead` and `scribe`, then the
 *   roles admins add) and `incident_role_holder` (one holder per role and incident).
 * - `incidentflow_can_see_incident` (0020) also lets an incident-role holder see a private
 *   incident. `incident_role_holder`'s policy is organization-wide, as `incident_viewer`'s is,
 *   because the incident policy reads it.
 * - Analytics (the metric rule, version 1): the facts of 0006 hold counted incidents only. A
 *   declined, duplicate or merged incident has no fact row, so it is in no count, duration or
 *   open figure; a merged incident is counted once, as the incident it was merged into.
 */
export class Migration0021ReclassificationAndRoles extends Migration {
  override async up() {
    this.addSql(`
      alter table incident
        add column classification varchar(16) not null default 'incident'
          check (classification in ('incident', 'declined', 'duplicate', 'merged')),
        add column classified_as_of_id uuid references incident (id),
        add constraint incident_classified_as_of_check
          check ((classification in ('duplicate', 'merged')) = (classified_as_of_id is not null)
                 and classified_as_of_id is distinct from id)`)

    this.addSql(`
      create table incident_link (
        organization_id uuid not null references organization (id) on delete cascade,
        incident_id uuid not null references incident (id) on delete cascade,
        related_incident_id uuid not null references incident (id) on delete cascade,
        kind varchar(16) not null check (kind in ('related', 'duplicate_of', 'merged_into')),
        created_by_id uuid references app_user (id) on delete set null,
        created_at timestamptz not null,
        primary key (organization_id, incident_id, related_incident_id),
        check (incident_id <> related_incident_id)
      )`)
    // A pair is linked once, whichever end names the other.
    this.addSql(`
      create unique index incident_link_pair_key on incident_link
        (organization_id, least(incident_id, related_incident_id),
         greatest(incident_id, related_incident_id))`)
    this.addSql(
      `create index incident_link_related_idx on incident_link (organization_id, related_incident_id)`,
    )

    this.addSql(`
      create table incident_role (
        id uuid primary key default gen_random_uuid(),
        organization_id uuid not null references organization (id) on delete cascade,
        key varchar(48) not null,
        name varchar(60) not null,
        builtin boolean not null default false,
        position integer not null,
        archived_at timestamptz,
        created_at timestamptz not null default now(),
        unique (organization_id, key),
        unique (organization_id, id)
      )`)
    this.addSql(`
      create unique index incident_role_name_key on incident_role (organization_id, lower(name))
        where archived_at is null`)

    this.addSql(`
      create table incident_role_holder (
        organization_id uuid not null references organization (id) on delete cascade,
        incident_id uuid not null references incident (id) on delete cascade,
        role_id uuid not null,
        user_id uuid not null references app_user (id),
        assigned_at timestamptz not null,
        primary key (organization_id, incident_id, role_id),
        foreign key (organization_id, role_id) references incident_role (organization_id, id)
      )`)
    this.addSql(
      `create index incident_role_holder_user_idx on incident_role_holder (organization_id, user_id)`,
    )

    for (const table of TENANT_TABLES) {
      this.addSql(`alter table ${table} enable row level security`)
      this.addSql(`alter table ${table} force row level security`)
      this.addSql(`
        create policy ${table}_tenant on ${table}
          using (organization_id = incidentflow_org()) with check (organization_id = incidentflow_org())`)
    }
    this.addSql(`grant select, insert, delete on incident_link to incidentflow_app`)
    this.addSql(`grant select, insert, update on incident_role to incidentflow_app`)
    this.addSql(`grant select, insert, update, delete on incident_role_holder to incidentflow_app`)

    // Every organization has the built-in roles. The function writes under the organization's
    // own tenant setting (row-level security is forced on the owner too) and puts the caller's
    // back; a trigger gives a new organization its roles in the transaction that creates it. The
    // trigger runs as the owner too: the application role, which signs organizations up, may not
    // call the function itself.
    this.addSql(`
      create or replace function incidentflow_builtin_incident_roles(org uuid) returns void
      language plpgsql volatile security definer
      set search_path = public, pg_temp
      as $$
      declare
        caller_org text := current_setting('app.organization_id', true);
      begin
        perform set_config('app.organization_id', org::text, true);
        insert into incident_role (organization_id, key, name, builtin, position)
          values (org, 'communications_lead', 'Communications lead', true, 1),
                 (org, 'scribe', 'Scribe', true, 2)
        on conflict (organization_id, key) do nothing;
        perform set_config('app.organization_id', coalesce(caller_org, ''), true);
      end $$`)
    this.addSql(`revoke all on function incidentflow_builtin_incident_roles(uuid) from public`)
    this.addSql(`
      create or replace function incidentflow_organization_roles() returns trigger
      language plpgsql security definer
      set search_path = public, pg_temp
      as $$
      begin
        perform incidentflow_builtin_incident_roles(new.id);
        return null;
      end $$`)
    this.addSql(`
      create trigger organization_builtin_incident_roles after insert on organization
        for each row execute function incidentflow_organization_roles()`)
    this.addSql(`
      do $$
      declare
        org uuid;
      begin
        for org in select id from organization loop
          perform incidentflow_builtin_incident_roles(org);
        end loop;
      end $$`)

    // Incident-role holders see a private incident as its commander and assignees do (0020).
    this.addSql(canSeeIncident(true))

    // Analytics: the facts of 0006 computed by analytics_refresh_counted for counted incidents;
    // a reclassified incident's fact leaves the figures (its open count, its day's page).
    this.addSql(`alter function analytics_refresh(uuid[]) rename to analytics_refresh_counted`)
    this.addSql(`
      create function analytics_refresh(ids uuid[]) returns void language plpgsql as $$
      declare
        gone uuid[];
      begin
        if ids is null or cardinality(ids) = 0 then
          return;
        end if;
        gone := array(select i.id from incident i
                       where i.id = any(ids) and i.classification <> 'incident');
        if cardinality(gone) > 0 then
          insert into analytics_page_change (organization_id, day, xid)
            select distinct f.organization_id, analytics_day(f.declared_at), pg_current_xact_id()
              from analytics_fact f where f.incident_id = any(gone)
          on conflict do nothing;
          insert into analytics_open (organization_id, severity, service_id, incident_type_id,
                                      commander_id, open_count)
          select f.organization_id, f.severity, f.service_id, f.incident_type_id, f.commander_id,
                 -count(*)::int
            from analytics_fact f where f.incident_id = any(gone) and f.open
           group by 1, 2, 3, 4, 5
          on conflict (organization_id, severity, service_id, incident_type_id, commander_id)
            do update set open_count = analytics_open.open_count + excluded.open_count;
          delete from analytics_fact where incident_id = any(gone);
        end if;
        perform analytics_refresh_counted(array(
          select id from unnest(ids) as x(id) where not (id = any(gone))));
      end $$`)
    this.addSql(`
      create or replace function analytics_incident_updated() returns trigger language plpgsql as $$
      begin
        perform analytics_refresh(array(
          select n.id from new_rows n join old_rows o on o.id = n.id
           where (${prefixed('n')}, n.classification)
                 is distinct from
                 (${prefixed('o')}, o.classification)));
        return null;
      end $$`)
    this.addSql(`grant delete on analytics_fact to incidentflow_app`)
  }

  override async down() {
    this.addSql(canSeeIncident(false))
    this.addSql(`
      create or replace function analytics_incident_updated() returns trigger language plpgsql as $$
      begin
        perform analytics_refresh(array(
          select n.id from new_rows n join old_rows o on o.id = n.id
           where (${prefixed('n')}) is distinct from (${prefixed('o')})));
        return null;
      end $$`)
    this.addSql(`drop function if exists analytics_refresh(uuid[])`)
    this.addSql(`alter function analytics_refresh_counted(uuid[]) rename to analytics_refresh`)
    this.addSql(`revoke delete on analytics_fact from incidentflow_app`)
    this.addSql(`drop trigger if exists organization_builtin_incident_roles on organization`)
    this.addSql(`drop function if exists incidentflow_organization_roles()`)
    this.addSql(`drop function if exists incidentflow_builtin_incident_roles(uuid)`)
    this.addSql(`drop table if exists incident_role_holder, incident_role, incident_link`)
    this.addSql(`
      alter table incident drop constraint if exists incident_classified_as_of_check,
        drop column if exists classified_as_of_id, drop column if exists classification`)
  }
}

function prefixed(alias: string) {
  return ANALYTICS_COLUMNS.split(',')
    .map((c) => `${alias}.${c.trim()}`)
    .join(', ')
}

/** Migration 0020's visibility rule, with incident-role holders among the participants or not. */
function canSeeIncident(withRoleHolders: boolean) {
  return `
    create or replace function incidentflow_can_see_incident(
      p_organization_id uuid, p_incident_id uuid, p_private boolean,
      p_commander_id uuid, p_assignee_ids uuid[]
    ) returns boolean language sql stable as $$
      select not p_private
        or incidentflow_all_incidents()
        or p_commander_id = incidentflow_acting_user()
        or incidentflow_acting_user() = any (p_assignee_ids)
        or exists (select 1 from incident_viewer v
                    where v.incident_id = p_incident_id
                      and v.user_id = incidentflow_acting_user())${
                        withRoleHolders
                          ? `
        or exists (select 1 from incident_role_holder h
                    where h.organization_id = p_organization_id
                      and h.incident_id = p_incident_id
                      and h.user_id = incidentflow_acting_user())`
                          : ''
                      }
        or exists (select 1 from membership m
                    where m.organization_id = p_organization_id
                      and m.user_id = incidentflow_acting_user()
                      and m.role = 'admin' and m.active)
    $$`
}
