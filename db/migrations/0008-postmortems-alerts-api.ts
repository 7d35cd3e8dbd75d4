import { Migration } from '@mikro-orm/migrations'

const TENANT_TABLES = [
  'postmortem',
  'postmortem_revision',
  'postmortem_draft',
  'action_item',
  'integration',
  'alert_receipt',
  'alert_link',
  'api_token',
]

const tenantPolicy = (table: string) => `
  create policy ${table}_tenant on ${table}
    using (organization_id = incidentflow_org()) with check (organization_id = incidentflow_org())`

/**
 * Postmortems (append-only revisions, drafts made by the worker, action items), inbound alert
 * integrations (hashed tokens, received payloads, de-duplication links) and personal API
 * tokens.
 *
 * Integration and API tokens are presented without any organization: the visitor's token hash
 * opens exactly one row through the `*_by_token` policies (the transaction-local setting
 * `app.token_hash`, like invitations), and the rest of the work then runs under that row's
 * organization.
 */
export class Migration0008PostmortemsAlertsApi extends Migration {
  override async up() {
    // Off by default: an organization opts in at /admin/postmortems.
    this.addSql(
      `alter table organization add column require_postmortem boolean not null default false`,
    )

    this.addSql(`
      create table postmortem (
        id uuid primary key default gen_random_uuid(),
        organization_id uuid not null references organization (id) on delete cascade,
        incident_id uuid not null unique references incident (id) on delete cascade,
        status varchar(16) not null default 'draft'
          check (status in ('draft', 'in_review', 'published')),
        -- The newest revision's number: every save adds one; a form carries the number it was
        -- rendered from, and a different number means somebody saved in between.
        current_revision integer not null default 0 check (current_revision >= 0),
        published_at timestamptz,
        published_by uuid references app_user (id) on delete set null,
        created_by uuid references app_user (id) on delete set null,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        check (status <> 'published' or published_at is not null)
      )`)
    this.addSql(`create index postmortem_org_idx on postmortem (organization_id, created_at desc)`)

    // Append-only: the application role may insert and read revisions, never change them.
    this.addSql(`
      create table postmortem_revision (
        organization_id uuid not null references organization (id) on delete cascade,
        postmortem_id uuid not null references postmortem (id) on delete cascade,
        revision integer not null check (revision > 0),
        status varchar(16) not null check (status in ('draft', 'in_review', 'published')),
        -- { summary, customerImpact, rootCause, wentWell, wentPoorly, lessons }: Markdown text.
        sections jsonb not null,
        -- The timeline section: [{ seq, note }] — chosen incident events, oldest first.
        timeline jsonb not null default '[]',
        source varchar(16) not null default 'human' check (source in ('human', 'template', 'llm')),
        -- For accepted drafts: { draftId, model, promptVersion, generatedAt, statements }.
        generator jsonb,
        change_note varchar(500),
        author_id uuid references app_user (id) on delete set null,
        created_at timestamptz not null default now(),
        primary key (postmortem_id, revision)
      )`)

    this.addSql(`
      create table postmortem_draft (
        id uuid primary key default gen_random_uuid(),
        organization_id uuid not null references organization (id) on delete cascade,
        postmortem_id uuid not null references postmortem (id) on delete cascade,
        mode varchar(16) not null check (mode in ('template', 'llm')),
        status varchar(16) not null default 'queued'
          check (status in ('queued', 'running', 'done', 'failed', 'accepted', 'discarded')),
        requested_by uuid references app_user (id) on delete set null,
        -- The revision the draft was asked for on top of.
        base_revision integer not null,
        result jsonb,
        model varchar(200),
        prompt_version varchar(40),
        error varchar(2000),
        job_id uuid,
        accepted_revision integer,
        created_at timestamptz not null default now(),
        started_at timestamptz,
        finished_at timestamptz
      )`)
    this.addSql(
      `create index postmortem_draft_pm_idx on postmortem_draft (postmortem_id, created_at desc)`,
    )

    this.addSql(`
      create table action_item (
        id uuid primary key default gen_random_uuid(),
        organization_id uuid not null references organization (id) on delete cascade,
        postmortem_id uuid not null references postmortem (id) on delete cascade,
        incident_id uuid not null references incident (id) on delete cascade,
        title varchar(300) not null check (length(trim(title)) > 0),
        owner_id uuid references app_user (id) on delete set null,
        due_on date,
        priority varchar(8) not null default 'medium' check (priority in ('high', 'medium', 'low')),
        status varchar(16) not null default 'open'
          check (status in ('open', 'in_progress', 'done', 'wont_do')),
        created_by uuid references app_user (id) on delete set null,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        completed_at timestamptz,
        -- Set when the owner was told the item is overdue, so they are told once per due date.
        overdue_notified_on date
      )`)
    this.addSql(`create index action_item_pm_idx on action_item (postmortem_id, created_at)`)
    this.addSql(`
      create index action_item_owner_open_idx on action_item (organization_id, owner_id, due_on)
        where status in ('open', 'in_progress')`)
    this.addSql(`
      create index action_item_due_idx on action_item (due_on)
        where status in ('open', 'in_progress') and due_on is not null`)
    // The overdue sweep's entry point across organizations, like `sla_deadline`: ids and the due
    // date only, one row per open item with a due date whose owner has not yet been told about
    // that date. Kept in step with action_item by the trigger below.
    this.addSql(`
      create table action_item_due (
        action_item_id uuid primary key references action_item (id) on delete cascade,
        tenant_id uuid not null references tenant (id) on delete cascade,
        due_on date not null
      )`)
    this.addSql(`create index action_item_due_on_idx on action_item_due (due_on)`)
    this.addSql(`
      create function incidentflow_track_action_item_due() returns trigger language plpgsql as $$
      begin
        if new.status in ('open', 'in_progress') and new.due_on is not null
           and new.overdue_notified_on is distinct from new.due_on then
          insert into action_item_due (action_item_id, tenant_id, due_on)
            values (new.id, new.organization_id, new.due_on)
          on conflict (action_item_id) do update set due_on = excluded.due_on;
        else
          delete from action_item_due where action_item_id = new.id;
        end if;
        return null;
      end $$`)
    this.addSql(`
      create trigger action_item_track_due
        after insert or update of status, due_on, overdue_notified_on on action_item
        for each row execute function incidentflow_track_action_item_due()`)

    this.addSql(`
      create table integration (
        id uuid primary key default gen_random_uuid(),
        organization_id uuid not null references organization (id) on delete cascade,
        service_id uuid not null references service (id),
        name varchar(120) not null check (length(trim(name)) > 0),
        kind varchar(16) not null check (kind in ('alertmanager', 'pagerduty', 'generic')),
        -- SHA-256 (hex) of the token in the URL; the token itself is shown once.
        token_hash char(64) not null unique,
        -- The token's first characters, so admins can tell tokens apart.
        token_hint varchar(16) not null,
        default_severity varchar(8) not null default 'SEV-3'
          check (default_severity in ('SEV-1', 'SEV-2', 'SEV-3', 'SEV-4')),
        mitigate_on_resolve boolean not null default false,
        -- PagerDuty's webhook signing secret (an HMAC key, so it must be kept in clear).
        signing_secret varchar(200),
        rate_limit_per_minute integer not null default 120 check (rate_limit_per_minute between 1 and 10000),
        active boolean not null default true,
        created_by uuid references app_user (id) on delete set null,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        last_received_at timestamptz
      )`)
    this.addSql(`create index integration_org_idx on integration (organization_id, created_at)`)

    // Per-token fixed one-minute windows, shared by every web process.
    this.addSql(`
      create table integration_rate (
        integration_id uuid not null references integration (id) on delete cascade,
        window_start timestamptz not null,
        hits integer not null,
        primary key (integration_id, window_start)
      )`)

    this.addSql(`
      create table alert_receipt (
        id uuid primary key default gen_random_uuid(),
        organization_id uuid not null references organization (id) on delete cascade,
        integration_id uuid not null references integration (id) on delete cascade,
        status varchar(16) not null default 'queued'
          check (status in ('queued', 'processed', 'failed', 'ignored')),
        payload jsonb not null,
        -- What the worker did: [{ dedupKey, action: 'declared'|'appended'|'resolved'|'ignored', incidentNumber }].
        outcome jsonb,
        error varchar(2000),
        received_at timestamptz not null default now(),
        processed_at timestamptz
      )`)
    this.addSql(
      `create index alert_receipt_integration_idx on alert_receipt (integration_id, received_at desc)`,
    )

    // Which incident an alert's de-duplication key belongs to. A key maps to the newest incident
    // declared for it; once that incident is no longer open, the next firing declares a new one.
    this.addSql(`
      create table alert_link (
        organization_id uuid not null references organization (id) on delete cascade,
        integration_id uuid not null references integration (id) on delete cascade,
        dedup_key varchar(500) not null,
        incident_id uuid not null references incident (id) on delete cascade,
        created_at timestamptz not null default now(),
        primary key (integration_id, dedup_key, incident_id)
      )`)
    this.addSql(
      `create index alert_link_key_idx on alert_link (integration_id, dedup_key, created_at desc)`,
    )

    this.addSql(`
      create table api_token (
        id uuid primary key default gen_random_uuid(),
        organization_id uuid not null references organization (id) on delete cascade,
        user_id uuid not null references app_user (id) on delete cascade,
        name varchar(120) not null check (length(trim(name)) > 0),
        token_hash char(64) not null unique,
        token_hint varchar(16) not null,
        created_at timestamptz not null default now(),
        expires_at timestamptz,
        last_used_at timestamptz,
        revoked_at timestamptz
      )`)
    this.addSql(`create index api_token_user_idx on api_token (organization_id, user_id)`)

    // PDF reports of one postmortem go through the report machinery too.
    this.addSql(
      `alter table report add column kind varchar(16) not null default 'analytics' check (kind in ('analytics', 'postmortem'))`,
    )
    this.addSql(`alter table report add column subject_id uuid`)

    for (const table of TENANT_TABLES) {
      this.addSql(`alter table ${table} enable row level security`)
      this.addSql(`alter table ${table} force row level security`)
      this.addSql(tenantPolicy(table))
    }
    this.addSql(`
      create policy integration_by_token on integration for select
        using (token_hash = nullif(current_setting('app.token_hash', true), ''))`)
    this.addSql(`
      create policy api_token_by_token on api_token for select
        using (token_hash = nullif(current_setting('app.token_hash', true), ''))`)
    // The rate table holds ids and counts only, and is reached before any organization is known.
    this.addSql(`grant select, insert, update, delete on integration_rate to incidentflow_app`)

    this.addSql(
      `grant select, insert, update on postmortem, postmortem_draft, alert_receipt, api_token to incidentflow_app`,
    )
    this.addSql(`grant select, insert on postmortem_revision, alert_link to incidentflow_app`)
    this.addSql(
      `grant select, insert, update, delete on action_item, integration to incidentflow_app`,
    )
    this.addSql(`grant select, insert, update, delete on action_item_due to incidentflow_app`)
  }

  override async down() {
    this.addSql(`alter table report drop column if exists kind, drop column if exists subject_id`)
    this.addSql(
      `drop table if exists api_token, alert_link, alert_receipt, integration_rate, integration, action_item_due, action_item, postmortem_draft, postmortem_revision, postmortem cascade`,
    )
    this.addSql(`alter table organization drop column if exists require_postmortem`)
    this.addSql(`drop function if exists incidentflow_track_action_item_due()`)
  }
}
