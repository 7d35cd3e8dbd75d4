import type { SubmissionResult } from '@conform-to/react'
import { data } from '@remix-run/node'
import { DomainError } from '~/domain/domain-error'
import { redirectWithFlash, type FlashSettings } from './flash.server'

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
  const refusal = shownRefusal(error)
  const result = submission.reply(refusalReply(refusal, options.hideFields))
  return data({ ...(options.extra as Extra), result }, { status: refusal.status })
}

/**
 * The answer of an action whose page shows a refusal as a one-time message after a redirect
 * (buttons and links without a form of their own): 403 and 404 as in `replyWithDomainError`, any
 * other refusal goes to `to` with its message; anything else propagates unchanged.
 */
export function redirectWithRefusal(
  error: unknown,
  to: string,
  env: FlashSettings,
  init?: ResponseInit,
) {
  const refusal = shownRefusal(error)
  return redirectWithFlash(to, { kind: 'error', message: refusal.message }, env, init)
}

/** `error` as a refusal, or rethrown when it is none. */
export function refusalOf(error: unknown): DomainError {
  if (!(error instanceof DomainError)) throw error
  return error
}

/**
 * A refusal as the response a loader throws (`catch (error) { throw refusalResponse(error) }`):
 * its message with its status, for the error page; anything else is rethrown unchanged.
 */
export function refusalResponse(error: unknown): Response {
  const refusal = refusalOf(error)
  return new Response(refusal.message, { status: refusal.status })
}

/** A refusal that the page itself shows; a 403 or 404 is thrown as that response instead. */
function shownRefusal(error: unknown): DomainError {
  const refusal = refusalOf(error)
  if (refusal.status === 403 || refusal.status === 404) throw refusalResponse(refusal)
  return refusal
}
