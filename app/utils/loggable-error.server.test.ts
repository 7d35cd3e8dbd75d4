import { Writable } from 'node:stream'
import { DriverException } from '@mikro-orm/core'
import { describe, expect, it } from 'vitest'
import { createLogger } from './logger.server'
import {
  errorSerializer,
  loggableError,
  maskedMessage,
  statementShape,
} from './loggable-error.server'

/** A database error as MikroORM throws it: the statement with its values, then PostgreSQL's words. */
function driverError(message: string, fields: Record<string, unknown>) {
  const previous = Object.assign(new Error(message), fields)
  return new DriverException(previous)
}

describe('statementShape', () => {
  it('replaces quoted strings, escaped quotes and numbers with ?', () => {
    expect(
      statementShape(
        `insert into comment (id, body, n) values ('0a1b', 'it''s Müller''s -- ; secret', 42.5)`,
      ),
    ).toBe(`insert into comment (id, body, n) values (?, ?, ?)`)
  })

  it('keeps identifiers, placeholders and quoted names', () => {
    expect(statementShape(`select t1.a2, "Weird ""Name""" from t1 where x = $1 and y = ?`)).toBe(
      `select t1.a2, "Weird ""Name""" from t1 where x = $1 and y = ?`,
    )
  })

  it('masks E-strings with backslash escapes', () => {
    expect(statementShape(`select E'a\\'b\\\\c secret', 'x'`)).toBe(`select ?, ?`)
  })

  it('cuts a very long statement', () => {
    const shape = statementShape(`select ${'a, '.repeat(5000)}1`)
    expect(shape.length).toBeLessThanOrEqual(2001)
    expect(shape.endsWith('…')).toBe(true)
  })
})

describe('maskedMessage', () => {
  it('masks quoted values and keeps quoted names', () => {
    expect(maskedMessage('invalid input syntax for type uuid: "secret-value"')).toBe(
      'invalid input syntax for type uuid: "?"',
    )
    expect(
      maskedMessage('duplicate key value violates unique constraint "app_user_email_key"'),
    ).toBe('duplicate key value violates unique constraint "app_user_email_key"')
    expect(maskedMessage('null value in column "title" of relation "incident" violates')).toBe(
      'null value in column "title" of relation "incident" violates',
    )
  })
})

describe('loggableError', () => {
  const value = 'Zanzibar-Quokka-7731'
  const error = driverError(
    `insert into service (organization_id, name) values ('c394d461-7d23-4a17-9208-080e3349edd8', '${value}') - value too long for type character varying(100)`,
    {
      code: '22001',
      severity: 'ERROR',
      routine: 'varchar',
      detail: `Failing row contains (${value}).`,
      where: `SQL statement "select '${value}'"`,
    },
  )

  it('keeps the shape, the code and the reason, and drops every value', () => {
    const safe = loggableError(error) as Error & Record<string, unknown>
    expect(safe.message).toBe('value too long for type character varying(100)')
    expect(safe.statement).toBe('insert into service (organization_id, name) values (?, ?)')
    expect(safe.code).toBe('22001')
    expect(safe.name).toBe('DriverException')
    expect(safe.stack).toMatch(/^DriverException: value too long/)
    expect(JSON.stringify({ ...safe, stack: safe.stack, message: safe.message })).not.toContain(
      value,
    )
  })

  it('cleans a database error that is the cause of another', () => {
    const wrapper = new Error('report generation failed', { cause: error })
    const safe = loggableError(wrapper) as Error
    expect(safe.message).toBe('report generation failed')
    expect(String((safe.cause as Error).message)).not.toContain(value)
  })

  it('leaves other errors as they are', () => {
    const plain = new Error('something else')
    expect(loggableError(plain)).toBe(plain)
    expect(loggableError('text')).toBe('text')
  })

  it('through the logger: the line has the code and the statement shape, not the value', () => {
    const lines: string[] = []
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk))
        done()
      },
    })
    const logger = createLogger({ name: 'test', level: 'info', pretty: false, destination })
    logger.error({ err: error }, 'failed')
    const output = lines.join('')
    expect(output).toContain('"code":"22001"')
    expect(output).toContain('insert into service (organization_id, name) values (?, ?)')
    expect(output).not.toContain(value)
  })

  it('serializes what pino-http has already serialized, from its raw error', () => {
    const serialized = errorSerializer({ type: 'DriverException', message: 'x', raw: error })
    expect(JSON.stringify(serialized)).not.toContain(value)
    expect(JSON.stringify(serialized)).toContain('22001')
  })
})
