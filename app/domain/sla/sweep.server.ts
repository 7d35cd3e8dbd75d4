import { sendJob, type PgBoss } from '../../../jobs/boss'

/** Asks the worker for an SLA sweep as of `at` (the cron sweeps at its own "now" every minute). */
export function queueSlaSweep(boss: PgBoss, at: Date) {
  return sendJob(boss, 'sla-sweep', { at: at.toISOString() })
}
