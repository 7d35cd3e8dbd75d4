/**
 * Where to go after signing in: only same-site relative paths are followed. Anything absolute,
 * protocol-relative (`//evil.example`), with a backslash, or with control characters falls back.
 */
export function safeRedirect(
  target: FormDataEntryValue | string | null | undefined,
  fallback = '/',
): string {
  if (typeof target !== 'string' || target.length === 0 || target.length > 2000) return fallback
  if (!target.startsWith('/') || target.startsWith('//') || target.startsWith('/\\'))
    return fallback
  // eslint-disable-next-line no-control-regex
  if (/[\\\u0000-\u001f\u007f]/.test(target)) return fallback
  try {
    const url = new URL(target, 'http://placeholder.invalid')
    if (url.origin !== 'http://placeholder.invalid') return fallback
    return `${url.pathname}${url.search}${url.hash}`
  } catch {
    return fallback
  }
}

/** `/login?redirectTo=<path>` for a request that needs a signed-in user. */
export function loginUrlFor(request: Request) {
  const url = new URL(request.url)
  const back = `${url.pathname}${url.search}`
  return back === '/' ? '/login' : `/login?redirectTo=${encodeURIComponent(back)}`
}
