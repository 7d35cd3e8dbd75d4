import { APP_ROLE } from './tenant'

/**
 * The cluster-wide role the schema refers to (grants, row-level security) and the right of the
 * connecting role to switch to it. Roles live outside any one database: `pg_dump` does not copy
 * them, so a restore into a new cluster runs this first (`npm run db:roles`, docs/operations.md),
 * and `migrate()` runs it before every migration run. Safe to run again, and concurrently.
 *
 * PostgreSQL 16+ gives a CREATEROLE role that creates a role only ADMIN on it, without SET, so
 * membership alone does not let it `SET ROLE`: there the check is `pg_has_role(…, 'SET')` and the
 * grant says `WITH SET TRUE`. PostgreSQL 15 knows neither; there membership is what SET needs.
 * A superuser needs no grant at all.
 */
export const APP_ROLE_SQL = `
do $$
begin
  if not exists (select 1 from pg_roles where rolname = '${APP_ROLE}') then
    create role ${APP_ROLE} nologin noinherit nobypassrls;
  end if;
exception when duplicate_object then null;
end $$;
do $$
begin
  if (select rolsuper from pg_roles where rolname = current_user) then
    return;
  end if;
  if current_setting('server_version_num')::int >= 160000 then
    if not pg_has_role(current_user, '${APP_ROLE}', 'SET') then
      execute format('grant ${APP_ROLE} to %I with set true', current_user);
    end if;
  elsif not pg_has_role(current_user, '${APP_ROLE}', 'MEMBER') then
    execute format('grant ${APP_ROLE} to %I', current_user);
  end if;
end $$;`

/** Runs APP_ROLE_SQL on a connection (a pg client or MikroORM's connection). */
export async function ensureAppRole(connection: { query: (sql: string) => Promise<unknown> }) {
  await connection.query(APP_ROLE_SQL)
}
