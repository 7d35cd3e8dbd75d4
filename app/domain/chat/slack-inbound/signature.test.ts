import { describe, expect, it } from 'vitest'
import { slackSignature, verifySlackSignature } from './signature'

const secret = '8f742231b10e8888abcd99yyyzzz85a5'
const body = Buffer.from('token=xyz&team_id=T1&text=ack')
const at = new Date('2030-01-02T03:04:05Z')
const ts = String(Math.floor(at.getTime() / 1000))

const check = (overrides: Partial<Parameters<typeof verifySlackSignature>[0]> = {}) =>
  verifySlackSignature({
    signingSecret: secret,
    timestamp: ts,
    signature: slackSignature(secret, ts, body),
    rawBody: body,
    now: at,
    ...overrides,
  })

describe('verifySlackSignature', () => {
  it('accepts Slack’s v0 signature of the raw body', () => {
    expect(slackSignature(secret, ts, body)).toMatch(/^v0=[0-9a-f]{64}$/)
    expect(check()).toBe(true)
  })

  it('accepts up to five minutes either way and refuses beyond', () => {
    expect(check({ now: new Date(at.getTime() + 300_000) })).toBe(true)
    expect(check({ now: new Date(at.getTime() + 301_000) })).toBe(false)
    expect(check({ now: new Date(at.getTime() - 301_000) })).toBe(false)
  })

  it('refuses another secret, another body, another timestamp and missing headers', () => {
    expect(check({ signingSecret: `${secret}x` })).toBe(false)
    expect(check({ rawBody: Buffer.from('token=xyz&team_id=T1&text=resolved') })).toBe(false)
    expect(check({ signature: slackSignature(secret, String(Number(ts) - 1), body) })).toBe(false)
    expect(check({ signature: undefined })).toBe(false)
    expect(check({ timestamp: undefined })).toBe(false)
    expect(check({ timestamp: 'soon' })).toBe(false)
    expect(check({ signature: 'v0=short' })).toBe(false)
  })
})
