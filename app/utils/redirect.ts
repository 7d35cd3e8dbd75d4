const BASE = 'http://placeholder.invalid'

/**
 * Where to go after signing in: only same-site relative paths are followed. Anything absolute,
 * protocol-relative (`//evil.example`), with a backslash, or with control characters falls back.
 * The check is made on the normalised result, not on the raw string: dot segments (`/.//x`,
 * `/a/..//x`, `/%2e//x`) can turn a harmless-looking path into `//x`, which a browser reads as
 * another host. The answer must mean the same path when a browser resolves it again.
 */
export function safeRedirect(
  target: FormDataEntryValue | string | null | undefined,
  fallback = '/',
): string {
  if (typeof target !== 'string' || target.length === 0 || target.length > 2000) return fallback
  if (!isSameSitePath(target)) return fallback
  // eslint-disable-next-line no-control-regex
  if (/[\\\u0000-\u001f\u007f]/.test(target)) return fallback
  try {
    const url = new URL(target, BASE)
    if (url.origin !== BASE) return fallback
    const result = `${url.pathname}${url.search}${url.hash}`
    if (!isSameSitePath(result)) return fallback
    const again = new URL(result, BASE)
    if (again.origin !== BASE || `${again.pathname}${again.search}${again.hash}` !== result)
      return fallback
    return result
  } catch {
    return fallback
  }
}

/** One leading slash, not followed by another slash or a backslash. */
function isSameSitePath(value: string) {
  return value.startsWith('/') && !value.startsWith('//') && !value.startsWith('/\\')
}

/** `/login?redirectTo=<path>` for a request that needs a signed-in user. */
export function loginUrlFor(request: Request) {
  const url = new URL(request.url)
  const back = `${url.pathname}${url.search}`
  return back === '/' ? '/login' : `/login?redirectTo=${encodeURIComponent(back)}`
}
