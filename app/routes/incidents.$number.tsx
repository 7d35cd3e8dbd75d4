import { parseWithZod } from '@conform-to/zod/v4'
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { data } from '@remix-run/node'
import {
  isRouteErrorResponse,
  useActionData,
  useLoaderData,
  useRouteError,
  type ShouldRevalidateFunction,
} from '@remix-run/react'
import { ErrorPage } from '~/components/error-page'
import { CommentForm } from '~/components/incident/comment-form'
import { CustomFieldsSection } from '~/components/incident/custom-fields-section'
import { ConflictNotice } from '~/components/incident/conflict-notice'
import { EditDetailsForm } from '~/components/incident/edit-details-form'
import { EscalateForm } from '~/components/incident/escalate-form'
import { EvidenceSection } from '~/components/incident/evidence-section'
import { resultFor } from '~/components/incident/form-result'
import { incidentFormSchemas, type IncidentIntent } from '~/domain/incident/incident-forms'
import { IncidentDetails } from '~/components/incident/incident-details'
import { IncidentHeader } from '~/components/incident/incident-header'
import { IncidentStatus } from '~/components/incident/incident-status'
import { IncidentSummary } from '~/components/incident/incident-summary'
import { NextSteps } from '~/components/incident/next-steps'
import { OwnershipForm } from '~/components/incident/ownership-form'
import { SeverityForm } from '~/components/incident/severity-form'
import { IncidentRoles } from '~/components/incident/incident-roles-form'
import {
  ClassificationNotice,
  ReclassifyForm,
  RelatedIncidents,
} from '~/components/incident/reclassification'
import { LiveIncident } from '~/components/live/live-incident'
import { useSubmissionCount } from '~/components/live/use-submission-count'
import { SlaClocks } from '~/components/incident/sla-clocks'
import { TimelineExports } from '~/components/incident/timeline-exports'
import { VisibilitySection } from '~/components/incident/visibility-section'
import { TIMELINE_ENTRIES_ID, Timeline } from '~/components/timeline'
import { timelineShown } from '~/components/timeline-markup.server'
import { PublicUpdatesLink } from '~/components/status/public-updates-link'
import { requireMember } from '~/domain/access/guard.server'
import { isConflict } from '~/domain/domain-error'
import { incidentPageView } from '~/domain/incident/incident-page.server'
import { applyIncidentPageForm } from '~/domain/incident/incident-page-actions.server'
import { requireIncidentNumber } from '~/domain/incident/incident-number'
import { timelineWindowFrom } from '~/domain/incident/timeline.server'
import { correctableBy } from '~/domain/incident/timeline-view'
import { isHigher } from '~/domain/incident/triage'
import { SEVERITIES, type Severity } from '~/domain/incident/vocabulary'
import { now as clockNow } from '~/utils/clock'
import { markupForPage } from '~/utils/document-markup.server'
import { replyWithDomainError } from '~/utils/error-reply.server'
import { redirectWithFlash } from '~/utils/flash.server'
import { readFormData } from '~/utils/form-data.server'

/**
 * A stale submission is refused with 409 and the page must then show the incident as it is now,
 * with the current version in every form, or the next try is refused again. Loaders are not
 * re-run after a 4xx action by default (single fetch), so this route asks for it on 409.
 */
export const shouldRevalidate: ShouldRevalidateFunction = ({
  actionStatus,
  defaultShouldRevalidate,
}) => (actionStatus === 409 ? true : defaultShouldRevalidate)

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  {
    title: data
      ? `INC-${data.incident.number}: ${data.incident.title} · IncidentFlow`
      : 'Incident · IncidentFlow',
  },
]

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'incident.view')
  const number = requireIncidentNumber(params.number)
  const url = new URL(request.url)
  const correct = Number(url.searchParams.get('correct'))
  const view = await incidentPageView(context.orm, member, number, {
    timelineWindow: timelineWindowFrom(url),
    correcting: Number.isInteger(correct) && correct > 0 ? correct : null,
    evidenceMaxBytes: context.env.EVIDENCE_MAX_BYTES,
    now: clockNow(),
  })
  if (!view) throw new Response('Incident not found', { status: 404 })
  const { timeline, ...page } = view
  return {
    ...page,
    timeline: timelineShown(
      member.organization.id,
      timeline,
      correctableBy(view),
      view.timelinePaging,
      { forPage: (markup) => markupForPage(context, TIMELINE_ENTRIES_ID, markup) },
    ),
  }
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const member = await requireMember(request, context, 'incident.view')
  const number = requireIncidentNumber(params.number)
  const formData = await readFormData(request)
  const intent = String(formData.get('intent') ?? '') as IncidentIntent
  const schema = incidentFormSchemas[intent]
  if (!schema) throw new Response('Bad request', { status: 400 })
  const submission = parseWithZod(formData, { schema })
  if (submission.status !== 'success') {
    return data({ intent, result: submission.reply(), conflict: false }, { status: 400 })
  }
  try {
    const message = await applyIncidentPageForm(
      context.orm,
      member,
      number,
      submission.value,
      formData,
    )
    return redirectWithFlash(`/incidents/${number}`, { kind: 'success', message }, context.env)
  } catch (error) {
    return replyWithDomainError(submission, error, {
      extra: { intent, conflict: isConflict(error) },
    })
  }
}

export default function IncidentPage() {
  const view = useLoaderData<typeof loader>()
  const { incident, canWork, canAssign, canEscalate, viewerId } = view
  const actionData = useActionData<typeof action>()
  const conflict = actionData?.conflict ? actionData.result.error?.['']?.[0] : null
  // Closed, or reclassified (frozen until undone): the forms that change it are not offered.
  const open = !incident.closed && view.relations.classification.value === 'incident'
  const higher = SEVERITIES.filter((s) => isHigher(s, incident.severity as Severity))
  const submissions = useSubmissionCount()

  return (
    <div className="space-y-6">
      <IncidentHeader incident={incident} />
      <LiveIncident number={incident.number} version={incident.version} />
      {conflict ? <ConflictNotice>{conflict}</ConflictNotice> : null}
      {view.relations.classification.value !== 'incident' ? (
        <ClassificationNotice
          key={`classification-${submissions}`}
          classification={view.relations.classification}
          version={incident.version}
          canUndo={view.relations.canReclassify}
          result={resultFor(actionData, 'undo-reclassify')}
        />
      ) : null}

      {/* The room: on wide screens the timeline (with the comment box on top) beside a column of
          status, next step and SLA, with the rarely used forms under them; on narrow screens one
          column, in the order of the markup: status and next step, comment and timeline, the rest.
          Forms are keyed by the submissions made here: after one they start empty again (with
          JavaScript the page is not reloaded, so typed text would otherwise stay and invite a
          second submission), while live updates of the incident keep what is being typed. A
          refused submission's text is echoed back through the action data. */}
      <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_22rem] lg:grid-rows-[auto_1fr]">
        <div
          className="min-w-0 space-y-4 lg:col-start-2 lg:row-start-1"
          data-incident-column="side"
        >
          <IncidentStatus incident={incident} postmortemStatus={view.postmortemStatus} />
          {view.nextSteps.length > 0 ? (
            <NextSteps
              steps={view.nextSteps}
              version={incident.version}
              actionData={actionData}
              customFieldMembers={view.customFields.members}
            />
          ) : null}
          {view.sla && view.sla.clocks.length > 0 ? (
            <SlaClocks sla={view.sla} severity={incident.severity} renderedAt={view.renderedAt} />
          ) : null}
        </div>

        <div
          className="min-w-0 space-y-6 lg:col-start-1 lg:row-span-2 lg:row-start-1"
          data-incident-column="main"
        >
          {canWork ? (
            <CommentForm
              key={submissions}
              version={incident.version}
              result={resultFor(actionData, 'comment')}
            />
          ) : null}
          <section aria-labelledby="timeline-heading" id="timeline">
            <div className="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1">
              <h2 id="timeline-heading" className="text-lg font-semibold">
                Timeline
              </h2>
              <TimelineExports number={incident.number} />
            </div>
            <Timeline
              shown={view.timeline}
              version={incident.version}
              canCorrect={correctableBy(view)}
              paging={view.timelinePaging}
            />
          </section>
        </div>

        <div
          className="min-w-0 space-y-4 lg:col-start-2 lg:row-start-2"
          data-incident-column="side"
        >
          {incident.summaryHtml ? <IncidentSummary html={incident.summaryHtml} /> : null}
          <IncidentDetails incident={incident} />
          <PublicUpdatesLink number={incident.number} />
          <CustomFieldsSection
            key={`fields-${submissions}`}
            customFields={view.customFields}
            version={incident.version}
            canEdit={(canWork || canAssign) && open}
            actionData={actionData}
          />
          <IncidentRoles
            key={`roles-${submissions}`}
            roles={view.relations.roles}
            members={view.members}
            version={incident.version}
            canAssign={view.relations.canAssignRoles}
            result={resultFor(actionData, 'roles')}
          />
          <RelatedIncidents
            key={`links-${submissions}`}
            links={view.relations.links}
            version={incident.version}
            canLink={view.relations.canLink}
            result={resultFor(actionData, 'link') ?? resultFor(actionData, 'unlink')}
          />
          {view.visibility ? (
            <VisibilitySection
              view={view.visibility}
              result={(intent) => resultFor(actionData, intent)}
            />
          ) : null}
          <div className="space-y-4" data-no-print key={submissions}>
            {canWork && open ? (
              <SeverityForm
                version={incident.version}
                severity={incident.severity}
                result={resultFor(actionData, 'severity')}
              />
            ) : null}
            {canEscalate && open && higher.length > 0 ? (
              <EscalateForm
                version={incident.version}
                higher={higher}
                takeCommandByDefault={incident.commanderId !== viewerId}
                result={resultFor(actionData, 'escalate')}
              />
            ) : null}
            {canAssign && open ? (
              <OwnershipForm
                incident={incident}
                members={view.members}
                result={resultFor(actionData, 'assign')}
              />
            ) : null}
            {(canWork || canAssign) && open ? (
              <EditDetailsForm
                incident={incident}
                services={view.services}
                types={view.types}
                result={resultFor(actionData, 'edit')}
              />
            ) : null}
            {view.relations.canReclassify && view.relations.classification.value === 'incident' ? (
              <ReclassifyForm
                version={incident.version}
                result={resultFor(actionData, 'reclassify')}
              />
            ) : null}
          </div>
          <EvidenceSection
            number={incident.number}
            evidence={view.evidence}
            evidenceLimit={view.evidenceLimit}
            canChange={canWork && open}
          />
        </div>
      </div>
    </div>
  )
}

export function ErrorBoundary() {
  const error = useRouteError()
  return <ErrorPage status={isRouteErrorResponse(error) ? error.status : 500} error={error} />
}
