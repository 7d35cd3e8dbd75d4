import express, { type Request, type Response } from 'express'
import { readLimited } from '~/domain/alerts/hooks-router.server'
import type { SlackInboundDeps } from './context.server'
import { handleSlackHook, type SlackHookKind } from './inbound.server'

/** Slack's requests are small (a command, a click, an event); anything larger is refused. */
export const SLACK_MAX_BYTES = 256 * 1024

const KINDS: readonly SlackHookKind[] = ['commands', 'interactivity', 'events']

/**
 * `/hooks/slack/commands|interactivity|events`, answered by Express before Remix (and before the
 * alert hooks, whose `/hooks/<kind>/<token>` would match these paths too). The raw body is read
 * here, up to the limit, because the signature covers its exact bytes.
 */
export function slackHooksRouter(deps: SlackInboundDeps): express.Router {
  const router = express.Router()

  router.post('/hooks/slack/:kind', async (req: Request, res: Response) => {
    const kind = req.params.kind as SlackHookKind
    if (!KINDS.includes(kind)) {
      res.status(404).json({ ok: false, error: 'not_found' })
      return
    }
    const rawBody = await readLimited(req, SLACK_MAX_BYTES)
    if (rawBody === null) {
      res.status(413).json({ ok: false, error: 'payload_too_large' })
      return
    }
    try {
      const answer = await handleSlackHook(deps, kind, {
        rawBody,
        timestamp: header(req, 'x-slack-request-timestamp'),
        signature: header(req, 'x-slack-signature'),
        contentType: req.headers['content-type'],
      })
      res.status(answer.status).set('Cache-Control', 'no-store')
      if (answer.body === '') res.end()
      else res.json(answer.body)
    } catch (error) {
      // No body, token or text is logged: only what failed.
      deps.logger.error(
        {
          errName: error instanceof Error ? error.name : typeof error,
          errCode: (error as { code?: unknown } | null)?.code,
          kind,
        },
        'Slack request failed',
      )
      if (!res.headersSent) res.status(500).json({ ok: false, error: 'internal_error' })
    }
  })

  router.all('/hooks/slack/:kind', (_req, res) => {
    res.status(405).set('Allow', 'POST').json({ ok: false, error: 'method_not_allowed' })
  })

  return router
}

function header(req: Request, name: string) {
  const value = req.headers[name]
  return Array.isArray(value) ? value[0] : value
}
