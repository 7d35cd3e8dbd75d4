import { Migration } from '@mikro-orm/migrations'
import { fillTimelineEntries } from '~/domain/incident/timeline.server'

/**
 * The incident page's read model of the timeline (app/domain/incident/timeline.server.ts): per
 * event, its run of repeated system entries, the comment a correction supersedes, and its
 * Markdown rendered and sanitised once. `incident_event` stays append-only and untouched; this
 * table is derived from it, so existing events are filled here.
 *
 * The statements run through `execute` rather than `addSql`, because the fill is TypeScript (the
 * Markdown renderer) and must run after the table exists, in the same transaction.
 */
export class Migration0010TimelineRendered extends Migration {
  override async up() {
    await this.execute(`
      create table incident_timeline_entry (
        organization_id uuid not null references organization (id),
        incident_id uuid not null references incident (id),
        seq integer not null,
        -- Consecutive system entries with the same key form a run; run_start is its first seq.
        run_key text,
        run_start integer not null check (run_start between 1 and seq),
        -- The entry's Markdown (a comment, or the summary it set) as sanitised HTML.
        html text,
        html_of varchar(8) check (html_of in ('comment', 'summary')),
        check ((html is null) = (html_of is null)),
        -- A correction's superseded comment.
        supersedes_seq integer,
        -- Derived from incident_event (incident_id, seq), without a foreign key to it: the row is
        -- written in the appending transaction before the ORM flushes the event itself.
        primary key (incident_id, seq)
      )`)
    // A page of runs is a backward scan of this index that stops after the page's last run.
    await this.execute(`
      create index incident_timeline_entry_run_idx
        on incident_timeline_entry (incident_id, run_start, seq) include (organization_id)`)
    await this.execute(`
      create index incident_timeline_entry_supersedes_idx
        on incident_timeline_entry (incident_id, supersedes_seq) where supersedes_seq is not null`)
    await this.execute(`
      create index incident_timeline_entry_summary_idx
        on incident_timeline_entry (incident_id, seq) where html_of = 'summary'`)

    await this.execute(`alter table incident_timeline_entry enable row level security`)
    await this.execute(`alter table incident_timeline_entry force row level security`)
    await this.execute(`
      create policy incident_timeline_entry_tenant on incident_timeline_entry
        using (organization_id = incidentflow_org()) with check (organization_id = incidentflow_org())`)
    // Like the events it is derived from: written once, never changed by the application.
    await this.execute(`grant select, insert on incident_timeline_entry to incidentflow_app`)

    await fillTimelineEntries((sql, params) => this.execute(sql, params))
  }

  override async down() {
    this.addSql(`drop table if exists incident_timeline_entry`)
  }
}
