import { parseWithZod } from '@conform-to/zod/v4'
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { data } from '@remix-run/node'
import { isRouteErrorResponse, useActionData, useLoaderData, useRouteError } from '@remix-run/react'
import * as z from '~/utils/zod'
import { ErrorPage } from '~/components/error-page'
import { RuleEditor, ruleSchema } from '~/components/escalation/rule-editor'
import { RuleList } from '~/components/escalation/rule-list'
import { requireMember } from '~/domain/access/guard.server'
import {
  createRule,
  deleteRule,
  moveRule,
  setRuleEnabled,
  updateRule,
} from '~/domain/escalation/escalation.server'
import { ruleFromForm } from '~/domain/escalation/rule-form'
import { escalationRulesPage } from '~/domain/escalation/rules-page.server'
import { redirectWithFlash } from '~/utils/flash.server'
import { replyWithDomainError } from '~/utils/error-reply.server'
import { readFormData } from '~/utils/form-data.server'

const rowSchema = z.object({
  intent: z.enum(['enable', 'disable', 'move-up', 'move-down', 'delete']),
  id: z.string().min(1).max(64),
})

export const meta: MetaFunction = () => [{ title: 'Escalation rules · IncidentFlow' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'settings.manage')
  const editId = new URL(request.url).searchParams.get('edit')
  const page = await escalationRulesPage(context.orm, member, editId)
  if (!page) throw new Response('Rule not found', { status: 404 })
  return page
}

export async function action({ request, context }: ActionFunctionArgs) {
  const member = await requireMember(request, context, 'settings.manage')
  const formData = await readFormData(request)
  const intent = formData.get('intent')
  const back = (message: string) =>
    redirectWithFlash('/admin/escalations', { kind: 'success', message }, context.env)

  if (intent === 'add-rule' || intent === 'save-rule') {
    const submission = parseWithZod(formData, { schema: ruleSchema })
    if (submission.status !== 'success')
      return data({ result: submission.reply() }, { status: 400 })
    const input = ruleFromForm(submission.value)
    try {
      if (intent === 'add-rule') {
        const created = await createRule(context.orm, member, input)
        return back(`Rule “${created.name}” added.`)
      }
      if (!submission.value.id) throw new Response('Bad request', { status: 400 })
      const saved = await updateRule(context.orm, member, submission.value.id, input)
      if (!saved) throw new Response('Rule not found', { status: 404 })
      return back(`Rule “${saved.name}” saved.`)
    } catch (error) {
      return replyWithDomainError(submission, error)
    }
  }

  const row = parseWithZod(formData, { schema: rowSchema })
  if (row.status !== 'success') throw new Response('Bad request', { status: 400 })
  const { id } = row.value
  let done: boolean
  let message: string
  switch (row.value.intent) {
    case 'enable':
    case 'disable':
      done = await setRuleEnabled(context.orm, member, id, row.value.intent === 'enable')
      message = row.value.intent === 'enable' ? 'Rule enabled.' : 'Rule disabled.'
      break
    case 'move-up':
    case 'move-down':
      done = await moveRule(context.orm, member, id, row.value.intent === 'move-up' ? 'up' : 'down')
      message = row.value.intent === 'move-up' ? 'Rule moved up.' : 'Rule moved down.'
      break
    case 'delete':
      done = await deleteRule(context.orm, member, id)
      message = 'Rule deleted.'
      break
  }
  if (!done) throw new Response('Rule not found', { status: 404 })
  return back(message)
}

export default function Escalations() {
  const { rules, editing, members, endpoints } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  // A new key after every change to the list clears the add form once its rule was added.
  const formKey = `${editing?.id ?? 'new'}:${rules.map((r) => r.id).join(',')}`
  return (
    <div className="space-y-8">
      <header>
        <h1 className="text-2xl font-bold">Escalation rules</h1>
        <p className="mt-1 text-sm text-slate-600">
          When something happens to an incident, every enabled rule that matches fires, in the order
          below. Every firing is recorded on the incident timeline, naming the rule.
        </p>
      </header>

      <RuleList rules={rules} />

      <section
        aria-labelledby="rule-form-heading"
        className="rounded-lg border border-slate-200 bg-white p-6"
      >
        <h2 id="rule-form-heading" className="text-lg font-semibold">
          {editing ? `Edit “${editing.name}”` : 'Add a rule'}
        </h2>
        <RuleEditor
          key={formKey}
          editing={editing}
          members={members}
          endpoints={endpoints}
          lastResult={actionData?.result}
        />
      </section>
    </div>
  )
}

export function ErrorBoundary() {
  const error = useRouteError()
  return <ErrorPage status={isRouteErrorResponse(error) ? error.status : 500} error={error} />
}
