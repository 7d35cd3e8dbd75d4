import { Form } from '@remix-run/react'
import type { MembersPage } from '~/domain/access/members-page.server'
import { ROLE_LABELS } from '~/domain/access/permissions'
import { formatMinuteUtc } from './minute-utc'

type Invitation = MembersPage['invitations'][number]

/** One pending invitation: who, as what, until when, and its "Revoke" button. */
function InvitationRow({ invitation: i }: { invitation: Invitation }) {
  return (
    <li
      className="flex flex-wrap items-center justify-between gap-2 px-4 py-2 text-sm"
      aria-label={i.email}
    >
      <span>
        <span className="font-medium">{i.email}</span> as {ROLE_LABELS[i.role]} · expires{' '}
        {formatMinuteUtc(i.expiresAt)}
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
  )
}

/** Invitations not yet accepted, revoked or expired. */
export function PendingInvitations({ invitations }: { invitations: Invitation[] }) {
  return (
    <section aria-labelledby="invitations-heading">
      <h2 id="invitations-heading" className="text-lg font-semibold">
        Pending invitations
      </h2>
      {invitations.length === 0 ? (
        <p className="mt-2 text-sm text-slate-600">No pending invitations.</p>
      ) : (
        <ul className="mt-3 divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white">
          {invitations.map((i) => (
            <InvitationRow key={i.id} invitation={i} />
          ))}
        </ul>
      )}
    </section>
  )
}
