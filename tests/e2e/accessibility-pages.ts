import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Page } from '@playwright/test'
import { settingsMenu } from './access'
import type { Seed, Viewer } from './accessibility-seed'
import { expect } from './fixtures'

/**
 * Every page the accessibility pass opens: who looks at it, which route module renders it (the
 * file name in app/routes, which is also Remix's route id without `routes/`) and its address in
 * the seeded organization. `pageRoutes()` reads app/routes, so a new page that is in neither this
 * list nor `NOT_CHECKED` fails the pass.
 */

export interface PageCheck {
  viewer: Viewer
  /** The route module that renders the page: its file name in app/routes, without extension. */
  route: string
  /** What the page shows, for the test's title. */
  name: string
  path: (seed: Seed) => string
  /** The status the page is answered with (an error page is a page too). */
  status?: number
  /** Steps taken on the loaded page to reach the state that is checked (an action's answer). */
  act?: (page: Page) => Promise<void>
}

/** Page routes the pass does not open, and why. */
export const NOT_CHECKED: Record<string, string> = {
  'test.clock':
    'test-only control, served only with NODE_ENV=test; on this production server it is the 404 page checked below',
}

const incident = (status: keyof Seed['incidents']) => (seed: Seed) =>
  `/incidents/${seed.incidents[status]}`
const postmortem = (seed: Seed) => `/incidents/${seed.incidents.Postmortem}/postmortem`

export const PAGE_CHECKS: PageCheck[] = [
  // Signed out.
  { viewer: 'signed out', route: '_index', name: 'home', path: () => '/' },
  { viewer: 'signed out', route: 'login', name: 'log in', path: () => '/login' },
  {
    viewer: 'signed out',
    route: 'login',
    name: 'log in, sent from a protected page',
    path: () => '/login?redirectTo=%2Fincidents',
  },
  {
    viewer: 'signed out',
    route: 'login',
    name: 'log in, refused',
    path: () => '/login',
    act: async (page) => {
      await page.getByLabel('Email', { exact: true }).fill('nobody@example.com')
      await page.getByLabel('Password', { exact: true }).fill('Not-the-right-password-1')
      await page.getByRole('button', { name: 'Log in', exact: true }).click()
      await expect(page.getByRole('alert')).toBeVisible()
    },
  },
  { viewer: 'signed out', route: 'signup', name: 'sign up', path: () => '/signup' },
  {
    viewer: 'signed out',
    route: 'invitations.$token',
    name: 'invitation',
    path: (seed) => seed.invitationPath,
  },
  { viewer: 'signed out', route: 'dev.outbox', name: 'e-mail outbox', path: () => '/dev/outbox' },
  {
    viewer: 'signed out',
    route: '$',
    name: 'page not found',
    path: () => '/no-such-page',
    status: 404,
  },

  // The admin: every page.
  { viewer: 'admin', route: '_index', name: 'home', path: () => '/' },
  { viewer: 'admin', route: 'incidents._index', name: 'open incidents', path: () => '/incidents' },
  {
    viewer: 'admin',
    route: 'incidents._index',
    name: 'all incidents, filtered',
    path: () => '/incidents?status=all&severity=SEV-2',
  },
  { viewer: 'admin', route: 'incidents.new', name: 'declare', path: () => '/incidents/new' },
  ...(['Detected', 'Investigating', 'Mitigated', 'Resolved', 'Postmortem', 'Closed'] as const).map(
    (status): PageCheck => ({
      viewer: 'admin',
      route: 'incidents.$number',
      name: `incident, ${status}`,
      path: incident(status),
    }),
  ),
  {
    viewer: 'admin',
    route: 'incidents.$number_.postmortem',
    name: 'postmortem, in review',
    path: postmortem,
  },
  {
    viewer: 'admin',
    route: 'incidents.$number_.postmortem',
    name: 'postmortem of a closed incident',
    path: (seed) => `/incidents/${seed.incidents.Closed}/postmortem`,
  },
  {
    viewer: 'admin',
    route: 'incidents.$number_.public-updates',
    name: 'public updates, with the Post public update form',
    path: (seed) => `/incidents/${seed.engineerIncident}/public-updates`,
  },
  {
    viewer: 'admin',
    route: 'incidents.$number_.postmortem_.revisions',
    name: 'postmortem revisions and diff',
    path: (seed) => `${postmortem(seed)}/revisions`,
  },
  {
    viewer: 'admin',
    route: 'incidents.$number_.postmortem_.revisions',
    name: 'postmortem revisions, first against second',
    path: (seed) => `${postmortem(seed)}/revisions?from=1&to=2`,
  },
  {
    viewer: 'admin',
    route: 'incidents.$number_.postmortem_.drafts_.$draftId',
    name: 'postmortem draft ready for review',
    path: (seed) => `${postmortem(seed)}/drafts/${seed.draftId}`,
  },
  {
    viewer: 'admin',
    route: 'incidents.$number_.postmortem_.action-items',
    name: 'postmortem action items',
    path: (seed) => `${postmortem(seed)}/action-items`,
  },
  {
    viewer: 'admin',
    route: 'incidents.$number_.visibility',
    name: 'who sees an incident',
    path: (seed) => `${incident('Investigating')(seed)}/visibility`,
  },
  {
    viewer: 'admin',
    route: 'incidents.$number_.postmortem_.print',
    name: 'postmortem, printable',
    path: (seed) => `${postmortem(seed)}/print`,
  },
  { viewer: 'admin', route: 'analytics', name: 'analytics', path: () => '/analytics' },
  {
    viewer: 'admin',
    route: 'analytics',
    name: 'analytics, last 7 days by day',
    path: () => '/analytics?period=7d',
  },
  { viewer: 'admin', route: 'reports._index', name: 'reports', path: () => '/reports' },
  {
    viewer: 'admin',
    route: 'reports.$reportId',
    name: 'report',
    path: (seed) => `/reports/${seed.reportId}`,
  },
  {
    viewer: 'admin',
    route: 'reports.print',
    name: 'report, printable',
    path: () => '/reports/print',
  },
  { viewer: 'admin', route: 'account', name: 'account', path: () => '/account' },
  {
    viewer: 'admin',
    route: 'account_.notifications',
    name: 'notification settings',
    path: () => '/account/notifications',
  },
  { viewer: 'admin', route: 'account_.tokens', name: 'API tokens', path: () => '/account/tokens' },
  { viewer: 'admin', route: 'admin.members', name: 'members', path: () => '/admin/members' },
  { viewer: 'admin', route: 'admin.services', name: 'services', path: () => '/admin/services' },
  { viewer: 'admin', route: 'admin.fields', name: 'custom fields', path: () => '/admin/fields' },
  {
    viewer: 'admin',
    route: 'admin.incident-roles',
    name: 'incident roles',
    path: () => '/admin/incident-roles',
  },
  {
    viewer: 'admin',
    route: 'admin.status-page',
    name: 'status page settings',
    path: () => '/admin/status-page',
  },
  { viewer: 'admin', route: 'admin.triage', name: 'triage', path: () => '/admin/triage' },
  { viewer: 'admin', route: 'admin.sla', name: 'SLA policy', path: () => '/admin/sla' },
  {
    viewer: 'admin',
    route: 'admin.escalations',
    name: 'escalations',
    path: () => '/admin/escalations',
  },
  {
    viewer: 'admin',
    route: 'admin.postmortems',
    name: 'postmortem settings',
    path: () => '/admin/postmortems',
  },
  {
    viewer: 'admin',
    route: 'admin.webhooks._index',
    name: 'webhooks',
    path: () => '/admin/webhooks',
  },
  {
    viewer: 'admin',
    route: 'admin.webhooks.$endpointId',
    name: 'webhook endpoint',
    path: (seed) => `/admin/webhooks/${seed.endpointId}`,
  },
  {
    viewer: 'admin',
    route: 'admin.webhooks.$endpointId',
    name: 'webhook endpoint, test event queued',
    path: (seed) => `/admin/webhooks/${seed.endpointId}`,
    act: async (page) => {
      await page.getByRole('button', { name: 'Send test event', exact: true }).click()
      await expect(page.getByText('Test event queued', { exact: true })).toBeVisible()
    },
  },
  {
    viewer: 'admin',
    route: 'admin.integrations._index',
    name: 'integrations',
    path: () => '/admin/integrations',
  },
  {
    viewer: 'admin',
    route: 'admin.integrations.$integrationId',
    name: 'integration',
    path: (seed) => `/admin/integrations/${seed.integrationId}`,
  },
  {
    viewer: 'admin',
    route: 'admin.integrations.slack',
    name: 'Slack and Teams settings',
    path: () => '/admin/integrations/slack',
  },
  {
    viewer: 'admin',
    route: 'admin.integrations.slack',
    name: 'Slack and Teams settings, token refused',
    path: () => '/admin/integrations/slack',
    act: async (page) => {
      await page.getByLabel('Bot token').fill('xoxp-not-a-bot-token-1234')
      await page.getByLabel('Signing secret').fill('0123456789abcdef0123456789abcdef')
      await page.getByRole('button', { name: 'Connect Slack' }).click()
      await expect(page.getByText('Paste the bot token: it starts with xoxb-.')).toBeVisible()
    },
  },
  {
    viewer: 'admin',
    route: 'admin.deliveries',
    name: 'deliveries',
    path: () => '/admin/deliveries',
  },
  { viewer: 'admin', route: 'admin.audit', name: 'audit log', path: () => '/admin/audit' },
  { viewer: 'admin', route: 'settings', name: 'settings', path: () => '/settings' },
  {
    viewer: 'admin',
    route: 'settings',
    name: 'settings, with the header menu open',
    path: () => '/settings',
    act: async (page) => {
      await settingsMenu(page).click()
      await expect(
        page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }),
      ).toBeVisible()
    },
  },
  {
    viewer: 'admin',
    route: '$',
    name: 'page not found',
    path: () => '/incidents/1/no-such-page',
    status: 404,
  },

  // The manager.
  { viewer: 'manager', route: '_index', name: 'home', path: () => '/' },
  { viewer: 'manager', route: 'incidents._index', name: 'incidents', path: () => '/incidents' },
  {
    viewer: 'manager',
    route: 'incidents.$number',
    name: 'incident, Mitigated',
    path: incident('Mitigated'),
  },
  { viewer: 'manager', route: 'analytics', name: 'analytics', path: () => '/analytics' },
  { viewer: 'manager', route: 'reports._index', name: 'reports', path: () => '/reports' },
  {
    viewer: 'manager',
    route: 'reports.$reportId',
    name: 'report',
    path: (seed) => `/reports/${seed.reportId}`,
  },
  {
    viewer: 'manager',
    route: 'admin.members',
    name: 'members, refused',
    path: () => '/admin/members',
    status: 403,
  },
  {
    viewer: 'manager',
    route: 'settings',
    name: 'settings, refused',
    path: () => '/settings',
    status: 403,
  },

  // The engineer.
  { viewer: 'engineer', route: '_index', name: 'home', path: () => '/' },
  { viewer: 'engineer', route: 'incidents._index', name: 'incidents', path: () => '/incidents' },
  { viewer: 'engineer', route: 'incidents.new', name: 'declare', path: () => '/incidents/new' },
  {
    viewer: 'engineer',
    route: 'incidents.$number',
    name: 'incident they command',
    path: (seed) => `/incidents/${seed.engineerIncident}`,
  },
  {
    viewer: 'engineer',
    route: 'incidents.$number',
    name: 'incident assigned to them, with evidence',
    path: incident('Investigating'),
  },
  {
    viewer: 'admin',
    route: 'incidents.$number',
    name: 'incident, correcting a comment',
    path: incident('Investigating'),
    act: async (page) => {
      await page.getByRole('link', { name: 'Correct this comment' }).first().click()
      await expect(page.getByLabel('Corrected comment', { exact: true })).toBeVisible()
    },
  },
  {
    viewer: 'engineer',
    route: 'incidents.$number',
    name: 'incident of someone else',
    path: incident('Detected'),
  },
  {
    viewer: 'engineer',
    route: 'incidents.$number_.postmortem',
    name: 'postmortem',
    path: postmortem,
  },
  { viewer: 'engineer', route: 'account', name: 'account', path: () => '/account' },
  {
    viewer: 'engineer',
    route: 'account_.notifications',
    name: 'notification settings',
    path: () => '/account/notifications',
  },
  {
    viewer: 'engineer',
    route: 'account_.tokens',
    name: 'API tokens',
    path: () => '/account/tokens',
  },
  {
    viewer: 'engineer',
    route: 'analytics',
    name: 'analytics, refused',
    path: () => '/analytics',
    status: 403,
  },
]

const ROUTES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../app/routes')

/**
 * The route modules that render a page (a default export), by file name without extension.
 * Resource routes (JSON, CSV, downloads, the API) render no markup and are left out.
 */
export async function pageRoutes(): Promise<string[]> {
  const routes: string[] = []
  for (const file of await readdir(ROUTES_DIR)) {
    if (!/\.tsx?$/.test(file) || /\.test\.tsx?$/.test(file)) continue
    const source = await readFile(path.join(ROUTES_DIR, file), 'utf8')
    if (/^export default\b/m.test(source)) routes.push(file.replace(/\.tsx?$/, ''))
  }
  return routes.sort()
}
