import { describe, expect, it } from 'vitest'
import { parseSlackCommand, plain } from './command-text'

describe('parseSlackCommand', () => {
  it('reads declare with and without a severity', () => {
    expect(parseSlackCommand('declare SEV-2 Checkout is down')).toEqual({
      kind: 'declare',
      severity: 'SEV-2',
      title: 'Checkout is down',
    })
    expect(parseSlackCommand('  declare   Checkout   is down ')).toEqual({
      kind: 'declare',
      severity: null,
      title: 'Checkout is down',
    })
    expect(parseSlackCommand('DECLARE sev1 Everything')).toMatchObject({ severity: 'SEV-1' })
  })

  it('reads the incident subcommands with an optional INC-n', () => {
    expect(parseSlackCommand('ack')).toEqual({ kind: 'transition', action: 'ack', number: null })
    expect(parseSlackCommand('mitigated INC-42')).toEqual({
      kind: 'transition',
      action: 'mitigated',
      number: 42,
    })
    expect(parseSlackCommand('resolved inc-7')).toMatchObject({ number: 7 })
    expect(parseSlackCommand('status')).toEqual({ kind: 'status', number: null })
    expect(parseSlackCommand('note INC-3 Rolled back')).toEqual({
      kind: 'note',
      number: 3,
      text: 'Rolled back',
    })
    expect(parseSlackCommand('severity SEV-1 All regions down')).toEqual({
      kind: 'severity',
      number: null,
      severity: 'SEV-1',
      reason: 'All regions down',
    })
    expect(parseSlackCommand('severity INC-9 SEV-5 why')).toMatchObject({
      number: 9,
      severity: null,
    })
  })

  it('answers help for nothing, help and unknown words', () => {
    expect(parseSlackCommand('')).toEqual({ kind: 'help', unknown: null })
    expect(parseSlackCommand('help')).toEqual({ kind: 'help', unknown: null })
    expect(parseSlackCommand('dance now')).toEqual({ kind: 'help', unknown: 'dance' })
  })
})

describe('plain', () => {
  it('escapes what Slack would read as links or mentions', () => {
    expect(plain('<!channel> & <https://x|y>')).toBe('&lt;!channel&gt; &amp; &lt;https://x|y&gt;')
  })
})
