import { describe, expect, it } from 'vitest'
import { DomainError, FieldRefusal, isConflict, messagesPerField } from './domain-error'

class ThingError extends FieldRefusal<'name' | 'size'> {}

describe('DomainError', () => {
  it('is a refusal of the whole request with status 400 unless told otherwise', () => {
    const error = new DomainError('Nothing to do.')
    expect(error).toBeInstanceOf(Error)
    expect(error.message).toBe('Nothing to do.')
    expect(error.field).toBeNull()
    expect(error.fieldErrors).toEqual({})
    expect(error.status).toBe(400)
  })

  it('files the message under the one field it names', () => {
    const error = new DomainError('Enter a name.', { field: 'name' })
    expect(error.field).toBe('name')
    expect(error.fieldErrors).toEqual({ name: ['Enter a name.'] })
  })

  it('keeps messages for several fields as given', () => {
    const fieldErrors = { name: ['Enter a name.'], size: ['Too big.', 'Not a number.'] }
    const error = new DomainError('Correct the marked fields.', { fieldErrors, status: 409 })
    expect(error.fieldErrors).toEqual(fieldErrors)
    expect(error.field).toBeNull()
    expect(error.status).toBe(409)
  })

  it('takes the name of the subclass it was made as', () => {
    const error = new ThingError('size', 'Too big.', 413)
    expect(error).toBeInstanceOf(DomainError)
    expect(error.name).toBe('ThingError')
    expect(error.fieldErrors).toEqual({ size: ['Too big.'] })
    expect(error.status).toBe(413)
    expect(new ThingError(null, 'Not allowed.', 403).fieldErrors).toEqual({})
  })
})

describe('messagesPerField', () => {
  it('turns one message per field into a list per field', () => {
    expect(messagesPerField({ a: 'One.', b: 'Two.' })).toEqual({ a: ['One.'], b: ['Two.'] })
    expect(messagesPerField({})).toEqual({})
  })
})

describe('isConflict', () => {
  it('holds for a refusal with status 409 only', () => {
    expect(isConflict(new DomainError('Stale.', { status: 409 }))).toBe(true)
    expect(isConflict(new DomainError('Bad.', { status: 400 }))).toBe(false)
    expect(isConflict(Object.assign(new Error('Stale.'), { status: 409 }))).toBe(false)
    expect(isConflict(null)).toBe(false)
  })
})
