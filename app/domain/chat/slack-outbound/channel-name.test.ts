import { describe, expect, it } from 'vitest'
import { CHANNEL_NAME_MAX, incidentChannelName, titleSlug } from './channel-name'

const SLACK_NAME = /^[a-z0-9_-]{1,80}$/

describe('incident channel names', () => {
  it('is inc-<n>-<slug>, lowercase, accents dropped, punctuation as single dashes', () => {
    expect(incidentChannelName(12, 'Checkout is DOWN — café payments!!')).toBe(
      'inc-12-checkout-is-down-cafe-payments',
    )
  })

  it('keeps underscores and trims dashes at both ends', () => {
    expect(titleSlug('  --db_primary: failover?  ')).toBe('db_primary-failover')
  })

  it('is inc-<n> alone when the title has nothing Slack accepts', () => {
    expect(incidentChannelName(3, '🔥🔥 ✓')).toBe('inc-3')
    expect(incidentChannelName(3, 'データベース')).toBe('inc-3')
  })

  it('ends in -<attempt> after the first attempt', () => {
    expect(incidentChannelName(7, 'Name clash', 2)).toBe('inc-7-name-clash-2')
  })

  it('cuts the slug, never the number or the suffix, to stay within 80 characters', () => {
    const title = 'a very long title '.repeat(20)
    for (const attempt of [1, 2, 5]) {
      const name = incidentChannelName(123456, title, attempt)
      expect(name.length).toBeLessThanOrEqual(CHANNEL_NAME_MAX)
      expect(name).toMatch(SLACK_NAME)
      expect(name.startsWith('inc-123456-a-very-long-title')).toBe(true)
      if (attempt > 1) expect(name.endsWith(`-${attempt}`)).toBe(true)
      expect(name).not.toMatch(/[-_]$/)
      expect(name).not.toMatch(/--/)
    }
  })
})
