import { Migration } from '@mikro-orm/migrations'

/**
 * Evidence attachments: the file lives in object storage under a server-chosen key; the row
 * keeps what the timeline and downloads need. Withdrawing evidence marks the row; the object and
 * the `attachment.added` event stay, so the record remains complete.
 */
export class Migration0004Evidence extends Migration {
  override async up() {
    this.addSql(`
      create table attachment (
        id uuid primary key default gen_random_uuid(),
        organization_id uuid not null references organization (id) on delete cascade,
        incident_id uuid not null references incident (id),
        object_key varchar(300) not null unique,
        display_name varchar(200) not null,
        content_type varchar(100) not null,
        size_bytes bigint not null check (size_bytes > 0),
        sha256 char(64) not null,
        description varchar(500) not null default '',
        uploaded_by uuid references app_user (id),
        uploaded_at timestamptz not null default now(),
        withdrawn_at timestamptz,
        withdrawn_by uuid references app_user (id),
        withdraw_reason varchar(1000)
      )`)
    this.addSql(
      `create index attachment_incident_idx on attachment (organization_id, incident_id, uploaded_at)`,
    )
    this.addSql(`alter table attachment enable row level security`)
    this.addSql(`alter table attachment force row level security`)
    this.addSql(`
      create policy attachment_tenant on attachment
        using (organization_id = incidentflow_org()) with check (organization_id = incidentflow_org())`)
    this.addSql(`grant select, insert, update on attachment to incidentflow_app`)
  }

  override async down() {
    this.addSql(`drop table if exists attachment`)
  }
}
