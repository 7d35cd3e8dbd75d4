import { gzipSync } from 'node:zlib'
import type { MikroORM } from '@mikro-orm/postgresql'
import express from 'express'
import { createElement } from 'react'
import { renderToStaticMarkup } from 'react-dom/server'
import { StatusMessageDocument, StatusPageDocument } from '~/components/status/status-page-document'
import { customHostProblem } from '~/domain/status/status-admin.server'
import { statusAtom, statusJson, type StatusUrls } from '~/domain/status/status-feeds'
import {
  dataVersion,
  findPublishedStatusPage,
  nextClockChange,
  publishedStatusHosts,
  readStatusPage,
  type StatusOrganization,
} from '~/domain/status/status-page.server'
import {
  confirmSubscription,
  normalizeEmail,
  subscribe,
  unsubscribe,
} from '~/domain/status/subscribers.server'
import type { PgBoss } from '~/queue/send.server'
import type { Logger } from '~/utils/logger.server'
import type { CachedRendering, StatusCache } from './status-cache.server'

/**
 * The public status page, answered by Express before Remix (decision 040): no session, no app
 * shell, and — with the process's `StatusCache` — no database work for a page view.
 *
 * `/status/<slug>` (HTML), `/status/<slug>/feed.atom`, `/status/<slug>/status.json`, and the
 * subscriber paths `/status/<slug>/subscribe` (POST), `/subscribe/confirm?token=…` and
 * `/unsubscribe?token=…` (GET shows a button; POST, also RFC 8058's one-click POST, does it).
 * A request whose Host is a published page's custom host name gets the same paths at `/`.
 * Unknown or unpublished pages answer 404.
 */

/** Browsers and proxies may reuse a page this long; then they revalidate with its ETag. */
export const STATUS_MAX_AGE_SECONDS = 30

type Kind = 'html' | 'atom' | 'json'

const CONTENT_TYPES: Record<Kind, string> = {
  html: 'text/html; charset=utf-8',
  atom: 'application/atom+xml; charset=utf-8',
  json: 'application/json; charset=utf-8',
}

const PATH = /^\/status\/([a-z0-9-]{1,80})(\/[^?]*)?$/

export interface StatusRouterOptions {
  orm: MikroORM
  boss: PgBoss
  appUrl: string
  /** Signs subscriber links (SESSION_SECRET). */
  secret: string
  logger: Logger
  /** Renderings kept in memory; without one every view reads the database. */
  cache?: StatusCache
  now: () => Date
}

export function statusRouter(options: StatusRouterOptions) {
  const { orm, cache } = options
  const app = new URL(options.appUrl)
  const router = express.Router()
  const form = express.urlencoded({ extended: false, limit: '4kb' })

  const render = async (
    slug: string,
    kind: Kind,
    urls: StatusUrls,
    byHost: boolean,
  ): Promise<{ value: CachedRendering; validUntil: number }> => {
    const now = options.now()
    const organization = await findPublishedStatusPage(orm, { slug })
    const data = organization ? await readStatusPage(orm, organization, now) : null
    if (!data)
      return {
        value: {
          status: 404,
          body: Buffer.from('Not found'),
          gzip: null,
          etag: '',
          contentType: 'text/plain; charset=utf-8',
        },
        validUntil: now.getTime() + STATUS_MAX_AGE_SECONDS * 1000,
      }
    const body =
      kind === 'json'
        ? JSON.stringify(statusJson(data, urls))
        : kind === 'atom'
          ? statusAtom(data, urls)
          : `<!DOCTYPE html>${renderToStaticMarkup(createElement(StatusPageDocument, { data, urls }))}`
    return {
      value: {
        status: 200,
        body: Buffer.from(body),
        gzip: gzipSync(body, { level: 6 }),
        etag: `"${kind}${byHost ? 'h' : ''}-${dataVersion(data)}"`,
        contentType: CONTENT_TYPES[kind],
      },
      validUntil: nextClockChange(data, now),
    }
  }

  const answerPage = async (
    req: express.Request,
    res: express.Response,
    slug: string,
    kind: Kind,
    urls: StatusUrls,
    byHost: boolean,
  ) => {
    const load = () => render(slug, kind, urls, byHost)
    const page = cache ? await cache.get(slug, `${kind}:${urls.page}`, load) : (await load()).value
    if (page.status !== 200) {
      res
        .status(page.status)
        .set('Cache-Control', 'no-store')
        .type(page.contentType)
        .send(page.body)
      return
    }
    // Browsers ask for gzip: they get the copy compressed once with the rendering (a
    // representation of its own, so its own strong ETag), and the compression middleware, seeing
    // Content-Encoding set, leaves it alone.
    const gzip = page.gzip !== null && /\bgzip\b/i.test(req.get('accept-encoding') ?? '')
    const etag = gzip ? `${page.etag.slice(0, -1)}-gz"` : page.etag
    res.set({
      ETag: etag,
      'Cache-Control': `public, max-age=${STATUS_MAX_AGE_SECONDS}`,
      'Content-Type': page.contentType,
      Vary: 'Accept-Encoding',
    })
    const match = req.get('if-none-match')
    if (match && match.split(',').some((tag) => tag.trim() === etag || tag.trim() === '*')) {
      res.status(304).end()
      return
    }
    const body = gzip ? page.gzip! : page.body
    if (gzip) res.setHeader('Content-Encoding', 'gzip')
    res.status(200).setHeader('Content-Length', body.length)
    res.end(body)
  }

  const message = (
    res: express.Response,
    status: number,
    organization: Pick<StatusOrganization, 'name'>,
    back: string,
    heading: string,
    text: string,
    formProps?: { action: string; token: string; button: string },
  ) => {
    const html = renderToStaticMarkup(
      createElement(StatusMessageDocument, {
        title: `${organization.name} status`,
        heading,
        message: text,
        back,
        ...(formProps ? { form: formProps } : {}),
      }),
    )
    res.status(status).set('Cache-Control', 'no-store').type('html').send(`<!DOCTYPE html>${html}`)
  }

  router.use(async (req, res, next) => {
    try {
      let slug: string
      let rest: string
      let base: string
      const matched = PATH.exec(req.path)
      if (matched) {
        slug = matched[1]!
        rest = matched[2] ?? ''
        base = `${app.origin}/status/${slug}`
      } else {
        const host = req.hostname?.toLowerCase() ?? ''
        // Only a name that could have been saved as a custom host is looked up: the application's
        // own host, IP addresses and localhost never are, so their requests cost no database work.
        if (!host || customHostProblem(host, app.hostname) !== null) return next()
        const hosts = cache
          ? await cache.hostMap(() => publishedStatusHosts(orm))
          : await publishedStatusHosts(orm)
        const hostSlug = hosts.get(host)
        if (!hostSlug) return next()
        slug = hostSlug
        rest = req.path === '/' ? '' : req.path
        // The port as the visitor typed it, from the header Express took the host name from.
        const named = [req.get('x-forwarded-host')?.split(',')[0]?.trim(), req.get('host')].find(
          (value) => value?.toLowerCase().split(':')[0] === host,
        )
        const port = named?.split(':')[1]
        base = `${app.protocol}//${host}${port ? `:${port}` : ''}`
      }
      const byHost = !matched
      const urls: StatusUrls = {
        page: byHost ? `${base}/` : base,
        feed: `${base}/feed.atom`,
        json: `${base}/status.json`,
      }
      const read = req.method === 'GET' || req.method === 'HEAD'
      if (read && rest === '') return await answerPage(req, res, slug, 'html', urls, byHost)
      if (read && rest === '/feed.atom')
        return await answerPage(req, res, slug, 'atom', urls, byHost)
      if (read && rest === '/status.json')
        return await answerPage(req, res, slug, 'json', urls, byHost)

      const subscriberPath = ['/subscribe', '/subscribe/confirm', '/unsubscribe'].includes(rest)
      if (!subscriberPath) {
        // The page's icon is the application's own, served from public/ on either host.
        if (byHost && rest !== '/favicon.svg') {
          res.status(404).set('Cache-Control', 'no-store').type('text/plain').send('Not found')
          return
        }
        return next()
      }
      const organization = await findPublishedStatusPage(orm, { slug })
      if (!organization) {
        res.status(404).set('Cache-Control', 'no-store').type('text/plain').send('Not found')
        return
      }
      const links = { pageUrl: base, secret: options.secret }
      const back = urls.page
      const now = options.now()

      if (rest === '/subscribe' && req.method === 'POST') {
        await new Promise<void>((resolve, reject) =>
          form(req, res, (error?: unknown) => (error ? reject(error) : resolve())),
        )
        const body = (req.body ?? {}) as Record<string, unknown>
        const email = normalizeEmail(typeof body.email === 'string' ? body.email : '')
        if (!email)
          return message(
            res,
            400,
            organization,
            back,
            'Check the address',
            'Enter a valid e-mail address, like name@example.com.',
          )
        const outcome = await subscribe(options.orm, options.boss, organization, {
          email,
          clientIp: req.ip ?? 'unknown',
          now,
          links,
        })
        if (outcome === 'limited')
          return message(
            res,
            429,
            organization,
            back,
            'Too many attempts',
            'Too many subscription attempts. Try again in an hour.',
          )
        return message(
          res,
          200,
          organization,
          back,
          'Check your inbox',
          'If this address can receive our updates, a confirmation link is on its way. Nothing is sent until it is opened.',
        )
      }
      if (rest === '/subscribe/confirm' && req.method === 'GET') {
        const token = typeof req.query.token === 'string' ? req.query.token : ''
        const done = await confirmSubscription(orm, organization, token, options.secret, now)
        return done
          ? message(
              res,
              200,
              organization,
              back,
              'Subscription confirmed',
              'You will get an e-mail for each public update and maintenance notice.',
            )
          : message(
              res,
              400,
              organization,
              back,
              'Link not valid',
              'This link is not valid or has expired. Subscribe again to get a new one.',
            )
      }
      if (rest === '/unsubscribe' && req.method === 'GET') {
        const token = typeof req.query.token === 'string' ? req.query.token : ''
        return message(
          res,
          200,
          organization,
          back,
          'Unsubscribe',
          'Stop e-mails from this status page?',
          {
            action: `${base}/unsubscribe`,
            token,
            button: 'Unsubscribe',
          },
        )
      }
      if (rest === '/unsubscribe' && req.method === 'POST') {
        await new Promise<void>((resolve, reject) =>
          form(req, res, (error?: unknown) => (error ? reject(error) : resolve())),
        )
        const body = (req.body ?? {}) as Record<string, unknown>
        // RFC 8058 one-click: the token stays in the List-Unsubscribe URL's query.
        const token =
          typeof body.token === 'string'
            ? body.token
            : typeof req.query.token === 'string'
              ? req.query.token
              : ''
        const done = await unsubscribe(orm, organization, token, options.secret, now)
        return done
          ? message(
              res,
              200,
              organization,
              back,
              'Unsubscribed',
              'You will get no more e-mails from this status page.',
            )
          : message(
              res,
              400,
              organization,
              back,
              'Link not valid',
              'This link is not valid or has expired.',
            )
      }
      res.status(405).set('Cache-Control', 'no-store').type('text/plain').send('Method not allowed')
    } catch (error) {
      next(error)
    }
  })
  return router
}
