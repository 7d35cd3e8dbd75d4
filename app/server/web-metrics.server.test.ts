import type { ServerBuild } from '@remix-run/node'
import { describe, expect, it } from 'vitest'
import { hasBearerToken } from '~/utils/metrics.server'
import { routeLabeller } from './web-metrics.server'

const route = (id: string, parentId: string | undefined, path?: string, index = false) => ({
  id,
  parentId,
  path,
  index,
})

/** The shape of Remix's route manifest, as the server build carries it. */
const build = {
  routes: {
    root: route('root', undefined, ''),
    'routes/_index': route('routes/_index', 'root', undefined, true),
    'routes/incidents.$number': route('routes/incidents.$number', 'root', 'incidents/:number'),
    'routes/incidents.new': route('routes/incidents.new', 'root', 'incidents/new'),
    'routes/analytics.metrics[.]csv': route(
      'routes/analytics.metrics[.]csv',
      'root',
      'analytics/metrics.csv',
    ),
    'routes/$': route('routes/$', 'root', '*'),
  },
} as unknown as ServerBuild

describe('route labels of request metrics', () => {
  const label = routeLabeller(build)

  it('names a page by its route id, never by the URL with its ids', () => {
    expect(label('/incidents/4711')).toBe('routes/incidents.$number')
    expect(label('/incidents/new')).toBe('routes/incidents.new')
    expect(label('/')).toBe('routes/_index')
  })

  it('counts single-fetch data requests under the page they load', () => {
    expect(label('/incidents/12.data')).toBe('routes/incidents.$number')
    expect(label('/_root.data')).toBe('routes/_index')
  })

  it('keeps a route whose path has an extension, and calls other files static', () => {
    expect(label('/analytics/metrics.csv')).toBe('routes/analytics.metrics[.]csv')
    expect(label('/favicon.ico')).toBe('static')
    expect(label('/build/entry.client-ABC123.js')).toBe('static')
    expect(label('/no/such/page')).toBe('routes/$')
  })

  it('gives inbound hooks their source only, never their token', () => {
    expect(label('/hooks/generic/s3cr3t-token')).toBe('hooks/generic')
    expect(label('/hooks/alertmanager/abc')).toBe('hooks/alertmanager')
    expect(label('/hooks/made-up-source/abc')).toBe('hooks/other')
  })

  it('labels a path the same way when it comes again, also after thousands of others', () => {
    const fresh = routeLabeller(build)
    expect(fresh('/incidents/new')).toBe('routes/incidents.new')
    expect(fresh('/incidents/new')).toBe('routes/incidents.new')
    for (let n = 1; n <= 5000; n++)
      expect(fresh(`/incidents/${n}`)).toBe('routes/incidents.$number')
    expect(fresh('/incidents/new')).toBe('routes/incidents.new')
    expect(fresh('/incidents/new.data')).toBe('routes/incidents.new')
    expect(fresh('/favicon.ico')).toBe('static')
    expect(fresh('/incidents/1')).toBe('routes/incidents.$number')
  })

  it('names what Express answers before Remix', () => {
    expect(label('/healthz')).toBe('/healthz')
    expect(label('/metrics')).toBe('/metrics')
    expect(routeLabeller(null)('/incidents/1')).toBe('unmatched')
    expect(label('/live/incidents')).toBe('live')
    expect(label('/live/incidents/12')).toBe('live')
  })
})

describe('the metrics bearer token', () => {
  const token = 'a-long-enough-metrics-token'

  it('accepts only "Bearer <token>"', () => {
    expect(hasBearerToken(`Bearer ${token}`, token)).toBe(true)
    expect(hasBearerToken(`bearer ${token}`, token)).toBe(true)
    expect(hasBearerToken(undefined, token)).toBe(false)
    expect(hasBearerToken(token, token)).toBe(false)
    expect(hasBearerToken(`Bearer ${token}x`, token)).toBe(false)
    expect(hasBearerToken(`Bearer ${token.slice(1)}`, token)).toBe(false)
    expect(hasBearerToken(`Basic ${token}`, token)).toBe(false)
    expect(hasBearerToken(`Bearer ${token} extra`, token)).toBe(false)
  })
})
