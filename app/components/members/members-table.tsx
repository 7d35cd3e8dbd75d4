import { Form } from '@remix-run/react'
import { ACTIONS_COLUMN, TableHead } from '~/components/table-head'
import type { MembersPage } from '~/domain/access/members-page.server'
import { formatMinuteUtc } from './minute-utc'
import { roleOptions } from './role-options'

/** Every member with a role form and a deactivate or reactivate button (none on oneself). */
export function MembersTable({
  members,
  viewerUserId,
}: {
  members: MembersPage['members']
  viewerUserId: string
}) {
  return (
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
            columns={['Name', 'Role', 'Status', 'Last activity', ACTIONS_COLUMN]}
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
                  <time dateTime={m.lastSeenAt ?? undefined}>{formatMinuteUtc(m.lastSeenAt)}</time>
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
  )
}
