import { parseWithZod } from '@conform-to/zod/v4'
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { data } from '@remix-run/node'
import { Form, useActionData, useLoaderData } from '@remix-run/react'
import * as z from '~/utils/zod'
import { Field, SubmitButton } from '~/components/forms'
import { requireMember } from '~/domain/access/guard.server'
import {
  addCatalogEntry,
  listCatalog,
  setCatalogEntryActive,
  type CatalogKind,
} from '~/domain/incident/catalog.server'
import { replyWithDomainError } from '~/utils/error-reply.server'
import { redirectWithFlash } from '~/utils/flash.server'
import { readFormData } from '~/utils/form-data.server'

const addSchema = z.object({
  intent: z.enum(['add-service', 'add-type']),
  name: z
    .string({ error: 'Enter a name' })
    .trim()
    .min(1, 'Enter a name')
    .max(100, 'Use at most 100 characters'),
  description: z.string().trim().max(500).optional().default(''),
})
const toggleSchema = z.object({
  intent: z.enum(['retire', 'restore']),
  kind: z.enum(['service', 'type']),
  id: z.uuid(),
})

export const meta: MetaFunction = () => [{ title: 'Services and incident types · IncidentFlow' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'settings.manage')
  return listCatalog(context.orm, member.organization.id)
}

export async function action({ request, context }: ActionFunctionArgs) {
  const member = await requireMember(request, context, 'settings.manage')
  const formData = await readFormData(request)
  const intent = formData.get('intent')
  if (intent === 'add-service' || intent === 'add-type') {
    const submission = parseWithZod(formData, { schema: addSchema })
    if (submission.status !== 'success')
      return data({ intent, result: submission.reply() }, { status: 400 })
    const kind: CatalogKind = intent === 'add-service' ? 'service' : 'type'
    try {
      await addCatalogEntry(
        context.orm,
        member,
        kind,
        submission.value.name,
        submission.value.description,
      )
    } catch (error) {
      return replyWithDomainError(submission, error, { extra: { intent } })
    }
    return redirectWithFlash(
      '/admin/services',
      { kind: 'success', message: `Added ${submission.value.name}.` },
      context.env,
    )
  }
  const toggle = parseWithZod(formData, { schema: toggleSchema })
  if (toggle.status !== 'success') throw new Response('Bad request', { status: 400 })
  const { kind, id, intent: change } = toggle.value
  const changed = await setCatalogEntryActive(context.orm, member, kind, id, change === 'restore')
  if (!changed) throw new Response('Not found', { status: 404 })
  return redirectWithFlash(
    '/admin/services',
    { kind: 'success', message: change === 'retire' ? 'Retired.' : 'Restored.' },
    context.env,
  )
}

function Catalog({
  title,
  kind,
  entries,
  addLabel,
}: {
  title: string
  kind: CatalogKind
  entries: Array<{ id: string; name: string; description: string; active: boolean }>
  addLabel: string
}) {
  const actionData = useActionData<typeof action>()
  const intent = kind === 'service' ? 'add-service' : 'add-type'
  const result = actionData?.intent === intent ? actionData.result : null
  const value = (name: string) => {
    const v = (result?.initialValue as Record<string, unknown> | undefined)?.[name]
    return typeof v === 'string' ? v : undefined
  }
  return (
    <section
      aria-labelledby={`${kind}-heading`}
      className="rounded-lg border border-slate-200 bg-white p-6"
    >
      <h2 id={`${kind}-heading`} className="text-lg font-semibold">
        {title}
      </h2>
      <ul className="mt-3 divide-y divide-slate-100">
        {entries.length === 0 ? <li className="py-2 text-sm text-slate-600">None yet.</li> : null}
        {entries.map((e) => (
          <li key={e.id} className="flex flex-wrap items-center justify-between gap-2 py-2 text-sm">
            <span className={e.active ? '' : 'text-slate-500'}>
              <span className="font-medium">{e.name}</span>
              {e.description ? <span className="text-slate-500"> — {e.description}</span> : null}
              {e.active ? null : ' (retired)'}
            </span>
            <Form method="post">
              <input type="hidden" name="kind" value={kind} />
              <input type="hidden" name="id" value={e.id} />
              <button
                type="submit"
                name="intent"
                value={e.active ? 'retire' : 'restore'}
                className="rounded-md border border-slate-300 px-2 py-1 hover:bg-slate-50"
              >
                {e.active ? `Retire ${e.name}` : `Restore ${e.name}`}
              </button>
            </Form>
          </li>
        ))}
      </ul>
      <Form
        method="post"
        className="mt-4 grid gap-x-3 sm:grid-cols-[1fr_2fr_auto] sm:items-start"
        aria-label={addLabel}
      >
        <Field
          label="Name"
          name="name"
          required
          maxLength={100}
          defaultValue={value('name')}
          errors={result?.error?.name}
        />
        <Field
          label="Description"
          name="description"
          maxLength={500}
          defaultValue={value('description')}
          errors={result?.error?.description}
        />
        <div className="sm:pt-6">
          <SubmitButton name="intent" value={intent} variant="secondary">
            {addLabel}
          </SubmitButton>
        </div>
      </Form>
    </section>
  )
}

export default function Services() {
  const { services, types } = useLoaderData<typeof loader>()
  return (
    <div className="space-y-8">
      <h1 className="text-2xl font-bold">Services and incident types</h1>
      <Catalog title="Services" kind="service" entries={services} addLabel="Add service" />
      <Catalog title="Incident types" kind="type" entries={types} addLabel="Add incident type" />
    </div>
  )
}
