/** The statuses a refusal answers with: bad input, not allowed, not found (or another tenant's), stale. */
export type DomainErrorStatus = 400 | 403 | 404 | 409 | 413

export interface DomainErrorOptions {
  /** The one field the message belongs under; null for the whole form. */
  field?: string | null
  /** Messages per field, when several fields are wrong at once. */
  fieldErrors?: Record<string, string[]>
  status?: DomainErrorStatus
}

/**
 * A change the domain refused, with words for the person who asked. Nothing was written.
 * Every refusal class extends it, so a route turns any of them into a form reply or a status
 * in one place (`replyWithDomainError`), and the JSON API maps them in one place too.
 */
export class DomainError extends Error {
  readonly field: string | null
  readonly fieldErrors: Record<string, string[]>
  readonly status: DomainErrorStatus

  constructor(message: string, options: DomainErrorOptions = {}) {
    super(message)
    this.name = new.target.name
    this.field = options.field ?? null
    this.fieldErrors = options.fieldErrors ?? (options.field ? { [options.field]: [message] } : {})
    this.status = options.status ?? 400
  }
}
