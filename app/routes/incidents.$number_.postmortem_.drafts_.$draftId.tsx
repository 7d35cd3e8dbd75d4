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
} from '@remix-run/react'
import * as z from '~/utils/zod'
import { ErrorPage } from '~/components/error-page'
import { FormError } from '~/components/form-error'
import { PendingRefresh } from '~/components/pending-refresh'
import { SubmitButton } from '~/components/forms'
import { requireMember } from '~/domain/access/guard.server'
import { acceptDraft, discardDraft, getDraft } from '~/domain/postmortem/drafts.server'
import { POSTMORTEM_SECTIONS, POSTMORTEM_SECTION_LABELS } from '~/domain/postmortem/vocabulary'
import { now as clockNow } from '~/utils/clock'
import { refusalResponse, replyWithDomainError } from '~/utils/error-reply.server'
import { redirectWithFlash } from '~/utils/flash.server'
import { formatInZone } from '~/utils/time'
import { requireIncidentNumber } from '~/domain/incident/incident-number'
import { readFormData } from '~/utils/form-data.server'
import { DRAFT_MODE_WORDS, DRAFT_STATUS_WORDS } from '~/components/postmortem/draft-words'

const CHOOSE = 'Choose Accept draft or Discard draft.'
const schema = z.object({ intent: z.enum(['accept', 'discard'], { error: CHOOSE }) })

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'incident.view')
  const number = requireIncidentNumber(params.number)
  const draft = await getDraft(context.orm, member, number, params.draftId ?? '', clockNow()).catch(
    (error: unknown) => {
      throw refusalResponse(error)
    },
  )
  if (!draft) throw new Response('Draft not found', { status: 404 })
  const timeZone = member.organization.timezone
  const at = (date: Date | null) => (date ? formatInZone(date.toISOString(), timeZone) : null)
  const statements = draft.result?.statements ?? []
  return {
    draft: {
      id: draft.id,
      number,
      title: draft.incidentTitle,
      mode: draft.mode,
      status: draft.status,
      error: draft.error,
      model: draft.model,
      promptVersion: draft.promptVersion,
      baseRevision: draft.baseRevision,
      currentRevision: draft.currentRevision,
      acceptedRevision: draft.acceptedRevision,
      requestedBy: draft.requestedBy ?? 'A former member',
      requestedAt: at(draft.createdAt),
      finishedAt: at(draft.finishedAt),
      flagged: statements.filter((s) => s.flagged).length,
    },
    sections: POSTMORTEM_SECTIONS.map((section) => ({
      section,
      label: POSTMORTEM_SECTION_LABELS[section],
      statements: statements
        .filter((s) => s.section === section)
        .map((s) => ({ text: s.text, seqs: s.eventSeqs, flagged: s.flagged })),
    })),
    timeline: draft.result?.timeline ?? [],
  }
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const member = await requireMember(request, context, 'incident.view')
  const number = requireIncidentNumber(params.number)
  const draftId = params.draftId ?? ''
  const submission = parseWithZod(await readFormData(request), { schema })
  if (submission.status !== 'success')
    return data({ result: submission.reply({ formErrors: [CHOOSE] }) }, { status: 400 })
  const postmortemUrl = `/incidents/${number}/postmortem`
  try {
    if (submission.value.intent === 'accept') {
      const { revision } = await acceptDraft(context.orm, member, number, draftId, clockNow())
      return redirectWithFlash(
        postmortemUrl,
        {
          kind: 'success',
          message: `Accepted the draft as revision ${revision}. Review and edit it before publishing.`,
        },
        context.env,
        { status: 303 },
      )
    }
    await discardDraft(context.orm, member, number, draftId, clockNow())
    return redirectWithFlash(
      postmortemUrl,
      { kind: 'info', message: 'Discarded the draft. The postmortem is unchanged.' },
      context.env,
      { status: 303 },
    )
  } catch (error) {
    return replyWithDomainError(submission, error)
  }
}

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `Draft · INC-${data.draft.number} postmortem · IncidentFlow` : 'Draft' },
]

export default function DraftPage() {
  const { draft, sections, timeline } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const inProgress = draft.status === 'queued' || draft.status === 'running'
  const eventHref = (seq: number) => `/incidents/${draft.number}#event-${seq}`
  const outdated = draft.status === 'done' && draft.currentRevision !== draft.baseRevision
  const canDiscard = draft.status !== 'accepted' && draft.status !== 'discarded'

  return (
    <div className="max-w-3xl space-y-6">
      <header className="space-y-1">
        <p className="text-sm">
          <Link to={`/incidents/${draft.number}/postmortem`} className="text-brand-700 underline">
            Postmortem of INC-{draft.number}
          </Link>
        </p>
        <h1 className="text-2xl font-bold">Draft</h1>
        <p className="text-sm text-slate-600">
          INC-{draft.number} · {draft.title}
        </p>
      </header>

      <FormError errors={actionData?.result.error?.[''] ?? null} />

      <section
        aria-labelledby="status-heading"
        className="rounded-lg border border-slate-200 bg-white p-4"
      >
        <h2 id="status-heading" className="text-lg font-semibold">
          Status: <span data-draft-status={draft.status}>{DRAFT_STATUS_WORDS[draft.status]}</span>
        </h2>
        <div role="status" className="mt-2 space-y-2 text-sm">
          {draft.status === 'queued' ? <p>Waiting for the worker to start.</p> : null}
          {draft.status === 'running' ? (
            <p>
              {draft.mode === 'llm'
                ? 'Waiting for the language model to answer.'
                : 'Writing the draft from the incident record.'}
            </p>
          ) : null}
          {draft.status === 'failed' ? (
            <p className="text-red-800">
              The draft could not be made. Reason: {draft.error ?? 'unknown'}
            </p>
          ) : null}
          {draft.status === 'done' ? (
            <p>
              Nothing in the postmortem changes until you accept this draft. Accepting replaces the
              sections and the timeline with the draft as a new revision, which you can then edit.
              {draft.flagged
                ? ` ${draft.flagged} ${draft.flagged === 1 ? 'statement cites' : 'statements cite'} no event: check ${draft.flagged === 1 ? 'it' : 'them'} before relying on ${draft.flagged === 1 ? 'it' : 'them'}.`
                : ''}
            </p>
          ) : null}
          {draft.status === 'accepted' ? (
            <p>
              Accepted as revision {draft.acceptedRevision}.{' '}
              <Link to={`/incidents/${draft.number}/postmortem`} className="underline">
                Open the postmortem
              </Link>
            </p>
          ) : null}
          {draft.status === 'discarded' ? <p>This draft was discarded.</p> : null}
          {outdated ? (
            <p className="text-red-800">
              The postmortem was saved as revision {draft.currentRevision} after this draft was
              requested on revision {draft.baseRevision}, so it can no longer be accepted. Generate
              a new draft from the postmortem page.
            </p>
          ) : null}
        </div>
        {inProgress ? (
          <p className="mt-3 text-sm">
            <PendingRefresh />
          </p>
        ) : null}
      </section>

      <section aria-labelledby="about-heading" className="space-y-2">
        <h2 id="about-heading" className="text-lg font-semibold">
          About this draft
        </h2>
        <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
          <dt className="font-medium text-slate-700">Source</dt>
          <dd>{DRAFT_MODE_WORDS[draft.mode]}</dd>
          {draft.mode === 'llm' ? (
            <>
              <dt className="font-medium text-slate-700">Model</dt>
              <dd>{draft.model ?? '—'}</dd>
            </>
          ) : null}
          <dt className="font-medium text-slate-700">Prompt version</dt>
          <dd>{draft.promptVersion ?? '—'}</dd>
          <dt className="font-medium text-slate-700">Requested by</dt>
          <dd>
            {draft.requestedBy}, {draft.requestedAt}
          </dd>
          {draft.finishedAt ? (
            <>
              <dt className="font-medium text-slate-700">Generated</dt>
              <dd>{draft.finishedAt}</dd>
            </>
          ) : null}
          <dt className="font-medium text-slate-700">Based on</dt>
          <dd>
            {draft.baseRevision === 0 ? 'an empty postmortem' : `revision ${draft.baseRevision}`}
          </dd>
        </dl>
      </section>

      {draft.status === 'done' || draft.status === 'accepted' ? (
        <>
          {sections.map(({ section, label, statements }) => (
            <section key={section} aria-labelledby={`section-${section}`} className="space-y-2">
              <h2 id={`section-${section}`} className="text-lg font-semibold">
                {label}
              </h2>
              {statements.length === 0 ? (
                <p className="text-sm text-slate-600">The draft leaves this section empty.</p>
              ) : (
                <ul className="space-y-2 text-sm">
                  {statements.map((s, i) => (
                    <li
                      key={i}
                      className={
                        s.flagged
                          ? 'rounded-md border border-amber-400 bg-amber-50 p-2'
                          : 'rounded-md border border-slate-200 bg-white p-2'
                      }
                    >
                      <p>{s.text}</p>
                      <p className="mt-1 text-xs text-slate-600">
                        {s.flagged ? (
                          <strong className="text-amber-900">No cited event</strong>
                        ) : (
                          <>
                            {s.seqs.length === 1 ? 'Cites event' : 'Cites events'}{' '}
                            {s.seqs.map((seq, j) => (
                              <span key={seq}>
                                {j > 0 ? ', ' : ''}
                                <a href={eventHref(seq)} className="text-brand-700 underline">
                                  #{seq}
                                </a>
                              </span>
                            ))}
                          </>
                        )}
                      </p>
                    </li>
                  ))}
                </ul>
              )}
            </section>
          ))}

          <section aria-labelledby="timeline-heading" className="space-y-2">
            <h2 id="timeline-heading" className="text-lg font-semibold">
              Timeline
            </h2>
            {timeline.length === 0 ? (
              <p className="text-sm text-slate-600">No events chosen.</p>
            ) : (
              <ul className="space-y-1 text-sm">
                {timeline.map((entry) => (
                  <li key={entry.seq}>
                    <a href={eventHref(entry.seq)} className="text-brand-700 underline">
                      #{entry.seq}
                    </a>{' '}
                    {entry.note}
                  </li>
                ))}
              </ul>
            )}
          </section>
        </>
      ) : null}

      {canDiscard ? (
        <div className="flex flex-wrap gap-3">
          {draft.status === 'done' && !outdated ? (
            <Form method="post">
              <SubmitButton name="intent" value="accept">
                Accept draft
              </SubmitButton>
            </Form>
          ) : null}
          <Form method="post">
            <SubmitButton name="intent" value="discard" variant="secondary">
              Discard draft
            </SubmitButton>
          </Form>
        </div>
      ) : null}
    </div>
  )
}

export function ErrorBoundary() {
  const error = useRouteError()
  return <ErrorPage status={isRouteErrorResponse(error) ? error.status : 500} error={error} />
}
