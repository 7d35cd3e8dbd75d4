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
import { incidentFormSchemas, type IncidentIntent } from '~/components/incident/incident-forms'
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
import { Timeline } from '~/components/timeline'
import { PublicUpdatesLink } from '~/components/status/public-updates-link'
import { requireMember } from '~/domain/access/guard.server'
import { customFieldsFromForm } from '~/domain/custom-fields/custom-field-values'
import { setCustomFieldValues } from '~/domain/incident/custom-field-changes.server'
import { DomainError } from '~/domain/domain-error'
import { isConflict } from '~/domain/domain-error'
import { incidentPageView } from '~/domain/incident/incident-page.server'
import {
  addComment,
  assignIncident,
  changeSeverity,
  correctComment,
  editIncident,
  forceEscalate,
  transitionIncident,
} from '~/domain/incident/incident-service.server'
import { requireIncidentNumber } from '~/domain/incident/incident-number'
import { assignIncidentRoles } from '~/domain/incident/incident-roles.server'
import {
  addRelatedLink,
  reclassifyIncident,
  removeRelatedLink,
  undoReclassification,
} from '~/domain/incident/reclassification.server'
import { timelineWindowFrom } from '~/domain/incident/timeline.server'
import { isHigher } from '~/domain/incident/triage'
import { classificationText } from '~/domain/incident/classification'
import { SEVERITIES, type Severity } from '~/domain/incident/vocabulary'
import { now as clockNow } from '~/utils/clock'
import { replyWithDomainError } from '~/utils/error-reply.server'
import { redirectWithFlash } from '~/utils/flash.server'
import { readFormData } from '~/utils/form-data.server'
import { fromLocalInput } from '~/utils/time'

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
  return view
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
  const input = submission.value
  try {
    let message = 'Saved.'
    switch (input.intent) {
      case 'transition': {
        const done = await transitionIncident(context.orm, member, number, {
          action: input.action,
          reason: input.reason,
          version: input.version,
          customFields: customFieldsFromForm(formData),
        })
        message = `Status is now ${done.status[0]!.toUpperCase()}${done.status.slice(1)}.`
        break
      }
      case 'severity':
        await changeSeverity(context.orm, member, number, input)
        message = `Severity changed to ${input.severity}.`
        break
      case 'escalate':
        await forceEscalate(context.orm, member, number, {
          severity: input.severity,
          reason: input.reason,
          takeCommand: input.takeCommand === 'on',
          version: input.version,
        })
        message = `Escalated to ${input.severity}.`
        break
      case 'assign':
        await assignIncident(context.orm, member, number, {
          commanderId: input.commanderId || null,
          assigneeIds: input.assigneeIds,
          version: input.version,
        })
        message = 'Ownership updated.'
        break
      case 'comment':
        await addComment(context.orm, member, number, input)
        message = 'Comment added.'
        break
      case 'correct':
        await correctComment(context.orm, member, number, input)
        message = 'Comment corrected.'
        break
      case 'custom-fields':
        await setCustomFieldValues(context.orm, member, number, {
          values: customFieldsFromForm(formData),
          version: input.version,
        })
        message = 'Fields saved.'
        break
      case 'edit': {
        const impactStartedAt = input.impactStartedAt
          ? fromLocalInput(input.impactStartedAt, member.organization.timezone)
          : undefined
        if (input.impactStartedAt && !impactStartedAt)
          throw new DomainError('Enter a date and time', { field: 'impactStartedAt' })
        await editIncident(context.orm, member, number, {
          title: input.title,
          summary: input.summary,
          serviceId: input.serviceId || null,
          incidentTypeId: input.incidentTypeId || null,
          ...(impactStartedAt ? { impactStartedAt } : {}),
          version: input.version,
        })
        message = 'Details saved.'
        break
      }
      case 'reclassify': {
        const done = await reclassifyIncident(context.orm, member, number, input)
        message = `Reclassified: ${classificationText(done.classification, done.targetNumber)}.`
        break
      }
      case 'undo-reclassify':
        await undoReclassification(context.orm, member, number, input)
        message = 'Reclassification undone: this is an incident again.'
        break
      case 'link':
        await addRelatedLink(context.orm, member, number, input)
        message = `Linked to INC-${input.relatedNumber}.`
        break
      case 'unlink':
        await removeRelatedLink(context.orm, member, number, input)
        message = `Link to INC-${input.relatedNumber} removed.`
        break
      case 'roles': {
        const holders: Record<string, string | null> = {}
        input.roleId.forEach((roleId, k) => (holders[roleId] = input.holder[k] || null))
        await assignIncidentRoles(context.orm, member, number, {
          holders,
          version: input.version,
        })
        message = 'Roles saved.'
        break
      }
    }
    return redirectWithFlash(`/incidents/${number}`, { kind: 'success', message }, context.env)
  } catch (error) {
    return replyWithDomainError(submission, error, {
      extra: { intent, conflict: isConflict(error) },
    })
  }
}

export default function IncidentPage() {
  const view = useLoaderData<typeof loader>()
  const { incident, canWork, canAssign, canEscalate, viewerId, canCorrectAny } = view
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
              entries={view.timeline}
              version={incident.version}
              canCorrect={(entry) => canWork && (canCorrectAny || entry.actorId === viewerId)}
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
          <CustomFieldsSection
            key={`fields-${submissions}`}
            customFields={view.customFields}
            version={incident.version}
            canEdit={(canWork || canAssign) && open}
            actionData={actionData}
          />
          <PublicUpdatesLink number={incident.number} />
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
