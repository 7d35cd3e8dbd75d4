import { Migration } from '@mikro-orm/migrations'

/** The channel web processes LISTEN on; app/domain/live/live-events.ts names it too. */
const CHANNEL = 'incidentflow_events'

/** Above this many events of one incident in one statement, the payload names only the last seq. */
const MAX_LISTED = 100

/**
 * Announces committed timeline events to the web processes' live streams (decision 033): after
 * each statement that inserts into `incident_event`, one `pg_notify` per incident it touched,
 * with the organization, the incident's id and number, and each event's seq and type — never a
 * title or a body, so a payload stays far below PostgreSQL's 8000-byte limit and says nothing a
 * stream must not forward. A statement trigger rather than a call in `appendEvents`: it costs no
 * extra round trip, and any later write path announces too. PostgreSQL delivers a notification
 * at commit, and never for a rollback.
 *
 * The function runs as the inserting role (the application role under row-level security): it
 * reads only the inserted rows and their incidents, which that role may read anyway.
 */
export class Migration0019LiveEvents extends Migration {
  override async up() {
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
            'l', r.last_seq,
            'e', case when r.n <= ${MAX_LISTED} then r.events end)::text);
        end loop;
        return null;
      end $$`)
    this.addSql(`drop trigger if exists incident_event_announce on incident_event`)
    this.addSql(`
      create trigger incident_event_announce after insert on incident_event
        referencing new table as new_events
        for each statement execute function incident_events_announce()`)
  }

  override async down() {
    this.addSql(`drop trigger if exists incident_event_announce on incident_event`)
    this.addSql(`drop function if exists incident_events_announce()`)
  }
}
