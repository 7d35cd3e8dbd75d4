import { describe, expect, it } from 'vitest'
import {
  addDays,
  compareByUrgency,
  isOverdue,
  localDate,
  parseCalendarDate,
} from './action-items.server'
import { ACTION_ITEM_STATUSES } from './vocabulary'

describe('localDate', () => {
  it('is the calendar date in the organization’s zone', () => {
    const at = new Date('2026-03-10T11:30:00Z')
    expect(localDate(at, 'UTC')).toBe('2026-03-10')
    // Auckland is UTC+13 in March: already the 11th.
    expect(localDate(at, 'Pacific/Auckland')).toBe('2026-03-11')
    expect(localDate(new Date('2026-03-10T03:00:00Z'), 'America/Los_Angeles')).toBe('2026-03-09')
  })

  it('falls back to UTC for a zone it does not know', () => {
    expect(localDate(new Date('2026-03-10T23:30:00Z'), 'Not/AZone')).toBe('2026-03-10')
  })
})

describe('parseCalendarDate', () => {
  it('accepts real dates as YYYY-MM-DD', () => {
    expect(parseCalendarDate('2028-02-29')).toBe('2028-02-29')
    expect(parseCalendarDate(' 2026-12-31 ')).toBe('2026-12-31')
  })

  it.each([
    '2027-02-29',
    '2026-13-01',
    '2026-04-31',
    '26-01-01',
    '2026-1-1',
    '1999-12-31',
    '2101-01-01',
    '',
  ])('refuses %j', (value) => expect(parseCalendarDate(value)).toBeNull())
})

describe('addDays', () => {
  it('moves across month and year ends', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01')
    expect(addDays('2028-03-01', -1)).toBe('2028-02-29')
  })
})

describe('isOverdue', () => {
  it('is overdue from the day after the due date', () => {
    expect(isOverdue({ dueOn: '2026-03-10', status: 'open' }, '2026-03-10')).toBe(false)
    expect(isOverdue({ dueOn: '2026-03-10', status: 'open' }, '2026-03-11')).toBe(true)
  })

  it.each(ACTION_ITEM_STATUSES)('with status %s only when still open or in progress', (status) => {
    expect(isOverdue({ dueOn: '2026-03-10', status }, '2026-04-01')).toBe(
      status === 'open' || status === 'in_progress',
    )
  })

  it('is never overdue without a due date', () => {
    expect(isOverdue({ dueOn: null, status: 'open' }, '2099-01-01')).toBe(false)
  })
})

describe('compareByUrgency', () => {
  it('puts overdue items first, then by due date with none last, then by title', () => {
    const items = [
      { title: 'no date', dueOn: null, overdue: false },
      { title: 'later', dueOn: '2026-05-01', overdue: false },
      { title: 'b soon', dueOn: '2026-04-01', overdue: false },
      { title: 'a soon', dueOn: '2026-04-01', overdue: false },
      { title: 'late', dueOn: '2026-03-20', overdue: true },
      { title: 'very late', dueOn: '2026-01-01', overdue: true },
    ]
    expect([...items].sort(compareByUrgency).map((i) => i.title)).toEqual([
      'very late',
      'late',
      'a soon',
      'b soon',
      'later',
      'no date',
    ])
  })
})
