import { Migration } from '@mikro-orm/migrations'

export class Migration0001Initial extends Migration {
  override async up() {
    this.addSql(`create extension if not exists pgcrypto`)
    this.addSql(`
      create table organization (
        id uuid primary key default gen_random_uuid(),
        name varchar(120) not null check (length(trim(name)) > 0),
        slug varchar(64) not null unique check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
        timezone varchar(64) not null default 'UTC',
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      )`)
    this.addSql(`
      create table email_outbox (
        id uuid primary key default gen_random_uuid(),
        organization_id uuid references organization (id) on delete cascade,
        kind varchar(64) not null,
        to_address varchar(320) not null,
        subject varchar(300) not null,
        body_text text not null,
        body_html text,
        idempotency_key varchar(200) not null unique,
        status varchar(16) not null default 'pending'
          check (status in ('pending', 'sent', 'held', 'failed')),
        attempts integer not null default 0,
        last_error text,
        provider_message_id varchar(200),
        created_at timestamptz not null default now(),
        delivered_at timestamptz
      )`)
    this.addSql(
      `create index email_outbox_org_created_idx on email_outbox (organization_id, created_at desc)`,
    )
    this.addSql(`create index email_outbox_created_idx on email_outbox (created_at desc)`)
  }

  override async down() {
    this.addSql(`drop table if exists email_outbox`)
    this.addSql(`drop table if exists organization`)
  }
}
