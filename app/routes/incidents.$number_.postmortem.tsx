import { parseWithZod } from '@conform-to/zod/v4'
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { data } from '@remix-run/node'
import {
  Link,
  isRouteErrorResponse,
  useActionData,
  useLoaderData,
  useRouteError,
  type ShouldRevalidateFunction,
} from '@remix-run/react'
import * as z from '~/utils/zod'
import { ErrorPage } from '~/components/error-page'
import { ConflictNotice } from '~/components/incident/conflict-notice'
import { DraftGenerator } from '~/components/postmortem/draft-generator'
import { PostmortemActionItems } from '~/components/postmortem/postmortem-action-items'
import { PostmortemEditor } from '~/components/postmortem/postmortem-editor'
import { PostmortemHeader } from '~/components/postmortem/postmortem-header'
import { PostmortemReadOnly } from '~/components/postmortem/postmortem-read-only'
import { PostmortemStatusMoves } from '~/components/postmortem/postmortem-status-moves'
import { requireMember } from '~/domain/access/guard.server'
import { postmortemPageView } from '~/domain/postmortem/postmortem-page.server'
import {
  PostmortemConflictError,
  savePostmortem,
  setPostmortemStatus,
} from '~/domain/postmortem/postmortem.server'
import {
  CHANGE_NOTE_MAX,
  POSTMORTEM_SECTIONS,
  POSTMORTEM_SECTION_MAX,
  POSTMORTEM_STATUSES,
  type PostmortemSections,
} from '~/domain/postmortem/vocabulary'
import { now as clockNow } from '~/utils/clock'
import { replyWithDomainError } from '~/utils/error-reply.server'
import { redirectWithFlash } from '~/utils/flash.server'
import { readFormData } from '~/utils/form-data.server'
import { requireIncidentNumber } from '~/domain/incident/incident-number'

const section = z
  .string()
  .max(
    POSTMORTEM_SECTION_MAX,
    `Keep each section under ${POSTMORTEM_SECTION_MAX.toLocaleString('en')} characters`,
  )
  .optional()
  .default('')
const revision = z.coerce.number().int().min(0)

const saveSchema = z.object({
  intent: z.literal('save'),
  summary: section,
  customerImpact: section,
  rootCause: section,
  wentWell: section,
  wentPoorly: section,
  lessons: section,
  changeNote: z
    .string()
    .max(CHANGE_NOTE_MAX, `Keep the change note under ${CHANGE_NOTE_MAX} characters`)
    .optional(),
  revision,
})

const statusSchema = z.object({
  intent: z.literal('status'),
  to: z.enum(POSTMORTEM_STATUSES),
  revision,
})

const schema = z.discriminatedUnion('intent', [saveSchema, statusSchema])

/**
 * After a refused (409) submission the page must show the postmortem as it is now, with the
 * newest revision in every form, so the next submission is taken; loaders do not re-run after a
 * 4xx action by default.
 */
export const shouldRevalidate: ShouldRevalidateFunction = ({
  actionStatus,
  defaultShouldRevalidate,
}) => (actionStatus === 409 ? true : defaultShouldRevalidate)

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'incident.view')
  const number = requireIncidentNumber(params.number)
  const { LLM_BASE_URL, LLM_MODEL } = context.env
  const view = await postmortemPageView(context.orm, member, number, {
    llmModel: LLM_BASE_URL && LLM_MODEL ? LLM_MODEL : null,
    now: clockNow(),
  })
  if (!view)
    throw new Response('This incident has no postmortem. It gets one when it enters Postmortem.', {
      status: 404,
    })
  return view
}

/** The chosen timeline entries of a submitted editor form. */
function timelineFrom(formData: FormData) {
  const seqs = formData
    .getAll('include')
    .map((v) => Number(v))
    .filter((v) => Number.isFinite(v))
  return seqs.map((seq) => ({ seq, note: String(formData.get(`note-${seq}`) ?? '') }))
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const member = await requireMember(request, context, 'incident.view')
  const number = requireIncidentNumber(params.number)
  const formData = await readFormData(request)
  const submission = parseWithZod(formData, { schema })
  const intent = String(formData.get('intent') ?? '')
  if (submission.status !== 'success')
    return data({ intent, result: submission.reply(), conflict: null }, { status: 400 })
  const input = submission.value
  const here = `/incidents/${number}/postmortem`
  try {
    if (input.intent === 'save') {
      const sections = Object.fromEntries(
        POSTMORTEM_SECTIONS.map((key) => [key, input[key]]),
      ) as PostmortemSections
      const done = await savePostmortem(context.orm, member, number, {
        sections,
        timeline: timelineFrom(formData),
        changeNote: input.changeNote ?? null,
        revision: input.revision,
      })
      return redirectWithFlash(
        here,
        { kind: 'success', message: `Saved revision ${done.revision}.` },
        context.env,
      )
    }
    const done = await setPostmortemStatus(context.orm, member, number, {
      to: input.to,
      revision: input.revision,
    })
    const message = {
      draft: 'The postmortem is a draft again.',
      in_review: 'The postmortem is in review.',
      published: 'The postmortem is published.',
    }[done.status]
    return redirectWithFlash(here, { kind: 'success', message }, context.env)
  } catch (error) {
    return replyWithDomainError(submission, error, {
      extra: { intent, conflict: conflictOf(error) },
    })
  }
}

/** The two revisions a stale save or move was refused between, for the comparison link. */
function conflictOf(error: unknown) {
  return error instanceof PostmortemConflictError
    ? { base: error.baseRevision, current: error.currentRevision }
    : null
}

export default function PostmortemPage() {
  const view = useLoaderData<typeof loader>()
  const { incident, postmortem, canEdit } = view
  const actionData = useActionData<typeof action>()
  const base = `/incidents/${incident.number}/postmortem`
  const saveResult = actionData?.intent === 'save' ? actionData.result : null
  const statusResult = actionData?.intent === 'status' ? actionData.result : null
  const editable = canEdit && postmortem.status !== 'published'
  const conflict = actionData?.conflict ?? null

  return (
    <div className="space-y-8">
      <PostmortemHeader incident={incident} postmortem={postmortem} revision={view.revision} />

      {conflict ? (
        <ConflictNotice>
          <p>{actionData?.result.error?.['']?.[0]}</p>
          <p className="mt-1">
            <Link
              to={`${base}/revisions?from=${conflict.base}&to=${conflict.current}`}
              className="font-medium underline"
            >
              Compare revision {conflict.base} with revision {conflict.current}
            </Link>
          </p>
        </ConflictNotice>
      ) : null}

      {view.moves.length > 0 ? (
        <PostmortemStatusMoves
          moves={view.moves}
          revision={postmortem.currentRevision}
          formErrors={statusResult && !conflict ? (statusResult.error?.[''] ?? null) : null}
        />
      ) : null}

      {editable ? (
        <DraftGenerator
          base={base}
          revision={postmortem.currentRevision}
          llmModel={view.llmModel}
          drafts={view.drafts}
        />
      ) : null}

      {editable ? (
        <PostmortemEditor view={view} saveResult={saveResult} conflict={Boolean(conflict)} />
      ) : (
        <PostmortemReadOnly
          incidentNumber={incident.number}
          sectionsHtml={view.sectionsHtml}
          timelineEntries={view.timelineEntries}
          note={
            canEdit
              ? 'Published postmortems are read-only. Return it to draft to edit it.'
              : 'Only the commander, assignees, managers and admins can edit this postmortem.'
          }
        />
      )}

      <PostmortemActionItems base={base} items={view.actionItems} canEdit={canEdit} />
    </div>
  )
}

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  {
    title: data
      ? `Postmortem INC-${data.incident.number}: ${data.incident.title} · IncidentFlow`
      : 'Postmortem · IncidentFlow',
  },
]

export function ErrorBoundary() {
  const error = useRouteError()
  return <ErrorPage status={isRouteErrorResponse(error) ? error.status : 500} error={error} />
}
