import { Form, Link, NavLink, useLocation, useRouteLoaderData } from '@remix-run/react'
import type { ReactNode } from 'react'
import { ROLE_LABELS } from '~/domain/access/permissions'
import type { Role } from '~/domain/access/permissions'
import type { Flash } from '~/utils/flash.server'
import { settingsPagesFor } from '~/domain/access/settings-pages'
import { FlashBanner } from './flash-banner'
import { SettingsMenu } from './settings-menu'

/** What the shell reads from the root loader: the shell states it, the root loader satisfies it. */
export interface ShellData {
  flash: Flash | null
  showDevTools: boolean
  viewer: {
    name: string
    email: string
    role: Role | null
    organization: { id: string; name: string } | null
    organizations: { id: string; name: string }[]
    canManageMembers: boolean
    canCreateReports: boolean
    canViewAnalytics: boolean
  } | null
}

type RootData = ShellData

export interface NavItem {
  to: string
  label: string
}

function navFor(root: RootData | null | undefined): NavItem[] {
  const items: NavItem[] = []
  if (root?.viewer?.organization) {
    items.push({ to: '/incidents', label: 'Incidents' })
    items.push({ to: '/incidents/new', label: 'Declare' })
    if (root.viewer.canViewAnalytics) items.push({ to: '/analytics', label: 'Analytics' })
    if (root.viewer.canCreateReports) items.push({ to: '/reports', label: 'Reports' })
  }
  return items
}

/** After the main links: the account, and the outbox where e-mails land outside production. */
function trailingNavFor(root: RootData | null | undefined): NavItem[] {
  const items: NavItem[] = []
  if (root?.viewer?.organization) items.push({ to: '/account', label: 'Account' })
  if (root?.showDevTools) items.push({ to: '/dev/outbox', label: 'Outbox' })
  return items
}

const navLinkClass = ({ isActive }: { isActive: boolean }) =>
  `block rounded px-2 py-1 ${isActive ? 'bg-brand-50 font-medium text-brand-700' : 'text-slate-600 hover:bg-slate-100 hover:text-slate-900'}`

function NavItems({ items }: { items: NavItem[] }) {
  return items.map((item) => (
    <li key={item.to}>
      <NavLink to={item.to} end className={navLinkClass}>
        {item.label}
      </NavLink>
    </li>
  ))
}

/**
 * The frame of every page: skip link, header with product name, navigation, organization and
 * signed-in user, flash message, main content. Plain links and forms only, so it works without
 * JavaScript.
 */
export function AppShell({ children, data }: { children: ReactNode; data?: RootData | null }) {
  const loaded = useRouteLoaderData<ShellData>('root')
  const root = data === undefined ? loaded : data
  const viewer = root?.viewer ?? null
  const nav = navFor(root)
  const trailingNav = trailingNavFor(root)
  // The admin pages sit under one "Settings" entry, so the header stays on one line.
  const settings = viewer?.organization ? settingsPagesFor(viewer.role) : []
  const location = useLocation()
  return (
    <div className="flex min-h-screen flex-col">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2 focus:shadow"
      >
        Skip to content
      </a>
      <header className="border-b border-slate-200 bg-white" data-no-print>
        <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-4 gap-y-2 px-4 py-3">
          <Link to="/" className="flex items-center gap-2 font-semibold text-slate-900">
            <img src="/favicon.svg" alt="" width={24} height={24} />
            <span>IncidentFlow</span>
          </Link>
          <nav aria-label="Main" className="flex-1 text-sm">
            <ul className="flex flex-wrap items-center gap-1">
              <NavItems items={nav} />
              {settings.length > 0 ? (
                <li>
                  <SettingsMenu pages={settings} />
                </li>
              ) : null}
              <NavItems items={trailingNav} />
            </ul>
          </nav>
          {viewer ? (
            <div className="flex flex-wrap items-center gap-3 text-sm">
              {viewer.organizations.length > 1 ? (
                <Form method="post" action="/account" className="flex items-center gap-1">
                  <input type="hidden" name="intent" value="switch-organization" />
                  <input type="hidden" name="redirectTo" value={location.pathname} />
                  <label htmlFor="organization-switcher" className="sr-only">
                    Organization
                  </label>
                  <select
                    id="organization-switcher"
                    name="organizationId"
                    defaultValue={viewer.organization?.id}
                    className="max-w-48 rounded-md border-slate-300 py-1 text-sm"
                  >
                    {viewer.organizations.map((o) => (
                      <option key={o.id} value={o.id}>
                        {o.name}
                      </option>
                    ))}
                  </select>
                  <button
                    type="submit"
                    className="rounded-md border border-slate-300 px-2 py-1 hover:bg-slate-50"
                  >
                    Switch
                  </button>
                </Form>
              ) : null}
              {/* Organization over person: one column, so the header keeps to one line. */}
              <div className="flex min-w-0 flex-col leading-tight">
                {viewer.organization && viewer.organizations.length <= 1 ? (
                  <span
                    className="max-w-56 truncate font-medium text-slate-800"
                    title={viewer.organization.name}
                    data-testid="organization-name"
                  >
                    {viewer.organization.name}
                  </span>
                ) : null}
                <span className="text-slate-600">
                  <span
                    className="inline-block max-w-56 truncate align-bottom font-medium text-slate-800"
                    title={viewer.name}
                  >
                    {viewer.name}
                  </span>
                  {viewer.role ? <span> · {ROLE_LABELS[viewer.role]}</span> : null}
                </span>
              </div>
              <Form method="post" action="/logout">
                <button
                  type="submit"
                  className="rounded-md border border-slate-300 px-2 py-1 hover:bg-slate-50"
                >
                  Log out
                </button>
              </Form>
            </div>
          ) : (
            <div className="flex items-center gap-3 text-sm">
              <Link to="/login" className="font-medium text-slate-700 hover:text-slate-900">
                Log in
              </Link>
              <Link
                to="/signup"
                className="rounded-md bg-brand-600 px-3 py-1.5 font-semibold text-white hover:bg-brand-700"
              >
                Sign up
              </Link>
            </div>
          )}
        </div>
      </header>
      {root?.flash ? (
        <div className="mx-auto w-full max-w-6xl px-4 pt-4">
          <FlashBanner flash={root.flash} />
        </div>
      ) : null}
      <main id="main" className="mx-auto w-full max-w-6xl flex-1 px-4 py-6 sm:py-8">
        {children}
      </main>
      <footer
        className="border-t border-slate-200 bg-white py-4 text-center text-xs text-slate-500"
        data-no-print
      >
        IncidentFlow · every change recorded
      </footer>
    </div>
  )
}
