import { parseWithZod } from '@conform-to/zod/v4'
import type { ActionFunctionArgs, LoaderFunctionArgs } from '@remix-run/node'
import { redirect } from '@remix-run/node'
import * as z from '~/utils/zod'
import { requireMember } from '~/domain/access/guard.server'
import { llmSettings } from '~/domain/postmortem/draft-llm.server'
import { DRAFT_MODES, requestDraft } from '~/domain/postmortem/drafts.server'
import { now as clockNow } from '~/utils/clock'
import { redirectWithRefusal, refusalOf } from '~/utils/error-reply.server'
import { redirectWithFlash } from '~/utils/flash.server'
import { requireIncidentNumber } from '~/domain/incident/incident-number'
import { readFormData } from '~/utils/form-data.server'

/**
 * "Generate draft" on the postmortem page posts here (`mode` = template | llm, and the revision
 * the page showed). The draft is made by the worker: a form post is answered 303 to the draft's
 * status page; a client that asks for JSON gets 202 with the draft and its status page in
 * `Location`.
 */

const schema = z.object({
  mode: z.enum(DRAFT_MODES, { error: 'Choose a draft source: template or llm.' }),
  revision: z.coerce.number().int().min(0).max(1_000_000).optional(),
})

/** A refusal's code in the JSON answer, by its status. */
const JSON_CODES: Partial<Record<number, string>> = {
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
}

/** Nothing to show here: the form lives on the postmortem page. */
export function loader({ params }: LoaderFunctionArgs) {
  return redirect(`/incidents/${requireIncidentNumber(params.number)}/postmortem`, 303)
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const member = await requireMember(request, context, 'incident.view')
  const number = requireIncidentNumber(params.number)
  const wantsJson = (request.headers.get('Accept') ?? '').includes('application/json')
  const postmortemUrl = `/incidents/${number}/postmortem`
  const refuse = (message: string, status: number, code: string) =>
    wantsJson
      ? Response.json({ error: { code, message } }, { status })
      : redirectWithFlash(postmortemUrl, { kind: 'error', message }, context.env, { status: 303 })

  const submission = parseWithZod(await readFormData(request), { schema })
  if (submission.status !== 'success') {
    const [message] = Object.values(submission.error ?? {}).flat()
    return refuse(message ?? 'Invalid request.', 400, 'invalid_request')
  }
  const { mode, revision } = submission.value

  try {
    const draft = await requestDraft(context.orm, context.boss, member, number, mode, {
      llmAvailable: llmSettings(context.env) !== null,
      ...(revision !== undefined ? { revision } : {}),
      now: clockNow(),
    })
    const location = `/incidents/${number}/postmortem/drafts/${draft.id}`
    if (wantsJson)
      return Response.json(
        { draft: { id: draft.id, mode: draft.mode, status: draft.status, url: location } },
        { status: 202, headers: { Location: location } },
      )
    return redirect(location, 303)
  } catch (error) {
    if (!wantsJson) return redirectWithRefusal(error, postmortemUrl, context.env, { status: 303 })
    const { message, status } = refusalOf(error)
    return refuse(message, status, JSON_CODES[status] ?? 'refused')
  }
}
