import { parseWithZod } from '@conform-to/zod/v4'
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { Form, useLoaderData } from '@remix-run/react'
import * as z from '~/utils/zod'
import { SubmitButton } from '~/components/forms'
import { requireMember } from '~/domain/access/guard.server'
import { getCatalogs } from '~/domain/incident/incident-queries.server'
import { saveTriageMatrix } from '~/domain/incident/triage-settings.server'
import {
  DEFAULT_TRIAGE_MATRIX,
  IMPACTS,
  IMPACT_LABELS,
  URGENCIES,
  URGENCY_LABELS,
  type TriageMatrix,
} from '~/domain/incident/triage'
import { SEVERITIES } from '~/domain/incident/vocabulary'
import { redirectWithFlash } from '~/utils/flash.server'
import { readFormData } from '~/utils/form-data.server'

const cell = z.enum(SEVERITIES)
const matrixSchema = z.object(
  Object.fromEntries(
    IMPACTS.map((i) => [i, z.object(Object.fromEntries(URGENCIES.map((u) => [u, cell])))]),
  ),
) as unknown as z.ZodType<TriageMatrix>

export const meta: MetaFunction = () => [{ title: 'Triage matrix · IncidentFlow' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'settings.manage')
  const { matrix } = await getCatalogs(context.orm, member.organization.id)
  return { matrix }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const member = await requireMember(request, context, 'settings.manage')
  const form = await readFormData(request)
  if (form.get('intent') === 'reset') {
    await saveTriageMatrix(context.orm, member, DEFAULT_TRIAGE_MATRIX)
    return redirectWithFlash(
      '/admin/triage',
      { kind: 'success', message: 'Triage matrix reset to the default.' },
      context.env,
    )
  }
  // Cells are named `impact.urgency`, which conform reads as the nested matrix.
  const submission = parseWithZod(form, { schema: matrixSchema })
  if (submission.status !== 'success')
    throw new Response('Every cell needs a severity', { status: 400 })
  await saveTriageMatrix(context.orm, member, submission.value)
  return redirectWithFlash(
    '/admin/triage',
    { kind: 'success', message: 'Triage matrix saved; new declarations use it.' },
    context.env,
  )
}

export default function Triage() {
  const { matrix } = useLoaderData<typeof loader>()
  return (
    <div className="space-y-6">
      <header>
        <h1 className="text-2xl font-bold">Triage matrix</h1>
        <p className="mt-1 text-sm text-slate-600">
          When someone declares with impact and urgency instead of a severity, this table decides
          the severity.
        </p>
      </header>
      <Form
        method="post"
        className="overflow-x-auto rounded-lg border border-slate-200 bg-white p-4"
      >
        <table className="text-sm">
          <caption className="sr-only">Severity for each impact and urgency</caption>
          <thead>
            <tr>
              <th scope="col" className="p-2 text-left">
                Impact \ urgency
              </th>
              {URGENCIES.map((u) => (
                <th scope="col" key={u} className="p-2 text-left" title={URGENCY_LABELS[u]}>
                  <span className="capitalize">{u}</span>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {IMPACTS.map((i) => (
              <tr key={i}>
                <th scope="row" className="p-2 text-left font-medium" title={IMPACT_LABELS[i]}>
                  <span className="capitalize">{i}</span>
                </th>
                {URGENCIES.map((u) => (
                  <td key={u} className="p-2">
                    <label className="sr-only" htmlFor={`${i}.${u}`}>
                      {`Severity for ${i} impact and ${u} urgency`}
                    </label>
                    <select
                      id={`${i}.${u}`}
                      name={`${i}.${u}`}
                      defaultValue={matrix[i][u]}
                      className="rounded-md border-slate-300 text-sm"
                    >
                      {SEVERITIES.map((s) => (
                        <option key={s} value={s}>
                          {s}
                        </option>
                      ))}
                    </select>
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
        <div className="mt-4 flex gap-2">
          <SubmitButton name="intent" value="save">
            Save triage matrix
          </SubmitButton>
          <SubmitButton name="intent" value="reset" variant="secondary" formNoValidate>
            Reset to default
          </SubmitButton>
        </div>
      </Form>
    </div>
  )
}
