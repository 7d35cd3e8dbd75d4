import { Migration } from '@mikro-orm/migrations'

/**
 * One foreign key from an event, and from an SLA signal, to its incident within its organization
 * (decision 043), where each had two: one to `organization (id)` and one to `incident (id)`.
 *
 * - `incident (organization_id, id)` becomes a unique key of its own (`id` alone already is, so
 *   this allows nothing new); both tables' `(organization_id, incident_id)` refer to it. The
 *   organization needs no key of its own: the incident it names refers to it.
 * - One index look-up and one row lock per inserted row instead of two: a sweep inserts about
 *   2,000 events and as many signals per 1,000 due incidents. The key is also stricter than the
 *   two it replaces: an event or a signal can no longer name an incident of another organization.
 * - `incident_event`'s key refuses removing an incident with events, as its incident key did.
 *   `sla_signal`'s organization key cascaded and its incident key refused; the new key cascades,
 *   so removing an organization still takes its signals with it (incidents cascade from the
 *   organization). An incident with signals has the signals' events too, and those refuse.
 */
export class Migration0025IncidentKeys extends Migration {
  override async up() {
    this.addSql(`
      alter table incident
        add constraint incident_organization_id_id_key unique (organization_id, id)`)
    this.addSql(`
      alter table incident_event
        drop constraint if exists incident_event_organization_id_fkey,
        drop constraint if exists incident_event_incident_id_fkey,
        add constraint incident_event_incident_fkey
          foreign key (organization_id, incident_id) references incident (organization_id, id)`)
    this.addSql(`
      alter table sla_signal
        drop constraint if exists sla_signal_organization_id_fkey,
        drop constraint if exists sla_signal_incident_id_fkey,
        add constraint sla_signal_incident_fkey
          foreign key (organization_id, incident_id) references incident (organization_id, id)
          on delete cascade`)
  }

  override async down() {
    this.addSql(`
      alter table sla_signal
        drop constraint if exists sla_signal_incident_fkey,
        add constraint sla_signal_organization_id_fkey
          foreign key (organization_id) references organization (id) on delete cascade,
        add constraint sla_signal_incident_id_fkey foreign key (incident_id) references incident (id)`)
    this.addSql(`
      alter table incident_event
        drop constraint if exists incident_event_incident_fkey,
        add constraint incident_event_organization_id_fkey
          foreign key (organization_id) references organization (id),
        add constraint incident_event_incident_id_fkey
          foreign key (incident_id) references incident (id)`)
    this.addSql(`alter table incident drop constraint if exists incident_organization_id_id_key`)
  }
}
