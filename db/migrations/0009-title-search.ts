import { Migration } from '@mikro-orm/migrations'

/**
 * Title search that an index can serve under row-level security (docs/decisions/019).
 *
 * The list's search is `lower(title) like '%…%'`. The trigram index 0003 put on `incident` is
 * never used for it: the application role reads `incident` through its tenant policy, and
 * PostgreSQL only lets an index evaluate a query condition before the policy's own condition if
 * the operator is LEAKPROOF — `like` (and full-text `@@`) are not, and only a superuser can mark
 * them. So every search was a scan of the organization's incidents.
 *
 * The searchable copy of each title lives in `incidentflow_search.incident_title`, a schema the
 * application role has no access to, kept in step with `incident` by triggers. Its one reader is
 * `incidentflow_title_search(pattern, cap)`, which runs as the owner (`security definer`), reads
 * the organization from the same transaction-local setting the policies use, and returns only
 * incident ids — which the caller then reads from `incident` under its policy as before, so an
 * id from anywhere else would still show nothing. Its table has row-level security enabled (not
 * forced: the owner-run function is meant to read it directly) so any other role given access
 * later would still see only its organization's rows.
 *
 * The GIN index is on (organization_id, trigrams of the title), through btree_gin, so a search
 * walks the one organization's entries, not every tenant's matches. Both extensions are trusted
 * contrib modules (PostgreSQL 13+): a database owner who is not a superuser may create them.
 *
 * Idempotent (if-not-exists, create-or-replace, upserting backfill), so a re-run or a database
 * where part of it exists converges; concurrent runners are serialised by `migrate`'s lock.
 */
export class Migration0009TitleSearch extends Migration {
  override async up() {
    this.addSql(`create extension if not exists pg_trgm`)
    this.addSql(`create extension if not exists btree_gin`)

    this.addSql(`create schema if not exists incidentflow_search`)
    this.addSql(`revoke all on schema incidentflow_search from public`)
    this.addSql(`
      create table if not exists incidentflow_search.incident_title (
        incident_id uuid primary key references public.incident (id) on delete cascade,
        organization_id uuid not null,
        -- lower(incident.title): what the list's search matches against.
        title text not null
      )`)
    this.addSql(`alter table incidentflow_search.incident_title enable row level security`)
    this.addSql(`drop policy if exists incident_title_tenant on incidentflow_search.incident_title`)
    this.addSql(`
      create policy incident_title_tenant on incidentflow_search.incident_title
        using (organization_id = public.incidentflow_org())
        with check (organization_id = public.incidentflow_org())`)

    // New incidents arrive one statement at a time (bulk loads too): one insert per statement.
    this.addSql(`
      create or replace function incidentflow_search.add_incident_titles() returns trigger
      language plpgsql security definer
      set search_path = pg_catalog, pg_temp
      as $$
      begin
        insert into incidentflow_search.incident_title (incident_id, organization_id, title)
          select id, organization_id, lower(title) from added
        on conflict (incident_id) do update
          set organization_id = excluded.organization_id, title = excluded.title;
        return null;
      end $$`)
    this.addSql(`
      create or replace function incidentflow_search.update_incident_title() returns trigger
      language plpgsql security definer
      set search_path = pg_catalog, pg_temp
      as $$
      begin
        insert into incidentflow_search.incident_title (incident_id, organization_id, title)
          values (new.id, new.organization_id, lower(new.title))
        on conflict (incident_id) do update
          set organization_id = excluded.organization_id, title = excluded.title;
        return null;
      end $$`)
    this.addSql(`drop trigger if exists incident_title_search_added on public.incident`)
    this.addSql(`
      create trigger incident_title_search_added after insert on public.incident
        referencing new table as added
        for each statement execute function incidentflow_search.add_incident_titles()`)
    this.addSql(`drop trigger if exists incident_title_search_updated on public.incident`)
    this.addSql(`
      create trigger incident_title_search_updated after update of title, organization_id
        on public.incident
        for each row when (old.title is distinct from new.title
                           or old.organization_id is distinct from new.organization_id)
        execute function incidentflow_search.update_incident_title()`)
    for (const fn of ['add_incident_titles()', 'update_incident_title()']) {
      this.addSql(`revoke all on function incidentflow_search.${fn} from public`)
    }

    // Existing incidents, one organization at a time: FORCE row-level security binds a
    // non-superuser owner too. The explicit organization filter keeps a superuser (who bypasses
    // the policies) from copying every tenant's rows once per tenant.
    this.addSql(`
      do $$
      declare
        org uuid;
        caller_org text := current_setting('app.organization_id', true);
      begin
        for org in select id from public.tenant loop
          perform set_config('app.organization_id', org::text, true);
          insert into incidentflow_search.incident_title (incident_id, organization_id, title)
            select id, organization_id, lower(title) from public.incident
             where organization_id = org
          on conflict (incident_id) do update
            set organization_id = excluded.organization_id, title = excluded.title;
        end loop;
        perform set_config('app.organization_id', coalesce(caller_org, ''), true);
      end $$`)
    // Built after the copy: one index build is far cheaper than a million GIN insertions.
    // fastupdate off: new titles go straight into the index instead of a pending list that every
    // search would have to read through until a vacuum merges it. Titles are written once per
    // incident (and on the rare rename), so the slower insert is the better trade.
    this.addSql(`
      create index if not exists incident_title_search_idx on incidentflow_search.incident_title
        using gin (organization_id, title gin_trgm_ops) with (fastupdate = off)`)
    this.addSql(`analyze incidentflow_search.incident_title`)

    // The only way in for the application role. Returns the ids of the current organization's
    // incidents whose lower-cased title is LIKE p_pattern, or NULL when there are more than
    // p_cap of them (the caller then walks the list in order and filters instead). The query is
    // planned for each call with the pattern as a literal: a cached generic plan could not tell
    // a rare pattern (use the index) from a very common one (a short scan finds enough).
    this.addSql(`
      create or replace function public.incidentflow_title_search(p_pattern text, p_cap integer)
      returns uuid[]
      language plpgsql stable security definer
      set search_path = pg_catalog, pg_temp
      as $$
      declare
        org uuid := public.incidentflow_org();
        ids uuid[];
      begin
        if org is null or p_pattern is null or p_cap is null or p_cap < 0 then
          return '{}';
        end if;
        execute format(
          'select array(select incident_id from incidentflow_search.incident_title
                         where organization_id = %L::uuid and title like %L limit %s)',
          org, p_pattern, p_cap + 1)
          into ids;
        if cardinality(ids) > p_cap then
          return null;
        end if;
        return ids;
      end $$`)
    this.addSql(
      `revoke all on function public.incidentflow_title_search(text, integer) from public`,
    )
    this.addSql(
      `grant execute on function public.incidentflow_title_search(text, integer) to incidentflow_app`,
    )

    // Unusable by the application role (see above) yet updated on every non-HOT write of an
    // incident: the copy's index replaces it.
    this.addSql(`drop index if exists public.incident_title_trgm_idx`)
  }

  override async down() {
    this.addSql(`drop function if exists public.incidentflow_title_search(text, integer)`)
    this.addSql(`drop trigger if exists incident_title_search_added on public.incident`)
    this.addSql(`drop trigger if exists incident_title_search_updated on public.incident`)
    this.addSql(`drop schema if exists incidentflow_search cascade`)
    this.addSql(
      `create index if not exists incident_title_trgm_idx on public.incident using gin (lower(title) gin_trgm_ops)`,
    )
  }
}
