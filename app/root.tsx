import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { data } from '@remix-run/node'
import {
  Links,
  Meta,
  Outlet,
  Scripts,
  ScrollRestoration,
  isRouteErrorResponse,
  useRouteError,
  useRouteLoaderData,
} from '@remix-run/react'
import type { ReactNode } from 'react'
import { AppShell } from './components/app-shell'
import { ErrorPage } from './components/error-page'
import stylesheet from './tailwind.css'
import { readFlash } from './utils/flash.server'
import { useNonce } from './utils/nonce'

export const links: LinksFunction = () => [
  { rel: 'stylesheet', href: stylesheet },
  { rel: 'icon', href: '/favicon.svg', type: 'image/svg+xml' },
]

export const meta: MetaFunction = () => [{ title: 'IncidentFlow' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { flash, headers } = await readFlash(request, context.env)
  return data(
    {
      flash,
      showDevTools: context.env.NODE_ENV !== 'production',
    },
    { headers },
  )
}

export type RootLoaderData = Awaited<ReturnType<typeof loader>>['data']

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
  return (
    <Document>
      <AppShell>
        <Outlet />
      </AppShell>
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
