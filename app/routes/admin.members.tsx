import { getFormProps, getInputProps, getSelectProps, useForm } from '@conform-to/react'
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4'
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { data } from '@remix-run/node'
import { Form, useActionData, useLoaderData } from '@remix-run/react'
import * as z from '~/utils/zod'
import { ErrorPage } from '~/components/error-page'
import { TableHead } from '~/components/table-head'
import { FormError } from '~/components/form-error'
import { Field, SelectField, SubmitButton } from '~/components/forms'
import { requireMember } from '~/domain/access/guard.server'
import {
  changeRole,
  invite,
  listMembers,
  listPendingInvitations,
  MemberError,
  revokeInvitation,
  setActive,
} from '~/domain/access/members.server'
import { ROLE_DESCRIPTIONS, ROLE_LABELS, ROLES } from '~/domain/access/permissions'
import { redirectWithFlash } from '~/utils/flash.server'
import { isRouteErrorResponse, useRouteError } from '@remix-run/react'
import { readFormData } from '~/utils/form-data.server'

const inviteSchema = z.object({
  intent: z.literal('invite'),
  email: z.email({ error: 'Enter a valid e-mail address' }).max(320),
  role: z.enum(ROLES, { error: 'Choose a role' }),
})

const memberSchema = z.discriminatedUnion('intent', [
  z.object({ intent: z.literal('change-role'), membershipId: z.uuid(), role: z.enum(ROLES) }),
  z.object({ intent: z.literal('deactivate'), membershipId: z.uuid() }),
  z.object({ intent: z.literal('reactivate'), membershipId: z.uuid() }),
  z.object({ intent: z.literal('revoke-invitation'), invitationId: z.uuid() }),
])

export const meta: MetaFunction = () => [{ title: 'Members · IncidentFlow' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'members.manage')
  const [members, invitations] = await Promise.all([
    listMembers(context.orm, member.organization.id),
    listPendingInvitations(context.orm, member.organization.id),
  ])
  return {
    organizationName: member.organization.name,
    viewerUserId: member.user.id,
    members: members.map((m) => ({
      ...m,
      lastSeenAt: m.lastSeenAt?.toISOString() ?? null,
      joinedAt: m.joinedAt.toISOString(),
    })),
    invitations: invitations.map((i) => ({
      id: i.id,
      email: i.email,
      role: i.role,
      createdAt: i.createdAt.toISOString(),
      expiresAt: i.expiresAt.toISOString(),
    })),
  }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const member = await requireMember(request, context, 'members.manage')
  const organizationId = member.organization.id
  const formData = await readFormData(request)

  if (formData.get('intent') === 'invite') {
    const submission = parseWithZod(formData, { schema: inviteSchema })
    if (submission.status !== 'success') return data(submission.reply(), { status: 400 })
    try {
      await invite(context.orm, context.boss, {
        organizationId,
        invitedBy: { id: member.user.id, displayName: member.user.displayName },
        email: submission.value.email,
        role: submission.value.role,
        appUrl: context.env.APP_URL,
      })
    } catch (error) {
      if (error instanceof MemberError) {
        return data(
          submission.reply({ fieldErrors: { [error.field ?? 'email']: [error.message] } }),
          { status: 400 },
        )
      }
      throw error
    }
    return redirectWithFlash(
      '/admin/members',
      { kind: 'success', message: `Invitation sent to ${submission.value.email}.` },
      context.env,
    )
  }

  const parsed = memberSchema.safeParse(Object.fromEntries(formData))
  if (!parsed.success) throw new Response('Bad request', { status: 400 })
  const input = parsed.data
  try {
    let message: string
    switch (input.intent) {
      case 'change-role': {
        const changed = await changeRole(
          context.orm,
          organizationId,
          input.membershipId,
          input.role,
        )
        if (!changed) throw new Response('Member not found', { status: 404 })
        message = `Role changed to ${ROLE_LABELS[input.role]}.`
        break
      }
      case 'deactivate':
      case 'reactivate': {
        const changed = await setActive(
          context.orm,
          organizationId,
          input.membershipId,
          input.intent === 'reactivate',
          member.user.id,
        )
        if (!changed) throw new Response('Member not found', { status: 404 })
        message =
          input.intent === 'deactivate'
            ? 'Member deactivated; their access ended.'
            : 'Member reactivated.'
        break
      }
      case 'revoke-invitation': {
        const revoked = await revokeInvitation(context.orm, organizationId, input.invitationId)
        if (!revoked) throw new Response('Invitation not found', { status: 404 })
        message = 'Invitation revoked; its link no longer works.'
        break
      }
    }
    return redirectWithFlash('/admin/members', { kind: 'success', message }, context.env)
  } catch (error) {
    if (error instanceof MemberError) {
      return redirectWithFlash(
        '/admin/members',
        { kind: 'error', message: error.message },
        context.env,
      )
    }
    throw error
  }
}

const roleOptions = ROLES.map((role) => ({ value: role, label: ROLE_LABELS[role] }))

function formatTime(iso: string | null) {
  if (!iso) return 'Never'
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`
}

export default function Members() {
  const { members, invitations, organizationName, viewerUserId } = useLoaderData<typeof loader>()
  const lastResult = useActionData<typeof action>()
  const [form, fields] = useForm({
    lastResult,
    constraint: getZodConstraint(inviteSchema),
    shouldValidate: 'onBlur',
    // Not on blur once validated: clicking the button blurs the field, and a message that vanished
    // then would move the button away from under the pointer, so the click would be lost.
    shouldRevalidate: 'onInput',
    onValidate: ({ formData }) => parseWithZod(formData, { schema: inviteSchema }),
    defaultValue: { role: 'engineer' },
  })
  return (
    <div className="space-y-10">
      <header>
        <h1 className="text-2xl font-bold">Members of {organizationName}</h1>
        <p className="mt-1 text-sm text-slate-600">
          Invite people, change what they may do, and end access.
        </p>
      </header>

      <section
        aria-labelledby="invite-heading"
        className="rounded-lg border border-slate-200 bg-white p-6"
      >
        <h2 id="invite-heading" className="text-lg font-semibold">
          Invite someone
        </h2>
        <Form
          method="post"
          className="mt-4 grid gap-x-4 sm:grid-cols-[2fr_1fr_auto] sm:items-start"
          {...getFormProps(form)}
        >
          <FormError id={form.errorId} errors={form.errors} />
          <Field
            label="Email"
            errors={fields.email.errors}
            autoComplete="off"
            {...getInputProps(fields.email, { type: 'email' })}
          />
          <SelectField
            label="Role"
            errors={fields.role.errors}
            options={roleOptions}
            {...getSelectProps(fields.role)}
          />
          <div className="sm:pt-6">
            <SubmitButton name="intent" value="invite" pendingLabel="Sending…">
              Send invitation
            </SubmitButton>
          </div>
        </Form>
        <ul className="mt-2 space-y-1 text-xs text-slate-500">
          {ROLES.map((role) => (
            <li key={role}>
              <strong className="font-medium text-slate-700">{ROLE_LABELS[role]}:</strong>{' '}
              {ROLE_DESCRIPTIONS[role]}
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="members-heading">
        <h2 id="members-heading" className="text-lg font-semibold">
          Members
        </h2>
        {/* relative: the sr-only labels inside are absolutely positioned; without a positioned
            ancestor they escape this scroll box and widen the whole page on a phone. */}
        <div className="relative mt-3 overflow-x-auto rounded-lg border border-slate-200 bg-white">
          <table className="min-w-full divide-y divide-slate-200 text-sm">
            <TableHead
              cellClassName="px-4 py-2"
              columns={[
                'Name',
                'Role',
                'Status',
                'Last activity',
                <span key="actions" className="sr-only">
                  Actions
                </span>,
              ]}
            />
            <tbody className="divide-y divide-slate-100">
              {members.map((m) => (
                <tr
                  key={m.membershipId}
                  aria-label={m.displayName}
                  className={m.active ? '' : 'bg-slate-50 text-slate-500'}
                >
                  <td className="px-4 py-2">
                    <div className="font-medium text-slate-900">
                      {m.displayName}
                      {m.userId === viewerUserId ? (
                        <span className="ml-1 text-xs text-slate-500">(you)</span>
                      ) : null}
                    </div>
                    <div className="text-xs text-slate-500">{m.email}</div>
                  </td>
                  <td className="px-4 py-2">
                    <Form method="post" className="flex items-center gap-2">
                      <input type="hidden" name="membershipId" value={m.membershipId} />
                      <label className="sr-only" htmlFor={`role-${m.membershipId}`}>
                        Role
                      </label>
                      <select
                        id={`role-${m.membershipId}`}
                        name="role"
                        defaultValue={m.role}
                        className="rounded-md border-slate-300 py-1 text-sm"
                      >
                        {roleOptions.map((o) => (
                          <option key={o.value} value={o.value}>
                            {o.label}
                          </option>
                        ))}
                      </select>
                      <button
                        type="submit"
                        name="intent"
                        value="change-role"
                        className="rounded-md border border-slate-300 px-2 py-1 hover:bg-slate-50"
                      >
                        Change role
                      </button>
                    </Form>
                  </td>
                  <td className="px-4 py-2">{m.active ? 'Active' : 'Deactivated'}</td>
                  <td className="px-4 py-2">
                    <time dateTime={m.lastSeenAt ?? undefined}>{formatTime(m.lastSeenAt)}</time>
                  </td>
                  <td className="px-4 py-2 text-right">
                    <Form method="post">
                      <input type="hidden" name="membershipId" value={m.membershipId} />
                      {m.userId === viewerUserId ? null : m.active ? (
                        <button
                          type="submit"
                          name="intent"
                          value="deactivate"
                          className="rounded-md border border-red-300 px-2 py-1 text-red-800 hover:bg-red-50"
                        >
                          Deactivate
                        </button>
                      ) : (
                        <button
                          type="submit"
                          name="intent"
                          value="reactivate"
                          className="rounded-md border border-slate-300 px-2 py-1 hover:bg-slate-50"
                        >
                          Reactivate
                        </button>
                      )}
                    </Form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <section aria-labelledby="invitations-heading">
        <h2 id="invitations-heading" className="text-lg font-semibold">
          Pending invitations
        </h2>
        {invitations.length === 0 ? (
          <p className="mt-2 text-sm text-slate-600">No pending invitations.</p>
        ) : (
          <ul className="mt-3 divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white">
            {invitations.map((i) => (
              <li
                key={i.id}
                className="flex flex-wrap items-center justify-between gap-2 px-4 py-2 text-sm"
                aria-label={i.email}
              >
                <span>
                  <span className="font-medium">{i.email}</span> as {ROLE_LABELS[i.role]} · expires{' '}
                  {formatTime(i.expiresAt)}
                </span>
                <Form method="post">
                  <input type="hidden" name="invitationId" value={i.id} />
                  <button
                    type="submit"
                    name="intent"
                    value="revoke-invitation"
                    className="rounded-md border border-slate-300 px-2 py-1 hover:bg-slate-50"
                  >
                    Revoke
                  </button>
                </Form>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  )
}

export function ErrorBoundary() {
  const error = useRouteError()
  return <ErrorPage status={isRouteErrorResponse(error) ? error.status : 500} error={error} />
}
