import { getFormProps, getInputProps, useForm } from '@conform-to/react'
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4'
import type {
  ActionFunctionArgs,
  AppLoadContext,
  LoaderFunctionArgs,
  MetaFunction,
} from '@remix-run/node'
import { data } from '@remix-run/node'
import {
  Form,
  isRouteErrorResponse,
  useActionData,
  useLoaderData,
  useRouteError,
} from '@remix-run/react'
import * as z from '~/utils/zod'
import { ErrorPage } from '~/components/error-page'
import { FormError } from '~/components/form-error'
import { Field, SubmitButton } from '~/components/forms'
import { TableHead } from '~/components/table-head'
import { requireMember } from '~/domain/access/guard.server'
import { isConflict } from '~/domain/domain-error'
import { listMembers } from '~/domain/access/members.server'
import { SEVERITIES, type Severity } from '~/domain/incident/vocabulary'
import {
  SLA_TARGETS,
  formatDuration,
  parseDuration,
  validateTargets,
  type SlaTarget,
  type SlaTargets,
} from '~/domain/sla/policy'
import { policyHistory, savePolicy } from '~/domain/sla/sla.server'
import { replyWithDomainError } from '~/utils/error-reply.server'
import { redirectWithFlash } from '~/utils/flash.server'
import { formatInZone, utcTitle } from '~/utils/time'
import { readFormData } from '~/utils/form-data.server'

const DURATION_HELP = 'Enter a duration like 15m, 1h 30m or 3d, or leave it empty'

/** Empty arrives as undefined and means "no target". */
const duration = z
  .string()
  .max(60, DURATION_HELP)
  .optional()
  .transform((text, ctx) => {
    if (text === undefined) return null
    const seconds = parseDuration(text)
    if (seconds === undefined) {
      ctx.addIssue({ code: 'custom', message: DURATION_HELP })
      return z.NEVER
    }
    return seconds
  })
const percent = z
  .number({ error: 'Enter a whole percentage from 1 to 99' })
  .int('Enter a whole percentage from 1 to 99')
  .min(1, 'Enter a whole percentage from 1 to 99')
  .max(99, 'Enter a whole percentage from 1 to 99')
const severityTargets = z.object({
  acknowledge: duration,
  mitigate: duration,
  resolve: duration,
  warningPercent: percent,
})

const schema = z
  .object({
    baseVersion: z.number().int().positive(),
    'SEV-1': severityTargets,
    'SEV-2': severityTargets,
    'SEV-3': severityTargets,
    'SEV-4': severityTargets,
  })
  .superRefine((value, ctx) => {
    // The percentages were checked above; this adds the checks between durations.
    for (const [key, message] of Object.entries(validateTargets(targetsOf(value)))) {
      if (!key.endsWith('.warningPercent'))
        ctx.addIssue({ code: 'custom', path: key.split('.'), message })
    }
  })

function targetsOf(value: Record<Severity, SlaTargets[Severity]>): SlaTargets {
  return Object.fromEntries(SEVERITIES.map((s) => [s, value[s]])) as SlaTargets
}

/** Targets as the form shows them: "15m", "" for none, the percentage as text. */
function formTargets(targets: SlaTargets) {
  return Object.fromEntries(
    SEVERITIES.map((s) => [
      s,
      {
        acknowledge: formatDuration(targets[s].acknowledge),
        mitigate: formatDuration(targets[s].mitigate),
        resolve: formatDuration(targets[s].resolve),
        warningPercent: String(targets[s].warningPercent),
      },
    ]),
  ) as Record<Severity, Record<SlaTarget | 'warningPercent', string>>
}

export const meta: MetaFunction = () => [{ title: 'SLA policy · IncidentFlow' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'settings.manage')
  const organizationId = member.organization.id
  const { current, versions } = await policyHistory(context.orm, organizationId)
  const names = new Map(
    (await listMembers(context.orm, organizationId)).map((m) => [m.userId, m.displayName]),
  )
  return {
    timeZone: member.organization.timezone,
    current: { version: current.version, targets: formTargets(current.targets) },
    history: versions.map((v) => ({
      version: v.version,
      by: v.createdBy
        ? (names.get(v.createdBy) ?? 'A former member')
        : v.version === 1
          ? 'Default targets'
          : 'A deleted account',
      at: v.createdAt.toISOString(),
    })),
  }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const member = await requireMember(request, context, 'settings.manage')
  const submission = parseWithZod(await readFormData(request), { schema })
  if (submission.status !== 'success')
    return data({ result: submission.reply(), conflict: null }, { status: 400 })
  const { baseVersion, ...targets } = submission.value
  try {
    const version = await savePolicy(context.orm, member, targetsOf(targets), baseVersion)
    return redirectWithFlash(
      '/admin/sla',
      { kind: 'success', message: `SLA policy saved as version ${version}` },
      context.env,
    )
  } catch (error) {
    return replyWithDomainError(submission, error, {
      extra: { conflict: await savedMeanwhile(context, member.organization.id, error) },
    })
  }
}

/** After a save refused as stale, what the other save stored, to show beside what was typed. */
async function savedMeanwhile({ orm }: AppLoadContext, organizationId: string, error: unknown) {
  if (!isConflict(error)) return null
  const { current } = await policyHistory(orm, organizationId)
  return { version: current.version, targets: formTargets(current.targets) }
}

const TARGET_WORDS: Record<SlaTarget, string> = {
  acknowledge: 'acknowledge',
  mitigate: 'mitigate',
  resolve: 'resolve',
}

type Current = ReturnType<typeof useLoaderData<typeof loader>>['current']

function PolicyForm({ current }: { current: Current }) {
  const actionData = useActionData<typeof action>()
  const conflict = actionData?.conflict ?? null
  const [form, fields] = useForm({
    id: 'sla-policy',
    lastResult: actionData?.result,
    constraint: getZodConstraint(schema),
    shouldValidate: 'onBlur',
    shouldRevalidate: 'onInput',
    onValidate: ({ formData }) => parseWithZod(formData, { schema }),
    defaultValue: { baseVersion: String(current.version), ...current.targets },
  })
  const typedBase = Number(
    (actionData?.result.initialValue as Record<string, unknown> | undefined)?.baseVersion,
  )
  // After a conflict the next save goes over the version now shown; otherwise over the one the
  // admin started from.
  const baseVersion =
    conflict?.version ??
    (Number.isInteger(typedBase) && typedBase > 0 ? typedBase : current.version)

  const savedHint = (severity: Severity, key: SlaTarget | 'warningPercent', typed: unknown) => {
    if (!conflict) return undefined
    const saved = conflict.targets[severity][key]
    if (String(typed ?? '').trim() === saved) return undefined
    return `Version ${conflict.version} has ${saved === '' ? 'no target' : saved}${key === 'warningPercent' ? ' %' : ''}.`
  }

  return (
    <Form
      method="post"
      className="rounded-lg border border-slate-200 bg-white p-4"
      {...getFormProps(form)}
    >
      <FormError id={form.errorId} errors={form.errors} />
      <input type="hidden" name="baseVersion" value={baseVersion} />
      <div className="relative overflow-x-auto">
        <table className="min-w-full text-sm">
          <caption className="sr-only">SLA targets for each severity</caption>
          <TableHead
            cellClassName="px-2 py-2"
            columns={['Severity', 'Acknowledge', 'Mitigate', 'Resolve', 'Warning threshold (%)']}
          />
          <tbody className="divide-y divide-slate-100">
            {SEVERITIES.map((severity) => {
              const row = fields[severity].getFieldset()
              return (
                <tr key={severity} className="align-top">
                  <th scope="row" className="px-2 py-3 text-left font-medium">
                    {severity}
                  </th>
                  {SLA_TARGETS.map((target) => (
                    <td key={target} className="px-2 py-2">
                      <Field
                        className=""
                        label={
                          <span className="sr-only">{`${severity} ${TARGET_WORDS[target]} target`}</span>
                        }
                        errors={row[target].errors}
                        hint={savedHint(severity, target, row[target].initialValue)}
                        {...getInputProps(row[target], { type: 'text' })}
                        placeholder="none"
                        autoComplete="off"
                      />
                    </td>
                  ))}
                  <td className="px-2 py-2">
                    <Field
                      className=""
                      label={<span className="sr-only">{`${severity} warning threshold (%)`}</span>}
                      errors={row.warningPercent.errors}
                      hint={savedHint(severity, 'warningPercent', row.warningPercent.initialValue)}
                      {...getInputProps(row.warningPercent, { type: 'number' })}
                    />
                  </td>
                </tr>
              )
            })}
          </tbody>
        </table>
      </div>
      <div className="mt-4">
        <SubmitButton pendingLabel="Saving…">Save SLA policy</SubmitButton>
      </div>
    </Form>
  )
}

export default function SlaPolicyPage() {
  const { current, history, timeZone } = useLoaderData<typeof loader>()
  return (
    <div className="space-y-8">
      <header>
        <h1 className="text-2xl font-bold">SLA policy</h1>
        <p className="mt-1 text-sm text-slate-600">
          Current version: <strong>{current.version}</strong>
        </p>
      </header>

      <section className="space-y-2 text-sm text-slate-700">
        <p>
          Every target runs from <strong>impact start</strong> — when the impact began, which may be
          earlier than when the incident was declared.
        </p>
        <p>
          Incidents keep the policy version in force when they were declared; saving creates a new
          version that applies to incidents declared from then on.
        </p>
        <p>
          When an incident’s severity changes, it moves to that severity’s targets (in its own
          version).
        </p>
        <p>
          Write durations like <code>15m</code>, <code>1h 30m</code> or <code>3d</code>; leave a
          target empty for none. The warning threshold is the share of each target after which the
          incident counts as at risk.
        </p>
      </section>

      {/* A new version (a save) re-renders the form from what was stored, e.g. "90" as "1h 30m". */}
      <PolicyForm key={current.version} current={current} />

      <section aria-labelledby="history-heading">
        <h2 id="history-heading" className="text-lg font-semibold">
          History
        </h2>
        <div className="relative mt-3 overflow-x-auto rounded-lg border border-slate-200 bg-white">
          <table className="min-w-full divide-y divide-slate-200 text-sm">
            <TableHead cellClassName="px-4 py-2" columns={['Version', 'Saved by', 'When']} />
            <tbody className="divide-y divide-slate-100">
              {history.map((v) => (
                <tr key={v.version}>
                  <td className="px-4 py-2">{v.version}</td>
                  <td className="px-4 py-2">{v.by}</td>
                  <td className="px-4 py-2">
                    <time dateTime={v.at} title={utcTitle(v.at)}>
                      {formatInZone(v.at, timeZone)}
                    </time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </div>
  )
}

export function ErrorBoundary() {
  const error = useRouteError()
  return <ErrorPage status={isRouteErrorResponse(error) ? error.status : 500} error={error} />
}
