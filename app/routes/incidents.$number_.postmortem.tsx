import { parseWithZod } from '@conform-to/zod/v4'
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { data } from '@remix-run/node'
import {
  Form,
  Link,
  isRouteErrorResponse,
  useActionData,
  useLoaderData,
  useRouteError,
  type ShouldRevalidateFunction,
} from '@remix-run/react'
import * as z from '~/utils/zod'
import { ActionItemTable } from '~/components/action-items'
import { SeverityBadge, StatusBadge } from '~/components/badges'
import { ErrorPage } from '~/components/error-page'
import { IncidentSubpageHeader } from '~/components/incident-subpage-header'
import { FormError } from '~/components/form-error'
import { ErrorList, SelectField, SubmitButton, TextareaField, Field } from '~/components/forms'
import { requireMember } from '~/domain/access/guard.server'
import { IncidentError } from '~/domain/incident/incident-errors'
import { listActionItems } from '~/domain/postmortem/action-items.server'
import { listDrafts, type DraftSummary } from '~/domain/postmortem/drafts.server'
import {
  PostmortemConflictError,
  PostmortemInputError,
  getPostmortemPage,
  savePostmortem,
  setPostmortemStatus,
} from '~/domain/postmortem/postmortem.server'
import {
  CHANGE_NOTE_MAX,
  POSTMORTEM_MOVES,
  POSTMORTEM_MOVE_LABELS,
  POSTMORTEM_SECTIONS,
  POSTMORTEM_SECTION_LABELS,
  POSTMORTEM_SECTION_MAX,
  POSTMORTEM_STATUSES,
  POSTMORTEM_STATUS_LABELS,
  type PostmortemSection,
  type PostmortemSections,
  TIMELINE_NOTE_MAX,
  type PostmortemStatus,
} from '~/domain/postmortem/vocabulary'
import { redirectWithFlash } from '~/utils/flash.server'
import { renderMarkdown } from '~/utils/markdown.server'
import { formatInZone, utcTitle } from '~/utils/time'
import { requireIncidentNumber } from '~/domain/incident/incident-number'
import { replyErrors } from '~/utils/form-errors'
import { readFormData } from '~/utils/form-data.server'

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
  const page = await getPostmortemPage(context.orm, member, number)
  if (!page)
    throw new Response('This incident has no postmortem. It gets one when it enters Postmortem.', {
      status: 404,
    })
  const { view, events } = page
  const timeZone = view.organization.timezone
  const sections = view.revision?.sections ?? null
  // The editor needs the text and every event; readers get the rendered sections only.
  const editable = view.canEdit && view.postmortem.status !== 'published'
  const actionItems = await listActionItems(context.orm, member.organization.id, view.postmortem.id)
  const drafts = editable ? await listDrafts(context.orm, member, number) : []
  const llmModel = context.env.LLM_BASE_URL && context.env.LLM_MODEL ? context.env.LLM_MODEL : null
  return {
    incident: view.incident,
    postmortem: {
      ...view.postmortem,
      publishedAtText: view.postmortem.publishedAt
        ? formatInZone(view.postmortem.publishedAt, timeZone)
        : null,
    },
    revision: view.revision
      ? {
          revision: view.revision.revision,
          source: view.revision.source,
          model: view.revision.generator?.model ?? null,
          authorName: view.revision.authorName,
          createdAt: view.revision.createdAt,
          createdAtText: formatInZone(view.revision.createdAt, timeZone),
        }
      : null,
    sections: editable ? sections : null,
    sectionsHtml:
      !editable && sections
        ? (Object.fromEntries(
            POSTMORTEM_SECTIONS.map((key) => [key, renderMarkdown(sections[key])]),
          ) as Record<PostmortemSection, string>)
        : null,
    chosen: Object.fromEntries(
      (editable ? (view.revision?.timeline ?? []) : []).map((t) => [String(t.seq), t.note]),
    ) as Record<string, string>,
    timelineEntries: view.timelineEntries.map((e) => ({
      ...e,
      atText: formatInZone(e.at, timeZone),
      atUtc: utcTitle(e.at),
    })),
    events: (editable ? events : []).map((e) => ({
      ...e,
      atText: formatInZone(e.at, timeZone),
      atUtc: utcTitle(e.at),
    })),
    actionItems: actionItems.map((i) => ({
      id: i.id,
      title: i.title,
      ownerName: i.ownerName,
      dueOn: i.dueOn,
      priority: i.priority,
      status: i.status,
      overdue: i.overdue,
    })),
    drafts: drafts.map((d) => ({
      id: d.id,
      mode: d.mode,
      status: d.status,
      requestedBy: d.requestedBy,
      createdAt: d.createdAt.toISOString(),
      createdAtText: formatInZone(d.createdAt.toISOString(), timeZone),
    })),
    canEdit: view.canEdit,
    moves: view.canEdit ? POSTMORTEM_MOVES[view.postmortem.status] : [],
    llmModel,
  }
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
    if (error instanceof PostmortemConflictError) {
      return data(
        {
          intent,
          result: submission.reply({ formErrors: [error.message] }),
          conflict: { base: error.baseRevision, current: error.currentRevision },
        },
        { status: 409 },
      )
    }
    if (error instanceof PostmortemInputError) {
      return data(
        { intent, result: submission.reply({ fieldErrors: error.fieldErrors }), conflict: null },
        { status: 400 },
      )
    }
    if (error instanceof IncidentError) {
      if (error.status === 404) throw new Response(error.message, { status: 404 })
      if (error.status === 403) throw new Response(error.message, { status: 403 })
      return data(
        {
          intent,
          result: submission.reply(replyErrors(error)),
          conflict: null,
        },
        { status: 400 },
      )
    }
    throw error
  }
}

const statusStyle: Record<PostmortemStatus, string> = {
  draft: 'border-slate-300 bg-white text-slate-800',
  in_review: 'border-amber-300 bg-amber-50 text-amber-900',
  published: 'border-emerald-300 bg-emerald-50 text-emerald-900',
}

function PostmortemStatusBadge({ status }: { status: PostmortemStatus }) {
  return (
    <span
      className={`inline-flex items-center gap-1 rounded-full border px-2 py-0.5 text-xs font-semibold whitespace-nowrap ${statusStyle[status]}`}
      data-postmortem-status={status}
    >
      {POSTMORTEM_STATUS_LABELS[status]}
    </span>
  )
}

const DRAFT_STATUS_WORDS: Record<DraftSummary['status'], string> = {
  queued: 'Queued',
  running: 'Running',
  done: 'Ready for review',
  failed: 'Failed',
  accepted: 'Accepted',
  discarded: 'Discarded',
}

const DRAFT_MODE_WORDS = { template: 'Template', llm: 'Language model' } as const

const SOURCE_LABELS = { human: 'Written by people', template: 'Template draft', llm: 'Model draft' }

export default function PostmortemPage() {
  const {
    incident,
    postmortem,
    revision,
    sections,
    sectionsHtml,
    chosen,
    timelineEntries,
    events,
    canEdit,
    moves,
    llmModel,
    actionItems,
    drafts,
  } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const base = `/incidents/${incident.number}/postmortem`
  const saveResult = actionData?.intent === 'save' ? actionData.result : null
  const statusResult = actionData?.intent === 'status' ? actionData.result : null
  const echoed = (saveResult?.initialValue ?? null) as Record<string, unknown> | null
  const echo = (name: string): string | undefined => {
    const v = echoed?.[name]
    return typeof v === 'string' ? v : undefined
  }
  const echoedIncludes = echoed
    ? new Set(
        ([] as unknown[])
          .concat(echoed.include ?? [])
          .filter((v): v is string => typeof v === 'string'),
      )
    : null
  const fieldErrors = (name: string) => saveResult?.error?.[name] ?? null
  const editable = canEdit && postmortem.status !== 'published'
  const conflict = actionData?.conflict ?? null

  return (
    <div className="space-y-8">
      <IncidentSubpageHeader
        incident={incident}
        crumbs={[{ label: 'Postmortem' }]}
        title="Postmortem"
        className="space-y-3"
      >
        <div className="flex flex-wrap items-center gap-2 text-sm">
          <span className="text-slate-600">Postmortem status:</span>
          <PostmortemStatusBadge status={postmortem.status} />
          <StatusBadge status={incident.status} />
          <SeverityBadge severity={incident.severity} />
        </div>
        <p className="text-sm text-slate-600" data-testid="revision-line">
          {revision ? (
            <>
              Revision {revision.revision}
              {revision.authorName ? ` by ${revision.authorName}` : ''},{' '}
              <time dateTime={revision.createdAt}>{revision.createdAtText}</time> (
              {SOURCE_LABELS[revision.source]}
              {revision.model ? `, ${revision.model}` : ''})
            </>
          ) : (
            'Nothing saved yet.'
          )}
          {postmortem.publishedAtText
            ? ` · Published ${postmortem.publishedAtText}${postmortem.publishedByName ? ` by ${postmortem.publishedByName}` : ''}`
            : ''}
        </p>
        <nav aria-label="Postmortem pages" className="flex flex-wrap gap-4 text-sm">
          <Link to={`${base}/revisions`} className="font-medium text-brand-700 underline">
            Revision history
          </Link>
          <a href={`${base}/print`} className="font-medium text-brand-700 underline">
            Print
          </a>
          <Link to={`${base}/action-items`} className="font-medium text-brand-700 underline">
            Action items
          </Link>
        </nav>
      </IncidentSubpageHeader>

      {conflict ? (
        <div
          role="alert"
          className="rounded-md border border-amber-400 bg-amber-50 px-4 py-3 text-sm text-amber-900"
        >
          <p>{actionData?.result.error?.['']?.[0]}</p>
          <p className="mt-1">
            <Link
              to={`${base}/revisions?from=${conflict.base}&to=${conflict.current}`}
              className="font-medium underline"
            >
              Compare revision {conflict.base} with revision {conflict.current}
            </Link>
          </p>
        </div>
      ) : null}

      {moves.length > 0 ? (
        <section aria-labelledby="status-heading" className="space-y-2">
          <h2 id="status-heading" className="text-lg font-semibold">
            Status
          </h2>
          {statusResult && !conflict ? (
            <FormError errors={statusResult.error?.[''] ?? null} />
          ) : null}
          <div className="flex flex-wrap gap-3">
            {moves.map((to) => (
              <Form method="post" key={to} aria-label={POSTMORTEM_MOVE_LABELS[to]}>
                <input type="hidden" name="to" value={to} />
                <input type="hidden" name="revision" value={postmortem.currentRevision} />
                <SubmitButton
                  name="intent"
                  value="status"
                  variant={to === 'draft' ? 'secondary' : 'primary'}
                >
                  {POSTMORTEM_MOVE_LABELS[to]}
                </SubmitButton>
              </Form>
            ))}
          </div>
        </section>
      ) : null}

      {editable ? (
        <section
          aria-labelledby="draft-heading"
          className="rounded-lg border border-slate-200 bg-white p-4"
        >
          <h2 id="draft-heading" className="text-lg font-semibold">
            Generate a draft
          </h2>
          <p className="mt-1 text-sm text-slate-600">
            Fills every section from the incident&apos;s record and timeline. You review the draft
            before anything here changes.
          </p>
          <Form
            method="post"
            action={`${base}/drafts`}
            className="mt-3 flex flex-wrap items-end gap-3"
          >
            <input type="hidden" name="revision" value={postmortem.currentRevision} />
            <SelectField
              label="Draft source"
              name="mode"
              className="mb-0"
              options={[
                { value: 'template', label: 'Template' },
                ...(llmModel ? [{ value: 'llm', label: `Language model (${llmModel})` }] : []),
              ]}
              defaultValue="template"
            />
            <SubmitButton variant="secondary">Generate draft</SubmitButton>
          </Form>
          {drafts.length > 0 ? (
            <>
              <h3 className="mt-4 text-sm font-semibold">Recent drafts</h3>
              <ul className="mt-1 space-y-1 text-sm">
                {drafts.map((d) => (
                  <li key={d.id} data-draft={d.id}>
                    <Link to={`${base}/drafts/${d.id}`} className="text-brand-700 underline">
                      {DRAFT_MODE_WORDS[d.mode]} draft
                    </Link>{' '}
                    — {DRAFT_STATUS_WORDS[d.status]},{' '}
                    <time dateTime={d.createdAt}>{d.createdAtText}</time>
                    {d.requestedBy ? ` by ${d.requestedBy}` : ''}
                  </li>
                ))}
              </ul>
            </>
          ) : null}
        </section>
      ) : null}

      {editable ? (
        <Form
          method="post"
          aria-label="Edit postmortem"
          className="space-y-6"
          key={`${postmortem.currentRevision}-${saveResult ? 'echo' : 'fresh'}`}
        >
          <input type="hidden" name="revision" value={postmortem.currentRevision} />
          {saveResult && !conflict ? <FormError errors={saveResult.error?.[''] ?? null} /> : null}
          {POSTMORTEM_SECTIONS.map((key) => (
            <div key={key}>
              <TextareaField
                label={POSTMORTEM_SECTION_LABELS[key]}
                name={key}
                id={`section-${key}`}
                rows={key === 'summary' || key === 'rootCause' ? 8 : 5}
                maxLength={POSTMORTEM_SECTION_MAX}
                defaultValue={echo(key) ?? sections?.[key] ?? ''}
                errors={fieldErrors(key)}
                hint={key === 'summary' ? 'Markdown. Required before review or publishing.' : null}
              />
              {key === 'summary' ? (
                <TimelinePicker
                  events={events}
                  incidentNumber={incident.number}
                  isChosen={(seq) =>
                    echoedIncludes ? echoedIncludes.has(String(seq)) : String(seq) in chosen
                  }
                  noteOf={(seq) => echo(`note-${seq}`) ?? chosen[String(seq)] ?? ''}
                  errors={fieldErrors}
                />
              ) : null}
            </div>
          ))}
          <Field
            label="Change note"
            name="changeNote"
            maxLength={CHANGE_NOTE_MAX}
            hint="Optional: what this revision changes."
            defaultValue={echo('changeNote') ?? ''}
            errors={fieldErrors('changeNote')}
          />
          <SubmitButton name="intent" value="save" pendingLabel="Saving…">
            Save postmortem
          </SubmitButton>
        </Form>
      ) : (
        <ReadOnly
          incidentNumber={incident.number}
          sectionsHtml={sectionsHtml}
          timelineEntries={timelineEntries}
          note={
            canEdit
              ? 'Published postmortems are read-only. Return it to draft to edit it.'
              : 'Only the commander, assignees, managers and admins can edit this postmortem.'
          }
        />
      )}

      <section aria-labelledby="action-items-heading" className="space-y-2">
        <h2 id="action-items-heading" className="text-lg font-semibold">
          Action items
        </h2>
        <div className="relative overflow-x-auto rounded-lg border border-slate-200 bg-white">
          <ActionItemTable items={actionItems} caption="Action items of this postmortem" />
        </div>
        <p className="text-sm">
          <Link to={`${base}/action-items`} className="font-medium text-brand-700 underline">
            {canEdit ? 'Add or change action items' : 'All action items'}
          </Link>
        </p>
      </section>
    </div>
  )
}

type LoaderData = ReturnType<typeof useLoaderData<typeof loader>>

function TimelinePicker({
  events,
  incidentNumber,
  isChosen,
  noteOf,
  errors,
}: {
  events: LoaderData['events']
  incidentNumber: number
  isChosen: (seq: number) => boolean
  noteOf: (seq: number) => string
  errors: (name: string) => string[] | null
}) {
  const timelineErrors = errors('timeline')
  return (
    <fieldset
      className="mt-6 rounded-lg border border-slate-200 bg-white p-4"
      aria-describedby="timeline-hint"
    >
      <legend className="px-1 text-sm font-medium text-slate-800">Timeline</legend>
      <p id="timeline-hint" className="text-xs text-slate-500">
        Choose the events the postmortem&apos;s timeline shows, oldest first; a note is kept only
        for an included event.
      </p>
      <ErrorList id="timeline-error" errors={timelineErrors} />
      <ol className="mt-3 divide-y divide-slate-100">
        {events.map((e) => (
          <li key={e.seq} className="py-2" data-seq={e.seq}>
            <div className="flex flex-wrap items-baseline gap-x-3 gap-y-1 text-sm">
              <label className="inline-flex items-center gap-2 font-medium">
                <input
                  type="checkbox"
                  name="include"
                  value={e.seq}
                  defaultChecked={isChosen(e.seq)}
                  className="rounded border-slate-300"
                />
                Include #{e.seq}
              </label>
              <a href={`/incidents/${incidentNumber}#event-${e.seq}`} className="underline">
                #{e.seq}
              </a>
              <time dateTime={e.at} title={e.atUtc} className="text-slate-600">
                {e.atText}
              </time>
              <span>
                <strong>{e.actor}</strong> {e.summary}
              </span>
            </div>
            {e.detail ? (
              <p className="ml-6 text-xs break-words text-slate-600">{e.detail}</p>
            ) : null}
            <Field
              label={`Note on #${e.seq}`}
              name={`note-${e.seq}`}
              id={`note-${e.seq}`}
              maxLength={TIMELINE_NOTE_MAX}
              className="mt-1 ml-6"
              defaultValue={noteOf(e.seq)}
              errors={errors(`note-${e.seq}`)}
            />
          </li>
        ))}
      </ol>
    </fieldset>
  )
}

function ReadOnly({
  incidentNumber,
  sectionsHtml,
  timelineEntries,
  note,
}: {
  incidentNumber: number
  sectionsHtml: Record<PostmortemSection, string> | null
  timelineEntries: LoaderData['timelineEntries']
  note: string
}) {
  const block = (key: PostmortemSection) => (
    <section key={key} aria-labelledby={`read-${key}`}>
      <h2 id={`read-${key}`} className="text-lg font-semibold">
        {POSTMORTEM_SECTION_LABELS[key]}
      </h2>
      {sectionsHtml?.[key] ? (
        <div
          className="markdown mt-2 max-w-none break-words"
          dangerouslySetInnerHTML={{ __html: sectionsHtml[key] }}
        />
      ) : (
        <p className="mt-2 text-sm text-slate-500">Not written yet.</p>
      )}
    </section>
  )
  const [first, ...rest] = POSTMORTEM_SECTIONS
  return (
    <div className="space-y-6 rounded-lg border border-slate-200 bg-white p-4">
      <p className="text-sm text-slate-600">{note}</p>
      {block(first)}
      <section aria-labelledby="read-timeline">
        <h2 id="read-timeline" className="text-lg font-semibold">
          Timeline
        </h2>
        {timelineEntries.length === 0 ? (
          <p className="mt-2 text-sm text-slate-500">No events chosen yet.</p>
        ) : (
          <ol className="mt-2 space-y-2 text-sm">
            {timelineEntries.map((e) => (
              <li key={e.seq}>
                <a href={`/incidents/${incidentNumber}#event-${e.seq}`} className="underline">
                  #{e.seq}
                </a>{' '}
                <time dateTime={e.at} title={e.atUtc} className="text-slate-600">
                  {e.atText}
                </time>{' '}
                <strong>{e.actor}</strong> {e.summary}
                {e.detail ? <span className="text-slate-600"> — {e.detail}</span> : null}
                {e.note ? <p className="ml-6 text-slate-800">{e.note}</p> : null}
              </li>
            ))}
          </ol>
        )}
      </section>
      {rest.map(block)}
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
