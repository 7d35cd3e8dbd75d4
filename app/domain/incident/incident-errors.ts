/** A refused change, with words for the person who asked. */
export class IncidentError extends Error {
  constructor(
    readonly field: string | null,
    message: string,
    readonly status: 400 | 403 | 404 = 400,
  ) {
    super(message)
    this.name = 'IncidentError'
  }
}

/** The form was rendered from an older version: nothing was changed. */
export class IncidentConflictError extends Error {
  constructor(readonly currentVersion: number) {
    super(
      'This incident changed since you opened it. Review the current state below, then submit again.',
    )
    this.name = 'IncidentConflictError'
  }
}
