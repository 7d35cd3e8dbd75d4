import { describe, expect, it } from 'vitest'
import { ADAPTIVE_CARD_CONTENT_TYPE, cardText, incidentCard } from './adaptive-card'

describe('the Teams card', () => {
  it('is a message with one Adaptive Card 1.4 attachment', () => {
    const card = incidentCard({
      number: 9,
      title: 'Queue stuck',
      severity: 'SEV-2',
      status: 'mitigated',
      commanderName: null,
      url: 'https://incidents.example.test/incidents/9',
      headline: 'Investigating → Mitigated',
    })
    expect(card.type).toBe('message')
    expect(card.attachments).toHaveLength(1)
    expect(card.attachments[0]!.contentType).toBe(ADAPTIVE_CARD_CONTENT_TYPE)
    expect(card.attachments[0]!.content.version).toBe('1.4')
    expect(JSON.stringify(card)).toContain('"value":"Mitigated"')
    expect(JSON.stringify(card)).toContain('"value":"Nobody"')
  })

  it('breaks Markdown links in what people and alert sources wrote, and leaves other text alone', () => {
    expect(cardText('[Reset your password](https://evil.test)')).toBe(
      '[Reset your password]\u200b(https://evil.test)',
    )
    expect(cardText('[x] ( y )')).toBe('[x] \u200b( y )')
    expect(cardText('API (eu-west) down [SEV]')).toBe('API (eu-west) down [SEV]')
  })
})
