import type { NextFunction, Request, Response } from 'express'
import { DATE_RANGE_MESSAGE, isDateOutsideRange } from '~/utils/date-range'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])
/** The query parameters that carry dates on pages, exports and the API (`from`/`to` periods). */
const DATE_PARAMS = ['from', 'to']
const FORM_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data'])

/**
 * Refuses, before any route runs, requests no route can answer sensibly, with a 4xx that says
 * why instead of the 500 a loader or action would end in:
 *
 * - an address holding a NUL character (`%00`): PostgreSQL cannot compare text with it;
 * - a path whose %-escapes are not UTF-8 (`/%E0%A4%A`): Remix cannot decode it to match a route;
 * - a `from`/`to` date outside the accepted range (date-range.ts), on any page or export;
 * - a state-changing request to a page whose body is not a form (JSON, text, XML, none) or a
 *   multipart body without its boundary: 415 / 400. Pages take HTML forms only; the JSON API
 *   and inbound hooks (`jsonPrefixes`) read their own bodies and answer in JSON.
 *
 * Answers under `jsonPrefixes` use the API's error shape.
 */
export function requestGuard(options: { jsonPrefixes: string[] }) {
  return (req: Request, res: Response, next: NextFunction) => {
    const json = options.jsonPrefixes.some((prefix) => req.path.startsWith(prefix))
    const refuse = (status: number, code: string, message: string, field?: string) => {
      res.status(status).set('Cache-Control', 'no-store')
      if (json)
        res.json({ error: { code, message, ...(field ? { fields: { [field]: [message] } } : {}) } })
      else res.type('text/plain').send(message)
    }

    if (/%00/i.test(req.url))
      return refuse(
        json ? 422 : 400,
        'validation_failed',
        'The address contains a NUL character (%00), which no page or parameter accepts.',
      )

    const at = req.url.indexOf('?')
    try {
      decodeURIComponent(at < 0 ? req.url : req.url.slice(0, at))
    } catch {
      return refuse(
        400,
        'bad_request',
        'The address is not valid: a %-escape in its path does not spell UTF-8 text.',
      )
    }
    if (at >= 0) {
      const query = new URLSearchParams(req.url.slice(at + 1))
      for (const key of DATE_PARAMS) {
        if (query.getAll(key).some(isDateOutsideRange))
          return refuse(
            json ? 422 : 400,
            'validation_failed',
            `\`${key}\`: ${DATE_RANGE_MESSAGE}`,
            key,
          )
      }
    }

    if (SAFE_METHODS.has(req.method) || json) return next()
    const contentType = req.get('content-type') ?? ''
    const type = contentType.split(';', 1)[0]!.trim().toLowerCase()
    if (!FORM_TYPES.has(type))
      return refuse(
        415,
        'unsupported_media_type',
        `Pages accept HTML form submissions only (application/x-www-form-urlencoded or multipart/form-data), not ${type ? type : 'a body without a Content-Type'}. Nothing was changed.`,
      )
    if (type === 'multipart/form-data' && !/;\s*boundary=/i.test(contentType))
      return refuse(
        400,
        'bad_request',
        'The multipart form has no boundary parameter, so it cannot be read. Nothing was changed.',
      )
    next()
  }
}
