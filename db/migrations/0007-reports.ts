import { Migration } from '@mikro-orm/migrations'

/**
 * PDF reports: one row per requested report, written by the web process with its
 * `report-generate` job and moved through queued → running → done | failed by the worker. The
 * file lives in object storage under `object_key`. At most one report per organization and
 * parameters is queued or running at a time (the partial unique index), so asking twice for the
 * same report while it is being made returns the one already under way.
 */
export class Migration0007Reports extends Migration {
  override async up() {
    this.addSql(`
      create table report (
        id uuid primary key default gen_random_uuid(),
        organization_id uuid not null references organization (id) on delete cascade,
        requested_by uuid references app_user (id),
        parameters jsonb not null,
        parameters_hash char(64) not null,
        status varchar(16) not null default 'queued'
          check (status in ('queued', 'running', 'done', 'failed')),
        progress smallint not null default 0 check (progress between 0 and 100),
        job_id uuid,
        object_key varchar(300) unique,
        size_bytes bigint check (size_bytes > 0),
        error varchar(2000),
        created_at timestamptz not null default now(),
        started_at timestamptz,
        finished_at timestamptz,
        check (status <> 'done' or (object_key is not null and size_bytes is not null))
      )`)
    this.addSql(`
      create unique index report_in_progress_key on report (organization_id, parameters_hash)
        where status in ('queued', 'running')`)
    this.addSql(`create index report_list_idx on report (organization_id, created_at desc)`)
    this.addSql(`alter table report enable row level security`)
    this.addSql(`alter table report force row level security`)
    this.addSql(`
      create policy report_tenant on report
        using (organization_id = incidentflow_org()) with check (organization_id = incidentflow_org())`)
    this.addSql(`grant select, insert, update on report to incidentflow_app`)
  }

  override async down() {
    this.addSql(`drop table if exists report`)
  }
}
