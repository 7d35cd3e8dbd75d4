import { Webhook, WebhookVerificationError } from 'standardwebhooks'
import { describe, expect, it } from 'vitest'
import {
  newMessageId,
  newSecret,
  secretKey,
  sign,
  signatureHeaders,
  SECRET_PREFIX,
} from './webhook-signing'

const now = () => Math.floor(Date.now() / 1000)

describe('sign', () => {
  it('matches the Standard Webhooks reference vector', () => {
    // The example of the Standard Webhooks specification and its libraries' test suites.
    expect(
      sign({
        id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
        timestamp: 1614265330,
        body: '{"test": 2432232314}',
        secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      }),
    ).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=')
  })

  it('produces headers the standardwebhooks library verifies, returning the payload', () => {
    const secret = newSecret()
    const body = JSON.stringify({ type: 'incident.declared', data: { title: 'Ünïcode ✓' } })
    const headers = signatureHeaders({ id: newMessageId(), timestamp: now(), body, secret })
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body))
  })

  it('fails verification when the body, id, timestamp or secret differ', () => {
    const secret = newSecret()
    const body = '{"type":"webhook.test","data":{}}'
    const id = newMessageId()
    const timestamp = now()
    const headers = signatureHeaders({ id, timestamp, body, secret })
    const receiver = new Webhook(secret)
    expect(() => receiver.verify(body.replace('test', 'tesT'), headers)).toThrow(
      WebhookVerificationError,
    )
    expect(() => receiver.verify(body, { ...headers, 'webhook-id': newMessageId() })).toThrow(
      WebhookVerificationError,
    )
    expect(() =>
      receiver.verify(body, { ...headers, 'webhook-timestamp': String(timestamp - 1) }),
    ).toThrow(WebhookVerificationError)
    expect(() => new Webhook(newSecret()).verify(body, headers)).toThrow(WebhookVerificationError)
  })

  it('is refused by receivers when the timestamp is more than five minutes old', () => {
    const secret = newSecret()
    const body = '{}'
    const headers = signatureHeaders({ id: newMessageId(), timestamp: now() - 600, body, secret })
    expect(() => new Webhook(secret).verify(body, headers)).toThrow('Message timestamp too old')
  })

  it('refuses a timestamp that is not whole seconds', () => {
    const secret = newSecret()
    // Not `Date.now() / 1000`: one millisecond in a thousand it is whole seconds.
    expect(() => sign({ id: 'msg_x', timestamp: now() + 0.5, body: '', secret })).toThrow(
      /whole seconds/,
    )
    expect(() => sign({ id: 'msg_x', timestamp: -1, body: '', secret })).toThrow(/whole seconds/)
  })
})

describe('secrets', () => {
  it('are whsec_ and the base64 of 32 random bytes, different every time', () => {
    const secrets = new Set(Array.from({ length: 50 }, newSecret))
    expect(secrets.size).toBe(50)
    for (const secret of secrets) {
      expect(secret.startsWith(SECRET_PREFIX)).toBe(true)
      expect(secretKey(secret)).toHaveLength(32)
    }
  })

  it('refuses what is not a secret', () => {
    expect(() => secretKey('whsec_')).toThrow()
    expect(() => secretKey('whsec_not base64!')).toThrow(/base64/)
    expect(() => secretKey(`whsec_${Buffer.alloc(8).toString('base64')}`)).toThrow(/between 24/)
  })
})

describe('message ids', () => {
  it('are msg_ and 32 hex digits, different every time', () => {
    const ids = new Set(Array.from({ length: 100 }, newMessageId))
    expect(ids.size).toBe(100)
    for (const id of ids) expect(id).toMatch(/^msg_[0-9a-f]{32}$/)
  })
})
