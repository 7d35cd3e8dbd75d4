import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { Link, isRouteErrorResponse, useLoaderData, useRouteError } from '@remix-run/react'
import { ErrorPage } from '~/components/error-page'
import { requireMember } from '~/domain/access/guard.server'
import { settingsPagesFor } from '~/domain/access/settings-pages'

export const meta: MetaFunction = () => [{ title: 'Settings · IncidentFlow' }]

/** Every settings page the viewer may open, as plain links; refused (403) when there is none. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const member = await requireMember(request, context)
  const pages = settingsPagesFor(member.role)
  if (pages.length === 0) throw new Response('Your role does not allow this.', { status: 403 })
  return {
    pages: pages.map(({ to, label, description }) => ({ to, label, description })),
  }
}

export default function Settings() {
  const { pages } = useLoaderData<typeof loader>()
  return (
    <div className="space-y-6">
      <header>
        <h1 className="text-2xl font-bold">Settings</h1>
        <p className="mt-1 text-sm text-slate-600">
          How your organization handles incidents: people, catalog, rules, outside systems.
        </p>
      </header>
      <ul
        aria-label="Settings pages"
        className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white"
      >
        {pages.map((page) => (
          <li key={page.to} className="px-4 py-3">
            <Link to={page.to} className="font-medium text-brand-700 underline">
              {page.label}
            </Link>
            <p className="text-sm text-slate-600">{page.description}</p>
          </li>
        ))}
      </ul>
    </div>
  )
}

export function ErrorBoundary() {
  const error = useRouteError()
  return <ErrorPage status={isRouteErrorResponse(error) ? error.status : 500} error={error} />
}
