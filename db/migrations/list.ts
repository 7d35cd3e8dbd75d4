import type { MigrationObject } from '@mikro-orm/core'
import { Migration0001Initial } from './0001-initial'
import { Migration0002Access } from './0002-access'
import { Migration0003Incidents } from './0003-incidents'
import { Migration0004Evidence } from './0004-evidence'
import { Migration0005SlaNotifications } from './0005-sla-notifications'
import { Migration0006Analytics } from './0006-analytics'
import { Migration0007Reports } from './0007-reports'
import { Migration0008PostmortemsAlertsApi } from './0008-postmortems-alerts-api'
import { Migration0009TitleSearch } from './0009-title-search'
import { Migration0010TimelineRendered } from './0010-timeline-rendered'
import { Migration0011ViewerLookup } from './0011-viewer-lookup'
import { Migration0012ReferenceNotify } from './0012-reference-notify'
import { Migration0013AlertRepeats } from './0013-alert-repeats'
import { Migration0014EvidenceFileNames } from './0014-evidence-file-names'
import { Migration0016JobVisibility } from './0016-job-visibility'
import { Migration0017IncidentHotUpdates } from './0017-incident-hot-updates'
import { Migration0018Slack } from './0018-slack'
import { Migration0019LiveEvents } from './0019-live-events'
import { Migration0020PrivateIncidents } from './0020-private-incidents'
import { Migration0021ReclassificationAndRoles } from './0021-reclassification-and-roles'
import { Migration0022CustomFields } from './0022-custom-fields'
import { Migration0023StatusPage } from './0023-status-page'
import { Migration0024SweepWriteCosts } from './0024-sweep-write-costs'
import { Migration0025IncidentKeys } from './0025-incident-keys'

/**
 * Every migration, in order. Listed explicitly (rather than discovered from the folder) so the
 * bundled production build carries them.
 */
export const migrationsList: MigrationObject[] = [
  { name: '0001-initial', class: Migration0001Initial },
  { name: '0002-access', class: Migration0002Access },
  { name: '0003-incidents', class: Migration0003Incidents },
  { name: '0004-evidence', class: Migration0004Evidence },
  { name: '0005-sla-notifications', class: Migration0005SlaNotifications },
  { name: '0006-analytics', class: Migration0006Analytics },
  { name: '0007-reports', class: Migration0007Reports },
  { name: '0008-postmortems-alerts-api', class: Migration0008PostmortemsAlertsApi },
  { name: '0009-title-search', class: Migration0009TitleSearch },
  { name: '0010-timeline-rendered', class: Migration0010TimelineRendered },
  { name: '0011-viewer-lookup', class: Migration0011ViewerLookup },
  { name: '0012-reference-notify', class: Migration0012ReferenceNotify },
  { name: '0013-alert-repeats', class: Migration0013AlertRepeats },
  { name: '0014-evidence-file-names', class: Migration0014EvidenceFileNames },
  { name: '0016-job-visibility', class: Migration0016JobVisibility },
  { name: '0017-incident-hot-updates', class: Migration0017IncidentHotUpdates },
  { name: '0018-slack', class: Migration0018Slack },
  { name: '0019-live-events', class: Migration0019LiveEvents },
  { name: '0020-private-incidents', class: Migration0020PrivateIncidents },
  { name: '0021-reclassification-and-roles', class: Migration0021ReclassificationAndRoles },
  { name: '0022-custom-fields', class: Migration0022CustomFields },
  { name: '0023-status-page', class: Migration0023StatusPage },
  { name: '0024-sweep-write-costs', class: Migration0024SweepWriteCosts },
  { name: '0025-incident-keys', class: Migration0025IncidentKeys },
]
