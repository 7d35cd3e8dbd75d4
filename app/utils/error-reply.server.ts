import type { SubmissionResult } from '@conform-to/react'
import { data } from '@remix-run/node'
import { DomainError } from '~/domain/domain-error'

/** What conform's `submission.reply()` takes for a refusal. */
export interface RefusalReplyOptions {
  formErrors?: string[]
  fieldErrors?: Record<string, string[]>
  hideFields?: string[]
}

interface Replyable {
  reply(options?: RefusalReplyOptions): SubmissionResult<string[]>
}

/**
 * A refusal as conform reply options: under the fields it names, otherwise for the whole form.
 * Passwords and other secrets named in `hideFields` are never echoed back.
 */
export function refusalReply(error: DomainError, hideFields?: string[]): RefusalReplyOptions {
  const hide = hideFields ? { hideFields } : {}
  return Object.keys(error.fieldErrors).length > 0
    ? { ...hide, fieldErrors: error.fieldErrors }
    : { ...hide, formErrors: [error.message] }
}

/**
 * An action's answer to whatever its domain call threw, so every catch is one line:
 * - a refusal (`DomainError`) with status 403 or 404 is thrown as that response, so the error
 *   page shows it (another tenant's id is a 404, never a hint that it exists);
 * - any other refusal becomes the form's reply, `{ ...extra, result }`, with the refusal's
 *   status (400 bad input, 409 stale form, 413 too large);
 * - anything else is not a refusal and propagates unchanged.
 */
export function replyWithDomainError<Extra extends object = object>(
  submission: Replyable,
  error: unknown,
  options: { extra?: Extra; hideFields?: string[] } = {},
) {
  if (!(error instanceof DomainError)) throw error
  if (error.status === 403 || error.status === 404) {
    throw new Response(error.message, { status: error.status })
  }
  const result = submission.reply(refusalReply(error, options.hideFields))
  return data({ ...(options.extra as Extra), result }, { status: error.status })
}
