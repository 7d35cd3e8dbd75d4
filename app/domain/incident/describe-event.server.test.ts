import { describe, expect, it } from 'vitest'
import { describeEvent, type Describe } from './describe-event.server'
import type { StoredEvent } from './events'

const names: Record<string, string> = { u1: 'Ana', u2: 'Ben' }
const words: Describe = {
  name: (id) => (id ? (names[id] ?? null) : null),
  serviceName: () => null,
  typeName: () => null,
  timeZone: 'UTC',
  formatBytes: (size) => `${size} B`,
}

const base = {
  id: 'e',
  organizationId: 'o',
  incidentId: 'i',
  seq: 5,
  occurredAt: '2030-01-01T00:00:00.000Z',
  prevHash: '0',
  hash: '1',
}
const source = {
  kind: 'slack' as const,
  channelId: 'C1',
  messageTs: '1.2',
  permalink: 'https://x.slack.com/archives/C1/p12',
}

describe('describeEvent for entries from Slack', () => {
  it('says who pinned a member’s message, with its permalink', () => {
    const event = {
      ...base,
      actorId: 'u1',
      type: 'chat.message_captured',
      payload: {
        body: 'text',
        author: { userId: 'u1', chatUserId: 'U1', name: 'Ana' },
        capturedBy: { userId: 'u2', via: 'reaction' },
        source,
      },
    } as StoredEvent
    expect(describeEvent(event, words)).toEqual({
      summary: 'posted in Slack',
      detail: 'pinned with 📌 by Ben · https://x.slack.com/archives/C1/p12',
    })
  })

  it('names an author without an account', () => {
    const event = {
      ...base,
      actorId: 'u2',
      type: 'chat.message_captured',
      payload: {
        body: 'text',
        author: { userId: null, chatUserId: 'U9', name: 'Guest' },
        capturedBy: { userId: 'u2', via: 'shortcut' },
        source: { ...source, permalink: null },
      },
    } as StoredEvent
    expect(describeEvent(event, words)).toEqual({
      summary: 'added a Slack message by Guest (no member account)',
      detail: 'added with "Add to timeline"',
    })
  })

  it('describes a removed 📌 as a correction pointing at the entry', () => {
    const event = {
      ...base,
      actorId: 'u1',
      type: 'chat.capture_retracted',
      payload: { capturedSeq: 3, source },
    } as StoredEvent
    expect(describeEvent(event, words)).toEqual({
      summary: 'removed the 📌 from the Slack message of entry #3',
      detail: 'The entry stays on the timeline.',
    })
  })
})
