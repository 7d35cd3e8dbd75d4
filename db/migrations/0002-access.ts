import { Migration } from '@mikro-orm/migrations'

/**
 * Users, memberships, sessions, invitations, sign-in throttling — and the tenant wall:
 * row-level security on every table that carries `organization_id`, enforced against
 * `incidentflow_app`, the role every request switches to (it owns nothing and cannot bypass RLS).
 */
export class Migration0002Access extends Migration {
  override async up() {
    // Roles are cluster-wide: create once, tolerate a concurrent creator.
    this.addSql(`
      do $$
      begin
        if not exists (select 1 from pg_roles where rolname = 'incidentflow_app') then
          create role incidentflow_app nologin noinherit nobypassrls;
        end if;
      exception when duplicate_object then null;
      end $$`)
    // The migrating role must be able to SET ROLE to it (PostgreSQL 16+ does not grant SET to a
    // CREATEROLE creator by default; a superuser needs nothing).
    this.addSql(`
      do $$
      begin
        if not pg_has_role(current_user, 'incidentflow_app', 'MEMBER') then
          execute format('grant incidentflow_app to %I', current_user);
        end if;
      end $$`)

    this.addSql(`
      create function incidentflow_org() returns uuid language sql stable as
      $$ select nullif(current_setting('app.organization_id', true), '')::uuid $$`)
    this.addSql(`
      create function incidentflow_user() returns uuid language sql stable as
      $$ select nullif(current_setting('app.user_id', true), '')::uuid $$`)

    this.addSql(`
      create table app_user (
        id uuid primary key default gen_random_uuid(),
        email varchar(320) not null check (email = lower(email) and position('@' in email) > 1),
        display_name varchar(120) not null check (length(trim(display_name)) > 0),
        password_hash text,
        supabase_user_id uuid unique,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        last_login_at timestamptz
      )`)
    this.addSql(`create unique index app_user_email_key on app_user (email)`)

    this.addSql(`
      create table membership (
        id uuid primary key default gen_random_uuid(),
        organization_id uuid not null references organization (id) on delete cascade,
        user_id uuid not null references app_user (id) on delete cascade,
        role varchar(16) not null check (role in ('admin', 'manager', 'engineer')),
        active boolean not null default true,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        last_seen_at timestamptz,
        unique (organization_id, user_id)
      )`)
    this.addSql(`create index membership_user_idx on membership (user_id)`)

    // A session belongs to a user, not to an organization: it is read before any organization
    // is known. Its id is the SHA-256 of the cookie's token, so a copy of this table signs no
    // one in.
    this.addSql(`
      create table user_session (
        id char(64) primary key,
        user_id uuid not null references app_user (id) on delete cascade,
        active_organization_id uuid references organization (id) on delete set null,
        created_at timestamptz not null default now(),
        last_seen_at timestamptz not null default now(),
        expires_at timestamptz not null,
        revoked_at timestamptz,
        ip varchar(64),
        user_agent varchar(400)
      )`)
    this.addSql(
      `create index user_session_user_idx on user_session (user_id) where revoked_at is null`,
    )

    this.addSql(`
      create table invitation (
        id uuid primary key default gen_random_uuid(),
        organization_id uuid not null references organization (id) on delete cascade,
        email varchar(320) not null check (email = lower(email)),
        role varchar(16) not null check (role in ('admin', 'manager', 'engineer')),
        token_hash char(64) not null unique,
        invited_by uuid references app_user (id) on delete set null,
        created_at timestamptz not null default now(),
        expires_at timestamptz not null,
        accepted_at timestamptz,
        accepted_by uuid references app_user (id) on delete set null,
        revoked_at timestamptz
      )`)
    this.addSql(`create index invitation_org_idx on invitation (organization_id, created_at desc)`)

    // Failed and successful sign-ins, for throttling per account and per address.
    this.addSql(`
      create table login_attempt (
        id bigint generated always as identity primary key,
        email varchar(320) not null,
        ip varchar(64) not null,
        succeeded boolean not null,
        created_at timestamptz not null default now()
      )`)
    this.addSql(`create index login_attempt_email_idx on login_attempt (email, created_at desc)`)
    this.addSql(`create index login_attempt_ip_idx on login_attempt (ip, created_at desc)`)

    // Every e-mail belongs to an organization, so the outbox is tenant data like the rest.
    this.addSql(`delete from email_outbox where organization_id is null`)
    this.addSql(`alter table email_outbox alter column organization_id set not null`)

    for (const table of ['organization', 'membership', 'invitation', 'email_outbox']) {
      this.addSql(`alter table ${table} enable row level security`)
      this.addSql(`alter table ${table} force row level security`)
    }
    this.addSql(`
      create policy organization_tenant on organization
        using (id = incidentflow_org()) with check (id = incidentflow_org())`)
    // Sign-in and the organization switcher list the organizations a user belongs to.
    this.addSql(`
      create policy organization_of_user on organization for select
        using (exists (select 1 from membership m where m.organization_id = organization.id
                       and m.user_id = incidentflow_user() and m.active))`)
    this.addSql(`
      create policy membership_tenant on membership
        using (organization_id = incidentflow_org()) with check (organization_id = incidentflow_org())`)
    // A user's own memberships, across organizations (sign-in, switching).
    this.addSql(`
      create policy membership_of_user on membership for select
        using (user_id = incidentflow_user())`)
    this.addSql(`
      create policy invitation_tenant on invitation
        using (organization_id = incidentflow_org()) with check (organization_id = incidentflow_org())`)
    // Whoever holds an invitation link may read that one invitation, before joining.
    this.addSql(`
      create policy invitation_by_token on invitation for select
        using (token_hash = nullif(current_setting('app.invitation_token_hash', true), ''))`)
    this.addSql(`
      create policy email_outbox_tenant on email_outbox
        using (organization_id = incidentflow_org()) with check (organization_id = incidentflow_org())`)

    this.addSql(
      `grant select, insert, update on organization, membership, invitation, email_outbox to incidentflow_app`,
    )
    this.addSql(`grant select, insert, update on app_user to incidentflow_app`)
    this.addSql(`grant select, insert, update, delete on user_session to incidentflow_app`)
    this.addSql(`grant select, insert on login_attempt to incidentflow_app`)
  }

  override async down() {
    this.addSql(
      `drop table if exists login_attempt, invitation, user_session, membership, app_user cascade`,
    )
    for (const table of ['organization', 'email_outbox']) {
      this.addSql(`alter table ${table} no force row level security`)
      this.addSql(`alter table ${table} disable row level security`)
    }
    this.addSql(`drop policy if exists organization_tenant on organization`)
    this.addSql(`drop policy if exists organization_of_user on organization`)
    this.addSql(`drop policy if exists email_outbox_tenant on email_outbox`)
    this.addSql(`drop function if exists incidentflow_org(), incidentflow_user()`)
  }
}
