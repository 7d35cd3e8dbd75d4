import { describe, expect, it } from 'vitest'
import { createLogger } from './logger.server'
import {
  acceptableRequestId,
  currentRequestId,
  requestIdFrom,
  withRequestId,
} from './request-id.server'

function capturingLogger() {
  const lines: Array<Record<string, unknown>> = []
  const logger = createLogger({
    name: 'test',
    level: 'info',
    pretty: false,
    destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
  })
  return { logger, lines }
}

describe('request ids', () => {
  it('keeps a sane incoming id and replaces anything else', () => {
    expect(acceptableRequestId('abc-123_XY.z:9')).toBe('abc-123_XY.z:9')
    for (const bad of ['short', 'bad id <script>', 'a'.repeat(65), '', 42, undefined])
      expect(acceptableRequestId(bad)).toBeUndefined()
    expect(requestIdFrom('bad id')).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('names the request on every log line written while its work runs, across awaits', async () => {
    const { logger, lines } = capturingLogger()
    logger.info('before')
    await withRequestId('req-0001-abcd', async () => {
      await new Promise((resolve) => setTimeout(resolve, 1))
      logger.child({ part: 'inner' }).info('inside')
      expect(currentRequestId()).toBe('req-0001-abcd')
    })
    logger.info('after')
    expect(lines.map((l) => [l.msg, l.reqId])).toEqual([
      ['before', undefined],
      ['inside', 'req-0001-abcd'],
      ['after', undefined],
    ])
  })

  it('runs work without an id as work of no request, even inside another request', () => {
    withRequestId('outer-request-1', () => {
      expect(currentRequestId()).toBe('outer-request-1')
      withRequestId(undefined, () => expect(currentRequestId()).toBeUndefined())
      withRequestId('not ok!', () => expect(currentRequestId()).toBeUndefined())
      withRequestId('inner-request-2', () => expect(currentRequestId()).toBe('inner-request-2'))
    })
  })
})
