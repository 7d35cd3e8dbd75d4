import { Migration } from '@mikro-orm/migrations'

/**
 * What the job queues look like, for admins and for /metrics, and which request caused an event.
 *
 * pg-boss's tables (`pgboss.job`) are shared by every organization and are not readable by the
 * application role beyond job ids. Two `SECURITY DEFINER` functions are the narrow entry points:
 *
 * - `job_queue_stats(at)`: per queue, counts only (waiting, scheduled, active, failed within the
 *   hour before `at`) and when the oldest waiting job became due. No payload, no id, nothing of
 *   any organization leaves it: it is the health of the shared service.
 * - `job_newest_dead_letter()`: the newest dead letter of the organization the transaction is
 *   scoped to (`app.organization_id`), never another's.
 *
 * Both are PL/pgSQL, whose bodies PostgreSQL checks only when they run: pg-boss creates its schema
 * after the migrations (see db/migrate.ts), so on a fresh database `pgboss.job` does not exist yet
 * when this migration runs. For the same reason the index the stats read running and failed jobs
 * by is created with pg-boss's schema (`ensureJobSchema`, jobs/boss.ts).
 *
 * `event_outbox.request_id` carries the id of the web request whose change wrote the event, so the
 * worker's fan-out and the jobs it queues (e-mails, webhooks) log under the same id.
 */
export class Migration0016JobVisibility extends Migration {
  override async up() {
    this.addSql(`alter table event_outbox add column request_id text`)

    this.addSql(`
      create function job_queue_stats(at timestamptz)
      returns table (
        queue text, waiting bigint, scheduled bigint, active bigint, failed_last_hour bigint,
        oldest_waiting_since timestamptz)
      language plpgsql stable security definer
      set search_path = pg_catalog, pg_temp
      as $$
      begin
        -- Two reads that each use a partial index: pg-boss's own (name, start_after) where
        -- state < 'active' for the waiting jobs, and job_active_failed_stats (jobs/boss.ts) for
        -- the running and failed ones, so the finished jobs (up to 12 hours of them) are not read.
        return query
          with waiting as (
            select j.name,
                   count(*) filter (where j.start_after <= at) as due,
                   count(*) filter (where j.start_after > at) as later,
                   min(j.start_after) filter (where j.start_after <= at) as oldest
              from pgboss.job j
             where j.state < 'active'
             group by j.name
          ), running as (
            select j.name,
                   count(*) filter (where j.state = 'active') as active,
                   count(*) filter (where j.state = 'failed'
                                      and j.completed_on > at - interval '1 hour') as failed
              from pgboss.job j
             where j.state in ('active', 'failed')
             group by j.name
          )
          select coalesce(w.name, r.name)::text, coalesce(w.due, 0), coalesce(w.later, 0),
                 coalesce(r.active, 0), coalesce(r.failed, 0), w.oldest
            from waiting w full join running r on r.name = w.name;
      end $$`)

    this.addSql(`
      create function job_newest_dead_letter()
      returns table (created_on timestamptz, kind text, item_id text, reason text, state text)
      language plpgsql stable security definer
      set search_path = pg_catalog, pg_temp
      as $$
      begin
        return query
          select j.created_on,
                 case when j.data ? 'outboxId' then 'email' else 'webhook' end,
                 coalesce(j.data->>'outboxId', j.data->>'deliveryId'),
                 j.data->>'reason',
                 j.state::text
            from pgboss.job j
           where j.name = 'dead-letter'
             and j.data->>'organizationId' = nullif(current_setting('app.organization_id', true), '')
           order by j.created_on desc
           limit 1;
      end $$`)

    for (const fn of ['job_queue_stats(timestamptz)', 'job_newest_dead_letter()']) {
      this.addSql(`revoke all on function ${fn} from public`)
      this.addSql(`grant execute on function ${fn} to incidentflow_app`)
    }
  }

  override async down() {
    this.addSql(`drop function if exists job_queue_stats(timestamptz), job_newest_dead_letter()`)
    this.addSql(`alter table event_outbox drop column if exists request_id`)
  }
}
