import { Migration } from '@mikro-orm/migrations'

/** Tables that carry an incident's content, read through `incident_id` (decision 037). */
const INCIDENT_CHILD_TABLES = [
  'incident_event',
  'incident_timeline_entry',
  'attachment',
  'postmortem',
  'action_item',
]
/** Tables that carry a postmortem's content, read through `postmortem_id`. */
const POSTMORTEM_CHILD_TABLES = ['postmortem_revision', 'postmortem_draft']

/**
 * Migration 0019's announcement of committed events, with `p` (the incident is private) when
 * `withPrivate`: the live hub then leaves a private incident out of the organization-wide streams.
 */
function announceEvents(withPrivate: boolean) {
  return `
    create or replace function incident_events_announce() returns trigger language plpgsql as $$
    declare
      r record;
    begin
      for r in
        select e.organization_id, e.incident_id, max(e.seq) as last_seq, count(*) as n,
               json_agg(json_build_array(e.seq, e.type) order by e.seq) as events
          from new_events e
         group by e.organization_id, e.incident_id
      loop
        perform pg_notify('incidentflow_events', json_build_object(
          'o', r.organization_id,
          'i', r.incident_id,
          'n', (select i.number from incident i where i.id = r.incident_id),${
            withPrivate
              ? `
          'p', (select i.private from incident i where i.id = r.incident_id),`
              : ''
          }
          'l', r.last_seq,
          'e', case when r.n <= 100 then r.events end)::text);
      end loop;
      return null;
    end $$`
}

/**
 * Private incidents (decision 037).
 *
 * - `incident.private`, a cache of the `incident.declared` / `incident.visibility_changed`
 *   entries like the rest of the row, and `incident_viewer`, the people explicitly added.
 * - Two transaction-local settings besides the organization: `app.acting_user_id`, the person a
 *   unit of work acts for, and `app.all_incidents` = `on`, set only by system work (worker,
 *   sweeps, alert ingest). A unit of work with neither sees no private incident: forgetting the
 *   user hides, never reveals. `app.user_id` is not reused: it opens the user's memberships
 *   across organizations, which acting for them in one organization must not.
 * - `incidentflow_can_see_incident(…)` says whether the current unit of work may see an incident
 *   from the row's own columns: not private, system work, the commander, an assignee, an explicit
 *   viewer, an admin of the organization. Migration 0021 replaces it to add incident-role holders.
 *   Its `exists` subqueries keep PostgreSQL from inlining it, and a call per row costs ~25 µs, so
 *   the `incident` policy tests `not private` and the system setting itself first: a public row
 *   (almost all of them) never calls it (decision 037 has the figures).
 * - The `incident` policy reads through it; the tables that carry an incident's text (events,
 *   the rendered timeline, evidence, postmortems and their revisions and drafts, action items)
 *   hide rows whose incident the unit of work cannot see, with an `exists` on `incident` (whose
 *   own policy decides). Counters, SLA deadlines and signals, analytics facts, chat and webhook
 *   delivery rows carry no text of the incident and stay organization-wide, so aggregated
 *   analytics still count private incidents.
 * - Writes are checked against the organization only: whoever may change a row already passed
 *   the read policy to find it.
 */
export class Migration0020PrivateIncidents extends Migration {
  override async up() {
    this.addSql(`alter table incident add column private boolean not null default false`)

    this.addSql(`
      create table incident_viewer (
        organization_id uuid not null references organization (id) on delete cascade,
        incident_id uuid not null references incident (id) on delete cascade,
        user_id uuid not null references app_user (id),
        added_by_id uuid references app_user (id) on delete set null,
        added_at timestamptz not null,
        primary key (incident_id, user_id)
      )`)
    this.addSql(
      `create index incident_viewer_user_idx on incident_viewer (organization_id, user_id)`,
    )
    this.addSql(`alter table incident_viewer enable row level security`)
    this.addSql(`alter table incident_viewer force row level security`)
    // Organization-wide on purpose: the incident policy reads this table, so a policy here that
    // read `incident` would recurse.
    this.addSql(`
      create policy incident_viewer_tenant on incident_viewer
        using (organization_id = incidentflow_org()) with check (organization_id = incidentflow_org())`)
    this.addSql(`grant select, insert, delete on incident_viewer to incidentflow_app`)

    this.addSql(`
      create or replace function incidentflow_acting_user() returns uuid language sql stable as
      $$ select nullif(current_setting('app.acting_user_id', true), '')::uuid $$`)
    this.addSql(`
      create or replace function incidentflow_all_incidents() returns boolean language sql stable as
      $$ select coalesce(current_setting('app.all_incidents', true), '') = 'on' $$`)
    this.addSql(`
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
                        and v.user_id = incidentflow_acting_user())
          or exists (select 1 from membership m
                      where m.organization_id = p_organization_id
                        and m.user_id = incidentflow_acting_user()
                        and m.role = 'admin' and m.active)
      $$`)

    this.addSql(`drop policy if exists incident_tenant on incident`)
    this.addSql(`
      create policy incident_tenant on incident
        using (organization_id = incidentflow_org()
               and (not private
                    or incidentflow_all_incidents()
                    or incidentflow_can_see_incident(organization_id, id, private, commander_id, assignee_ids)))
        with check (organization_id = incidentflow_org())`)

    for (const table of INCIDENT_CHILD_TABLES) {
      this.addSql(`drop policy if exists ${table}_tenant on ${table}`)
      this.addSql(`
        create policy ${table}_tenant on ${table}
          using (organization_id = incidentflow_org()
                 and (incidentflow_all_incidents()
                      or exists (select 1 from incident i where i.id = ${table}.incident_id)))
          with check (organization_id = incidentflow_org())`)
    }
    for (const table of POSTMORTEM_CHILD_TABLES) {
      this.addSql(`drop policy if exists ${table}_tenant on ${table}`)
      this.addSql(`
        create policy ${table}_tenant on ${table}
          using (organization_id = incidentflow_org()
                 and (incidentflow_all_incidents()
                      or exists (select 1 from postmortem p where p.id = ${table}.postmortem_id)))
          with check (organization_id = incidentflow_org())`)
    }
    this.addSql(announceEvents(true))
  }

  override async down() {
    this.addSql(announceEvents(false))
    for (const table of ['incident', ...INCIDENT_CHILD_TABLES, ...POSTMORTEM_CHILD_TABLES]) {
      this.addSql(`drop policy if exists ${table}_tenant on ${table}`)
      this.addSql(`
        create policy ${table}_tenant on ${table}
          using (organization_id = incidentflow_org()) with check (organization_id = incidentflow_org())`)
    }
    this.addSql(
      `drop function if exists incidentflow_can_see_incident(uuid, uuid, boolean, uuid, uuid[])`,
    )
    this.addSql(`drop function if exists incidentflow_all_incidents()`)
    this.addSql(`drop function if exists incidentflow_acting_user()`)
    this.addSql(`drop table if exists incident_viewer`)
    this.addSql(`alter table incident drop column if exists private`)
  }
}
