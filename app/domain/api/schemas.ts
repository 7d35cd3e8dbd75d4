/**
 * The JSON API's requests and responses, as zod schemas: the single source for both the routes
 * (which parse requests with them) and the OpenAPI document (generated from them in
 * `openapi.ts`). A schema registered in `requestSchemas` or `responseSchemas` becomes a named
 * component of the document.
 */
import * as z from 'zod'
import { CLASSIFICATIONS, EVENT_TYPES, LINK_KINDS } from '~/domain/incident/events'
import { TRANSITION_ACTIONS, type TransitionAction } from '~/domain/incident/lifecycle'
import { IMPACTS, URGENCIES } from '~/domain/incident/triage'
import { COMMENT_MAX, INCIDENT_STATUSES, SEVERITIES } from '~/domain/incident/vocabulary'
import { COMPONENT_STATES, PUBLIC_STATUSES } from '~/domain/status/status-vocabulary'

export interface SchemaMeta {
  id: string
  description?: string
}

/** Request bodies, described as clients send them (zod's input side). */
export const requestSchemas = z.registry<SchemaMeta>()
/** Response bodies, described as the server writes them (zod's output side). */
export const responseSchemas = z.registry<SchemaMeta>()

/** Largest request body the API reads. */
export const BODY_LIMIT_BYTES = 64 * 1024

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/** Stable error codes: clients branch on these, never on the message. */
export const ERROR_CODES = [
  'unauthorized',
  'forbidden',
  'not_found',
  'method_not_allowed',
  'unsupported_media_type',
  'payload_too_large',
  'invalid_json',
  'validation_failed',
  'invalid_transition',
  'conflict',
  'internal_error',
] as const
export type ErrorCode = (typeof ERROR_CODES)[number]

/** The HTTP status that goes with each code. */
export const ERROR_STATUS = {
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  unsupported_media_type: 415,
  payload_too_large: 413,
  invalid_json: 400,
  validation_failed: 422,
  invalid_transition: 400,
  conflict: 409,
  internal_error: 500,
} as const satisfies Record<ErrorCode, number>

export const ErrorResponseSchema = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES).describe('Stable, machine-readable reason.'),
      message: z.string().describe('Words for a person; may change between releases.'),
      fields: z
        .record(z.string(), z.array(z.string()))
        .optional()
        .describe('With validation_failed: what is wrong with each request field.'),
      currentVersion: z
        .number()
        .int()
        .optional()
        .describe('With conflict: the incident version to retry with.'),
    }),
  })
  .register(responseSchemas, {
    id: 'Error',
    description: 'Every error answer has this shape.',
  })
export type ErrorResponse = z.infer<typeof ErrorResponseSchema>

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

const timestamp = z.iso.datetime()
const incidentId = z
  .string()
  .regex(/^INC-[1-9]\d*$/)
  .describe('The incident as people write it: INC-<number>.')
const incidentNumber = z
  .number()
  .int()
  .min(1)
  .describe('The per-organization incident number (the <n> of INC-<n>).')
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/)

export const PersonSchema = z
  .object({ id: z.uuid(), name: z.string() })
  .register(responseSchemas, { id: 'Person', description: 'A member of the organization.' })

export const CatalogEntrySchema = z
  .object({ id: z.uuid(), name: z.string() })
  .register(responseSchemas, { id: 'CatalogEntry', description: 'A service or incident type.' })

export const IncidentLinksSchema = z
  .object({
    html: z.url().describe('The incident page.'),
    self: z.url().describe('This incident in the API.'),
  })
  .register(responseSchemas, { id: 'IncidentLinks' })

const customFieldValue = z
  .union([z.string(), z.number(), z.array(z.string())])
  .nullable()
  .describe(
    'Text, number and date (YYYY-MM-DD) fields: the value; single choice: the option id; multiple choice: option ids; member: the user id. Null when not set.',
  )

export const CustomFieldValuesSchema = z
  .record(z.string(), customFieldValue)
  .describe(
    'The organization’s active custom fields by key (see GET /custom-fields), null where not set.',
  )
  .register(responseSchemas, { id: 'CustomFieldValues' })

export const CustomFieldDefinitionSchema = z
  .object({
    key: z.string().describe('How requests and responses name the field; never changes.'),
    label: z.string(),
    helpText: z.string(),
    kind: z.enum(['text', 'number', 'single_choice', 'multi_choice', 'member', 'date']),
    options: z
      .array(z.object({ id: z.string(), label: z.string(), retired: z.boolean() }))
      .describe('Choice fields only. A retired option is no longer accepted as a new value.'),
    requiredFromStatus: z
      .enum(INCIDENT_STATUSES)
      .nullable()
      .describe(
        'From this status on the field must be filled (steps to it are refused until it is).',
      ),
  })
  .register(responseSchemas, { id: 'CustomFieldDefinition' })

export const CustomFieldDefinitionListSchema = z
  .object({ data: z.array(CustomFieldDefinitionSchema) })
  .register(responseSchemas, {
    id: 'CustomFieldDefinitionList',
    description: 'The active custom fields, in the organization’s order.',
  })

const classification = z
  .enum(CLASSIFICATIONS)
  .describe(
    '`incident` counts in the metrics; `declined` (not an incident), `duplicate` and `merged` are left out (docs/metrics.md, counting rule) and frozen until a manager undoes the reclassification.',
  )

export const RelatedIncidentSchema = z
  .object({
    id: incidentId,
    number: incidentNumber,
    kind: z
      .enum(LINK_KINDS)
      .describe('`related`, or `duplicate_of` / `merged_into` (read with `direction`).'),
    direction: z
      .enum(['to', 'from'])
      .describe(
        '`to`: this incident names the other (it is the duplicate); `from`: the other names it.',
      ),
    text: z.string().describe('The link in words, as the incident page shows it.'),
  })
  .register(responseSchemas, { id: 'RelatedIncident', description: 'A link to another incident.' })

export const IncidentRoleHolderSchema = z
  .object({
    roleId: z.uuid(),
    key: z.string().describe('Stable key: `communications_lead`, `scribe`, or an added role’s.'),
    name: z.string(),
    holder: PersonSchema,
  })
  .register(responseSchemas, {
    id: 'IncidentRoleHolder',
    description: 'An incident role besides commander and assignees, and who holds it.',
  })

export const IncidentSummarySchema = z
  .object({
    id: incidentId,
    number: incidentNumber,
    title: z.string(),
    status: z.enum(INCIDENT_STATUSES),
    severity: z.enum(SEVERITIES),
    serviceName: z.string().nullable(),
    incidentTypeName: z.string().nullable(),
    commanderName: z.string().nullable(),
    assigneeCount: z.number().int().min(0),
    classification,
    private: z
      .boolean()
      .describe(
        'Private: visible only to its commander, assignees, role holders, viewers and admins (to anyone else it does not exist).',
      ),
    declaredAt: timestamp,
    impactStartedAt: timestamp,
    customFields: CustomFieldValuesSchema,
    links: IncidentLinksSchema,
  })
  .register(responseSchemas, { id: 'IncidentSummary', description: 'One row of the list.' })

export const IncidentListSchema = z
  .object({
    data: z.array(IncidentSummarySchema),
    nextCursor: z
      .string()
      .nullable()
      .describe('Pass as `cursor` for the next page; null on the last page.'),
    links: z.object({ next: z.url().nullable() }),
  })
  .register(responseSchemas, {
    id: 'IncidentList',
    description: 'Most severe first, then newest.',
  })

export const IncidentSchema = z
  .object({
    id: incidentId,
    number: incidentNumber,
    title: z.string(),
    summary: z.string(),
    status: z.enum(INCIDENT_STATUSES),
    severity: z.enum(SEVERITIES),
    impact: z.enum(IMPACTS).nullable(),
    urgency: z.enum(URGENCIES).nullable(),
    service: CatalogEntrySchema.nullable(),
    incidentType: CatalogEntrySchema.nullable(),
    commander: PersonSchema.nullable(),
    assignees: z.array(PersonSchema),
    declaredBy: PersonSchema.nullable(),
    classification,
    classifiedAsOf: incidentId
      .nullable()
      .describe('The incident a duplicate or merged incident points to.'),
    relatedIncidents: z.array(RelatedIncidentSchema),
    roles: z.array(IncidentRoleHolderSchema).describe('Incident roles someone holds.'),
    private: z
      .boolean()
      .describe(
        'Private: visible only to its commander, assignees, role holders, viewers and admins (to anyone else it does not exist).',
      ),
    impactStartedAt: timestamp,
    declaredAt: timestamp,
    acknowledgedAt: timestamp.nullable(),
    mitigatedAt: timestamp.nullable(),
    resolvedAt: timestamp.nullable(),
    postmortemAt: timestamp.nullable(),
    closedAt: timestamp.nullable(),
    version: z
      .number()
      .int()
      .min(0)
      .describe('Send it back as `version` to refuse a change if someone changed it meanwhile.'),
    nextActions: z
      .array(z.enum(TRANSITION_ACTIONS as [TransitionAction, ...TransitionAction[]]))
      .describe('The transitions the token’s user may take now.'),
    customFields: CustomFieldValuesSchema,
    links: IncidentLinksSchema,
  })
  .register(responseSchemas, { id: 'Incident' })
export type ApiIncident = z.infer<typeof IncidentSchema>

export const TimelineEventSchema = z
  .object({
    seq: z.number().int().min(1).describe('Position in the incident’s chain, from 1, gap-free.'),
    type: z.enum(EVENT_TYPES),
    actor: PersonSchema.nullable().describe('Null for entries the system made.'),
    occurredAt: timestamp,
    summary: z.string().describe('The entry in words, as the incident page shows it.'),
    payload: z.record(z.string(), z.unknown()).describe('The stored payload; depends on `type`.'),
    prevHash: sha256Hex,
    hash: sha256Hex.describe('SHA-256 chaining this entry to the one before (docs/audit-log.md).'),
  })
  .register(responseSchemas, { id: 'TimelineEvent' })
export type ApiTimelineEvent = z.infer<typeof TimelineEventSchema>

export const TimelineSchema = z
  .object({
    incident: z.object({ id: incidentId, number: incidentNumber, links: IncidentLinksSchema }),
    genesisHash: sha256Hex.describe('The `prevHash` of the first entry.'),
    data: z.array(TimelineEventSchema),
  })
  .register(responseSchemas, { id: 'Timeline', description: 'Every entry, oldest first.' })

export const PublicUpdateSchema = z
  .object({
    id: z.uuid(),
    title: z.string(),
    status: z.enum(PUBLIC_STATUSES),
    message: z.string(),
    components: z.array(z.object({ id: z.uuid(), state: z.enum(COMPONENT_STATES) })),
    postedAt: timestamp,
    postedBy: PersonSchema.nullable().describe('Null once the poster is no longer a member.'),
  })
  .register(responseSchemas, {
    id: 'PublicUpdate',
    description: 'An update published on the status page about an incident.',
  })
export type ApiPublicUpdate = z.infer<typeof PublicUpdateSchema>

export const PublicUpdateListSchema = z
  .object({
    incident: z.object({ id: incidentId, number: incidentNumber, links: IncidentLinksSchema }),
    data: z.array(PublicUpdateSchema),
  })
  .register(responseSchemas, { id: 'PublicUpdateList', description: 'Newest first.' })

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

/** Custom field values a request sets, by key; the service checks each against its field. */
const customFieldInput = z
  .record(
    z.string().max(40, 'Use a field key (at most 40 characters).'),
    z.union([z.string().max(1000), z.number(), z.array(z.string().max(100)).max(50), z.null()], {
      error: 'Send text, a number, a list of option ids, or null.',
    }),
    { error: 'Send an object of field keys and values.' },
  )
  .describe(
    'Values by field key (see GET /custom-fields): text, a number, a date as YYYY-MM-DD, an option id, a list of option ids, a user id; null or "" clears.',
  )

const version = z
  .number({ error: 'Send the version as a whole number.' })
  .int('Send the version as a whole number.')
  .min(0, 'Send the version as a whole number.')
  .describe('The incident version the change is based on; a different one answers 409 conflict.')

export const DeclareIncidentRequestSchema = z
  .strictObject({
    title: z
      .string({ error: 'Give the incident a title.' })
      .trim()
      .min(3, 'Use at least 3 characters.')
      .max(200, 'Use at most 200 characters.'),
    summary: z
      .string({ error: 'Send the summary as text.' })
      .max(COMMENT_MAX, `Keep the summary under ${COMMENT_MAX} characters.`)
      .optional(),
    severity: z
      .enum(SEVERITIES, { error: `Use one of ${SEVERITIES.join(', ')}.` })
      .optional()
      .describe('Required unless both impact and urgency are given (the triage matrix decides).'),
    impact: z.enum(IMPACTS, { error: `Use one of ${IMPACTS.join(', ')}.` }).optional(),
    urgency: z.enum(URGENCIES, { error: `Use one of ${URGENCIES.join(', ')}.` }).optional(),
    serviceId: z.uuid('Use the id of one of the organization’s services.').nullable().optional(),
    incidentTypeId: z
      .uuid('Use the id of one of the organization’s incident types.')
      .nullable()
      .optional(),
    impactStartedAt: z.iso
      .datetime({
        offset: true,
        error: 'Use an ISO 8601 date and time, e.g. 2026-01-31T09:30:00Z.',
      })
      .optional()
      .describe('Defaults to now.'),
    private: z
      .boolean({ error: 'Send true or false.' })
      .optional()
      .describe('Declare it private (see `Incident.private`); false unless given.'),
    customFields: customFieldInput
      .optional()
      .describe('Fields required from Detected on must be given.'),
  })
  .superRefine((value, ctx) => {
    if (value.severity) return
    if (!value.impact && !value.urgency)
      ctx.addIssue({
        code: 'custom',
        path: ['severity'],
        message: 'Choose a severity, or an impact and an urgency.',
      })
    else if (!value.urgency)
      ctx.addIssue({
        code: 'custom',
        path: ['urgency'],
        message: 'Choose an urgency to go with the impact.',
      })
    else if (!value.impact)
      ctx.addIssue({
        code: 'custom',
        path: ['impact'],
        message: 'Choose an impact to go with the urgency.',
      })
  })
  .register(requestSchemas, { id: 'DeclareIncidentRequest' })

export const TransitionRequestSchema = z
  .strictObject({
    action: z.enum(TRANSITION_ACTIONS as [TransitionAction, ...TransitionAction[]], {
      error: `Use one of ${TRANSITION_ACTIONS.join(', ')}.`,
    }),
    reason: z
      .string({ error: 'Send the reason as text.' })
      .trim()
      .max(1000, 'Keep the reason under 1000 characters.')
      .nullable()
      .optional()
      .describe('Required for reopen.'),
    customFields: customFieldInput
      .optional()
      .describe('Values set with the step: the fields its status requires that are still empty.'),
    version: version.optional(),
  })
  .register(requestSchemas, { id: 'TransitionRequest' })

export const CommentRequestSchema = z
  .strictObject({
    body: z
      .string({ error: 'Write a comment first.' })
      .trim()
      .min(1, 'Write a comment first.')
      .max(COMMENT_MAX, `Keep comments under ${COMMENT_MAX} characters.`)
      .describe('Markdown.'),
    version: version.optional(),
  })
  .register(requestSchemas, { id: 'CommentRequest' })

export const CustomFieldsRequestSchema = z
  .strictObject({ customFields: customFieldInput, version: version.optional() })
  .register(requestSchemas, { id: 'CustomFieldsRequest' })

const reason = z
  .string({ error: 'Give a reason.' })
  .trim()
  .min(1, 'Give a reason.')
  .max(1000, 'Keep the reason under 1000 characters.')

const otherIncident = (what: string) =>
  z
    .number({ error: 'Send an incident number, e.g. 42.' })
    .int('Send an incident number, e.g. 42.')
    .min(1, 'Send an incident number, e.g. 42.')
    .max(999_999_999, 'Send an incident number, e.g. 42.')
    .describe(what)

export const ReclassificationRequestSchema = z
  .strictObject({
    classification: z
      .enum(CLASSIFICATIONS, { error: `Use one of ${CLASSIFICATIONS.join(', ')}.` })
      .describe(
        '`declined`, `duplicate` (of `target`) or `merged` (into `target`); `incident` undoes the reclassification.',
      ),
    target: otherIncident(
      'The number of the incident that stays: required for `duplicate` and `merged`, refused otherwise.',
    ).optional(),
    reason,
    version: version.optional(),
  })
  .superRefine((value, ctx) => {
    const needsTarget = value.classification === 'duplicate' || value.classification === 'merged'
    if (needsTarget && value.target === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['target'],
        message: 'Give the number of the incident that stays.',
      })
    if (!needsTarget && value.target !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['target'],
        message: 'Only a duplicate or a merge names another incident.',
      })
  })
  .register(requestSchemas, { id: 'ReclassificationRequest' })

export const RelatedLinkRequestSchema = z
  .strictObject({
    relatedNumber: otherIncident('The incident to link as related.'),
    version: version.optional(),
  })
  .register(requestSchemas, { id: 'RelatedLinkRequest' })

/** The query of DELETE …/links/{relatedNumber}: the version, as a body-less request sends it. */
export const RemoveLinkQuerySchema = z.strictObject({
  version: z.coerce
    .number({ error: 'Send the version as a whole number.' })
    .int('Send the version as a whole number.')
    .min(0, 'Send the version as a whole number.')
    .optional()
    .describe('The incident version the change is based on; a different one answers 409 conflict.'),
})

export const IncidentRolesRequestSchema = z
  .strictObject({
    holders: z
      .record(
        z.string().max(60, 'Use a role key (see `roles[].key`).'),
        z.uuid('Send a member’s user id, or null for nobody.').nullable(),
        { error: 'Send an object of role keys and user ids.' },
      )
      .refine((holders) => Object.keys(holders).length > 0, 'Name at least one role.')
      .describe(
        'Who holds each role, by role key (`communications_lead`, `scribe`, or an added role’s): a member’s user id, or null for nobody. Roles not named stay as they are.',
      ),
    version: version.optional(),
  })
  .register(requestSchemas, { id: 'IncidentRolesRequest' })

export const VisibilityRequestSchema = z
  .strictObject({
    private: z
      .boolean({ error: 'Send true or false.' })
      .describe('true makes the incident private, false visible to the whole organization again.'),
    reason: z
      .string({ error: 'Give a reason.' })
      .trim()
      .min(1, 'Give a reason.')
      .max(1000, 'Keep the reason under 1000 characters.'),
    version: version.optional(),
  })
  .register(requestSchemas, { id: 'VisibilityRequest' })

export const ViewerRequestSchema = z
  .strictObject({
    userId: z.uuid('Use the id of an active member of the organization.'),
    version: version.optional(),
  })
  .register(requestSchemas, { id: 'ViewerRequest' })

/** The query of DELETE …/viewers/{userId}: the version, as a body-less request sends it. */
export const RemoveViewerQuerySchema = z.strictObject({
  version: z.coerce
    .number({ error: 'Send the version as a whole number.' })
    .int('Send the version as a whole number.')
    .min(0, 'Send the version as a whole number.')
    .optional()
    .describe('The incident version the change is based on; a different one answers 409 conflict.'),
})

export const PublicUpdateRequestSchema = z
  .strictObject({
    status: z.enum(PUBLIC_STATUSES, { error: `Use one of ${PUBLIC_STATUSES.join(', ')}.` }),
    title: z
      .string({ error: 'Send the title as text.' })
      .trim()
      .min(1, 'Enter the title visitors read.')
      .max(200, 'Use at most 200 characters.')
      .optional()
      .describe('Defaults to the latest public update’s title, else the incident’s.'),
    message: z
      .string({ error: 'Write the message visitors read.' })
      .trim()
      .min(1, 'Write the message visitors read.')
      .max(5000, 'Use at most 5000 characters.')
      .describe('What visitors of the status page read.'),
    components: z
      .array(
        z.strictObject({
          id: z.uuid('Use the id of one of the organization’s status page components.'),
          state: z.enum(COMPONENT_STATES, {
            error: `Use one of ${COMPONENT_STATES.join(', ')}.`,
          }),
        }),
        { error: 'Send a list of { id, state }.' },
      )
      .max(100, 'Name at most 100 components.')
      .optional()
      .describe('The state the update gives each affected component; each component once.'),
  })
  .register(requestSchemas, { id: 'PublicUpdateRequest' })

/** The list's query parameters; `status` and `severity` repeat (or take comma-separated values). */
export const ListIncidentsQuerySchema = z.strictObject({
  status: z
    .array(z.enum([...INCIDENT_STATUSES, 'open', 'all']), {
      error: `Use ${[...INCIDENT_STATUSES, 'open', 'all'].join(', ')}.`,
    })
    .optional()
    .describe(
      'Statuses to include; none means the open ones (open = detected, investigating, mitigated).',
    ),
  severity: z.array(z.enum(SEVERITIES), { error: `Use ${SEVERITIES.join(', ')}.` }).optional(),
  service: z.uuid('Use a service id.').optional().describe('A service id.'),
  type: z.uuid('Use an incident type id.').optional().describe('An incident type id.'),
  assignee: z
    .union([z.uuid(), z.literal('me')], { error: 'Use a member id or "me".' })
    .optional()
    .describe('Incidents this member commands or is assigned to; "me" for the token’s user.'),
  q: z
    .string()
    .max(200, 'Use at most 200 characters.')
    .optional()
    .describe('Title text or INC-<n>.'),
  from: z.iso.date('Use a date like 2026-01-31.').optional().describe('Declared on or after.'),
  to: z.iso.date('Use a date like 2026-01-31.').optional().describe('Declared on or before.'),
  private: z
    .enum(['true', 'false'], { error: 'Use true or false.' })
    .optional()
    .describe('Only private (true) or only public (false) incidents; both unless given.'),
  limit: z.coerce
    .number({ error: 'Use a whole number from 1 to 100.' })
    .int('Use a whole number from 1 to 100.')
    .min(1, 'Use a whole number from 1 to 100.')
    .max(100, 'Use a whole number from 1 to 100.')
    .optional()
    .describe('Page size; 25 unless given.'),
  cursor: z.string().max(200).optional().describe('`nextCursor` of the previous page.'),
})
export type ListIncidentsQuery = z.infer<typeof ListIncidentsQuerySchema>
export const LIST_ARRAY_PARAMS = ['status', 'severity'] as const
export const DEFAULT_PAGE_SIZE = 25
