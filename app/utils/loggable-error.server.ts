import { DriverException } from '@mikro-orm/core'
import { stdSerializers } from 'pino'

/**
 * Errors as they may be written to a log. A failed SQL statement arrives with the statement and
 * every bound value spliced into its message (the query builder does this), and PostgreSQL's own
 * message and detail quote values too (`invalid input syntax for type uuid: "…"`, `Key (email)=
 * (…)`). Those values are what people typed — names, comments, whole uploaded texts — so a
 * database error is logged as its statement with every literal replaced by `?`, its SQLSTATE code,
 * PostgreSQL's message with quoted values masked, and the names of the table, column and
 * constraint. Other errors pass unchanged.
 */

const SQLSTATE = /^[0-9A-Z]{5}$/
const STATEMENT_START =
  /^\s*(select|insert|update|delete|with|begin|commit|rollback|set|create|alter|drop|grant|revoke|lock|savepoint|release|copy|call|values|truncate|notify|listen|unlisten|do|explain|analyze|vacuum|refresh|prepare|execute|declare|fetch|close)\b/i
/** Words after which PostgreSQL quotes a name, not a value. */
const NAME_BEFORE_QUOTE =
  /\b(relation|table|column|constraint|index|sequence|schema|type|function|procedure|operator|trigger|view|role|database|extension|domain|cursor|savepoint|encoding|statement|collation|policy|publication|subscription|tablespace|server|aggregate|channel|portal|parameter)\s*$/i
/** Fields of a PostgreSQL error that name things rather than quote values. */
const KEPT_FIELDS = [
  'code',
  'sqlState',
  'severity',
  'schema',
  'table',
  'column',
  'dataType',
  'constraint',
  'routine',
] as const
const STATEMENT_MAX = 2000
/** A line of a V8 stack trace (an indented SQL line starting with "at" is not one). */
const STACK_FRAME = /^ {4}at \S.*(:\d+:\d+\)?|\((<anonymous>|native)\))$/

export function isDatabaseError(error: unknown): error is Error & Record<string, unknown> {
  if (!(error instanceof Error)) return false
  if (error instanceof DriverException) return true
  const fields = error as unknown as Record<string, unknown>
  return (
    typeof fields.code === 'string' &&
    SQLSTATE.test(fields.code) &&
    (typeof fields.severity === 'string' || typeof fields.routine === 'string')
  )
}

/**
 * SQL with every literal replaced by `?`: quoted strings (with `''` and, in `E'…'`, backslash
 * escapes), and numbers standing on their own. Identifiers, keywords and placeholders stay.
 */
export function statementShape(sql: string): string {
  let out = ''
  let i = 0
  while (i < sql.length) {
    const c = sql[i]!
    if (c === "'") {
      const escapes = /[eE]$/.test(out) && !/[\w$][eE]$/.test(out)
      if (escapes) out = out.slice(0, -1)
      i += 1
      while (i < sql.length) {
        if (escapes && sql[i] === '\\') i += 2
        else if (sql[i] === "'" && sql[i + 1] === "'") i += 2
        else if (sql[i] === "'") break
        else i += 1
      }
      i += 1
      out += '?'
      continue
    }
    if (c === '"') {
      const end = sql.indexOf('"', i + 1)
      const stop = end < 0 ? sql.length : end + 1
      out += sql.slice(i, stop)
      i = stop
      continue
    }
    if (/[0-9]/.test(c) && !/[\w$.]$/.test(out)) {
      const match = /^\d+(\.\d+)?([eE][+-]?\d+)?/.exec(sql.slice(i))!
      out += '?'
      i += match[0].length
      continue
    }
    out += c
    i += 1
  }
  return out.length > STATEMENT_MAX ? `${out.slice(0, STATEMENT_MAX)}…` : out
}

/** PostgreSQL's message with quoted values masked; quoted names (`relation "x"`) stay. */
export function maskedMessage(message: string): string {
  return message.replace(/"(?:[^"]|"")*"|'(?:[^']|'')*'/g, (quoted, offset: number) =>
    quoted.startsWith('"') && NAME_BEFORE_QUOTE.test(message.slice(0, offset)) ? quoted : '"?"',
  )
}

/** Splits `<statement> - <reason>` at the first ` - ` outside quotes; null without a statement. */
function splitStatement(message: string): { statement: string; reason: string } | null {
  if (!STATEMENT_START.test(message)) return null
  let quote: string | null = null
  for (let i = 0; i < message.length; i++) {
    const c = message[i]!
    if (quote) {
      if (c === quote) quote = null
    } else if (c === "'" || c === '"') quote = c
    else if (c === ' ' && message.startsWith(' - ', i))
      return { statement: message.slice(0, i), reason: message.slice(i + 3) }
  }
  return null
}

/** The error as it may be logged: a database error without values, anything else as it is. */
export function loggableError(error: unknown, depth = 0): unknown {
  if (!(error instanceof Error) || depth > 5) return error
  const cause = (error as { cause?: unknown }).cause
  if (!isDatabaseError(error)) {
    if (!(cause instanceof Error)) return error
    const safeCause = loggableError(cause, depth + 1)
    if (safeCause === cause) return error
    const copy = new Error(error.message, { cause: safeCause })
    copy.name = error.name
    copy.stack = error.stack
    return copy
  }
  const split = splitStatement(error.message)
  const reason = maskedMessage(split ? split.reason : error.message)
  const safe = new Error(reason) as Error & Record<string, unknown>
  safe.name = error.name
  const frames = (error.stack ?? '').split('\n').filter((line) => STACK_FRAME.test(line))
  safe.stack = [`${error.name}: ${reason}`, ...frames].join('\n')
  if (split) safe.statement = statementShape(split.statement)
  for (const field of KEPT_FIELDS) if (error[field] !== undefined) safe[field] = error[field]
  if (cause instanceof Error) safe.cause = loggableError(cause, depth + 1)
  return safe
}

/**
 * pino's `err` serializer over `loggableError`. pino-http hands serializers an already
 * serialized error with the original under `raw`; that original is what gets cleaned.
 */
export function errorSerializer(value: unknown) {
  const raw =
    value && typeof value === 'object' && 'raw' in value && value.raw instanceof Error
      ? value.raw
      : value
  return stdSerializers.err(loggableError(raw) as Error)
}
