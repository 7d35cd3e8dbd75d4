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
    next()
  }
}
