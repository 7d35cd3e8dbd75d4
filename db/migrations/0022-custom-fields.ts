import { Migration } from '@mikro-orm/migrations'

/**
 * Custom fields: definitions per organization (`custom_field`) and each incident's values in
 * `incident.custom_fields`, a JSON object keyed by field id (text, number, option ids, a member's
 * user id or a `YYYY-MM-DD` date). The values are a cache of the incident's
 * `incident.custom_field_changed` events, like every other incident column.
 *
 * A field is archived, never deleted: old timeline entries keep its label in their payload, and
 * incidents keep the values they had. Options live in the definition's `options` array with a
 * stable id each; renaming one changes its label only, retiring one hides it from forms while old
 * values keep showing their label. `version` lets a stale admin form be refused.
 */
export class Migration0022CustomFields extends Migration {
  override async up() {
    this.addSql(`
      create table custom_field (
        id uuid primary key default gen_random_uuid(),
        organization_id uuid not null references organization (id) on delete cascade,
        key text not null check (key ~ '^[a-z][a-z0-9_]{0,39}$'),
        label text not null check (char_length(label) between 1 and 80),
        help_text text not null default '' check (char_length(help_text) <= 300),
        kind text not null
          check (kind in ('text', 'number', 'single_choice', 'multi_choice', 'member', 'date')),
        options jsonb not null default '[]'::jsonb check (jsonb_typeof(options) = 'array'),
        required_from_status text check (required_from_status in
          ('detected', 'investigating', 'mitigated', 'resolved', 'postmortem', 'closed')),
        position integer not null,
        version integer not null default 1,
        archived_at timestamptz,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        unique (organization_id, key)
      )`)
    this.addSql(
      `create index custom_field_org_idx on custom_field (organization_id, position) where archived_at is null`,
    )
    this.addSql(`alter table custom_field enable row level security`)
    this.addSql(`alter table custom_field force row level security`)
    this.addSql(`
      create policy custom_field_tenant on custom_field
        using (organization_id = incidentflow_org()) with check (organization_id = incidentflow_org())`)
    this.addSql(`grant select, insert, update on custom_field to incidentflow_app`)

    // A constant default: PostgreSQL 11+ adds the column without rewriting the table.
    this.addSql(`alter table incident add column custom_fields jsonb not null default '{}'::jsonb`)
  }

  override async down() {
    this.addSql(`alter table incident drop column if exists custom_fields`)
    this.addSql(`drop table if exists custom_field`)
  }
}
