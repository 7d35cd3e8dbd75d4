/**
 * The OpenAPI 3.1 document of /api/v1, generated from the zod schemas in schemas.ts with zod's
 * own JSON Schema conversion: the schemas the routes parse with are the ones clients read.
 */
import * as z from 'zod'
import {
  BODY_LIMIT_BYTES,
  ERROR_STATUS,
  ListIncidentsQuerySchema,
  LIST_ARRAY_PARAMS,
  requestSchemas,
  responseSchemas,
  type ErrorCode,
} from './schemas'

type JsonObject = Record<string, unknown>

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` })

/** The registry's schemas as JSON Schema 2020-12 components (without `$schema`/`$id`). */
function components(registry: z.core.$ZodRegistry<{ id: string }>, io: 'input' | 'output') {
  const { schemas } = z.toJSONSchema(registry, {
    io,
    target: 'draft-2020-12',
    uri: (id) => `#/components/schemas/${id}`,
  })
  return Object.fromEntries(
    Object.entries(schemas).map(([id, schema]) => {
      const { $schema: _s, $id: _i, ...rest } = schema as JsonObject
      return [id, rest]
    }),
  )
}

const ERROR_WORDS: Record<ErrorCode, string> = {
  unauthorized:
    'No token, a malformed one, or one that is unknown, revoked or expired; or its user is no longer an active member.',
  forbidden: 'The token’s user may not do this (their role, or not involved in the incident).',
  not_found: 'No such incident in the token’s organization, or no such endpoint.',
  method_not_allowed: 'The path does not answer this method (see the Allow header).',
  unsupported_media_type: 'The body is not sent as application/json.',
  payload_too_large: `The body is larger than ${BODY_LIMIT_BYTES / 1024} KiB.`,
  invalid_json: 'The body is not valid JSON.',
  validation_failed: 'A field is missing or invalid; `fields` says which and why.',
  invalid_transition: 'The lifecycle does not allow this step from the incident’s status.',
  conflict: 'The incident changed since `version`; `currentVersion` is the one to retry with.',
  internal_error: 'Something failed on the server.',
}

/** One response per status, listing the codes an operation can answer with it. */
function errorResponses(codes: ErrorCode[]) {
  const byStatus = new Map<number, ErrorCode[]>()
  for (const code of codes) {
    const status = ERROR_STATUS[code]
    byStatus.set(status, [...(byStatus.get(status) ?? []), code])
  }
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [
      String(status),
      {
        description: list.map((c) => `\`${c}\`: ${ERROR_WORDS[c]}`).join(' '),
        ...(status === 401
          ? { headers: { 'WWW-Authenticate': { schema: { type: 'string' } } } }
          : status === 405
            ? { headers: { Allow: { schema: { type: 'string' } } } }
            : {}),
        content: { 'application/json': { schema: ref('Error') } },
      },
    ]),
  )
}

const json = (id: string, description: string, headers?: JsonObject) => ({
  description,
  ...(headers ? { headers } : {}),
  content: { 'application/json': { schema: ref(id) } },
})

const numberParameter = {
  name: 'number',
  in: 'path',
  required: true,
  description: 'The incident number: `42` (or `INC-42`).',
  schema: { type: 'string', pattern: '^(?:INC-)?[1-9][0-9]{0,8}$' },
}

function queryParameters() {
  return Object.entries(ListIncidentsQuerySchema.shape).map(([name, schema]) => {
    const {
      $schema: _s,
      description,
      ...rest
    } = z.toJSONSchema(schema as z.ZodType, {
      io: 'input',
    }) as JsonObject
    const isArray = (LIST_ARRAY_PARAMS as readonly string[]).includes(name)
    return {
      name,
      in: 'query',
      required: false,
      ...(description ? { description } : {}),
      schema: rest,
      ...(isArray ? { style: 'form', explode: true } : {}),
    }
  })
}

const READ_ERRORS: ErrorCode[] = ['unauthorized', 'forbidden', 'method_not_allowed']
const WRITE_ERRORS: ErrorCode[] = [
  'invalid_json',
  'unauthorized',
  'forbidden',
  'method_not_allowed',
  'payload_too_large',
  'unsupported_media_type',
  'validation_failed',
]

function body(id: string) {
  return { required: true, content: { 'application/json': { schema: ref(id) } } }
}

function build(serverUrl: string) {
  const schemas = { ...components(responseSchemas, 'output') }
  for (const [id, schema] of Object.entries(components(requestSchemas, 'input'))) {
    if (id in schemas) throw new Error(`schema ${id} is both a request and a response`)
    schemas[id] = schema
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'IncidentFlow API',
      version: '1.0.0',
      description:
        'Incidents of the token’s organization, through the same rules as the pages. Authenticate with a personal API token (created at /account/tokens) as `Authorization: Bearer <token>`. Errors are JSON `{ "error": { "code", "message" } }` with a stable code.',
    },
    servers: [{ url: serverUrl }],
    security: [{ bearerAuth: [] }],
    tags: [{ name: 'Incidents' }, { name: 'Meta' }],
    paths: {
      '/incidents': {
        get: {
          operationId: 'listIncidents',
          tags: ['Incidents'],
          summary: 'List incidents',
          parameters: queryParameters(),
          responses: {
            '200': json('IncidentList', 'One page of incidents.'),
            ...errorResponses([...READ_ERRORS, 'validation_failed']),
          },
        },
        post: {
          operationId: 'declareIncident',
          tags: ['Incidents'],
          summary: 'Declare an incident',
          description:
            'The token’s user becomes declarer and commander. Give a severity, or an impact and an urgency for the triage matrix to decide.',
          requestBody: body('DeclareIncidentRequest'),
          responses: {
            '201': json('Incident', 'Declared.', {
              Location: { schema: { type: 'string', format: 'uri' } },
            }),
            ...errorResponses(WRITE_ERRORS),
          },
        },
      },
      '/incidents/{number}': {
        get: {
          operationId: 'getIncident',
          tags: ['Incidents'],
          summary: 'Get an incident',
          parameters: [numberParameter],
          responses: {
            '200': json('Incident', 'The incident.'),
            ...errorResponses([...READ_ERRORS, 'not_found']),
          },
        },
      },
      '/incidents/{number}/transitions': {
        post: {
          operationId: 'transitionIncident',
          tags: ['Incidents'],
          summary: 'Change the status',
          description:
            'Only the commander, an assignee, or an admin may (engineers and managers must be involved).',
          parameters: [numberParameter],
          requestBody: body('TransitionRequest'),
          responses: {
            '200': json('Incident', 'The incident in its new status.'),
            ...errorResponses([...WRITE_ERRORS, 'not_found', 'conflict', 'invalid_transition']),
          },
        },
      },
      '/incidents/{number}/comments': {
        post: {
          operationId: 'addComment',
          tags: ['Incidents'],
          summary: 'Add a comment',
          description:
            'Only the commander, an assignee, or an admin may. The new entry’s `seq` is the incident’s new version.',
          parameters: [numberParameter],
          requestBody: body('CommentRequest'),
          responses: {
            '201': json('TimelineEvent', 'The stored comment.', {
              Location: { schema: { type: 'string', format: 'uri' } },
            }),
            ...errorResponses([...WRITE_ERRORS, 'not_found', 'conflict']),
          },
        },
      },
      '/incidents/{number}/custom-fields': {
        post: {
          operationId: 'setCustomFields',
          tags: ['Incidents'],
          summary: 'Set custom field values',
          description:
            'Sets the values named by field key (null or "" clears); each change is a timeline entry. Those who may work the incident, managers and admins may. A value the incident’s status requires cannot be cleared; invalid values answer `validation_failed` with `customFields.<key>` in `fields`, and nothing is changed.',
          parameters: [numberParameter],
          requestBody: body('CustomFieldsRequest'),
          responses: {
            '200': json('Incident', 'The incident with its new values.'),
            ...errorResponses([...WRITE_ERRORS, 'not_found', 'conflict']),
          },
        },
      },
      '/incidents/{number}/reclassification': {
        post: {
          operationId: 'reclassifyIncident',
          tags: ['Incidents'],
          summary: 'Reclassify, or undo a reclassification',
          description:
            'Managers and admins may. `declined`, `duplicate` (of `target`) or `merged` (into `target`) leaves the incident out of the open list and the metrics and freezes it; `incident` undoes that. The target must be another incident that counts as one; a target the token’s user cannot see answers `not_found`.',
          parameters: [numberParameter],
          requestBody: body('ReclassificationRequest'),
          responses: {
            '200': json('Incident', 'The incident with its new classification.'),
            ...errorResponses([...WRITE_ERRORS, 'not_found', 'conflict']),
          },
        },
      },
      '/incidents/{number}/links': {
        post: {
          operationId: 'addRelatedLink',
          tags: ['Incidents'],
          summary: 'Link a related incident',
          description:
            'The commander, an assignee, a manager or an admin may. The link shows on both incidents, with an entry on both timelines; an incident the token’s user cannot see answers `not_found`.',
          parameters: [numberParameter],
          requestBody: body('RelatedLinkRequest'),
          responses: {
            '201': json('Incident', 'The incident with the new link in `relatedIncidents`.'),
            ...errorResponses([...WRITE_ERRORS, 'not_found', 'conflict']),
          },
        },
      },
      '/incidents/{number}/links/{relatedNumber}': {
        delete: {
          operationId: 'removeRelatedLink',
          tags: ['Incidents'],
          summary: 'Remove a related link',
          description:
            'Removes a `related` link, from either end (the same people as adding it). Duplicate and merge links go by undoing the reclassification.',
          parameters: [
            numberParameter,
            {
              ...numberParameter,
              name: 'relatedNumber',
              description: 'The linked incident’s number: `42` (or `INC-42`).',
            },
            {
              name: 'version',
              in: 'query',
              required: false,
              description:
                'The incident version the change is based on; a different one answers 409 conflict.',
              schema: { type: 'integer', minimum: 0 },
            },
          ],
          responses: {
            '200': json('Incident', 'The incident without the link.'),
            ...errorResponses([
              'unauthorized',
              'forbidden',
              'method_not_allowed',
              'validation_failed',
              'not_found',
              'conflict',
            ]),
          },
        },
      },
      '/incidents/{number}/roles': {
        put: {
          operationId: 'assignIncidentRoles',
          tags: ['Incidents'],
          summary: 'Assign incident roles',
          description:
            'The commander, managers and admins may. Sets who holds each role named by key (null: nobody), one timeline entry per change; roles not named stay as they are. Holders must be active members; an archived role can be emptied but not given.',
          parameters: [numberParameter],
          requestBody: body('IncidentRolesRequest'),
          responses: {
            '200': json('Incident', 'The incident with its new role holders.'),
            ...errorResponses([...WRITE_ERRORS, 'not_found', 'conflict']),
          },
        },
      },
      '/custom-fields': {
        get: {
          operationId: 'listCustomFields',
          tags: ['Incidents'],
          summary: 'List the custom fields',
          description:
            'The keys, kinds, options and requirements of the organization’s active custom fields: what `customFields` holds and accepts.',
          responses: {
            '200': json('CustomFieldDefinitionList', 'The active custom fields, in order.'),
            ...errorResponses(READ_ERRORS),
          },
        },
      },
      '/incidents/{number}/visibility': {
        post: {
          operationId: 'setIncidentVisibility',
          tags: ['Incidents'],
          summary: 'Make the incident private or public',
          description:
            'With a reason, as a timeline entry. The commander, managers and admins may. Whoever makes it private keeps seeing it (as a viewer when they are neither its commander nor an assignee). Asking for the visibility it already has answers `validation_failed`.',
          parameters: [numberParameter],
          requestBody: body('VisibilityRequest'),
          responses: {
            '200': json('Incident', 'The incident with its new visibility.'),
            ...errorResponses([...WRITE_ERRORS, 'not_found', 'conflict']),
          },
        },
      },
      '/incidents/{number}/viewers': {
        post: {
          operationId: 'addIncidentViewer',
          tags: ['Incidents'],
          summary: 'Add a viewer to a private incident',
          description:
            'Gives an active member sight of the private incident. The commander, managers and admins may; a public incident has no viewers (`validation_failed` on `userId`).',
          parameters: [numberParameter],
          requestBody: body('ViewerRequest'),
          responses: {
            '200': json('Incident', 'The incident.'),
            ...errorResponses([...WRITE_ERRORS, 'not_found', 'conflict']),
          },
        },
      },
      '/incidents/{number}/viewers/{userId}': {
        delete: {
          operationId: 'removeIncidentViewer',
          tags: ['Incidents'],
          summary: 'Remove a viewer',
          description:
            'Takes the viewer’s sight of the private incident away (their other roles on it stay). The commander, managers and admins may; someone who is not a viewer answers `validation_failed` on `userId`.',
          parameters: [
            numberParameter,
            {
              name: 'userId',
              in: 'path',
              required: true,
              description: 'The viewer’s user id.',
              schema: { type: 'string' },
            },
            {
              name: 'version',
              in: 'query',
              required: false,
              description:
                'The incident version the change is based on; a different one answers 409 conflict.',
              schema: { type: 'integer', minimum: 0 },
            },
          ],
          responses: {
            '200': json('Incident', 'The incident.'),
            ...errorResponses([
              'unauthorized',
              'forbidden',
              'method_not_allowed',
              'validation_failed',
              'not_found',
              'conflict',
            ]),
          },
        },
      },
      '/incidents/{number}/public-updates': {
        get: {
          operationId: 'listPublicUpdates',
          tags: ['Incidents'],
          summary: 'List the public updates',
          description: 'What the public status page says about the incident, newest first.',
          parameters: [numberParameter],
          responses: {
            '200': json('PublicUpdateList', 'The incident’s public updates, newest first.'),
            ...errorResponses([...READ_ERRORS, 'not_found']),
          },
        },
        post: {
          operationId: 'postPublicUpdate',
          tags: ['Incidents'],
          summary: 'Post a public update',
          description:
            'Publishes an update on the status page and e-mails its confirmed subscribers, as the incident’s Public updates page does. The commander, the Communications lead, managers and admins may; a private incident is refused (`forbidden`). An unknown or archived component answers `validation_failed` on `components`.',
          parameters: [numberParameter],
          requestBody: body('PublicUpdateRequest'),
          responses: {
            '201': json('PublicUpdate', 'The published update.', {
              Location: { schema: { type: 'string', format: 'uri' } },
            }),
            ...errorResponses([...WRITE_ERRORS, 'not_found']),
          },
        },
      },
      '/incidents/{number}/timeline': {
        get: {
          operationId: 'getTimeline',
          tags: ['Incidents'],
          summary: 'Read the timeline',
          parameters: [numberParameter],
          responses: {
            '200': json('Timeline', 'Every entry, oldest first.'),
            ...errorResponses([...READ_ERRORS, 'not_found']),
          },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'getOpenApiDocument',
          tags: ['Meta'],
          summary: 'This document',
          security: [],
          responses: {
            '200': {
              description: 'The OpenAPI 3.1 document.',
              content: { 'application/json': { schema: { type: 'object' } } },
            },
          },
        },
      },
    },
    components: {
      schemas,
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'A personal API token (`ifk_…`) from /account/tokens.',
        },
      },
    },
  }
}

const documents = new Map<string, ReturnType<typeof build>>()

/** The document for an API served at `serverUrl` (e.g. https://incidents.example.com/api/v1). */
export function openApiDocument(serverUrl: string) {
  let document = documents.get(serverUrl)
  if (!document) {
    document = build(serverUrl)
    documents.set(serverUrl, document)
  }
  return document
}
