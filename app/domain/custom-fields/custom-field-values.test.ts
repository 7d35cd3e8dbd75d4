import { describe, expect, it } from 'vitest'
import { INCIDENT_STATUSES } from '~/domain/incident/vocabulary'
import {
  customFieldsFromForm,
  isRequiredAt,
  keyFor,
  optionIdFor,
  parseCustomFieldValue,
  sameValue,
} from './custom-field-values'

const options = [
  { id: 'eu', label: 'EU', retired: false },
  { id: 'us', label: 'US', retired: false },
  { id: 'old', label: 'Old region', retired: true },
]

describe('custom field values', () => {
  it('reads each kind, with empty meaning no value', () => {
    expect(parseCustomFieldValue({ kind: 'text', options: [] }, '  hi ', undefined)).toEqual({
      ok: true,
      value: 'hi',
    })
    expect(parseCustomFieldValue({ kind: 'number', options: [] }, '-3.50', undefined)).toEqual({
      ok: true,
      value: -3.5,
    })
    expect(parseCustomFieldValue({ kind: 'number', options: [] }, 12, undefined)).toEqual({
      ok: true,
      value: 12,
    })
    expect(parseCustomFieldValue({ kind: 'date', options: [] }, '2028-02-29', undefined)).toEqual({
      ok: true,
      value: '2028-02-29',
    })
    expect(
      parseCustomFieldValue({ kind: 'multi_choice', options }, ['us', 'eu', 'us'], undefined),
    ).toEqual({ ok: true, value: ['eu', 'us'] })
    for (const kind of ['text', 'number', 'date', 'single_choice', 'member'] as const)
      expect(parseCustomFieldValue({ kind, options }, '', undefined), kind).toEqual({
        ok: true,
        value: null,
      })
    expect(parseCustomFieldValue({ kind: 'multi_choice', options }, ['', ''], undefined)).toEqual({
      ok: true,
      value: null,
    })
  })

  it('refuses what is no value of the kind', () => {
    const refused = (kind: Parameters<typeof parseCustomFieldValue>[0]['kind'], raw: unknown) =>
      parseCustomFieldValue({ kind, options }, raw, undefined).ok
    expect(refused('number', 'NaN')).toBe(false)
    expect(refused('number', 'Infinity')).toBe(false)
    expect(refused('number', '0x10')).toBe(false)
    expect(refused('number', '2e15')).toBe(false)
    expect(refused('date', '2027-02-29')).toBe(false)
    expect(refused('date', '1899-12-31')).toBe(false)
    expect(refused('member', 'ada')).toBe(false)
    expect(refused('single_choice', 'EU')).toBe(false)
    expect(refused('text', 42)).toBe(false)
    expect(refused('multi_choice', [1])).toBe(false)
  })

  it('accepts a retired option only while the incident already holds it', () => {
    const single = { kind: 'single_choice' as const, options }
    expect(parseCustomFieldValue(single, 'old', undefined).ok).toBe(false)
    expect(parseCustomFieldValue(single, 'old', 'old')).toEqual({ ok: true, value: 'old' })
    const multi = { kind: 'multi_choice' as const, options }
    expect(parseCustomFieldValue(multi, ['old', 'eu'], ['us']).ok).toBe(false)
    expect(parseCustomFieldValue(multi, ['old', 'eu'], ['old'])).toEqual({
      ok: true,
      value: ['eu', 'old'],
    })
  })

  it('requires a field from its status on, in lifecycle order, unless it is archived', () => {
    const field = { requiredFromStatus: 'mitigated' as const, archivedAt: null }
    expect(INCIDENT_STATUSES.filter((s) => isRequiredAt(field, s))).toEqual([
      'mitigated',
      'resolved',
      'postmortem',
      'closed',
    ])
    expect(isRequiredAt({ ...field, archivedAt: '2026-01-01T00:00:00Z' }, 'closed')).toBe(false)
    expect(isRequiredAt({ requiredFromStatus: null, archivedAt: null }, 'closed')).toBe(false)
  })

  it('makes keys and option ids from labels, unique within the field', () => {
    expect(keyFor('Customer impact')).toBe('customer_impact')
    expect(keyFor('2nd opinion')).toBe('f_2nd_opinion')
    expect(optionIdFor('Café au lait!', new Set())).toBe('cafe_au_lait')
    expect(optionIdFor('EU', new Set(['eu', 'eu_2']))).toBe('eu_3')
    expect(optionIdFor('???', new Set())).toBe('option')
  })

  it('reads a form’s customFields.<key> inputs, several values as a list', () => {
    const form = new FormData()
    form.append('title', 'x')
    form.append('customFields.impact', 'eu')
    form.append('customFields.regions', '')
    form.append('customFields.regions', 'us')
    form.append('customFields.none', '')
    expect(customFieldsFromForm(form)).toEqual({ impact: 'eu', regions: ['', 'us'], none: '' })
    expect(sameValue(['eu'], ['eu'])).toBe(true)
    expect(sameValue(null, undefined)).toBe(true)
    expect(sameValue(3, '3')).toBe(false)
  })
})
