import { Migration } from '@mikro-orm/migrations'

const TENANT_TABLES = [
  'slack_installation',
  'slack_member',
  'slack_incident_channel',
  'slack_inbound_receipt',
  'teams_webhook',
  'chat_delivery',
]

/**
 * Chat: one Slack workspace per organization (its bot token and signing secret sealed with
 * SECRETS_ENCRYPTION_KEY), the Slack user ↔ member matches, each incident's channel and summary
 * message, the receipts that make a retried Slack request count once, a Microsoft Teams incoming
 * webhook per organization, and the outbound chat deliveries (shaped like `webhook_delivery`).
 *
 * Slack's requests name a workspace (`team_id`), not an organization. The one way from a team to
 * its organization is `incidentflow_slack_team(team)`, which runs as its owner, opens only the
 * installation row of that team (policy `slack_installation_by_team`, through the
 * transaction-local `app.slack_team_id`) and returns the organization with what the signature
 * check needs — the rest of the request then runs under that organization's scope. The policy
 * does not open anything to the application role itself (team ids are not secrets, unlike the
 * token hashes of `integration_by_token`): only the function's owner reads through it.
 */
export class Migration0018Slack extends Migration {
  override async up() {
    this.addSql(`
      create table slack_installation (
        organization_id uuid primary key references organization (id) on delete cascade,
        team_id text not null unique,
        team_name text not null,
        app_id text,
        bot_user_id text not null,
        bot_token_ciphertext text not null,
        signing_secret_ciphertext text,
        install_method text not null check (install_method in ('oauth', 'manifest')),
        channel_mode text not null default 'per_incident'
          check (channel_mode in ('per_incident', 'shared')),
        shared_channel_id text,
        archive_on_close boolean not null default true,
        installed_by uuid references app_user (id) on delete set null,
        installed_at timestamptz not null,
        updated_at timestamptz not null
      )`)

    this.addSql(`
      create table slack_member (
        organization_id uuid not null references organization (id) on delete cascade,
        slack_user_id text not null,
        user_id uuid not null references app_user (id) on delete cascade,
        email text not null,
        looked_up_at timestamptz not null,
        primary key (organization_id, slack_user_id)
      )`)
    this.addSql(`create index slack_member_user_idx on slack_member (organization_id, user_id)`)

    this.addSql(`
      create table slack_incident_channel (
        organization_id uuid not null references organization (id) on delete cascade,
        incident_id uuid not null references incident (id) on delete cascade,
        channel_id text not null,
        channel_name text not null,
        summary_ts text,
        signals_thread_ts text,
        archived_at timestamptz,
        created_at timestamptz not null,
        primary key (organization_id, incident_id)
      )`)
    this.addSql(
      `create index slack_incident_channel_channel_idx on slack_incident_channel (organization_id, channel_id)`,
    )

    this.addSql(`
      create table slack_inbound_receipt (
        team_id text not null,
        receipt_id text not null,
        organization_id uuid not null references organization (id) on delete cascade,
        kind text not null,
        received_at timestamptz not null,
        primary key (team_id, receipt_id)
      )`)
    this.addSql(
      `create index slack_inbound_receipt_org_idx on slack_inbound_receipt (organization_id, received_at)`,
    )

    this.addSql(`
      create table teams_webhook (
        organization_id uuid primary key references organization (id) on delete cascade,
        url_ciphertext text not null,
        created_by uuid references app_user (id) on delete set null,
        created_at timestamptz not null,
        updated_at timestamptz not null
      )`)

    this.addSql(`
      create table chat_delivery (
        id uuid primary key default gen_random_uuid(),
        organization_id uuid not null references organization (id) on delete cascade,
        provider text not null check (provider in ('slack', 'teams')),
        incident_id uuid not null references incident (id) on delete cascade,
        event_seq integer not null,
        kind text not null,
        status text not null default 'pending'
          check (status in ('pending', 'delivered', 'failed', 'dead')),
        attempts integer not null default 0,
        next_attempt_at timestamptz,
        last_error text,
        created_at timestamptz not null default now(),
        delivered_at timestamptz,
        unique (provider, incident_id, event_seq, kind)
      )`)
    this.addSql(
      `create index chat_delivery_due_idx on chat_delivery (next_attempt_at) where status in ('pending', 'failed')`,
    )
    this.addSql(
      `create index chat_delivery_org_idx on chat_delivery (organization_id, created_at desc)`,
    )
    this.addSql(
      `create index chat_delivery_dead_idx on chat_delivery (organization_id, created_at desc) where status = 'dead'`,
    )

    for (const table of TENANT_TABLES) {
      this.addSql(`alter table ${table} enable row level security`)
      this.addSql(`alter table ${table} force row level security`)
      this.addSql(`
        create policy ${table}_tenant on ${table}
          using (organization_id = incidentflow_org()) with check (organization_id = incidentflow_org())`)
    }
    this.addSql(`
      create policy slack_installation_by_team on slack_installation for select
        using (current_user <> 'incidentflow_app'
               and team_id = nullif(current_setting('app.slack_team_id', true), ''))`)

    this.addSql(
      `grant select, insert, update, delete on slack_installation, slack_member, teams_webhook to incidentflow_app`,
    )
    this.addSql(
      `grant select, insert, update on slack_incident_channel, chat_delivery to incidentflow_app`,
    )
    this.addSql(`grant select, insert, delete on slack_inbound_receipt to incidentflow_app`)

    this.addSql(`
      create or replace function incidentflow_slack_team(team text)
      returns table (organization_id uuid, signing_secret_ciphertext text, install_method text)
      language plpgsql volatile security definer
      set search_path = public, pg_temp
      as $$
      declare
        caller_team text := current_setting('app.slack_team_id', true);
      begin
        if team is null or team = '' then
          return;
        end if;
        perform set_config('app.slack_team_id', team, true);
        return query
          select s.organization_id, s.signing_secret_ciphertext, s.install_method
            from slack_installation s
           where s.team_id = team;
        perform set_config('app.slack_team_id', coalesce(caller_team, ''), true);
      end $$`)
    this.addSql(`revoke all on function incidentflow_slack_team(text) from public`)
    this.addSql(`grant execute on function incidentflow_slack_team(text) to incidentflow_app`)
  }

  override async down() {
    this.addSql(`drop function if exists incidentflow_slack_team(text)`)
    this.addSql(
      `drop table if exists chat_delivery, teams_webhook, slack_inbound_receipt, slack_incident_channel, slack_member, slack_installation cascade`,
    )
  }
}
