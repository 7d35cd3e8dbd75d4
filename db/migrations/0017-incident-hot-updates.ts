import { Migration } from '@mikro-orm/migrations'

/**
 * Lets PostgreSQL update incident rows in place (heap-only tuples, "HOT"). Every appended event
 * moves its incident's head on (seq, hash, version, updated_at) and the SLA sweep moves
 * `sla_next_deadline` as well: none of those needs an index, but `incident_sla_deadline_idx`
 * covered `sla_next_deadline`, so every sweep update wrote a new entry into each of the table's
 * indexes (two of them GIN). The sweep reads due incidents from `sla_deadline` (migration 0005)
 * and nothing else searches by that column, so the index goes. A fill factor of 85 keeps room on
 * each page for the new row versions, which HOT needs (a full page cannot take them in place).
 */
export class Migration0017IncidentHotUpdates extends Migration {
  override async up() {
    this.addSql(`drop index if exists incident_sla_deadline_idx`)
    this.addSql(`alter table incident set (fillfactor = 85)`)
  }

  override async down() {
    this.addSql(`alter table incident reset (fillfactor)`)
    this.addSql(`
      create index if not exists incident_sla_deadline_idx on incident (organization_id, sla_next_deadline)
        where sla_next_deadline is not null`)
  }
}
