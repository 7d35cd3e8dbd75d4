import { Migration } from '@mikro-orm/migrations'

/**
 * Repeated firing of one alert is counted rather than appended one entry at a time.
 *
 * One row per (incident, integration, de-duplication key): when the alert last had a timeline
 * entry of its own (`last_entry_at`), and the firings since then that were only counted — how many,
 * the first and last time, the first and last receipt, and the alert as it last fired. The worker
 * writes the count into one `alert.received` entry when the repeat window closes (a delayed
 * `alert-repeats` job), before an `alert.resolved`, or with the next firing after the window.
 * The row is working state, not the record: the record is the hash-chained entry it becomes and
 * the receipts, which keep every payload and what was done with it.
 */
export class Migration0013AlertRepeats extends Migration {
  override async up() {
    this.addSql(`
      create table alert_repeat (
        organization_id uuid not null references organization (id) on delete cascade,
        incident_id uuid not null references incident (id) on delete cascade,
        integration_id uuid not null references integration (id) on delete cascade,
        dedup_key varchar(500) not null,
        last_entry_at timestamptz,
        count integer not null default 0 check (count >= 0),
        first_at timestamptz,
        last_at timestamptz,
        first_receipt_id uuid,
        last_receipt_id uuid,
        alert jsonb,
        primary key (incident_id, integration_id, dedup_key)
      )`)
    this.addSql(`alter table alert_repeat enable row level security`)
    this.addSql(`alter table alert_repeat force row level security`)
    this.addSql(`
      create policy alert_repeat_tenant on alert_repeat
        using (organization_id = incidentflow_org()) with check (organization_id = incidentflow_org())`)
    this.addSql(`grant select, insert, update on alert_repeat to incidentflow_app`)
  }

  override async down() {
    this.addSql(`drop table if exists alert_repeat`)
  }
}
