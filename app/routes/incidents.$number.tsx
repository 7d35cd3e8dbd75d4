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
import { SeverityBadge, StatusBadge } from '~/components/badges'
import { ErrorPage } from '~/components/error-page'
import { FormError } from '~/components/form-error'
import { Field, SelectField, SubmitButton, TextareaField } from '~/components/forms'
import { Timeline, type TimelineEntry, type TimelinePaging } from '~/components/timeline'
import { requireMember } from '~/domain/access/guard.server'
import { IncidentConflictError, IncidentError } from '~/domain/incident/incident-errors'
import { getIncidentWithTimeline } from '~/domain/incident/incident-queries.server'
import {
  addComment,
  assignIncident,
  changeSeverity,
  correctComment,
  editIncident,
  forceEscalate,
  transitionIncident,
} from '~/domain/incident/incident-service.server'
import { TRANSITION_ACTIONS, type TransitionAction } from '~/domain/incident/lifecycle'
import { isHigher } from '~/domain/incident/triage'
import { describeEvent } from '~/domain/incident/describe-event.server'
import type { StoredEvent } from '~/domain/incident/events'
import { runKind } from '~/domain/incident/timeline-runs'
import { timelineWindowFrom, timelineWindowQuery } from '~/domain/incident/timeline.server'
import {
  COMMENT_MAX,
  SEVERITIES,
  SEVERITY_DESCRIPTIONS,
  type Severity,
} from '~/domain/incident/vocabulary'
import { redirectWithFlash } from '~/utils/flash.server'
import { listAttachments } from '~/domain/evidence/evidence.server'
import { postmortemStatusOf } from '~/domain/postmortem/postmortem.server'
import { POSTMORTEM_STATUS_LABELS } from '~/domain/postmortem/vocabulary'
import { formatDuration, formatInZone, fromLocalInput, toLocalInput, utcTitle } from '~/utils/time'
import { clocksFor } from '~/domain/sla/sla.server'
import { now as clockNow } from '~/utils/clock'
import { Countdown, SlaBadge } from '~/components/sla'
import { SLA_TARGET_LABELS, formatDuration as formatSlaDuration } from '~/domain/sla/policy'
import { requireIncidentNumber } from '~/domain/incident/incident-number'
import { replyErrors } from '~/utils/form-errors'
import { readFormData } from '~/utils/form-data.server'

const version = z.coerce.number().int().min(0)
const reason = z.string({ error: 'Give a reason' }).trim().min(1, 'Give a reason').max(1000)

const schemas = {
  transition: z.object({
    intent: z.literal('transition'),
    action: z.enum(TRANSITION_ACTIONS as [TransitionAction, ...TransitionAction[]]),
    reason: z.string().trim().max(1000).optional(),
    version,
  }),
  severity: z.object({
    intent: z.literal('severity'),
    severity: z.enum(SEVERITIES),
    reason,
    version,
  }),
  escalate: z.object({
    intent: z.literal('escalate'),
    severity: z.enum(SEVERITIES),
    reason,
    takeCommand: z.literal('on').optional(),
    version,
  }),
  assign: z.object({
    intent: z.literal('assign'),
    commanderId: z.union([z.uuid(), z.literal('')]).optional(),
    assigneeIds: z.preprocess(
      (v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]),
      z.array(z.uuid()),
    ),
    version,
  }),
  comment: z.object({
    intent: z.literal('comment'),
    body: z
      .string({ error: 'Write a comment first' })
      .trim()
      .min(1, 'Write a comment first')
      .max(COMMENT_MAX),
    version,
  }),
  edit: z.object({
    intent: z.literal('edit'),
    title: z
      .string({ error: 'Give the incident a title' })
      .trim()
      .min(3, 'Use at least 3 characters')
      .max(200),
    summary: z.string().max(COMMENT_MAX).optional().default(''),
    serviceId: z.union([z.uuid(), z.literal('')]).optional(),
    incidentTypeId: z.union([z.uuid(), z.literal('')]).optional(),
    impactStartedAt: z.string().max(32).optional(),
    version,
  }),
  correct: z.object({
    intent: z.literal('correct'),
    seq: z.coerce.number().int().min(1),
    body: z
      .string({ error: 'Write the corrected comment' })
      .trim()
      .min(1, 'Write the corrected comment')
      .max(COMMENT_MAX),
    version,
  }),
} as const
type Intent = keyof typeof schemas

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
  const timelineWindow = timelineWindowFrom(url)
  const detail = await getIncidentWithTimeline(context.orm, member, number, timelineWindow)
  if (!detail) throw new Response('Incident not found', { status: 404 })
  const { incident, people } = detail
  const timeZone = member.organization.timezone
  const name = (id: string | null | undefined) =>
    id ? (people.get(id)?.name ?? 'Former member') : null
  const serviceName = (id: string | null) => detail.services.find((s) => s.id === id)?.name ?? null
  const typeName = (id: string | null) => detail.types.find((t) => t.id === id)?.name ?? null

  const attachments = await listAttachments(context.orm, member.organization.id, incident.id)
  const postmortemStatus =
    incident.status === 'postmortem' || incident.status === 'closed'
      ? ((await postmortemStatusOf(context.orm, member.organization.id, incident.id)) ?? 'draft')
      : null
  const evidenceHref = (id: string) => `/incidents/${incident.number}/evidence/${id}`
  const attachmentOf = (e: StoredEvent): TimelineEntry['attachment'] => {
    if (e.type !== 'attachment.added') return undefined
    const row = attachments.find((a) => a.id === e.payload.attachmentId)
    if (!row) return undefined
    return {
      href: evidenceHref(row.id),
      previewHref:
        row.contentType.startsWith('image/') && !row.withdrawnAt
          ? `${evidenceHref(row.id)}?inline=1`
          : null,
      sha256: row.sha256,
      withdrawn: Boolean(row.withdrawnAt),
    }
  }
  const words = (e: StoredEvent) =>
    describeEvent(e, { name, serviceName, typeName, timeZone, formatBytes })
  const timeline = detail.timeline.items.map(({ event: e, html, supersededBy, run }) => {
    const described = words(e)
    const entry: TimelineEntry = {
      seq: e.seq,
      type: e.type,
      actor: name(e.actorId) ?? 'System',
      actorId: e.actorId,
      at: formatInZone(e.occurredAt, timeZone),
      atIso: e.occurredAt,
      hash: e.hash,
      summary: described.summary,
    }
    if (described.detail) entry.detail = described.detail
    if (html !== null) entry.html = html
    if (supersededBy !== null) entry.supersededBy = supersededBy
    const attachment = attachmentOf(e)
    if (attachment) entry.attachment = attachment
    if (run)
      entry.run = {
        size: run.size,
        kind: runKind(e.type),
        firstSeq: run.firstSeq,
        firstAt: formatInZone(run.firstAt, timeZone),
        firstAtUtc: utcTitle(run.firstAt),
        earlier: run.earlier.map((earlier) => ({
          seq: earlier.seq,
          at: formatInZone(earlier.occurredAt, timeZone),
          atIso: earlier.occurredAt,
          ...words(earlier),
        })),
      }
    return entry
  })
  const correct = Number(url.searchParams.get('correct'))
  const timelinePaging: TimelinePaging = {
    path: `/incidents/${incident.number}`,
    query: timelineWindowQuery(timelineWindow),
    olderBefore: detail.timeline.olderBefore,
    newerAfter: detail.timeline.newerAfter,
    total: detail.timeline.total,
    all: detail.timeline.all,
    correcting: Number.isInteger(correct) && correct > 0 ? correct : null,
  }

  const now = Date.now()
  const at = clockNow()
  const sla = detail.slaPolicy
    ? {
        policyVersion: detail.slaPolicy.version,
        clocks: clocksFor(incident, detail.slaPolicy.targets, at).map((c) => ({
          target: c.target,
          label: SLA_TARGET_LABELS[c.target],
          state: c.state,
          length: formatSlaDuration(c.seconds),
          dueAt: c.dueAt.toISOString(),
          dueAtText: formatInZone(c.dueAt.toISOString(), timeZone),
          reachedAtText: c.reachedAt ? formatInZone(c.reachedAt.toISOString(), timeZone) : null,
        })),
      }
    : null
  return {
    postmortemStatus,
    viewerId: member.user.id,
    sla,
    renderedAt: at.toISOString(),
    canCorrectAny: member.role === 'admin',
    evidence: attachments
      .filter((a) => !a.withdrawnAt)
      .map((a) => ({
        id: a.id,
        name: a.displayName,
        size: formatBytes(a.sizeBytes),
        contentType: a.contentType,
        href: evidenceHref(a.id),
        sha256: a.sha256,
        uploadedBy: name(a.uploadedBy) ?? 'Former member',
      })),
    evidenceLimit: formatBytes(context.env.EVIDENCE_MAX_BYTES),
    timeZone,
    incident: {
      number: incident.number,
      title: incident.title,
      summaryHtml: detail.summaryHtml,
      summary: incident.summary,
      serviceId: incident.serviceId ?? null,
      incidentTypeId: incident.incidentTypeId ?? null,
      impactStartedAtLocal: toLocalInput(incident.impactStartedAt.toISOString(), timeZone),
      status: incident.status,
      severity: incident.severity,
      version: incident.version,
      service: serviceName(incident.serviceId ?? null),
      type: typeName(incident.incidentTypeId ?? null),
      commanderId: incident.commanderId ?? null,
      commander: name(incident.commanderId),
      assigneeIds: incident.assigneeIds,
      assignees: incident.assigneeIds.map((id) => name(id) ?? 'Former member'),
      declaredBy: name(incident.declaredById),
      declaredAt: formatInZone(incident.declaredAt.toISOString(), timeZone),
      declaredAtUtc: utcTitle(incident.declaredAt.toISOString()),
      impactStartedAt: formatInZone(incident.impactStartedAt.toISOString(), timeZone),
      impactStartedAtUtc: utcTitle(incident.impactStartedAt.toISOString()),
      age: formatDuration(now - incident.impactStartedAt.getTime()),
      closed: incident.status === 'closed',
    },
    nextSteps: detail.nextSteps.map((t) => ({
      action: t.action,
      label: t.label,
      requiresReason: t.requiresReason,
    })),
    canWork: detail.canWork,
    canAssign: detail.canAssign,
    canEscalate: detail.canEscalate,
    members: detail.members,
    services: detail.services.filter((x) => x.active || x.id === incident.serviceId),
    types: detail.types.filter((x) => x.active || x.id === incident.incidentTypeId),
    timeline,
    timelinePaging,
  }
}

function formatBytes(size: number) {
  if (size < 1024) return `${size} B`
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KB`
  return `${(size / 1024 / 1024).toFixed(1)} MB`
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const member = await requireMember(request, context, 'incident.view')
  const number = requireIncidentNumber(params.number)
  const formData = await readFormData(request)
  const intent = String(formData.get('intent') ?? '') as Intent
  const schema = schemas[intent]
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
      case 'edit': {
        const impactStartedAt = input.impactStartedAt
          ? fromLocalInput(input.impactStartedAt, member.organization.timezone)
          : undefined
        if (input.impactStartedAt && !impactStartedAt) {
          return data(
            {
              intent,
              result: submission.reply({
                fieldErrors: { impactStartedAt: ['Enter a date and time'] },
              }),
              conflict: false,
            },
            { status: 400 },
          )
        }
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
    }
    return redirectWithFlash(`/incidents/${number}`, { kind: 'success', message }, context.env)
  } catch (error) {
    if (error instanceof IncidentConflictError) {
      return data(
        { intent, result: submission.reply({ formErrors: [error.message] }), conflict: true },
        { status: 409 },
      )
    }
    if (error instanceof IncidentError) {
      if (error.status === 404) throw new Response(error.message, { status: 404 })
      if (error.status === 403) throw new Response(error.message, { status: 403 })
      const errors = replyErrors(error)
      return data({ intent, result: submission.reply(errors), conflict: false }, { status: 400 })
    }
    throw error
  }
}

type ActionData = ReturnType<typeof useActionData<typeof action>>

/** Errors and echoed values of the form that was submitted, if it is this one. */
function resultFor(actionData: ActionData, intent: Intent, key?: string) {
  if (!actionData || actionData.intent !== intent) return null
  const result = actionData.result
  if (
    key !== undefined &&
    (result.initialValue as Record<string, unknown> | undefined)?.[
      intent === 'transition' ? 'action' : 'seq'
    ] !== key
  ) {
    return null
  }
  return {
    formErrors: result.error?.[''] ?? null,
    fieldErrors: (name: string) => result.error?.[name] ?? null,
    value: (name: string) => {
      const v = (result.initialValue as Record<string, unknown> | undefined)?.[name]
      return typeof v === 'string' ? v : undefined
    },
    conflict: actionData.conflict,
  }
}

const severityOptions = SEVERITIES.map((s) => ({
  value: s,
  label: `${s} — ${SEVERITY_DESCRIPTIONS[s]}`,
}))

export default function IncidentPage() {
  const {
    incident,
    nextSteps,
    canWork,
    canAssign,
    canEscalate,
    members,
    timeline,
    timelinePaging,
    viewerId,
    canCorrectAny,
    evidence,
    evidenceLimit,
    services,
    types,
    sla,
    renderedAt,
    postmortemStatus,
  } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const conflict = actionData?.conflict ? actionData.result.error?.['']?.[0] : null
  const comment = resultFor(actionData, 'comment')
  const severity = resultFor(actionData, 'severity')
  const escalate = resultFor(actionData, 'escalate')
  const assign = resultFor(actionData, 'assign')
  const edit = resultFor(actionData, 'edit')
  const higher = SEVERITIES.filter((s) => isHigher(s, incident.severity as Severity))

  return (
    <div className="space-y-8">
      <header className="space-y-3">
        <p className="text-sm text-slate-600">
          <Link to="/incidents" className="underline">
            Incidents
          </Link>{' '}
          / INC-{incident.number}
        </p>
        <h1 className="text-2xl font-bold break-words">
          <span className="text-slate-500">INC-{incident.number}</span> {incident.title}
        </h1>
        <div className="flex flex-wrap items-center gap-2">
          <StatusBadge status={incident.status} />
          <SeverityBadge severity={incident.severity} />
          <span className="text-sm text-slate-600">
            Impact for <strong>{incident.age}</strong>
          </span>
        </div>
        {postmortemStatus ? (
          <p className="text-sm">
            <Link
              to={`/incidents/${incident.number}/postmortem`}
              className="font-medium text-brand-700 underline"
            >
              Postmortem
            </Link>{' '}
            <span className="text-slate-600" data-testid="postmortem-status">
              ({POSTMORTEM_STATUS_LABELS[postmortemStatus]})
            </span>
          </p>
        ) : null}
        <dl className="grid gap-x-6 gap-y-1 text-sm sm:grid-cols-[max-content_1fr_max-content_1fr]">
          <dt className="text-slate-500">Service</dt>
          <dd>{incident.service ?? 'Not set'}</dd>
          <dt className="text-slate-500">Incident type</dt>
          <dd>{incident.type ?? 'Not set'}</dd>
          <dt className="text-slate-500">Commander</dt>
          <dd data-testid="commander">{incident.commander ?? 'Nobody yet'}</dd>
          <dt className="text-slate-500">Assignees</dt>
          <dd data-testid="assignees">
            {incident.assignees.length ? incident.assignees.join(', ') : 'Nobody yet'}
          </dd>
          <dt className="text-slate-500">Impact started</dt>
          <dd>
            <time title={incident.impactStartedAtUtc}>{incident.impactStartedAt}</time>
          </dd>
          <dt className="text-slate-500">Declared</dt>
          <dd>
            <time title={incident.declaredAtUtc}>{incident.declaredAt}</time>
            {incident.declaredBy ? ` by ${incident.declaredBy}` : ''}
          </dd>
        </dl>
        {sla && sla.clocks.length > 0 ? (
          <section aria-labelledby="sla-heading" className="rounded-md border border-slate-200 p-3">
            <h2 id="sla-heading" className="text-sm font-semibold">
              SLA{' '}
              <span className="font-normal text-slate-600">
                — {incident.severity} targets from impact start, policy v{sla.policyVersion}
              </span>
            </h2>
            <ul className="mt-2 space-y-1 text-sm">
              {sla.clocks.map((c) => (
                <li
                  key={c.target}
                  className="flex flex-wrap items-center gap-2"
                  data-sla-target={c.target}
                >
                  <SlaBadge state={c.state} label={c.label} />
                  <span>
                    {c.length} target, due <time dateTime={c.dueAt}>{c.dueAtText}</time>
                  </span>
                  <span className="text-slate-600">
                    {c.reachedAtText ? (
                      `reached ${c.reachedAtText}`
                    ) : (
                      <Countdown dueAt={c.dueAt} renderedAt={renderedAt} />
                    )}
                  </span>
                </li>
              ))}
            </ul>
          </section>
        ) : null}
        <p className="flex flex-wrap gap-3 text-sm" data-no-print>
          <a href={`/incidents/${incident.number}/timeline.csv`} className="underline">
            Timeline as CSV
          </a>
          <a href={`/incidents/${incident.number}/timeline.json`} className="underline">
            Timeline as JSON (with hashes)
          </a>
        </p>
      </header>

      {conflict ? (
        <div
          role="alert"
          className="rounded-md border border-amber-400 bg-amber-50 px-4 py-3 text-sm text-amber-900"
        >
          {conflict}
        </div>
      ) : null}

      {incident.summaryHtml ? (
        <section
          aria-labelledby="summary-heading"
          className="rounded-lg border border-slate-200 bg-white p-4"
        >
          <h2 id="summary-heading" className="text-sm font-semibold text-slate-500">
            Summary
          </h2>
          <div
            className="markdown mt-2 max-w-none break-words"
            dangerouslySetInnerHTML={{ __html: incident.summaryHtml }}
          />
        </section>
      ) : null}

      {nextSteps.length > 0 ? (
        <section aria-labelledby="steps-heading" data-no-print>
          <h2 id="steps-heading" className="text-lg font-semibold">
            Next step
          </h2>
          <div className="mt-3 flex flex-wrap items-start gap-3">
            {nextSteps.map((step) => {
              const result = resultFor(actionData, 'transition', step.action)
              return (
                <Form
                  method="post"
                  key={step.action}
                  aria-label={step.label}
                  className="flex flex-wrap items-end gap-2 rounded-lg border border-slate-200 bg-white p-3"
                >
                  <input type="hidden" name="intent" value="transition" />
                  <input type="hidden" name="action" value={step.action} />
                  <input type="hidden" name="version" value={incident.version} />
                  {result?.formErrors && !result.conflict ? (
                    <FormError errors={result.formErrors} />
                  ) : null}
                  {step.requiresReason ? (
                    <Field
                      label="Reason"
                      name="reason"
                      required
                      maxLength={1000}
                      className="mb-0"
                      defaultValue={result?.value('reason')}
                      errors={result?.fieldErrors('reason')}
                    />
                  ) : null}
                  <SubmitButton variant={step.action === 'reopen' ? 'secondary' : 'primary'}>
                    {step.label}
                  </SubmitButton>
                </Form>
              )
            })}
          </div>
        </section>
      ) : null}

      {/* Keyed by version: after a change the forms start empty again (with JavaScript the page is
          not reloaded, so typed text would otherwise stay and invite a second submission). A
          refused submission's text is echoed back through the action data. */}
      <div className="grid gap-6 lg:grid-cols-2" data-no-print key={incident.version}>
        {canWork && !incident.closed ? (
          <Form
            method="post"
            aria-label="Change severity"
            className="rounded-lg border border-slate-200 bg-white p-4"
          >
            <h2 className="mb-3 text-lg font-semibold">Change severity</h2>
            <input type="hidden" name="version" value={incident.version} />
            {severity?.formErrors && !severity.conflict ? (
              <FormError errors={severity.formErrors} />
            ) : null}
            <SelectField
              label="Severity"
              name="severity"
              options={severityOptions}
              defaultValue={severity?.value('severity') ?? incident.severity}
              errors={severity?.fieldErrors('severity')}
            />
            <Field
              label="Reason"
              name="reason"
              required
              maxLength={1000}
              defaultValue={severity?.value('reason')}
              errors={severity?.fieldErrors('reason')}
            />
            <SubmitButton name="intent" value="severity">
              Change severity
            </SubmitButton>
          </Form>
        ) : null}

        {canEscalate && !incident.closed && higher.length > 0 ? (
          <Form
            method="post"
            aria-label="Force-escalate"
            className="rounded-lg border border-red-200 bg-white p-4"
          >
            <h2 className="mb-3 text-lg font-semibold">Force-escalate</h2>
            <input type="hidden" name="version" value={incident.version} />
            {escalate?.formErrors && !escalate.conflict ? (
              <FormError errors={escalate.formErrors} />
            ) : null}
            <SelectField
              label="Escalate to"
              name="severity"
              options={severityOptions.filter((o) => higher.includes(o.value as Severity))}
              defaultValue={escalate?.value('severity')}
              errors={escalate?.fieldErrors('severity')}
            />
            <Field
              label="Escalation reason"
              name="reason"
              required
              maxLength={1000}
              defaultValue={escalate?.value('reason')}
              errors={escalate?.fieldErrors('reason')}
            />
            <label className="mb-4 flex items-center gap-2 text-sm">
              <input
                type="checkbox"
                name="takeCommand"
                defaultChecked={incident.commanderId !== viewerId}
                className="rounded border-slate-300"
              />
              Take command
            </label>
            <SubmitButton name="intent" value="escalate" variant="danger">
              Force-escalate
            </SubmitButton>
          </Form>
        ) : null}

        {canAssign && !incident.closed ? (
          <Form
            method="post"
            aria-label="Assign"
            className="rounded-lg border border-slate-200 bg-white p-4"
          >
            <h2 className="mb-3 text-lg font-semibold">Ownership</h2>
            <input type="hidden" name="version" value={incident.version} />
            {assign?.formErrors && !assign.conflict ? (
              <FormError errors={assign.formErrors} />
            ) : null}
            <SelectField
              label="Commander"
              name="commanderId"
              options={[
                { value: '', label: 'Nobody' },
                ...members.map((m) => ({ value: m.id, label: m.name })),
              ]}
              defaultValue={incident.commanderId ?? ''}
              errors={assign?.fieldErrors('commanderId')}
            />
            <fieldset className="mb-4">
              <legend className="text-sm font-medium text-slate-800">Assignees</legend>
              <div className="mt-1 grid gap-1 sm:grid-cols-2">
                {members.map((m) => (
                  <label key={m.id} className="flex items-center gap-2 text-sm">
                    <input
                      type="checkbox"
                      name="assigneeIds"
                      value={m.id}
                      defaultChecked={incident.assigneeIds.includes(m.id)}
                      className="rounded border-slate-300"
                    />
                    {m.name}
                  </label>
                ))}
              </div>
            </fieldset>
            <SubmitButton name="intent" value="assign">
              Save ownership
            </SubmitButton>
          </Form>
        ) : null}

        {(canWork || canAssign) && !incident.closed ? (
          <details
            className="rounded-lg border border-slate-200 bg-white p-4 lg:col-span-2"
            open={Boolean(edit)}
          >
            <summary className="cursor-pointer text-lg font-semibold">Edit details</summary>
            <Form method="post" aria-label="Edit details" className="mt-3">
              <input type="hidden" name="version" value={incident.version} />
              {edit?.formErrors && !edit.conflict ? <FormError errors={edit.formErrors} /> : null}
              <Field
                label="Title"
                name="title"
                required
                minLength={3}
                maxLength={200}
                defaultValue={edit?.value('title') ?? incident.title}
                errors={edit?.fieldErrors('title')}
              />
              <div className="grid gap-x-4 sm:grid-cols-2">
                <SelectField
                  label="Service"
                  name="serviceId"
                  options={[
                    { value: '', label: 'Not set' },
                    ...services.map((x) => ({ value: x.id, label: x.name })),
                  ]}
                  defaultValue={edit?.value('serviceId') ?? incident.serviceId ?? ''}
                  errors={edit?.fieldErrors('serviceId')}
                />
                <SelectField
                  label="Incident type"
                  name="incidentTypeId"
                  options={[
                    { value: '', label: 'Not set' },
                    ...types.map((x) => ({ value: x.id, label: x.name })),
                  ]}
                  defaultValue={edit?.value('incidentTypeId') ?? incident.incidentTypeId ?? ''}
                  errors={edit?.fieldErrors('incidentTypeId')}
                />
              </div>
              <TextareaField
                label="Summary"
                name="summary"
                maxLength={COMMENT_MAX}
                defaultValue={edit?.value('summary') ?? incident.summary}
                errors={edit?.fieldErrors('summary')}
              />
              <Field
                label="Impact started at"
                name="impactStartedAt"
                type="datetime-local"
                defaultValue={edit?.value('impactStartedAt') ?? incident.impactStartedAtLocal}
                errors={edit?.fieldErrors('impactStartedAt')}
              />
              <SubmitButton name="intent" value="edit" variant="secondary">
                Save details
              </SubmitButton>
            </Form>
          </details>
        ) : null}

        {canWork ? (
          <Form
            method="post"
            aria-label="Add comment"
            className="rounded-lg border border-slate-200 bg-white p-4 lg:col-span-2"
          >
            <h2 className="mb-3 text-lg font-semibold">Add a comment</h2>
            <input type="hidden" name="version" value={incident.version} />
            {comment?.formErrors && !comment.conflict ? (
              <FormError errors={comment.formErrors} />
            ) : null}
            <TextareaField
              label="Comment"
              name="body"
              hint="Markdown: **bold**, `code`, lists, links."
              required
              maxLength={COMMENT_MAX}
              defaultValue={comment?.value('body')}
              errors={comment?.fieldErrors('body')}
            />
            <SubmitButton name="intent" value="comment" pendingLabel="Adding…">
              Add comment
            </SubmitButton>
          </Form>
        ) : null}
      </div>

      <section aria-labelledby="evidence-heading">
        <h2 id="evidence-heading" className="text-lg font-semibold">
          Evidence
        </h2>
        {evidence.length === 0 ? (
          <p className="mt-2 text-sm text-slate-600">No evidence attached.</p>
        ) : (
          <ul
            className="mt-3 divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white"
            aria-label="Current evidence"
          >
            {evidence.map((file) => (
              <li
                key={file.id}
                className="flex flex-wrap items-start justify-between gap-3 px-4 py-3 text-sm"
              >
                <div className="min-w-0">
                  <a href={file.href} className="font-medium break-all text-brand-700 underline">
                    {file.name}
                  </a>
                  <p className="text-xs text-slate-500">
                    {file.size} · {file.contentType} · uploaded by {file.uploadedBy}
                  </p>
                </div>
                {canWork && !incident.closed ? (
                  <details data-no-print>
                    <summary className="cursor-pointer text-slate-600">Withdraw</summary>
                    <Form
                      method="post"
                      action={`/incidents/${incident.number}/evidence`}
                      className="mt-2 flex flex-wrap items-end gap-2"
                      aria-label={`Withdraw ${file.name}`}
                    >
                      <input type="hidden" name="attachmentId" value={file.id} />
                      <Field
                        label="Withdrawal reason"
                        name="reason"
                        required
                        maxLength={1000}
                        className="mb-0"
                      />
                      <SubmitButton name="intent" value="withdraw" variant="secondary">
                        Withdraw evidence
                      </SubmitButton>
                    </Form>
                  </details>
                ) : null}
              </li>
            ))}
          </ul>
        )}
        {canWork && !incident.closed ? (
          <Form
            method="post"
            action={`/incidents/${incident.number}/evidence`}
            encType="multipart/form-data"
            aria-label="Upload evidence"
            className="mt-4 rounded-lg border border-slate-200 bg-white p-4"
            data-no-print
          >
            <Field
              label="Evidence file"
              name="file"
              type="file"
              required
              accept="image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain,.log,.txt,application/json,.json,text/csv,.csv,application/zip,.zip,application/gzip,.gz"
              hint={`Images, PDF, text and logs, JSON, CSV, zip or gzip; up to ${evidenceLimit}. The type is checked from the content.`}
            />
            <Field label="Description" name="description" maxLength={500} />
            <SubmitButton pendingLabel="Uploading…">Upload evidence</SubmitButton>
          </Form>
        ) : null}
      </section>

      <section aria-labelledby="timeline-heading" id="timeline">
        <h2 id="timeline-heading" className="text-lg font-semibold">
          Timeline
        </h2>
        <Timeline
          entries={timeline}
          version={incident.version}
          canCorrect={(entry) => canWork && (canCorrectAny || entry.actorId === viewerId)}
          paging={timelinePaging}
        />
      </section>
    </div>
  )
}

export function ErrorBoundary() {
  const error = useRouteError()
  return <ErrorPage status={isRouteErrorResponse(error) ? error.status : 500} error={error} />
}
