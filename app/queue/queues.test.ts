import { describe, expect, it } from 'vitest'
import { queueNames, queues } from './queues'

describe('queue contract', () => {
  it('accepts an email-deliver payload naming the outbox row and its organization, and nothing else', () => {
    const payload = queues['email-deliver'].payload
    const outboxId = '2f1c7c1e-8a7b-4f7e-9c7a-3d2b1a0f9e8d'
    const organizationId = '7d9e4c2b-1a3f-4b5c-8d6e-0f1a2b3c4d5e'
    expect(payload.parse({ outboxId, organizationId })).toEqual({ outboxId, organizationId })
    expect(payload.safeParse({ outboxId }).success).toBe(false)
    expect(payload.safeParse({ outboxId: 'not-a-uuid', organizationId }).success).toBe(false)
    expect(payload.safeParse({}).success).toBe(false)
  })

  it('expires every queue job well after its work could take, and retries it', () => {
    for (const name of queueNames) {
      const { options } = queues[name]
      // The e-mail send has a 10 s timeout; a job active longer than this is from a dead worker.
      expect(options.expireInSeconds).toBeGreaterThan(10)
      expect(options.retryLimit).toBeGreaterThan(0)
    }
  })
})
