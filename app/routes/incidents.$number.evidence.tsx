import { parseWithZod } from '@conform-to/zod/v4'
import type { ActionFunctionArgs } from '@remix-run/node'
import {
  redirect,
  unstable_composeUploadHandlers,
  unstable_createMemoryUploadHandler,
} from '@remix-run/node'
import * as z from '~/utils/zod'
import { requireMember } from '~/domain/access/guard.server'
import {
  prepareUpload,
  recordUpload,
  stageUpload,
  withdrawEvidence,
  type StagedUpload,
} from '~/domain/evidence/evidence.server'
import { redirectWithRefusal } from '~/utils/error-reply.server'
import { redirectWithFlash } from '~/utils/flash.server'
import { readFormData, readMultipartFormData } from '~/utils/form-data.server'

/** A missing attachment or reason is the domain's to refuse, in its words. */
const withdrawSchema = z.object({
  intent: z.literal('withdraw'),
  attachmentId: z.string().default(''),
  reason: z.string().default(''),
})

/** The upload form posts here; a visit by GET goes back to the incident. */
export async function loader({ params }: ActionFunctionArgs) {
  return redirect(`/incidents/${encodeURIComponent(params.number ?? '')}`)
}

function parseNumber(value: string | undefined) {
  const number = Number(value)
  if (!Number.isInteger(number) || number < 1)
    throw new Response('Incident not found', { status: 404 })
  return number
}

/**
 * Upload (multipart) or withdraw (urlencoded) evidence. Permission is checked before the file is
 * read; the file streams to storage; then its record and timeline event are written together.
 */
export async function action({ request, context, params }: ActionFunctionArgs) {
  const member = await requireMember(request, context, 'incident.view')
  const number = parseNumber(params.number)
  const back = `/incidents/${number}`
  const fail = (message: string) => redirectWithFlash(back, { kind: 'error', message }, context.env)
  try {
    if (!(request.headers.get('content-type') ?? '').startsWith('multipart/form-data')) {
      const submission = parseWithZod(await readFormData(request), { schema: withdrawSchema })
      if (submission.status !== 'success') throw new Response('Bad request', { status: 400 })
      await withdrawEvidence(context.orm, member, number, submission.value)
      return redirectWithFlash(
        back,
        { kind: 'success', message: 'Evidence withdrawn; it stays in the timeline.' },
        context.env,
      )
    }

    const limits = {
      maxBytes: context.env.EVIDENCE_MAX_BYTES,
      quotaBytes: context.env.EVIDENCE_QUOTA_BYTES,
    }
    const target = await prepareUpload(context.orm, member, number, limits)
    let staged: StagedUpload | null = null
    const form = await readMultipartFormData(
      request,
      unstable_composeUploadHandlers(
        async (part) => {
          if (part.name !== 'file' || staged) return undefined
          staged = await stageUpload(context.store, part, {
            organizationId: member.organization.id,
            incidentId: target.incidentId,
            allowedBytes: target.allowedBytes,
            maxBytes: limits.maxBytes,
            quotaLeft: target.quotaLeft,
          })
          return staged.ok ? staged.objectId : ''
        },
        unstable_createMemoryUploadHandler({ maxPartSize: 4096 }),
      ),
    )
    const result = staged as StagedUpload | null
    if (!result) return fail('Choose a file to upload.')
    if (!result.ok) return fail(result.message)
    await recordUpload(
      context.orm,
      context.store,
      member,
      number,
      result,
      String(form.get('description') ?? ''),
    )
    return redirectWithFlash(
      back,
      { kind: 'success', message: `Uploaded ${result.displayName}.` },
      context.env,
    )
  } catch (error) {
    return redirectWithRefusal(error, back, context.env)
  }
}
