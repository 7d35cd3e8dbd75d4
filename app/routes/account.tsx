import { parseWithZod } from '@conform-to/zod/v4'
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { Form, Link, useLoaderData } from '@remix-run/react'
import * as z from '~/utils/zod'
import { switchOrganization } from '~/domain/access/accounts.server'
import { requireViewer } from '~/domain/access/guard.server'
import { ROLE_LABELS } from '~/domain/access/permissions'
import { listSessions, revokeSession } from '~/domain/access/session.server'
import { redirectWithFlash } from '~/utils/flash.server'
import { safeRedirect } from '~/utils/redirect'
import { readFormData } from '~/utils/form-data.server'

const actionSchema = z.discriminatedUnion('intent', [
  z.object({
    intent: z.literal('switch-organization'),
    organizationId: z.uuid(),
    redirectTo: z.string().optional(),
  }),
  z.object({ intent: z.literal('revoke-session'), sessionId: z.string().regex(/^[0-9a-f]{64}$/) }),
])

export const meta: MetaFunction = () => [{ title: 'Account · IncidentFlow' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  const viewer = await requireViewer(request, context)
  const sessions = await listSessions(context.orm, viewer.user.id)
  return {
    user: viewer.user,
    activeOrganizationId: viewer.organization?.id ?? null,
    memberships: viewer.memberships.map((m) => ({
      id: m.organization.id,
      name: m.organization.name,
      role: m.role,
    })),
    sessions: sessions.map((s) => ({
      id: s.id,
      current: s.id === viewer.sessionId,
      createdAt: s.createdAt.toISOString(),
      lastSeenAt: s.lastSeenAt.toISOString(),
      ip: s.ip,
      userAgent: s.userAgent,
    })),
  }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const viewer = await requireViewer(request, context)
  const submission = parseWithZod(await readFormData(request), { schema: actionSchema })
  if (submission.status !== 'success') throw new Response('Bad request', { status: 400 })
  const input = submission.value
  if (input.intent === 'switch-organization') {
    const switched = await switchOrganization(
      context.orm,
      viewer.sessionId,
      viewer.user.id,
      input.organizationId,
    )
    if (!switched) throw new Response('Organization not found', { status: 404 })
    const name = viewer.memberships.find((m) => m.organization.id === input.organizationId)
      ?.organization.name
    // Pages of one organization mean nothing in another: go to that organization's home.
    const target = safeRedirect(input.redirectTo, '/').startsWith('/account') ? '/account' : '/'
    return redirectWithFlash(
      target,
      { kind: 'info', message: `Switched to ${name ?? 'the organization'}.` },
      context.env,
    )
  }
  const revoked = await revokeSession(context.orm, viewer.user.id, input.sessionId)
  if (!revoked) throw new Response('Session not found', { status: 404 })
  return redirectWithFlash(
    '/account',
    { kind: 'success', message: 'Session signed out.' },
    context.env,
  )
}

function when(iso: string) {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`
}

export default function Account() {
  const { user, memberships, sessions, activeOrganizationId } = useLoaderData<typeof loader>()
  return (
    <div className="space-y-10">
      <header>
        <h1 className="text-2xl font-bold">{user.displayName}</h1>
        <p className="text-sm text-slate-600">{user.email}</p>
        {activeOrganizationId ? (
          <p className="mt-2 text-sm">
            <Link to="/account/notifications" className="underline">
              Notification preferences
            </Link>
            {' · '}
            <Link to="/account/tokens" className="underline">
              API tokens
            </Link>
          </p>
        ) : null}
      </header>
      <section aria-labelledby="orgs-heading">
        <h2 id="orgs-heading" className="text-lg font-semibold">
          Organizations
        </h2>
        {memberships.length === 0 ? (
          <p className="mt-2 text-sm text-slate-600">
            You are not an active member of any organization. Ask an admin for an invitation.
          </p>
        ) : (
          <ul className="mt-3 divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white">
            {memberships.map((m) => (
              <li
                key={m.id}
                className="flex flex-wrap items-center justify-between gap-2 px-4 py-2 text-sm"
              >
                <span>
                  <span className="font-medium">{m.name}</span> · {ROLE_LABELS[m.role]}
                  {m.id === activeOrganizationId ? (
                    <span className="ml-2 text-xs text-emerald-700">(current)</span>
                  ) : null}
                </span>
                {m.id === activeOrganizationId ? null : (
                  <Form method="post">
                    <input type="hidden" name="intent" value="switch-organization" />
                    <input type="hidden" name="organizationId" value={m.id} />
                    <button
                      type="submit"
                      className="rounded-md border border-slate-300 px-2 py-1 hover:bg-slate-50"
                    >
                      Switch to {m.name}
                    </button>
                  </Form>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="sessions-heading">
        <h2 id="sessions-heading" className="text-lg font-semibold">
          Signed-in sessions
        </h2>
        <p className="mt-1 text-sm text-slate-600">
          Sign out a browser you no longer use; it loses access on its next request.
        </p>
        <ul className="mt-3 divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white">
          {sessions.map((s) => (
            <li
              key={s.id}
              className="flex flex-wrap items-center justify-between gap-2 px-4 py-2 text-sm"
            >
              <span>
                <span className="font-medium">{s.userAgent ?? 'Unknown browser'}</span>
                <span className="block text-xs text-slate-500">
                  {s.ip ?? 'unknown address'} · signed in {when(s.createdAt)} · last seen{' '}
                  {when(s.lastSeenAt)}
                </span>
              </span>
              {s.current ? (
                <span className="text-xs font-medium text-emerald-700">This browser</span>
              ) : (
                <Form method="post">
                  <input type="hidden" name="intent" value="revoke-session" />
                  <input type="hidden" name="sessionId" value={s.id} />
                  <button
                    type="submit"
                    className="rounded-md border border-slate-300 px-2 py-1 hover:bg-slate-50"
                  >
                    Sign out
                  </button>
                </Form>
              )}
            </li>
          ))}
        </ul>
      </section>
    </div>
  )
}
