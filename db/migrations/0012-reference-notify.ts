import { Migration } from '@mikro-orm/migrations'

/** The channel web processes LISTEN on; app/utils/reference-cache.server.ts names it too. */
const CHANNEL = 'incidentflow_reference'

/** Tables whose rows the web processes keep in memory per organization. */
const ORGANIZATION_TABLES = ['service', 'incident_type', 'triage_matrix', 'sla_policy']

/**
 * Announces every change to reference data (services, incident types, the triage matrix, SLA
 * policy versions, memberships, people's names) with `pg_notify` on `incidentflow_reference`, so
 * every web process drops what it keeps for that organization. A trigger rather than a call in
 * each service: seeds, data fixes made in psql, cascaded deletes and any later write path notify
 * too, and a notification is part of the writing transaction, so PostgreSQL delivers it only if
 * and when the change commits.
 *
 * The payload is the organization id. A change to a person's name or e-mail is shown by every
 * organization they belong to, which this trigger cannot list (row-level security hides the
 * other organizations' memberships), so it sends `*`: every organization. Only the columns that
 * pages show count — the once-a-minute `last_seen_at` writes must not empty the cache.
 */
export class Migration0012ReferenceNotify extends Migration {
  override async up() {
    this.addSql(`
      create function reference_data_changed() returns trigger language plpgsql as $$
      begin
        if tg_op <> 'INSERT' then
          perform pg_notify('${CHANNEL}', old.organization_id::text);
        end if;
        if tg_op <> 'DELETE' then
          perform pg_notify('${CHANNEL}', new.organization_id::text);
        end if;
        return null;
      end $$`)
    this.addSql(`
      create function reference_person_changed() returns trigger language plpgsql as $$
      begin
        perform pg_notify('${CHANNEL}', '*');
        return null;
      end $$`)

    for (const table of ORGANIZATION_TABLES) {
      this.addSql(`
        create trigger ${table}_reference_changed after insert or update or delete on ${table}
          for each row execute function reference_data_changed()`)
    }
    this.addSql(`
      create trigger membership_reference_added after insert or delete on membership
        for each row execute function reference_data_changed()`)
    this.addSql(`
      create trigger membership_reference_changed
        after update of organization_id, user_id, role, active on membership
        for each row
        when (old.organization_id is distinct from new.organization_id
          or old.user_id is distinct from new.user_id
          or old.role is distinct from new.role
          or old.active is distinct from new.active)
        execute function reference_data_changed()`)
    this.addSql(`
      create trigger app_user_reference_changed after update of display_name, email on app_user
        for each row
        when (old.display_name is distinct from new.display_name or old.email is distinct from new.email)
        execute function reference_person_changed()`)
  }

  override async down() {
    for (const table of ORGANIZATION_TABLES) {
      this.addSql(`drop trigger if exists ${table}_reference_changed on ${table}`)
    }
    this.addSql(`drop trigger if exists membership_reference_added on membership`)
    this.addSql(`drop trigger if exists membership_reference_changed on membership`)
    this.addSql(`drop trigger if exists app_user_reference_changed on app_user`)
    this.addSql(`drop function if exists reference_data_changed(), reference_person_changed()`)
  }
}
