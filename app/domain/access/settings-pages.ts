import { can, type Permission, type Role } from './permissions'

/** One page of the organization's settings, as the header's Settings menu and /settings list it. */
export interface SettingsPage {
  to: string
  label: string
  /** One line on what the page is for. */
  description: string
  /** The permission the page's own loader asks for, so no one is shown a page that refuses them. */
  permission: Permission
}

export const SETTINGS_PAGES: readonly SettingsPage[] = [
  {
    to: '/admin/members',
    label: 'Members',
    description: 'Invite people, change their roles and end access.',
    permission: 'members.manage',
  },
  {
    to: '/admin/services',
    label: 'Services',
    description: 'The services and incident types an incident can be filed under.',
    permission: 'settings.manage',
  },
  {
    to: '/admin/fields',
    label: 'Custom fields',
    description:
      'Fields incidents carry besides the built-in ones, and the status from which each is required.',
    permission: 'settings.manage',
  },
  {
    to: '/admin/incident-roles',
    label: 'Incident roles',
    description: 'Communications lead, Scribe and the roles you add, taken per incident.',
    permission: 'settings.manage',
  },
  {
    to: '/admin/triage',
    label: 'Triage',
    description: 'The severity that impact and urgency give when someone declares without one.',
    permission: 'settings.manage',
  },
  {
    to: '/admin/sla',
    label: 'SLA',
    description: 'Acknowledge, mitigate and resolve targets per severity, and their versions.',
    permission: 'settings.manage',
  },
  {
    to: '/admin/escalations',
    label: 'Escalations',
    description:
      'Rules that notify, raise severity or assign when something happens to an incident.',
    permission: 'settings.manage',
  },
  {
    to: '/admin/postmortems',
    label: 'Postmortems',
    description:
      'Whether the most severe incidents may close before their postmortem is published.',
    permission: 'settings.manage',
  },
  {
    to: '/admin/webhooks',
    label: 'Webhooks',
    description: 'URLs that receive signed JSON when incidents change.',
    permission: 'settings.manage',
  },
  {
    to: '/admin/deliveries',
    label: 'Failed deliveries',
    description: 'Webhooks and e-mails that ran out of attempts, to retry once the cause is fixed.',
    permission: 'settings.manage',
  },
  {
    to: '/admin/integrations',
    label: 'Integrations',
    description: 'Alert sources (Alertmanager, PagerDuty, generic JSON) that declare incidents.',
    permission: 'settings.manage',
  },
  {
    to: '/admin/status-page',
    label: 'Status page',
    description:
      'The public status page: publishing, components, scheduled maintenance and its host name.',
    permission: 'settings.manage',
  },
  {
    to: '/admin/audit',
    label: 'Audit',
    description: 'Verify every incident timeline’s hash chain and replay.',
    permission: 'audit.view',
  },
]

/** The settings pages `role` may open, in menu order; none for a viewer outside an organization. */
export function settingsPagesFor(role: Role | null): SettingsPage[] {
  return role ? SETTINGS_PAGES.filter((page) => can(role, page.permission)) : []
}
