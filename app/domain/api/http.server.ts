import type { AppLoadContext, LoaderFunctionArgs } from '@remix-run/node'
import type * as z from 'zod'
import { actAs } from '../../../db/tenant'
import { findUnstorableText, UNSTORABLE_TEXT_MESSAGE } from '~/utils/storable-text'
import { can, type Permission } from '~/domain/access/permissions'
import { DomainError } from '~/domain/domain-error'
import { BODY_LIMIT_BYTES, ERROR_STATUS, type ErrorCode, type ErrorResponse } from './schemas'
import { authenticateApiToken, type ApiActor, type ApiAuthFailure } from './tokens.server'

/** How much of an oversized body (without Content-Length) is read and dropped before answering. */
const DRAIN_LIMIT_BYTES = 1024 * 1024

/** A refused API request: thrown anywhere below a route, answered as the JSON error. */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extra: {
      fields?: Record<string, string[]>
      currentVersion?: number
      headers?: Record<string, string>
    } = {},
  ) {
    super(message)
    this.name = 'ApiError'
  }

  get status() {
    return ERROR_STATUS[this.code]
  }
}

/** A JSON answer. API answers are about one caller's data: never stored by caches. */
export function apiJson(body: unknown, status = 200, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
      ...headers,
    },
  })
}

export function apiErrorResponse(error: ApiError) {
  const body: ErrorResponse = {
    error: {
      code: error.code,
      message: error.message,
      ...(error.extra.fields ? { fields: error.extra.fields } : {}),
      ...(error.extra.currentVersion !== undefined
        ? { currentVersion: error.extra.currentVersion }
        : {}),
    },
  }
  return apiJson(body, error.status, error.extra.headers)
}

/**
 * A domain refusal in the API's words, by its status. `nonFieldCode` names what a refusal that is
 * about no field means where it is raised (a transition the lifecycle does not allow). A 404 never
 * says which part was missing: the API's resources are incidents.
 */
export function fromDomainError(
  error: unknown,
  nonFieldCode: ErrorCode = 'validation_failed',
): ApiError | null {
  if (!(error instanceof DomainError)) return null
  switch (error.status) {
    case 404:
      return new ApiError('not_found', 'Incident not found.')
    case 403:
      return new ApiError('forbidden', error.message)
    case 409:
      return new ApiError('conflict', error.message, currentVersionOf(error))
    case 413:
      return new ApiError('payload_too_large', error.message)
  }
  if (Object.keys(error.fieldErrors).length > 0)
    return new ApiError('validation_failed', error.message, { fields: error.fieldErrors })
  return new ApiError(nonFieldCode, error.message)
}

/** The version a stale request should have been based on, when the refusal names one. */
function currentVersionOf(error: DomainError): { currentVersion?: number } {
  return 'currentVersion' in error && typeof error.currentVersion === 'number'
    ? { currentVersion: error.currentVersion }
    : {}
}

type Handler = (args: LoaderFunctionArgs) => Promise<Response>

/**
 * Wraps a loader or action so that everything it answers is JSON: refusals become the error
 * shape, and an unexpected failure is logged and answered `internal_error` without details.
 */
export function apiRoute(handler: Handler): Handler {
  return async (args) => {
    try {
      return await handler(args)
    } catch (error) {
      if (error instanceof ApiError) return apiErrorResponse(error)
      const mapped = fromDomainError(error)
      if (mapped) return apiErrorResponse(mapped)
      args.context.logger.error({ err: error }, 'API request failed')
      return apiErrorResponse(new ApiError('internal_error', 'Something went wrong on our side.'))
    }
  }
}

/** 405 unless the request's method is one the route answers. */
export function requireMethod(request: Request, allowed: readonly string[]) {
  if (!allowed.includes(request.method))
    throw new ApiError('method_not_allowed', `Use ${allowed.join(' or ')} here.`, {
      headers: { Allow: allowed.join(', ') },
    })
}

/** The loader or action of a route that has no such methods. */
export function methodNotAllowed(allowed: readonly string[]): Handler {
  return apiRoute(async ({ request }) => {
    requireMethod(request, allowed)
    throw new Error(`requireMethod let ${request.method} through`)
  })
}

const AUTH_MESSAGES: Record<ApiAuthFailure, string> = {
  missing: 'Send an API token: Authorization: Bearer <token>.',
  malformed: 'The Authorization header must be "Bearer" followed by an API token (ifk_…).',
  unknown: 'This API token is not valid.',
  revoked: 'This API token was revoked.',
  expired: 'This API token has expired.',
  'not-a-member': 'The token’s user is no longer an active member of its organization.',
}

/**
 * The token's user as a member of the token's organization, with the role they have now; 401
 * otherwise. With a permission, 403 when that role lacks it. Cookies play no part.
 */
export async function requireApiActor(
  request: Request,
  context: AppLoadContext,
  permission?: Permission,
): Promise<ApiActor> {
  const result = await authenticateApiToken(context.orm, request)
  if (!result.ok) {
    // RFC 6750: no error code when no credentials came, invalid_request for a malformed header.
    const challenge =
      result.reason === 'missing'
        ? 'Bearer realm="IncidentFlow"'
        : `Bearer realm="IncidentFlow", error="${result.reason === 'malformed' ? 'invalid_request' : 'invalid_token'}"`
    throw new ApiError('unauthorized', AUTH_MESSAGES[result.reason], {
      headers: { 'WWW-Authenticate': challenge },
    })
  }
  // The rest of the request sees the incidents the token's user may see (decision 037).
  actAs(result.actor.user.id)
  if (permission && !can(result.actor.role, permission))
    throw new ApiError('forbidden', 'Your role does not allow this.')
  return result.actor
}

/** `5` or `INC-5` from the path; anything else is an incident that does not exist. */
export function incidentNumberParam(value: string | undefined): number {
  const digits = /^(?:INC-)?([1-9]\d{0,8})$/i.exec(value ?? '')?.[1]
  if (!digits) throw new ApiError('not_found', 'Incident not found.')
  return Number(digits)
}

/**
 * The token's actor and the incident number of an `/api/v1/incidents/{number}/…` route. Every
 * role may see incidents; what a route does beyond that is checked by the service it calls.
 */
export async function requireIncidentActor({ request, context, params }: LoaderFunctionArgs) {
  const actor = await requireApiActor(request, context, 'incident.view')
  return { actor, number: incidentNumberParam(params.number) }
}

/**
 * A POST to one incident: the method, the token's actor, the incident number and the JSON body are
 * checked in that order (405, 401/403, 404 on use, 415/422), then `handle` runs with all four.
 */
export function incidentPost<S extends z.ZodType>(
  schema: S,
  handle: (call: {
    context: AppLoadContext
    actor: ApiActor
    number: number
    input: z.output<S>
  }) => Promise<Response>,
): Handler {
  return apiRoute(async (args) => {
    requireMethod(args.request, ['POST'])
    const { actor, number } = await requireIncidentActor(args)
    const input = await readJsonBody(args.request, schema)
    return handle({ context: args.context, actor, number, input })
  })
}

/** The issues of a failed parse, keyed by field path (`fields`), with a sentence for `message`. */
export function validationError(error: z.ZodError, options: { topLevel?: boolean } = {}): ApiError {
  // Keys come from the request (`constructor`, `__proto__`): no inherited ones may answer.
  const fields: Record<string, string[]> = Object.create(null)
  const general: string[] = []
  const add = (field: string, message: string) => {
    fields[field] ??= []
    if (!fields[field].includes(message)) fields[field].push(message)
  }
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) add([...issue.path, key].join('.'), 'Unknown field.')
    } else if (issue.path.length) {
      add(
        options.topLevel ? String(issue.path[0]) : issue.path.map(String).join('.'),
        issue.message,
      )
    } else {
      general.push(issue.message)
    }
  }
  const message = general.length
    ? general.join(' ')
    : `Check ${Object.keys(fields)
        .map((f) => `\`${f}\``)
        .join(', ')}.`
  return new ApiError('validation_failed', message, Object.keys(fields).length ? { fields } : {})
}

/**
 * The request's JSON body parsed with `schema`: 415 unless it is `application/json`, 413 past
 * the size limit (checked while reading, not only from Content-Length), 400 when it is not
 * JSON, 422 with per-field messages when it does not fit the schema.
 */
export async function readJsonBody<S extends z.ZodType>(
  request: Request,
  schema: S,
): Promise<z.output<S>> {
  const type = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/json')
    throw new ApiError('unsupported_media_type', 'Send the body as application/json.')
  const declared = Number(request.headers.get('content-length') ?? '0')
  const tooLarge = () =>
    new ApiError('payload_too_large', `Keep request bodies under ${BODY_LIMIT_BYTES / 1024} KiB.`)
  if (declared > BODY_LIMIT_BYTES) throw tooLarge()
  const chunks: Uint8Array[] = []
  let size = 0
  if (request.body) {
    const reader = request.body.getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.byteLength
      if (size > BODY_LIMIT_BYTES) {
        // Reading the rest lets the client see the answer instead of a reset connection; a body
        // that goes on and on is cut off.
        while (size <= DRAIN_LIMIT_BYTES) {
          const next = await reader.read()
          if (next.done) throw tooLarge()
          size += next.value.byteLength
        }
        await reader.cancel().catch(() => {})
        throw tooLarge()
      }
      chunks.push(value)
    }
  }
  let parsed: unknown
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks))
    parsed = JSON.parse(text)
  } catch {
    throw new ApiError('invalid_json', 'The body is not valid JSON.')
  }
  const unstorable = findUnstorableText(parsed)
  if (unstorable !== null)
    throw new ApiError('validation_failed', UNSTORABLE_TEXT_MESSAGE, {
      fields: { [unstorable || 'body']: [UNSTORABLE_TEXT_MESSAGE] },
    })
  const result = schema.safeParse(parsed)
  if (!result.success) throw validationError(result.error)
  return result.data
}

/**
 * The query string parsed with `schema`. Keys in `arrayKeys` may repeat or carry
 * comma-separated values; any other key given twice is refused rather than guessed at.
 */
export function readQuery<S extends z.ZodType>(
  url: URL,
  schema: S,
  arrayKeys: readonly string[],
): z.output<S> {
  const raw: Record<string, string | string[]> = Object.create(null)
  const repeated: string[] = []
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key)
    if (arrayKeys.includes(key)) {
      raw[key] = values
        .flatMap((v) => v.split(','))
        .map((v) => v.trim())
        .filter(Boolean)
    } else {
      if (values.length > 1) repeated.push(key)
      raw[key] = values[0]!
    }
  }
  if (repeated.length)
    throw new ApiError('validation_failed', 'Give each parameter once.', {
      fields: Object.fromEntries(repeated.map((k) => [k, ['Give this parameter once.']])),
    })
  const result = schema.safeParse(raw)
  // A parameter is named as a whole: `status`, not `status.0`.
  if (!result.success) throw validationError(result.error, { topLevel: true })
  return result.data
}
