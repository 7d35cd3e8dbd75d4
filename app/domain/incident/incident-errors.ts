import { DomainError, FieldRefusal } from '~/domain/domain-error'

/** A refused change, with words for the person who asked. */
export class IncidentError extends FieldRefusal {}

/** The form was rendered from an older version: nothing was changed. */
export class IncidentConflictError extends DomainError {
  constructor(readonly currentVersion: number) {
    super(
      'This incident changed since you opened it. Review the current state below, then submit again.',
      { status: 409 },
    )
  }
}
