import { Migration } from '@mikro-orm/migrations'

/** As in migration 0019: the channel web processes LISTEN on, and the most seqs one payload lists. */
const CHANNEL = 'incidentflow_events'
const MAX_LISTED = 100

/**
 * What each SLA signal costs the sweep's transaction (decision 041).
 *
 * - `incident_timeline_entry` refers to the event it is derived from, `incident_event (incident_id,
 *   seq)`, with one foreign key instead of two (to `organization` and to `incident`): events are
 *   inserted before their entries (`appendEvents`), and the event itself refers to both. One
 *   check per entry instead of two, and an entry can no longer precede its event. Events are never
 *   deleted (the append-only triggers refuse it, even to the owner); should one be removed with
 *   those switched off, its derived entry goes with it, and `audit:verify` reports the gap.
 * - A breach recorded by the SLA sweep no longer refreshes its incident's analytics fact inside
 *   the sweep's transaction. The sweep sets `app.breach_facts = 'relay'` for its transaction; the
 *   event relay refreshes the fact when it fans out the `sla.breached` event. Until then the
 *   fact's outcome for that target is "not reached, due at <the time that passed>", which the
 *   dashboard already counts as breached, so no figure changes in between. Any other writer of
 *   `sla_signal` still refreshes in its own transaction.
 * - The live-events trigger (migrations 0019 and 0020) announces a statement's events with one
 *   set-based statement instead of a loop that looked up each incident's number and private flag
 *   on its own: the same notifications, with the same payloads (`p` included), in the same order.
 */
export class Migration0024SweepWriteCosts extends Migration {
  override async up() {
    this.addSql(`
      alter table incident_timeline_entry
        drop constraint if exists incident_timeline_entry_organization_id_fkey,
        drop constraint if exists incident_timeline_entry_incident_id_fkey,
        add constraint incident_timeline_entry_event_fkey
          foreign key (incident_id, seq) references incident_event (incident_id, seq)
          on delete cascade`)
    this.addSql(`
      create or replace function analytics_breach_recorded() returns trigger language plpgsql as $$
      begin
        -- The SLA sweep leaves its breaches' facts to the event relay (migration 0024).
        if coalesce(current_setting('app.breach_facts', true), '') = 'relay' then
          return null;
        end if;
        perform analytics_refresh(array(
          select distinct incident_id from new_rows where kind = 'breached'));
        return null;
      end $$`)
    this.addSql(`
      create or replace function incident_events_announce() returns trigger language plpgsql as $$
      begin
        perform pg_notify('${CHANNEL}', json_build_object(
                  'o', e.organization_id,
                  'i', e.incident_id,
                  'n', i.number,
                  'p', i.private,
                  'l', e.last_seq,
                  'e', case when e.n <= ${MAX_LISTED} then e.events end)::text)
           from (select organization_id, incident_id, max(seq) as last_seq, count(*) as n,
                        json_agg(json_build_array(seq, type) order by seq) as events
                   from new_events
                  group by organization_id, incident_id) e
           left join incident i on i.id = e.incident_id
          order by e.organization_id, e.incident_id;
        return null;
      end $$`)
  }

  override async down() {
    this.addSql(`
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
          perform pg_notify('${CHANNEL}', json_build_object(
            'o', r.organization_id,
            'i', r.incident_id,
            'n', (select i.number from incident i where i.id = r.incident_id),
            'p', (select i.private from incident i where i.id = r.incident_id),
            'l', r.last_seq,
            'e', case when r.n <= ${MAX_LISTED} then r.events end)::text);
        end loop;
        return null;
      end $$`)
    this.addSql(`
      create or replace function analytics_breach_recorded() returns trigger language plpgsql as $$
      begin
        perform analytics_refresh(array(
          select distinct incident_id from new_rows where kind = 'breached'));
        return null;
      end $$`)
    this.addSql(`
      alter table incident_timeline_entry
        drop constraint if exists incident_timeline_entry_event_fkey,
        add constraint incident_timeline_entry_organization_id_fkey
          foreign key (organization_id) references organization (id),
        add constraint incident_timeline_entry_incident_id_fkey
          foreign key (incident_id) references incident (id)`)
  }
}
