/**
 * Text PostgreSQL cannot hold: U+0000 (refused by text and jsonb alike) and a UTF-16 surrogate
 * without its partner (JSON carries `"\ud800"`; jsonb refuses it, and text would silently get
 * U+FFFD instead). Input holding either is refused where it is read, as a field error, before any
 * database work. Browser-safe: the form schemas use it too.
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

export const UNSTORABLE_TEXT_MESSAGE =
  'This text contains a NUL character or a broken Unicode character, which cannot be stored. Remove it.'

export function isStorableText(value: string): boolean {
  return !value.includes('\u0000') && !LONE_SURROGATE.test(value)
}

/**
 * The path (`a.b.0`) of the first string or key in a parsed JSON document that cannot be stored,
 * `''` for the document itself, or null when every string is fine. Iterative, so a deeply nested
 * document cannot exhaust the stack.
 */
export function findUnstorableText(value: unknown): string | null {
  const stack: Array<{ value: unknown; path: string }> = [{ value, path: '' }]
  const join = (path: string, key: string | number) => (path ? `${path}.${key}` : String(key))
  while (stack.length) {
    const item = stack.pop()!
    if (typeof item.value === 'string') {
      if (!isStorableText(item.value)) return item.path
    } else if (Array.isArray(item.value)) {
      item.value.forEach((v, i) => stack.push({ value: v, path: join(item.path, i) }))
    } else if (item.value && typeof item.value === 'object') {
      for (const [k, v] of Object.entries(item.value)) {
        if (!isStorableText(k)) return join(item.path, printableKey(k))
        stack.push({ value: v, path: join(item.path, k) })
      }
    }
  }
  return null
}

/** A key fit to be named in an answer: the characters that cannot be stored written as escapes. */
function printableKey(key: string) {
  return key
    .split('\u0000')
    .join('\\u0000')
    .replace(/[\ud800-\udfff]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`)
}
