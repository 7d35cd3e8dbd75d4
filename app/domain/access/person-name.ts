/** How pages, exports and the API name someone who has left the organization. */
export const FORMER_MEMBER = 'Former member'

/** A person's name, or `former` when they are no longer in the organization's directory. */
export function memberName(name: string | null | undefined, former = FORMER_MEMBER): string {
  return name ?? former
}

/**
 * A name lookup over the organization's people: null when there is nobody (no id), the name of
 * someone in the directory, otherwise `former` — "Former member" on pages; the model draft's
 * prompt reads "a former member"; the API's event summaries pass null, so an unknown person reads
 * as nobody there ("commander none → …"), as they always have.
 */
export function personNamer<Former extends string | null = string>(
  find: (id: string) => string | null | undefined,
  former: Former = FORMER_MEMBER as Former,
): (id: string | null | undefined) => string | Former | null {
  return (id) => (id ? (find(id) ?? former) : null)
}
