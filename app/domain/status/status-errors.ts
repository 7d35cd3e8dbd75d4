import { FieldRefusal } from '~/domain/domain-error'
import { UNSTORABLE_TEXT_MESSAGE, isStorableText } from '~/utils/storable-text'

/** A refused status page change, with words for the person who asked. Nothing was written. */
export class StatusPageError extends FieldRefusal {}

/** Refuses text PostgreSQL cannot hold, as a field error. */
export function assertStorable(fields: Record<string, string | null | undefined>) {
  for (const [field, value] of Object.entries(fields)) {
    if (value != null && !isStorableText(value))
      throw new StatusPageError(field, UNSTORABLE_TEXT_MESSAGE)
  }
}
