import type { NextFunction, Request, Response } from 'express'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * Refuses state-changing requests that another site started. Browsers send `Origin` on every
 * cross-origin POST (and `Sec-Fetch-Site` on all requests); a request naming another origin is
 * answered 403 before it reaches an action. Machine endpoints with their own authentication
 * (inbound webhooks, the token API) are exempt through `exemptPrefixes`.
 */
export function originCheck(options: { appUrl: string; exemptPrefixes?: string[] }) {
  const allowed = new URL(options.appUrl).origin
  const exempt = options.exemptPrefixes ?? []
  return (req: Request, res: Response, next: NextFunction) => {
    if (SAFE_METHODS.has(req.method) || exempt.some((prefix) => req.path.startsWith(prefix)))
      return next()
    const origin = req.get('origin')
    const fetchSite = req.get('sec-fetch-site')
    const host = req.get('host')
    const sameHost = (value: string) => {
      try {
        const url = new URL(value)
        return url.origin === allowed || url.host === host
      } catch {
        return false
      }
    }
    const crossSite =
      (origin !== undefined && origin !== 'null' && !sameHost(origin)) ||
      origin === 'null' ||
      fetchSite === 'cross-site'
    if (crossSite) {
      res.status(403).type('text/plain').send('Cross-site form submissions are not accepted.')
      return
    }
    // Remix aborts an action whose Origin names another host than the request's own
    // (X-Forwarded-Host, else Host) with a 500; e.g. a page opened as localhost posting to
    // 127.0.0.1, or a proxy that rewrites Host. Refused here instead, saying which names differ.
    const target = (req.get('x-forwarded-host')?.split(',')[0]?.trim() || host) ?? ''
    const originHost = origin !== undefined ? hostOf(origin) : null
    if (originHost !== null && originHost !== target) {
      res
        .status(403)
        .type('text/plain')
        .send(
          `This form was sent from ${originHost} but addressed to ${target || 'an unnamed host'}. Open IncidentFlow at ${allowed} and submit it again. (Behind a proxy, pass the original Host or X-Forwarded-Host on.)`,
        )
      return
    }
    next()
  }
}

function hostOf(origin: string): string | null {
  try {
    return new URL(origin).host
  } catch {
    return null
  }
}
