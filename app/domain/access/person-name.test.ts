import { describe, expect, it } from 'vitest'
import { FORMER_MEMBER, memberName, personNamer } from './person-name'

describe('person names', () => {
  const people = new Map([['u1', 'Ada Admin']])
  const name = personNamer((id) => people.get(id))

  it('names a member of the directory', () => {
    expect(name('u1')).toBe('Ada Admin')
  })

  it('calls someone no longer in the directory a former member', () => {
    expect(name('u2')).toBe(FORMER_MEMBER)
    expect(memberName(null)).toBe('Former member')
    expect(memberName('Eve')).toBe('Eve')
  })

  it('answers null when there is nobody to name', () => {
    expect(name(null)).toBeNull()
    expect(name(undefined)).toBeNull()
    expect(name('')).toBeNull()
  })

  it('takes another word for a former member, or none', () => {
    expect(personNamer((id) => people.get(id), 'a former member')('u2')).toBe('a former member')
    expect(personNamer((id) => people.get(id), null)('u2')).toBeNull()
  })
})
