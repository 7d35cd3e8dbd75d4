import { getFormProps, useForm, type SubmissionResult } from '@conform-to/react'
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4'
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { data } from '@remix-run/node'
import {
  Form,
  Link,
  isRouteErrorResponse,
  useActionData,
  useLoaderData,
  useRouteError,
} from '@remix-run/react'
import {
  ActionItemFields,
  ActionItemStatusField,
  ActionItemTable,
  OverdueMark,
  createActionItemSchema,
  formatDueDate,
  updateActionItemSchema,
  type OwnerOption,
} from '~/components/action-items'
import { Card } from '~/components/card'
import { ErrorPage } from '~/components/error-page'
import { FormError } from '~/components/form-error'
import { SubmitButton } from '~/components/forms'
import { requireMember } from '~/domain/access/guard.server'
import { listMembers } from '~/domain/access/members.server'
import { memberName } from '~/domain/access/person-name'
import {
  createActionItem,
  listActionItems,
  localDate,
  updateActionItem,
  type ActionItemView,
} from '~/domain/postmortem/action-items.server'
import { getPostmortemView } from '~/domain/postmortem/postmortem.server'
import {
  ACTION_ITEM_PRIORITY_LABELS,
  ACTION_ITEM_STATUS_LABELS,
  POSTMORTEM_STATUS_LABELS,
} from '~/domain/postmortem/vocabulary'
import { now as clockNow } from '~/utils/clock'
import { redirectWithFlash } from '~/utils/flash.server'
import { requireIncidentNumber } from '~/domain/incident/incident-number'
import { replyWithDomainError } from '~/utils/error-reply.server'
import { readFormData } from '~/utils/form-data.server'

/**
 * The action items of one incident's postmortem: the list, an "Add action item" form for those
 * who may edit the postmortem, and per item an edit form (editors: every field; the item's owner:
 * its status). Plain forms, post/redirect/get; errors keep what was typed.
 */

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'incident.view')
  const number = requireIncidentNumber(params.number)
  const view = await getPostmortemView(context.orm, member, number)
  if (!view) throw new Response('Postmortem not found', { status: 404 })
  const organizationId = member.organization.id
  const now = clockNow()
  const [items, members] = await Promise.all([
    listActionItems(context.orm, organizationId, view.postmortem.id, now),
    listMembers(context.orm, organizationId),
  ])
  const owners: OwnerOption[] = members
    .filter((m) => m.active)
    .map((m) => ({ value: m.userId, label: m.displayName }))
  // Items owned by someone who has left keep their owner selectable, so saving the status does
  // not silently reassign them.
  for (const item of items) {
    if (item.ownerId && !owners.some((o) => o.value === item.ownerId))
      owners.push({
        value: item.ownerId,
        label: `${memberName(item.ownerName)} (no longer a member)`,
      })
  }
  return {
    incident: { number: view.incident.number, title: view.incident.title },
    postmortemStatus: view.postmortem.status,
    canEdit: view.canEdit,
    userId: member.user.id,
    today: localDate(now, member.organization.timezone),
    items,
    owners,
  }
}

type ActionResult = {
  intent: 'create' | 'update'
  itemId: string | null
  result: SubmissionResult<string[]>
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const member = await requireMember(request, context, 'incident.view')
  const number = requireIncidentNumber(params.number)
  const formData = await readFormData(request)
  const intent = formData.get('intent')
  const back = `/incidents/${number}/postmortem/action-items`

  if (intent === 'create') {
    const submission = parseWithZod(formData, { schema: createActionItemSchema })
    if (submission.status !== 'success')
      return data<ActionResult>(
        { intent, itemId: null, result: submission.reply() },
        { status: 400 },
      )
    try {
      await createActionItem(context.orm, member, number, {
        title: submission.value.title,
        ownerId: submission.value.owner,
        dueOn: submission.value.dueOn,
        priority: submission.value.priority,
      })
    } catch (error) {
      return replyWithDomainError(submission, error, { extra: { intent, itemId: null } })
    }
    return redirectWithFlash(back, { kind: 'success', message: 'Action item added.' }, context.env)
  }

  if (intent === 'update') {
    const submission = parseWithZod(formData, { schema: updateActionItemSchema })
    const itemId = String(submission.payload.itemId ?? '')
    if (submission.status !== 'success')
      return data<ActionResult>({ intent, itemId, result: submission.reply() }, { status: 400 })
    const v = submission.value
    try {
      await updateActionItem(context.orm, member, number, v.itemId, {
        version: v.version,
        status: v.status,
        title: v.title,
        ownerId: v.owner,
        dueOn: v.dueOn,
        priority: v.priority,
      })
    } catch (error) {
      return replyWithDomainError(submission, error, { extra: { intent, itemId } })
    }
    return redirectWithFlash(back, { kind: 'success', message: 'Action item saved.' }, context.env)
  }

  throw new Response('Unknown form', { status: 400 })
}

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  {
    title: data
      ? `Action items · INC-${data.incident.number} postmortem · IncidentFlow`
      : 'Action items · IncidentFlow',
  },
]

export default function ActionItemsPage() {
  const { incident, postmortemStatus, canEdit, userId, items, owners, today } =
    useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const postmortemUrl = `/incidents/${incident.number}/postmortem`
  const editable = items.filter((item) => canEdit || item.ownerId === userId)
  return (
    <div className="space-y-8">
      <header className="space-y-1">
        <p className="text-sm">
          <Link to={postmortemUrl} className="text-brand-700 underline">
            Postmortem of INC-{incident.number}
          </Link>{' '}
          · {POSTMORTEM_STATUS_LABELS[postmortemStatus]}
        </p>
        <h1 className="text-2xl font-bold break-words">
          Action items · INC-{incident.number} {incident.title}
        </h1>
        <p className="text-sm text-slate-600">
          An item is overdue from the day after its due date while it is open or in progress. Owners
          are told by e-mail once per due date.
        </p>
      </header>

      <section aria-labelledby="items-heading" className="space-y-3">
        <h2 id="items-heading" className="text-lg font-semibold">
          All action items ({items.length})
        </h2>
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
          <ActionItemTable
            items={items}
            caption={`Action items of the INC-${incident.number} postmortem`}
            itemLink={(item) =>
              editable.some((e) => e.id === item.id) ? `#item-${item.id}` : postmortemUrl
            }
          />
        </div>
      </section>

      {canEdit ? (
        <AddForm
          owners={owners}
          today={today}
          lastResult={actionData?.intent === 'create' ? actionData.result : undefined}
        />
      ) : null}

      {editable.length > 0 ? (
        <section aria-labelledby="edit-heading" className="space-y-4">
          <h2 id="edit-heading" className="text-lg font-semibold">
            {canEdit ? 'Change action items' : 'Your action items'}
          </h2>
          {editable.map((item) => (
            <EditForm
              key={item.id}
              item={item}
              owners={owners}
              fullEdit={canEdit}
              postmortemUrl={postmortemUrl}
              lastResult={
                actionData?.intent === 'update' && actionData.itemId === item.id
                  ? actionData.result
                  : undefined
              }
            />
          ))}
        </section>
      ) : null}
    </div>
  )
}

function AddForm({
  owners,
  today,
  lastResult,
}: {
  owners: OwnerOption[]
  today: string
  lastResult: ActionResult['result'] | undefined
}) {
  const [form, fields] = useForm({
    id: 'add-action-item',
    lastResult,
    constraint: getZodConstraint(createActionItemSchema),
    shouldValidate: 'onBlur',
    shouldRevalidate: 'onInput',
    onValidate: ({ formData }) => parseWithZod(formData, { schema: createActionItemSchema }),
    defaultValue: { priority: 'medium' },
  })
  return (
    <Card id="add-heading" heading="Add action item">
      <Form method="post" className="mt-4" aria-labelledby="add-heading" {...getFormProps(form)}>
        <FormError id={form.errorId} errors={form.errors} />
        <ActionItemFields fields={fields} owners={owners} />
        <p className="mb-4 text-xs text-slate-500">Due today ({today}) or later.</p>
        <SubmitButton name="intent" value="create" pendingLabel="Adding…">
          Add action item
        </SubmitButton>
      </Form>
    </Card>
  )
}

function EditForm({
  item,
  owners,
  fullEdit,
  postmortemUrl,
  lastResult,
}: {
  item: ActionItemView
  owners: OwnerOption[]
  fullEdit: boolean
  postmortemUrl: string
  lastResult: ActionResult['result'] | undefined
}) {
  const [form, fields] = useForm({
    id: `item-form-${item.id}`,
    lastResult,
    constraint: getZodConstraint(updateActionItemSchema),
    shouldValidate: 'onBlur',
    shouldRevalidate: 'onInput',
    onValidate: ({ formData }) => parseWithZod(formData, { schema: updateActionItemSchema }),
    defaultValue: {
      title: item.title,
      owner: item.ownerId ?? '',
      dueOn: item.dueOn ?? '',
      priority: item.priority,
      status: item.status,
    },
  })
  const headingId = `item-${item.id}-heading`
  return (
    <section
      id={`item-${item.id}`}
      aria-labelledby={headingId}
      className="rounded-lg border border-slate-200 bg-white p-4"
    >
      <h3 id={headingId} className="font-semibold break-words">
        {item.title}
        {item.overdue ? <OverdueMark /> : null}
      </h3>
      <p className="mt-1 text-sm text-slate-600">
        {item.ownerName ?? 'No owner'} · due {formatDueDate(item.dueOn)} ·{' '}
        {ACTION_ITEM_PRIORITY_LABELS[item.priority]} · {ACTION_ITEM_STATUS_LABELS[item.status]} ·{' '}
        <Link to={postmortemUrl} className="text-brand-700 underline">
          Back to the postmortem
        </Link>
      </p>
      <Form method="post" className="mt-3" aria-labelledby={headingId} {...getFormProps(form)}>
        <FormError id={form.errorId} errors={form.errors} />
        {/* The current values from the server, so a stale form can be saved again after review. */}
        <input type="hidden" name="itemId" value={item.id} />
        <input type="hidden" name="version" value={item.version} key={item.version} />
        {fullEdit ? <ActionItemFields fields={fields} owners={owners} /> : null}
        <div className="grid gap-x-4 sm:grid-cols-2 lg:grid-cols-4">
          <ActionItemStatusField field={fields.status} />
        </div>
        <SubmitButton name="intent" value="update" pendingLabel="Saving…" variant="secondary">
          Save action item
        </SubmitButton>
      </Form>
    </section>
  )
}

export function ErrorBoundary() {
  const error = useRouteError()
  return <ErrorPage status={isRouteErrorResponse(error) ? error.status : 500} error={error} />
}
