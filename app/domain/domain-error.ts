/** The statuses a refusal answers with: bad input, not allowed, not found (or another tenant's), stale. */
export type DomainErrorStatus = 400 | 403 | 404 | 409 | 413

export interface DomainErrorOptions<
  Field extends string = string,
  Status extends DomainErrorStatus = DomainErrorStatus,
> {
  /** The one field the message belongs under; null for the whole form. */
  field?: Field | null
  /** Messages per field, when several fields are wrong at once. */
  fieldErrors?: Record<string, string[]>
  status?: Status
}

/**
 * A change the domain refused, with words for the person who asked. Nothing was written.
 * Every refusal class extends it, so a route turns any of them into a form reply or a status
 * in one place (`replyWithDomainError`), and the JSON API maps them in one place too.
 */
export class DomainError<
  Field extends string = string,
  Status extends DomainErrorStatus = DomainErrorStatus,
> extends Error {
  readonly field: Field | null
  readonly fieldErrors: Record<string, string[]>
  readonly status: Status

  constructor(message: string, options: DomainErrorOptions<Field, Status> = {}) {
    super(message)
    this.name = new.target.name
    this.field = options.field ?? null
    this.fieldErrors = options.fieldErrors ?? (options.field ? { [options.field]: [message] } : {})
    // A subclass that narrows Status passes it; 400 is the default of the unnarrowed base.
    this.status = options.status ?? (400 as Status)
  }
}

/**
 * The common shape of a refusal about one field of a form (`null`: the whole request), e.g.
 * `new MemberError('email', 'Enter an e-mail address.')`. Each area names its own subclass.
 */
export class FieldRefusal<Field extends string = string> extends DomainError<Field> {
  constructor(field: Field | null, message: string, status: DomainErrorStatus = 400) {
    super(message, { field, status })
  }
}

/** Validators' one message per field as the lists `fieldErrors` holds. */
export function messagesPerField(errors: Record<string, string>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(errors).map(([field, message]) => [field, [message]]))
}

/** Whether `error` refused a form rendered from data someone changed since (status 409). */
export function isConflict(error: unknown): error is DomainError {
  return error instanceof DomainError && error.status === 409
}
