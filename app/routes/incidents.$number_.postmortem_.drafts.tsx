import type { ActionFunctionArgs, LoaderFunctionArgs } from '@remix-run/node'
import { redirect } from '@remix-run/node'
import * as z from '~/utils/zod'
import { requireMember } from '~/domain/access/guard.server'
import { llmSettings } from '~/domain/postmortem/draft-llm.server'
import { DRAFT_MODES, DraftError, requestDraft } from '~/domain/postmortem/drafts.server'
import { now as clockNow } from '~/utils/clock'
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

  const form = await readFormData(request)
  const parsed = schema.safeParse({
    mode: form.get('mode') ?? undefined,
    revision: form.get('revision') || undefined,
  })
  if (!parsed.success)
    return refuse(parsed.error.issues[0]?.message ?? 'Invalid request.', 400, 'invalid_request')

  try {
    const draft = await requestDraft(context.orm, context.boss, member, number, parsed.data.mode, {
      llmAvailable: llmSettings(context.env) !== null,
      ...(parsed.data.revision !== undefined ? { revision: parsed.data.revision } : {}),
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
    if (!(error instanceof DraftError)) throw error
    if (error.status === 403 || error.status === 404) {
      if (wantsJson)
        return Response.json(
          {
            error: {
              code: error.status === 403 ? 'forbidden' : 'not_found',
              message: error.message,
            },
          },
          { status: error.status },
        )
      throw new Response(error.message, { status: error.status })
    }
    return refuse(error.message, error.status, error.status === 409 ? 'conflict' : 'refused')
  }
}
