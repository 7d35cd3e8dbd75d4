/**
 * Every URL the web process answers, as the fuzz suite (tests/integration/fuzz.test.ts) walks
 * them: one entry per route module in app/routes (the suite fails when a module has no entry, or
 * an entry lacks a method the module exports), plus the inbound hooks Express answers before
 * Remix. Path parameters are written `:name` and filled with this organization's ids, another
 * organization's ids and ids that are no id at all.
 */

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/** What fills a path parameter (see the suite's world). */
export type Param =
  | 'number'
  | 'attachmentId'
  | 'reportId'
  | 'draftId'
  | 'integrationId'
  | 'endpointId'
  | 'token'
  | 'splat'
  | 'hookKind'
  | 'hookToken'

export interface RouteSpec {
  /** The module in app/routes, or `express:` for what Express answers itself. */
  file: string
  path: string
  /** `page`: HTML forms and a session; `api`: JSON and a bearer token; `hook`: JSON, no auth. */
  kind: 'page' | 'api' | 'hook'
  /** The methods the route answers (GET for a loader, POST etc. for an action). */
  methods: Method[]
  /** `intent` values its forms send. */
  intents?: string[]
  /** Fields its forms or JSON bodies read (besides `intent`). */
  fields?: string[]
  /** Query parameters its loader reads. */
  query?: string[]
  /** Fields whose generated values are restricted, e.g. to keep the test clock still. */
  only?: Record<string, string[]>
}

const INCIDENT = '/incidents/:number'

export const ROUTES: RouteSpec[] = [
  { file: '$.tsx', path: '/:splat', kind: 'page', methods: ['GET'] },
  { file: '_index.tsx', path: '/', kind: 'page', methods: ['GET'] },
  {
    file: 'account.tsx',
    path: '/account',
    kind: 'page',
    methods: ['GET', 'POST'],
    intents: ['switch-organization'],
    fields: ['organizationId', 'redirectTo'],
  },
  {
    file: 'account_.notifications.tsx',
    path: '/account/notifications',
    kind: 'page',
    methods: ['GET', 'POST'],
    fields: ['receive'],
  },
  {
    file: 'account_.tokens.tsx',
    path: '/account/tokens',
    kind: 'page',
    methods: ['GET', 'POST'],
    intents: ['create', 'revoke'],
    fields: ['name', 'expiresIn', 'tokenId'],
  },
  { file: 'admin.audit.tsx', path: '/admin/audit', kind: 'page', methods: ['GET'], query: ['q'] },
  {
    file: 'admin.deliveries.tsx',
    path: '/admin/deliveries',
    kind: 'page',
    methods: ['GET', 'POST'],
    intents: ['retry'],
    fields: ['id', 'kind'],
  },
  {
    file: 'admin.escalations.tsx',
    path: '/admin/escalations',
    kind: 'page',
    methods: ['GET', 'POST'],
    intents: ['add-rule', 'save-rule', 'enable', 'disable', 'move-up', 'move-down', 'delete'],
    fields: [
      'id',
      'name',
      'trigger',
      'target',
      'maxSeverity',
      'raiseSeverity',
      'commanderId',
      'webhookEndpointId',
      'groups',
      'minutes',
    ],
    query: ['edit'],
  },
  {
    file: 'admin.integrations.$integrationId.tsx',
    path: '/admin/integrations/:integrationId',
    kind: 'page',
    methods: ['GET', 'POST'],
    intents: ['save', 'rotate-token', 'activate', 'deactivate', 'delete'],
    fields: [
      'version',
      'name',
      'serviceId',
      'defaultSeverity',
      'rateLimitPerMinute',
      'signingSecret',
    ],
  },
  {
    file: 'admin.integrations._index.tsx',
    path: '/admin/integrations',
    kind: 'page',
    methods: ['GET', 'POST'],
    intents: ['create'],
    fields: ['name', 'kind', 'serviceId', 'defaultSeverity', 'rateLimitPerMinute', 'signingSecret'],
  },
  {
    file: 'admin.integrations.slack.tsx',
    path: '/admin/integrations/slack',
    kind: 'page',
    methods: ['GET', 'POST'],
    intents: [
      'connect',
      'oauth-start',
      'channels',
      'disconnect',
      'teams-save',
      'teams-test',
      'teams-remove',
    ],
    fields: [
      'botToken',
      'signingSecret',
      'channelMode',
      'sharedChannelId',
      'archiveOnClose',
      'teamsUrl',
    ],
    query: ['code', 'state', 'error'],
  },
  {
    file: 'admin.members.tsx',
    path: '/admin/members',
    kind: 'page',
    methods: ['GET', 'POST'],
    intents: ['invite', 'change-role', 'deactivate', 'reactivate', 'revoke-invitation'],
    fields: ['email', 'role', 'membershipId', 'invitationId'],
  },
  {
    file: 'admin.incident-roles.tsx',
    path: '/admin/incident-roles',
    kind: 'page',
    methods: ['GET', 'POST'],
    intents: ['add', 'rename', 'archive', 'restore'],
    fields: ['name', 'roleId'],
  },
  {
    file: 'admin.postmortems.tsx',
    path: '/admin/postmortems',
    kind: 'page',
    methods: ['GET', 'POST'],
    fields: ['requirePostmortem', 'version'],
  },
  {
    file: 'admin.services.tsx',
    path: '/admin/services',
    kind: 'page',
    methods: ['GET', 'POST'],
    intents: ['add-service', 'add-type', 'retire', 'restore'],
    fields: ['name', 'description', 'kind', 'id'],
  },
  {
    file: 'admin.sla.tsx',
    path: '/admin/sla',
    kind: 'page',
    methods: ['GET', 'POST'],
    fields: ['baseVersion', 'SEV-1.acknowledge', 'SEV-1.mitigate', 'SEV-2.resolve'],
  },
  {
    file: 'admin.status-page.tsx',
    path: '/admin/status-page',
    kind: 'page',
    methods: ['GET', 'POST'],
    intents: [
      'settings',
      'add-group',
      'add-component',
      'archive-component',
      'schedule-maintenance',
      'cancel-maintenance',
    ],
    fields: [
      'published',
      'title',
      'intro',
      'customHost',
      'groupName',
      'name',
      'description',
      'groupId',
      'serviceIds',
      'maintenanceTitle',
      'message',
      'startsAt',
      'endsAt',
      'componentIds',
      'id',
    ],
  },
  {
    file: 'admin.triage.tsx',
    path: '/admin/triage',
    kind: 'page',
    methods: ['GET', 'POST'],
    intents: ['save', 'reset'],
    fields: ['version', 'high.high', 'low.low'],
  },
  {
    file: 'admin.webhooks.$endpointId.tsx',
    path: '/admin/webhooks/:endpointId',
    kind: 'page',
    methods: ['GET', 'POST'],
    intents: ['save', 'enable', 'disable', 'delete', 'rotate-secret', 'send-test', 'redeliver'],
    fields: ['url', 'description', 'events', 'version', 'delivery'],
    query: ['page'],
  },
  {
    file: 'admin.webhooks._index.tsx',
    path: '/admin/webhooks',
    kind: 'page',
    methods: ['GET', 'POST'],
    intents: ['create'],
    fields: ['url', 'description', 'events'],
  },
  ...(['incidents', 'metrics'] as const).flatMap((what) =>
    (['csv', 'json'] as const).map((format): RouteSpec => ({
      file: `analytics.${what}[.]${format}.ts`,
      path: `/analytics/${what}.${format}`,
      kind: 'page',
      methods: ['GET'],
      query: ['period', 'from', 'to', 'severity', 'service', 'type', 'commander', 'bucket'],
    })),
  ),
  {
    file: 'analytics.tsx',
    path: '/analytics',
    kind: 'page',
    methods: ['GET'],
    query: ['period', 'from', 'to', 'severity', 'service', 'type', 'commander', 'bucket'],
  },
  { file: 'api.v1.$.ts', path: '/api/v1/:splat', kind: 'api', methods: ['GET', 'POST'] },
  {
    file: 'api.v1.incidents.$number.comments.ts',
    path: '/api/v1/incidents/:number/comments',
    kind: 'api',
    methods: ['POST'],
    fields: ['body', 'version'],
  },
  {
    file: 'api.v1.incidents.$number.timeline.ts',
    path: '/api/v1/incidents/:number/timeline',
    kind: 'api',
    methods: ['GET'],
    query: ['limit', 'cursor', 'before'],
  },
  {
    file: 'api.v1.incidents.$number.transitions.ts',
    path: '/api/v1/incidents/:number/transitions',
    kind: 'api',
    methods: ['POST'],
    fields: ['to', 'reason', 'version'],
  },
  {
    file: 'api.v1.incidents.$number.ts',
    path: '/api/v1/incidents/:number',
    kind: 'api',
    methods: ['GET'],
  },
  {
    file: 'api.v1.incidents._index.ts',
    path: '/api/v1/incidents',
    kind: 'api',
    methods: ['GET', 'POST'],
    fields: [
      'title',
      'summary',
      'severity',
      'impact',
      'urgency',
      'serviceId',
      'incidentTypeId',
      'impactStartedAt',
      'private',
    ],
    query: ['status', 'severity', 'q', 'from', 'to', 'limit', 'cursor', 'service', 'private'],
  },
  {
    file: 'api.v1.openapi[.]json.ts',
    path: '/api/v1/openapi.json',
    kind: 'api',
    methods: ['GET'],
  },
  {
    file: 'auth.supabase.confirm.tsx',
    path: '/auth/supabase/confirm',
    kind: 'page',
    methods: ['GET'],
    query: ['token_hash', 'type', 'redirectTo'],
  },
  { file: 'dev.outbox.tsx', path: '/dev/outbox', kind: 'page', methods: ['GET'] },
  {
    file: 'incidents.$number.evidence.$attachmentId.tsx',
    path: `${INCIDENT}/evidence/:attachmentId`,
    kind: 'page',
    methods: ['GET'],
    query: ['inline'],
  },
  {
    file: 'incidents.$number.evidence.tsx',
    path: `${INCIDENT}/evidence`,
    kind: 'page',
    methods: ['GET', 'POST'],
    intents: ['withdraw'],
    fields: ['attachmentId', 'reason', 'description', 'file'],
  },
  {
    file: 'incidents.$number.timeline[.]csv.ts',
    path: `${INCIDENT}/timeline.csv`,
    kind: 'page',
    methods: ['GET'],
  },
  {
    file: 'incidents.$number.timeline[.]json.ts',
    path: `${INCIDENT}/timeline.json`,
    kind: 'page',
    methods: ['GET'],
  },
  {
    file: 'incidents.$number.tsx',
    path: INCIDENT,
    kind: 'page',
    methods: ['GET', 'POST'],
    intents: [
      'transition',
      'comment',
      'severity',
      'assign',
      'escalate',
      'edit',
      'correct',
      'reclassify',
      'undo-reclassify',
      'link',
      'unlink',
      'roles',
    ],
    fields: [
      'version',
      'action',
      'reason',
      'classification',
      'targetNumber',
      'relatedNumber',
      'roleId',
      'holder',
      'body',
      'severity',
      'commanderId',
      'assigneeIds',
      'takeCommand',
      'title',
      'summary',
      'serviceId',
      'incidentTypeId',
      'impactStartedAt',
      'seq',
    ],
    query: ['before', 'after', 'correct'],
  },
  {
    file: 'incidents.$number_.public-updates.tsx',
    path: `${INCIDENT}/public-updates`,
    kind: 'page',
    methods: ['GET', 'POST'],
    intents: ['post'],
    fields: ['title', 'status', 'body', 'component.00000000-0000-4000-8000-000000000000'],
  },
  {
    file: 'incidents.$number_.visibility.tsx',
    path: `${INCIDENT}/visibility`,
    kind: 'page',
    methods: ['GET', 'POST'],
    intents: ['visibility', 'add-viewer', 'remove-viewer'],
    fields: ['version', 'private', 'reason', 'userId'],
  },
  {
    file: 'incidents.$number_.postmortem.tsx',
    path: `${INCIDENT}/postmortem`,
    kind: 'page',
    methods: ['GET', 'POST'],
    intents: ['save', 'status'],
    fields: ['version', 'to', 'changeNote', 'summary', 'impact', 'rootCause', 'include'],
  },
  {
    file: 'incidents.$number_.postmortem_.action-items.tsx',
    path: `${INCIDENT}/postmortem/action-items`,
    kind: 'page',
    methods: ['GET', 'POST'],
    intents: ['create', 'update'],
    fields: ['itemId', 'version', 'title', 'ownerId', 'dueOn', 'status'],
  },
  {
    file: 'incidents.$number_.postmortem_.drafts.tsx',
    path: `${INCIDENT}/postmortem/drafts`,
    kind: 'page',
    methods: ['GET', 'POST'],
    fields: ['mode', 'revision'],
  },
  {
    file: 'incidents.$number_.postmortem_.drafts_.$draftId.tsx',
    path: `${INCIDENT}/postmortem/drafts/:draftId`,
    kind: 'page',
    methods: ['GET', 'POST'],
    intents: ['accept', 'discard'],
    fields: ['version', 'include'],
  },
  {
    file: 'incidents.$number_.postmortem_.print.tsx',
    path: `${INCIDENT}/postmortem/print`,
    kind: 'page',
    methods: ['GET', 'POST'],
    fields: ['to'],
  },
  {
    file: 'incidents.$number_.postmortem_.revisions.tsx',
    path: `${INCIDENT}/postmortem/revisions`,
    kind: 'page',
    methods: ['GET'],
    query: ['from', 'to'],
  },
  {
    file: 'incidents._index.tsx',
    path: '/incidents',
    kind: 'page',
    methods: ['GET'],
    query: ['q', 'status', 'severity', 'service', 'from', 'to', 'cursor', 'sort', 'commander'],
  },
  {
    file: 'incidents.new.tsx',
    path: '/incidents/new',
    kind: 'page',
    methods: ['GET', 'POST'],
    fields: [
      'title',
      'severity',
      'impact',
      'urgency',
      'serviceId',
      'incidentTypeId',
      'summary',
      'impactStartedAt',
      'private',
    ],
  },
  {
    file: 'invitations.$token.tsx',
    path: '/invitations/:token',
    kind: 'page',
    methods: ['GET', 'POST'],
    fields: ['displayName', 'password'],
  },
  {
    file: 'login.tsx',
    path: '/login',
    kind: 'page',
    methods: ['GET', 'POST'],
    intents: ['supabase-password', 'supabase-link'],
    fields: ['email', 'password', 'redirectTo'],
    query: ['redirectTo'],
  },
  { file: 'logout.tsx', path: '/logout', kind: 'page', methods: ['GET', 'POST'] },
  {
    file: 'reports.$reportId.download.tsx',
    path: '/reports/:reportId/download',
    kind: 'page',
    methods: ['GET'],
  },
  { file: 'reports.$reportId.tsx', path: '/reports/:reportId', kind: 'page', methods: ['GET'] },
  {
    file: 'reports._index.tsx',
    path: '/reports',
    kind: 'page',
    methods: ['GET', 'POST'],
    fields: ['period', 'from', 'to', 'severity', 'service', 'type', 'commander', 'bucket'],
    query: ['period', 'from', 'to'],
  },
  {
    file: 'reports.print.tsx',
    path: '/reports/print',
    kind: 'page',
    methods: ['GET'],
    query: ['period', 'from', 'to', 'severity', 'service', 'type', 'commander', 'bucket'],
  },
  { file: 'settings.tsx', path: '/settings', kind: 'page', methods: ['GET'] },
  {
    file: 'signup.tsx',
    path: '/signup',
    kind: 'page',
    methods: ['GET', 'POST'],
    fields: ['organizationName', 'displayName', 'email', 'password'],
  },
  {
    file: 'test.clock.tsx',
    path: '/test/clock',
    kind: 'page',
    methods: ['GET', 'POST'],
    fields: ['minutes'],
    // A valid value would move this process's clock for every later request of the run.
    only: { minutes: ['', '0', '-1', '43201', '1.5', 'NaN', '1e999', 'abc'] },
  },
  {
    file: 'express:hooks',
    path: '/hooks/:hookKind/:hookToken',
    kind: 'hook',
    methods: ['POST', 'GET'],
    fields: ['title', 'severity', 'status', 'dedupKey', 'description', 'service', 'alerts'],
  },
  {
    // Unsigned requests: every one is answered 401 (or 400 for what is not Slack's shape).
    file: 'express:slack-hooks',
    path: '/hooks/slack/:hookToken',
    kind: 'hook',
    methods: ['POST', 'GET'],
    fields: ['team_id', 'user_id', 'channel_id', 'text', 'payload', 'type', 'challenge'],
  },
]

/** Field names any form or body might carry; each request draws some besides its route's own. */
export const COMMON_FIELDS = [
  'intent',
  'id',
  'version',
  'title',
  'name',
  'description',
  'summary',
  'severity',
  'serviceId',
  'commanderId',
  'assigneeIds',
  'reason',
  'body',
  'email',
  'role',
  'redirectTo',
  'from',
  'to',
  'impactStartedAt',
]
