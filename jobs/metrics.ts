import type { MikroORM } from '@mikro-orm/postgresql'
import client from 'prom-client'
import { now } from '~/utils/clock'
import type { Logger } from '~/utils/logger.server'
import {
  createRegistry,
  PREFIX,
  registerPoolMetrics,
  registerQueueMetrics,
} from '~/utils/metrics.server'

/**
 * The worker process's metrics (served on WORKER_METRICS_PORT): jobs finished and failed per
 * queue and how long their handlers ran, SLA sweeps, deliveries by outcome, alert receipts by
 * result, plus the database pool and the job queues as the web reports them.
 */
export function createWorkerMetrics(options: { orm: MikroORM; logger: Logger }) {
  const registry = createRegistry()
  registerPoolMetrics(registry, options.orm)
  registerQueueMetrics(registry, options.orm, now, options.logger)
  const registers = [registry]
  return {
    registry,
    jobsCompleted: new client.Counter({
      name: `${PREFIX}jobs_completed_total`,
      help: 'Jobs this worker finished, per queue.',
      labelNames: ['queue'] as const,
      registers,
    }),
    jobsFailed: new client.Counter({
      name: `${PREFIX}jobs_failed_total`,
      help: 'Job attempts that failed in this worker, per queue (pg-boss retries them, then dead-letters them).',
      labelNames: ['queue'] as const,
      registers,
    }),
    handlerDuration: new client.Histogram({
      name: `${PREFIX}job_handler_duration_seconds`,
      help: 'Time one handler call took (one job, or one batch of e-mail, webhook or alert jobs).',
      labelNames: ['queue'] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    }),
    slaSweepDuration: new client.Histogram({
      name: `${PREFIX}sla_sweep_duration_seconds`,
      help: 'Duration of one SLA sweep.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    slaSignals: new client.Counter({
      name: `${PREFIX}sla_signals_total`,
      help: 'SLA warnings and breaches the sweeps recorded.',
      labelNames: ['kind'] as const,
      registers,
    }),
    deliveries: new client.Counter({
      name: `${PREFIX}deliveries_total`,
      help: 'E-mail, webhook and chat deliveries by outcome (e-mail: sent, held, failed, retry, busy, skipped; webhook: succeeded, retry-scheduled, dead, failed, deferred, busy, skipped, not-due; slack and teams: delivered, skipped, waiting, rate-limited, retry-scheduled, dead, failed, not-due).',
      labelNames: ['channel', 'outcome'] as const,
      registers,
    }),
    alertReceipts: new client.Counter({
      name: `${PREFIX}alert_receipts_total`,
      help: 'Inbound alert receipts the worker processed, by result.',
      labelNames: ['result'] as const,
      registers,
    }),
  }
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>
