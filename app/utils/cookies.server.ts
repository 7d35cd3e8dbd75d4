/**
 * Cookies are Secure (and `__Host-` prefixed) whenever the app is served over HTTPS, and in
 * production on any non-loopback address. Plain http is only accepted on localhost, where
 * browsers would otherwise refuse a Secure cookie on some addresses.
 */
export function cookiesAreSecure(env: { APP_URL: string; NODE_ENV: string }) {
  const url = new URL(env.APP_URL)
  if (url.protocol === 'https:') return true
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)
  return env.NODE_ENV === 'production' && !loopback
}

export function cookieName(base: string, secure: boolean) {
  return secure ? `__Host-${base}` : base
}
