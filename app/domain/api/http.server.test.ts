import { describe, expect, it } from 'vitest'
import { DomainError } from '~/domain/domain-error'
import { IncidentConflictError, IncidentError } from '~/domain/incident/incident-errors'
import {
  ApiError,
  fromDomainError,
  incidentNumberParam,
  readJsonBody,
  readQuery,
} from './http.server'
import {
  BODY_LIMIT_BYTES,
  CommentRequestSchema,
  ListIncidentsQuerySchema,
  LIST_ARRAY_PARAMS,
} from './schemas'
import { bearerToken } from './tokens.server'

async function refusal(promise: Promise<unknown> | (() => unknown)) {
  try {
    await (typeof promise === 'function' ? promise() : promise)
  } catch (error) {
    if (error instanceof ApiError) return { status: error.status, code: error.code }
    throw error
  }
  throw new Error('expected a refusal')
}

const post = (body: BodyInit, headers: Record<string, string> = {}) =>
  new Request('http://localhost/api/v1/x', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body,
  })

describe('readJsonBody', () => {
  it('parses a JSON body with the schema', async () => {
    expect(await readJsonBody(post('{"body":" hi "}'), CommentRequestSchema)).toEqual({
      body: 'hi',
    })
    expect(
      await readJsonBody(
        post('{"body":"hi"}', { 'Content-Type': 'application/json; charset=utf-8' }),
        CommentRequestSchema,
      ),
    ).toEqual({ body: 'hi' })
  })

  it('refuses other media types, bad JSON, oversized bodies and schema mismatches', async () => {
    expect(
      await refusal(
        readJsonBody(post('{}', { 'Content-Type': 'text/plain' }), CommentRequestSchema),
      ),
    ).toEqual({ status: 415, code: 'unsupported_media_type' })
    expect(await refusal(readJsonBody(post('{'), CommentRequestSchema))).toEqual({
      status: 400,
      code: 'invalid_json',
    })
    const big = JSON.stringify({ body: 'x'.repeat(BODY_LIMIT_BYTES) })
    expect(await refusal(readJsonBody(post(big), CommentRequestSchema))).toEqual({
      status: 413,
      code: 'payload_too_large',
    })
    expect(await refusal(readJsonBody(post('{"body":""}'), CommentRequestSchema))).toEqual({
      status: 422,
      code: 'validation_failed',
    })
  })

  it('names each field that is wrong, and unknown fields', async () => {
    try {
      await readJsonBody(post('{"body":"", "colour":"red"}'), CommentRequestSchema)
      throw new Error('expected a refusal')
    } catch (error) {
      expect(error).toBeInstanceOf(ApiError)
      expect((error as ApiError).extra.fields).toEqual({
        body: ['Write a comment first.'],
        colour: ['Unknown field.'],
      })
    }
  })
})

describe('readQuery', () => {
  const query = (search: string) =>
    readQuery(
      new URL(`http://localhost/api/v1/incidents?${search}`),
      ListIncidentsQuerySchema,
      LIST_ARRAY_PARAMS,
    )

  it('takes repeated or comma-separated list values', () => {
    expect(query('status=open&status=resolved&severity=SEV-1,SEV-2&limit=5')).toEqual({
      status: ['open', 'resolved'],
      severity: ['SEV-1', 'SEV-2'],
      limit: 5,
    })
  })

  it('refuses repeated single values and unknown parameters', async () => {
    expect(await refusal(() => query('limit=1&limit=2'))).toEqual({
      status: 422,
      code: 'validation_failed',
    })
    expect(await refusal(() => query('page=2'))).toEqual({
      status: 422,
      code: 'validation_failed',
    })
  })
})

describe('incidentNumberParam', () => {
  it('takes 42 or INC-42 and nothing else', async () => {
    expect(incidentNumberParam('42')).toBe(42)
    expect(incidentNumberParam('inc-42')).toBe(42)
    for (const bad of ['0', '-1', '4.2', '042', 'abc', '1234567890', undefined])
      expect(await refusal(() => incidentNumberParam(bad))).toEqual({
        status: 404,
        code: 'not_found',
      })
  })
})

describe('bearerToken', () => {
  const token = `ifk_${'a'.repeat(43)}`
  const withHeader = (value?: string) =>
    bearerToken(
      new Request('http://localhost/', { headers: value ? { Authorization: value } : {} }),
    )

  it('reads the token from Authorization: Bearer, and nothing else', () => {
    expect(withHeader(`Bearer ${token}`)).toEqual({ token })
    expect(withHeader(`bearer ${token}`)).toEqual({ token })
    expect(withHeader()).toEqual({ reason: 'missing' })
    expect(withHeader(`Basic ${token}`)).toEqual({ reason: 'malformed' })
    expect(withHeader(`Bearer ${token.slice(0, -1)}`)).toEqual({ reason: 'malformed' })
    expect(withHeader(`Bearer ${token} extra`)).toEqual({ reason: 'malformed' })
    expect(withHeader(`Bearer xyz_${'a'.repeat(43)}`)).toEqual({ reason: 'malformed' })
  })
})

describe('fromDomainError', () => {
  const answer = (error: unknown, nonFieldCode?: Parameters<typeof fromDomainError>[1]) => {
    const mapped = fromDomainError(error, nonFieldCode)
    return mapped && { code: mapped.code, message: mapped.message, extra: mapped.extra }
  }

  it('maps refusals by their status', () => {
    expect(answer(new IncidentError(null, 'Comment not found', 404))).toEqual({
      code: 'not_found',
      message: 'Incident not found.',
      extra: {},
    })
    expect(answer(new IncidentError(null, 'Only responders can do that.', 403))).toEqual({
      code: 'forbidden',
      message: 'Only responders can do that.',
      extra: {},
    })
    expect(answer(new IncidentConflictError(4))).toMatchObject({
      code: 'conflict',
      extra: { currentVersion: 4 },
    })
    expect(answer(new DomainError('Changed.', { status: 409 }))).toMatchObject({
      code: 'conflict',
      extra: {},
    })
  })

  it('names the fields of a field refusal, otherwise answers with the code given', () => {
    expect(answer(new IncidentError('title', 'Enter a title.'))).toEqual({
      code: 'validation_failed',
      message: 'Enter a title.',
      extra: { fields: { title: ['Enter a title.'] } },
    })
    expect(answer(new IncidentError(null, 'Not from here.'), 'invalid_transition')).toEqual({
      code: 'invalid_transition',
      message: 'Not from here.',
      extra: {},
    })
  })

  it('leaves anything that is not a refusal alone', () => {
    expect(fromDomainError(new Error('boom'))).toBeNull()
  })
})
