import { parseWithZod } from '@conform-to/zod/v4'
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { data } from '@remix-run/node'
import { isRouteErrorResponse, useActionData, useLoaderData, useRouteError } from '@remix-run/react'
import * as z from '~/utils/zod'
import { ErrorPage } from '~/components/error-page'
import { InviteSection, inviteSchema, useInviteForm } from '~/components/members/invite-form'
import { MembersTable } from '~/components/members/members-table'
import { PendingInvitations } from '~/components/members/pending-invitations'
import { requireMember } from '~/domain/access/guard.server'
import { membersPage } from '~/domain/access/members-page.server'
import { changeRole, invite, revokeInvitation, setActive } from '~/domain/access/members.server'
import { ROLE_LABELS, ROLES } from '~/domain/access/permissions'
import { redirectWithRefusal, replyWithDomainError } from '~/utils/error-reply.server'
import { redirectWithFlash } from '~/utils/flash.server'
import { readFormData } from '~/utils/form-data.server'

const memberSchema = z.discriminatedUnion('intent', [
  z.object({ intent: z.literal('change-role'), membershipId: z.uuid(), role: z.enum(ROLES) }),
  z.object({ intent: z.literal('deactivate'), membershipId: z.uuid() }),
  z.object({ intent: z.literal('reactivate'), membershipId: z.uuid() }),
  z.object({ intent: z.literal('revoke-invitation'), invitationId: z.uuid() }),
])

export const meta: MetaFunction = () => [{ title: 'Members · IncidentFlow' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'members.manage')
  return membersPage(context.orm, member)
}

export async function action({ request, context }: ActionFunctionArgs) {
  const member = await requireMember(request, context, 'members.manage')
  const formData = await readFormData(request)
  const done = (message: string) =>
    redirectWithFlash('/admin/members', { kind: 'success', message }, context.env)

  if (formData.get('intent') === 'invite') {
    const submission = parseWithZod(formData, { schema: inviteSchema })
    if (submission.status !== 'success')
      return data({ result: submission.reply() }, { status: 400 })
    try {
      await invite(context.orm, context.boss, member, {
        email: submission.value.email,
        role: submission.value.role,
        appUrl: context.env.APP_URL,
      })
    } catch (error) {
      return replyWithDomainError(submission, error)
    }
    return done(`Invitation sent to ${submission.value.email}.`)
  }

  const row = parseWithZod(formData, { schema: memberSchema })
  if (row.status !== 'success') throw new Response('Bad request', { status: 400 })
  const input = row.value
  try {
    switch (input.intent) {
      case 'change-role': {
        const changed = await changeRole(context.orm, member, input.membershipId, input.role)
        if (!changed) throw new Response('Member not found', { status: 404 })
        return done(`Role changed to ${ROLE_LABELS[input.role]}.`)
      }
      case 'deactivate':
      case 'reactivate': {
        const changed = await setActive(
          context.orm,
          member,
          input.membershipId,
          input.intent === 'reactivate',
        )
        if (!changed) throw new Response('Member not found', { status: 404 })
        return done(
          input.intent === 'deactivate'
            ? 'Member deactivated; their access ended.'
            : 'Member reactivated.',
        )
      }
      case 'revoke-invitation': {
        const revoked = await revokeInvitation(context.orm, member, input.invitationId)
        if (!revoked) throw new Response('Invitation not found', { status: 404 })
        return done('Invitation revoked; its link no longer works.')
      }
    }
  } catch (error) {
    return redirectWithRefusal(error, '/admin/members', context.env)
  }
}

export default function Members() {
  const { members, invitations, organizationName, viewerUserId } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const [form, fields] = useInviteForm(actionData?.result)
  return (
    <div className="space-y-10">
      <header>
        <h1 className="text-2xl font-bold">Members of {organizationName}</h1>
        <p className="mt-1 text-sm text-slate-600">
          Invite people, change what they may do, and end access.
        </p>
      </header>
      <InviteSection form={form} fields={fields} />
      <MembersTable members={members} viewerUserId={viewerUserId} />
      <PendingInvitations invitations={invitations} />
    </div>
  )
}

export function ErrorBoundary() {
  const error = useRouteError()
  return <ErrorPage status={isRouteErrorResponse(error) ? error.status : 500} error={error} />
}
