import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { pagerDutySignature, parsePagerDuty, verifyPagerDutySignature } from './pagerduty'

const raw = (name: string) => readFileSync(`tests/fixtures/alerts/${name}.json`)
const fixture = (name: string) =>
  JSON.parse(raw(name).toString('utf8')) as {
    event: Record<string, unknown> & { data: Record<string, unknown> }
  }

describe('parsePagerDuty', () => {
  it('turns incident.triggered into a firing alert keyed by the PagerDuty incident id', () => {
    const result = parsePagerDuty(fixture('pagerduty-triggered'))
    expect(result).toMatchObject({
      ok: true,
      alerts: [
        {
          dedupKey: 'Q2OZ9AW6VGB3SL',
          status: 'firing',
          title: 'Payments API returning 503 for card authorisations',
          severity: 'SEV-2',
        },
      ],
    })
    const details = result.ok ? result.alerts[0]!.details : null
    expect(details).toContain('PagerDuty incident.triggered · incident #1042')
    expect(details).toContain('Service: Payments API')
    expect(details).toContain('https://acme.pagerduty.com/incidents/Q2OZ9AW6VGB3SL')
  })

  it('turns incident.resolved into a resolved alert with the same key', () => {
    const result = parsePagerDuty(fixture('pagerduty-resolved'))
    expect(result).toMatchObject({
      ok: true,
      alerts: [{ dedupKey: 'Q2OZ9AW6VGB3SL', status: 'resolved' }],
    })
  })

  it('treats incident.reopened as firing again', () => {
    const payload = fixture('pagerduty-resolved')
    payload.event.event_type = 'incident.reopened'
    const result = parsePagerDuty(payload)
    expect(result.ok && result.alerts[0]!.status).toBe('firing')
  })

  it('maps priority first, then urgency, else leaves the severity to the integration', () => {
    const payload = fixture('pagerduty-triggered')
    payload.event.data.priority = { id: 'P1X', summary: 'P1' }
    expect(parsePagerDuty(payload)).toMatchObject({ alerts: [{ severity: 'SEV-1' }] })
    payload.event.data.priority = null
    expect(parsePagerDuty(payload)).toMatchObject({ alerts: [{ severity: 'SEV-2' }] })
    payload.event.data.urgency = 'low'
    expect(parsePagerDuty(payload)).toMatchObject({ alerts: [{ severity: 'SEV-4' }] })
    delete payload.event.data.urgency
    expect(parsePagerDuty(payload)).toMatchObject({ alerts: [{ severity: null }] })
  })

  it('accepts acknowledgements and pings without producing alerts', () => {
    const ack = fixture('pagerduty-triggered')
    ack.event.event_type = 'incident.acknowledged'
    expect(parsePagerDuty(ack)).toEqual({
      ok: true,
      alerts: [],
      note: 'incident.acknowledged does not fire or resolve an alert; nothing to do.',
    })
    const ping = {
      event: {
        id: '01DFGZ8B1CKDSVGJ8ABHS8XPQ4',
        event_type: 'pagey.ping',
        resource_type: 'pagey',
        occurred_at: '2026-11-27T14:00:00.000Z',
        agent: null,
        client: null,
        data: { message: 'Hello from your friend Pagey!', type: 'ping' },
      },
    }
    expect(parsePagerDuty(ping)).toMatchObject({ ok: true, alerts: [] })
  })

  it('refuses a triggered event whose data is not an incident, naming the path', () => {
    const payload = fixture('pagerduty-triggered')
    delete payload.event.data.id
    const result = parsePagerDuty(payload)
    expect(!result.ok && result.issues.map((i) => i.path)).toEqual(['event.data.id'])
  })

  it('refuses a body without the event envelope', () => {
    const result = parsePagerDuty({ messages: [] })
    expect(!result.ok && result.issues[0]!.path).toBe('event')
  })
})

describe('verifyPagerDutySignature', () => {
  const body = raw('pagerduty-triggered')
  const secret = 'whsec-test-0123456789abcdef'

  it('accepts the HMAC-SHA256 of the raw body', () => {
    expect(verifyPagerDutySignature(body, pagerDutySignature(body, secret), secret)).toBe(true)
  })

  it('accepts any of several comma-separated v1 values (secret rotation)', () => {
    const header = `v1=${'0'.repeat(64)}, ${pagerDutySignature(body, secret)}`
    expect(verifyPagerDutySignature(body, header, secret)).toBe(true)
    const upper = pagerDutySignature(body, secret).replace(/[0-9a-f]+$/, (hex) => hex.toUpperCase())
    expect(verifyPagerDutySignature(body, upper, secret)).toBe(true)
  })

  it('refuses another secret, a changed body, other versions and malformed headers', () => {
    const good = pagerDutySignature(body, secret)
    expect(verifyPagerDutySignature(body, pagerDutySignature(body, 'other'), secret)).toBe(false)
    const changed = Buffer.from(body.toString('utf8').replace('P2', 'P1'))
    expect(verifyPagerDutySignature(changed, good, secret)).toBe(false)
    expect(verifyPagerDutySignature(body, good.replace('v1=', 'v0='), secret)).toBe(false)
    expect(verifyPagerDutySignature(body, good.slice(0, -2), secret)).toBe(false)
    for (const header of [undefined, null, '', 'v1=', 'v1', ',,,'])
      expect(verifyPagerDutySignature(body, header, secret)).toBe(false)
    expect(verifyPagerDutySignature(body, good, '')).toBe(false)
  })
})
