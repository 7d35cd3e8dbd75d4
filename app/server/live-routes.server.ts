import type { AppLoadContext } from '@remix-run/node'
import express from 'express'
import { getViewer } from '~/domain/access/guard.server'
import { can } from '~/domain/access/permissions'
import { findLiveIncident } from '~/domain/live/live-access.server'
import { parseLastEventId } from '~/domain/live/live-events'
import type { AppLoadContext as LoadContext } from '~/utils/load-context.server'
import type { Logger } from '~/utils/logger.server'
import type { LiveHub, OpenRefusal, StreamSpec } from './live-hub.server'

/**
 * The live streams, answered by Express before Remix (and before compression, which would hold
 * the events back): `GET /live/incidents/:number` follows one incident, `GET /live/incidents`
 * the organization's list and home page. The viewer is read from the session cookie exactly as
 * pages read it (`getViewer`); a signed-out request gets 401, an incident of another organization
 * or none 404. The database connection used for those checks is given back before the stream
 * starts. Every message is a hint to reload, not the data itself: pages re-run their loaders.
 */

const REFUSALS: Record<OpenRefusal, { status: number; message: string }> = {
  'session-limit': {
    status: 429,
    message: 'Too many live pages are open in this browser session; close one and reload.',
  },
  'process-limit': { status: 503, message: 'This server has too many live pages open.' },
  stopping: { status: 503, message: 'This server is shutting down; try again.' },
}

export function liveRouter(options: {
  hub: LiveHub
  context: Pick<LoadContext, 'env' | 'orm' | 'boss' | 'store'>
  logger: Logger
}) {
  const { hub } = options
  const router = express.Router()

  const refuse = (res: express.Response, status: number, message: string) => {
    res.status(status).set('Cache-Control', 'no-store').type('text/plain').send(message)
  }

  const serve =
    (kind: StreamSpec['kind']): express.RequestHandler =>
    async (req, res, next) => {
      try {
        const request = new Request(new URL(req.originalUrl, options.context.env.APP_URL), {
          headers: { Cookie: req.get('cookie') ?? '' },
        })
        const context: AppLoadContext = {
          ...options.context,
          logger: (req as unknown as { log?: Logger }).log ?? options.logger,
          nonce: '',
          requestId: String((req as unknown as { id?: string }).id ?? ''),
          clientIp: req.ip ?? 'unknown',
        }
        const viewer = await getViewer(request, context)
        if (!viewer) return refuse(res, 401, 'Sign in to follow live updates.')
        const organization = viewer.organization
        if (!organization || !viewer.role || !can(viewer.role, 'incident.view'))
          return refuse(res, 403, 'Your role does not allow this.')

        let incident = null
        if (kind === 'incident') {
          const number = Number(req.params.number)
          if (!/^\d{1,10}$/.test(req.params.number ?? '') || number < 1 || number > 2_000_000_000)
            return refuse(res, 404, 'Incident not found')
          incident = await findLiveIncident(
            options.context.orm,
            organization.id,
            number,
            viewer.user.id,
          )
          if (!incident) return refuse(res, 404, 'Incident not found')
        }

        const spec: StreamSpec = {
          kind,
          organizationId: organization.id,
          incidentId: incident?.id,
          userId: viewer.user.id,
          sessionId: viewer.sessionId,
        }
        const stream = hub.open(spec, {
          write: (text) => {
            res.write(text)
          },
          end: () => res.end(),
          buffered: () => res.writableLength,
        })
        if (typeof stream === 'string') {
          const refusal = REFUSALS[stream]
          res.set('Retry-After', '10')
          return refuse(res, refusal.status, refusal.message)
        }
        res.on('close', () => stream.close())
        req.socket.setNoDelay(true)
        // Headers go out before anything is buffered, so a proxy starts streaming at once.
        res.writeHead(200, {
          'Content-Type': 'text/event-stream; charset=utf-8',
          'Cache-Control': 'no-cache, no-transform',
          'X-Accel-Buffering': 'no',
        })
        res.write(`retry: ${hub.options.retryMs}\n\n`)

        if (incident) {
          // Resume after the last event the browser saw (on reconnection), or after the one the
          // page was rendered from (`since`), never after the incident's real head.
          const asked =
            parseLastEventId(req.get('last-event-id')) ??
            parseLastEventId(request.url ? new URL(request.url).searchParams.get('since') : null) ??
            incident.lastSeq
          await hub.resume(stream, Math.min(asked, incident.lastSeq))
        } else {
          await hub.resume(stream, null)
        }
      } catch (error) {
        if (res.headersSent) {
          options.logger.warn({ err: error }, 'live: stream failed')
          res.end()
        } else {
          next(error)
        }
      }
    }

  router.get('/live/incidents', serve('organization'))
  router.get('/live/incidents/:number', serve('incident'))
  return router
}
