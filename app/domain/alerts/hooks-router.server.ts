import type { IncomingMessage } from 'node:http'
import type { MikroORM } from '@mikro-orm/postgresql'
import express, { type Request, type Response } from 'express'
import type { PgBoss } from '~/queue/send.server'
import type { Logger } from '~/utils/logger.server'
import { ingestAlert, refusal, type IngestAnswer } from './ingest.server'

/**
 * `/hooks/<kind>/<token>`: inbound alerts, answered by Express before Remix. Machines post here,
 * so there is no page to render, no session and no origin check; handling the request stream
 * directly lets the size limit stop reading at the limit.
 */
export function hooksRouter(deps: {
  orm: MikroORM
  boss: PgBoss
  logger: Logger
  maxBytes: number
}): express.Router {
  const router = express.Router()

  router.post('/hooks/:kind/:token', async (req: Request, res: Response) => {
    let answer: IngestAnswer
    try {
      answer = await ingestAlert(
        { orm: deps.orm, boss: deps.boss, maxBytes: deps.maxBytes },
        {
          kind: req.params.kind ?? '',
          token: req.params.token ?? '',
          contentType: req.headers['content-type'],
          contentLength: req.headers['content-length'],
          signature: header(req, 'x-pagerduty-signature'),
          readBody: (limit) => readLimited(req, limit),
        },
      )
    } catch (error) {
      // Neither the token nor the payload is logged: a database error's message can quote the
      // statement's values, so only its kind is.
      deps.logger.error(
        {
          errName: error instanceof Error ? error.name : typeof error,
          errCode: (error as { code?: unknown } | null)?.code,
          kind: req.params.kind,
        },
        'inbound alert failed',
      )
      answer = {
        status: 500,
        body: { error: { code: 'internal_error', message: 'Something went wrong; retry later.' } },
        headers: {},
      }
    }
    if (res.headersSent) return
    res.status(answer.status).set('Cache-Control', 'no-store').set(answer.headers).json(answer.body)
  })

  router.all('/hooks/:kind/:token', (_req, res) => {
    res
      .status(405)
      .set('Allow', 'POST')
      .json({ error: { code: 'method_not_allowed', message: 'Send alerts with POST.' } })
  })

  router.all(['/hooks', '/hooks/*'], (_req, res) => {
    const answer = refusal(404, 'not_found', 'Post alerts to /hooks/<source>/<token>.')
    res.status(answer.status).json(answer.body)
  })

  return router
}

function header(req: Request, name: string) {
  const value = req.headers[name]
  return Array.isArray(value) ? value.join(',') : value
}

/** Bytes drained from a refused body before the connection is cut instead. */
const DRAIN_FACTOR = 4

/**
 * The request body, or null as soon as it passes `limit` bytes. What arrives after that is
 * discarded rather than kept, so the client can still read the 413; a sender that keeps going
 * well past the limit has its connection closed.
 */
export function readLimited(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let done = false
    const finish = (value: Buffer | null) => {
      if (done) return
      done = true
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onError)
      resolve(value)
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= limit) {
        chunks.push(chunk)
        return
      }
      chunks.length = 0
      let drained = size
      req.on('data', (more: Buffer) => {
        drained += more.length
        if (drained > limit * DRAIN_FACTOR) req.socket.destroy()
      })
      req.on('error', () => {})
      finish(null)
    }
    const onEnd = () => finish(Buffer.concat(chunks, size))
    const onError = (error: Error) => {
      if (!done) {
        done = true
        reject(error)
      }
    }
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onError)
  })
}
