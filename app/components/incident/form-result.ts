import type { SubmissionResult } from '@conform-to/react'

/** What the incident page's action answers a refused form with. */
export interface IncidentActionData {
  intent: string
  result: SubmissionResult<string[]>
  conflict: boolean
}

/**
 * Errors and echoed values of the form that was submitted, if it is this one. Forms sharing an
 * intent (one per next step, one per comment correction) are told apart by `key`: the submitted
 * `action` of a transition, the `seq` of a correction.
 */
export function resultFor(
  actionData: IncidentActionData | null | undefined,
  intent: string,
  key?: string,
) {
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

export type FormResult = ReturnType<typeof resultFor>
