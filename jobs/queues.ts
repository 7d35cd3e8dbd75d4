import * as z from 'zod'

/**
 * The contract between the web process and the worker: queue names, the payload each carries
 * (validated on both sides), and how each queue retries and expires. Web code imports this file
 * to enqueue; nothing else from jobs/ is needed outside the worker.
 */

export const JOB_SCHEMA = 'pgboss'

export const queues = {
  'email-deliver': {
    payload: z.object({ outboxId: z.uuid(), organizationId: z.uuid() }),
    options: {
      retryLimit: 8,
      retryDelay: 15,
      retryBackoff: true,
      // An e-mail send is one HTTP call with a 10 s timeout; a job still active after this is
      // from a worker that died and goes back to the queue.
      expireInSeconds: 60,
      retentionDays: 14,
    },
  },
} as const satisfies Record<string, QueueDefinition>

interface QueueDefinition {
  payload: z.ZodType
  options: {
    retryLimit: number
    retryDelay: number
    retryBackoff: boolean
    expireInSeconds: number
    retentionDays: number
  }
}

export type QueueName = keyof typeof queues
export type JobPayload<Q extends QueueName> = z.infer<(typeof queues)[Q]['payload']>
export const queueNames = Object.keys(queues) as QueueName[]
