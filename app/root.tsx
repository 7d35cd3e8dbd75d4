import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { data } from '@remix-run/node'
import {
  Links,
  Meta,
  Outlet,
  Scripts,
  ScrollRestoration,
  isRouteErrorResponse,
  useMatches,
  useRouteError,
  useRouteLoaderData,
  type ShouldRevalidateFunction,
} from '@remix-run/react'
import type { ReactNode } from 'react'
import { AppShell, type ShellData } from './components/app-shell'
import { ErrorPage } from './components/error-page'
import { isLiveReload } from './components/live/use-live-updates'
import stylesheet from './tailwind.css'
import { getViewer } from './domain/access/guard.server'
import { can } from './domain/access/permissions'
import { readFlash } from './utils/flash.server'
import { useNonce } from './utils/nonce'

export const links: LinksFunction = () => [
  { rel: 'stylesheet', href: stylesheet },
  { rel: 'icon', href: '/favicon.svg', type: 'image/svg+xml' },
]

export const meta: MetaFunction = () => [{ title: 'IncidentFlow' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { flash, headers } = await readFlash(request, context.env)
  const viewer = await getViewer(request, context)
  return data(
    {
      flash,
      showDevTools: context.env.NODE_ENV !== 'production' || context.env.DEV_OUTBOX,
      viewer: viewer
        ? {
            name: viewer.user.displayName,
            email: viewer.user.email,
            role: viewer.role,
            organization: viewer.organization
              ? { id: viewer.organization.id, name: viewer.organization.name }
              : null,
            organizations: viewer.memberships.map((m) => ({
              id: m.organization.id,
              name: m.organization.name,
            })),
            canManageMembers: viewer.role ? can(viewer.role, 'members.manage') : false,
            canCreateReports: viewer.role ? can(viewer.role, 'report.create') : false,
            canViewAnalytics: viewer.role ? can(viewer.role, 'analytics.view') : false,
          }
        : null,
    } satisfies ShellData,
    { headers },
  )
}

/**
 * A live stream's reload (someone changed the incident) re-runs the page's loaders but not this
 * one: it would take the flash message out of its cookie while the person is reading it, and
 * nothing in the header changes with an incident. A submission or a navigation runs it as usual.
 */
export const shouldRevalidate: ShouldRevalidateFunction = ({
  formMethod,
  currentUrl,
  nextUrl,
  defaultShouldRevalidate,
}) =>
  !formMethod && currentUrl.href === nextUrl.href && isLiveReload()
    ? false
    : defaultShouldRevalidate

export type RootLoaderData = Awaited<ReturnType<typeof loader>>['data']

/** What a route may declare in its `handle` export for the root to read. */
export interface RouteHandle {
  /** Render the page alone, without the app's header, navigation and footer (print layouts). */
  bare?: boolean
}

function Document({ children }: { children: ReactNode }) {
  const nonce = useNonce()
  return (
    <html lang="en" className="h-full bg-slate-50">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light" />
        <Meta />
        <Links />
      </head>
      <body className="min-h-full font-sans text-slate-900 antialiased">
        {children}
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  )
}

export default function App() {
  const bare = useMatches().some((match) => (match.handle as RouteHandle | undefined)?.bare)
  return (
    <Document>
      {bare ? (
        <Outlet />
      ) : (
        <AppShell>
          <Outlet />
        </AppShell>
      )}
    </Document>
  )
}

export function ErrorBoundary() {
  const error = useRouteError()
  // The root loader may itself have failed; the shell renders without its data then.
  const rootData = useRouteLoaderData<typeof loader>('root')
  const status = isRouteErrorResponse(error) ? error.status : 500
  return (
    <Document>
      <AppShell data={rootData ?? null}>
        <ErrorPage status={status} error={error} />
      </AppShell>
    </Document>
  )
}
