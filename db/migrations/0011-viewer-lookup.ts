import { Migration } from '@mikro-orm/migrations'

/**
 * Who is making a request, in one statement. Every page starts by reading the session, its user,
 * the user's active memberships and their organizations; as separate queries under two scopes
 * that cost two transactions. `incidentflow_viewer` is the one named cross-tenant entry point
 * for it: given the hash of a session token (a secret only its holder has), it returns that
 * session's user and the organizations the user is an active member of — the same rows the
 * `membership_of_user` and `organization_of_user` policies open — and nothing else.
 *
 * `incidentflow_touch_session` writes the once-a-minute `last_seen_at` of the session and of the
 * active membership, and repairs a session whose active organization went away. Rows another
 * request is already touching are skipped (`skip locked`), so a burst of requests from one user
 * never queues behind one row lock.
 *
 * Both run as their owner (`security definer`) with a fixed search path; they set the
 * transaction-local scope they need for row-level security (which also binds a non-superuser
 * owner under FORCE) and put the caller's back before returning.
 */
export class Migration0011ViewerLookup extends Migration {
  override async up() {
    this.addSql(`
      create or replace function incidentflow_viewer(p_session text)
      returns table (
        user_id uuid,
        active_organization_id uuid,
        last_seen_at timestamptz,
        expires_at timestamptz,
        revoked_at timestamptz,
        email text,
        display_name text,
        membership_id uuid,
        membership_last_seen_at timestamptz,
        role text,
        organization_id uuid,
        organization_name text,
        organization_slug text,
        organization_timezone text
      )
      language plpgsql volatile security definer
      set search_path = public, pg_temp
      as $$
      declare
        s user_session%rowtype;
        caller_user text := current_setting('app.user_id', true);
      begin
        select * into s from user_session where id = p_session;
        if not found then
          return;
        end if;
        perform set_config('app.user_id', s.user_id::text, true);
        return query
          select s.user_id, s.active_organization_id, s.last_seen_at, s.expires_at, s.revoked_at,
                 u.email::text, u.display_name::text,
                 m.id, m.last_seen_at, m.role::text,
                 o.id, o.name::text, o.slug::text, o.timezone::text
            from app_user u
            left join membership m on m.user_id = u.id and m.active
            left join organization o on o.id = m.organization_id
           where u.id = s.user_id
           order by o.name, o.id;
        perform set_config('app.user_id', coalesce(caller_user, ''), true);
      end $$`)

    this.addSql(`
      create or replace function incidentflow_touch_session(
        p_session text,
        p_now timestamptz,
        p_touch_before timestamptz,
        p_active_organization_id uuid,
        p_repair_active boolean,
        p_membership_id uuid
      ) returns void
      language plpgsql volatile security definer
      set search_path = public, pg_temp
      as $$
      declare
        caller_org text := current_setting('app.organization_id', true);
      begin
        update user_session
           set last_seen_at = case when last_seen_at < p_touch_before then p_now else last_seen_at end,
               active_organization_id = case when p_repair_active then p_active_organization_id
                                             else active_organization_id end
         where id = (select id from user_session
                      where id = p_session and (last_seen_at < p_touch_before or p_repair_active)
                      for update skip locked);

        if p_membership_id is not null and p_active_organization_id is not null then
          perform set_config('app.organization_id', p_active_organization_id::text, true);
          update membership
             set last_seen_at = p_now
           where id = (select m.id from membership m
                        join user_session s on s.user_id = m.user_id and s.id = p_session
                       where m.id = p_membership_id
                         and m.organization_id = p_active_organization_id
                         and (m.last_seen_at is null or m.last_seen_at < p_touch_before)
                       for update of m skip locked);
          perform set_config('app.organization_id', coalesce(caller_org, ''), true);
        end if;
      end $$`)

    for (const fn of [
      'incidentflow_viewer(text)',
      'incidentflow_touch_session(text, timestamptz, timestamptz, uuid, boolean, uuid)',
    ]) {
      this.addSql(`revoke all on function ${fn} from public`)
      this.addSql(`grant execute on function ${fn} to incidentflow_app`)
    }
  }

  override async down() {
    this.addSql(
      `drop function if exists incidentflow_touch_session(text, timestamptz, timestamptz, uuid, boolean, uuid)`,
    )
    this.addSql(`drop function if exists incidentflow_viewer(text)`)
  }
}
