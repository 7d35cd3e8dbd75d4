import { describe, expect, it } from 'vitest'
import { resultFor, type IncidentActionData } from './form-result'

const refused = (
  intent: string,
  initialValue: Record<string, unknown>,
  error: Record<string, string[]>,
  conflict = false,
): IncidentActionData => ({
  intent,
  result: { status: 'error', initialValue: initialValue as Record<string, string>, error },
  conflict,
})

describe('resultFor', () => {
  it('gives nothing before a submission, or for another form', () => {
    expect(resultFor(undefined, 'comment')).toBeNull()
    expect(resultFor(refused('severity', {}, {}), 'comment')).toBeNull()
  })

  it('gives the submitted form its errors and echoed text', () => {
    const result = resultFor(
      refused('comment', { body: 'typed', version: '3' }, { body: ['Too long'], '': ['Refused'] }),
      'comment',
    )
    expect(result?.formErrors).toEqual(['Refused'])
    expect(result?.fieldErrors('body')).toEqual(['Too long'])
    expect(result?.fieldErrors('version')).toBeNull()
    expect(result?.value('body')).toBe('typed')
    expect(result?.conflict).toBe(false)
  })

  it('tells the forms of one intent apart by the step or the comment submitted', () => {
    const data = refused(
      'transition',
      { action: 'reopen', reason: '' },
      { reason: ['Give a reason'] },
    )
    expect(resultFor(data, 'transition', 'reopen')?.fieldErrors('reason')).toEqual([
      'Give a reason',
    ])
    expect(resultFor(data, 'transition', 'close')).toBeNull()
    const correction = refused('correct', { seq: '4', body: '' }, { body: ['Write it'] })
    expect(resultFor(correction, 'correct', '4')?.value('body')).toBe('')
    expect(resultFor(correction, 'correct', '5')).toBeNull()
  })

  it('marks a stale submission', () => {
    expect(resultFor(refused('assign', {}, { '': ['Changed'] }, true), 'assign')?.conflict).toBe(
      true,
    )
  })
})
