import { describe, expect, it } from 'vitest'
import { INTEGRATION_KINDS } from '../../../db/entities/integration'
import { PARSERS } from './parsers'
import { ALERT_SOURCES, ALERT_SOURCE_OPTION_LABELS } from './vocabulary'

describe('alert sources', () => {
  it('are the integration kinds, each with a parser and a label', () => {
    expect([...ALERT_SOURCES]).toEqual([...INTEGRATION_KINDS])
    for (const source of ALERT_SOURCES) {
      expect(typeof PARSERS[source]).toBe('function')
      expect(ALERT_SOURCE_OPTION_LABELS[source]).toBeTruthy()
    }
  })
})
