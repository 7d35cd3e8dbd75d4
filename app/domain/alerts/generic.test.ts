import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseGeneric } from './generic'

const fixture = (name: string) =>
  JSON.parse(readFileSync(`tests/fixtures/alerts/${name}.json`, 'utf8')) as Record<string, unknown>

describe('parseGeneric', () => {
  it('reads the documented firing example', () => {
    expect(parseGeneric(fixture('generic-firing'))).toEqual({
      ok: true,
      note: null,
      alerts: [
        {
          dedupKey: 'search-index-lag',
          status: 'firing',
          title: 'Search index more than 15 minutes behind',
          severity: 'SEV-3',
          details:
            "The indexer's consumer lag has been above 15 minutes since 14:10 UTC.\n" +
            'region=eu-west-1, team=search\n' +
            'Source: https://grafana.example.com/d/search-indexer?orgId=1',
        },
      ],
    })
  })

  it('reads a resolution, which needs no title', () => {
    expect(parseGeneric({ dedup_key: 'k', status: 'resolved' })).toMatchObject({
      ok: true,
      alerts: [{ dedupKey: 'k', status: 'resolved', title: 'k', severity: null }],
    })
    expect(parseGeneric(fixture('generic-resolved'))).toMatchObject({
      ok: true,
      alerts: [{ dedupKey: 'search-index-lag', status: 'resolved' }],
    })
  })

  it('accepts every documented severity word', () => {
    const cases = {
      'SEV-1': 'SEV-1',
      'sev-2': 'SEV-2',
      critical: 'SEV-1',
      error: 'SEV-2',
      high: 'SEV-2',
      warning: 'SEV-3',
      info: 'SEV-4',
      low: 'SEV-4',
      P1: 'SEV-1',
      P5: 'SEV-4',
    }
    for (const [word, severity] of Object.entries(cases)) {
      const result = parseGeneric({ dedup_key: 'k', status: 'firing', title: 't', severity: word })
      expect(result.ok && result.alerts[0]!.severity).toBe(severity)
    }
  })

  it('reads a batch as one alert per entry', () => {
    const result = parseGeneric([
      { dedup_key: 'a', status: 'firing', title: 'A' },
      { dedup_key: 'b', status: 'resolved' },
    ])
    expect(result.ok && result.alerts.map((a) => [a.dedupKey, a.status])).toEqual([
      ['a', 'firing'],
      ['b', 'resolved'],
    ])
  })

  it('names each invalid field', () => {
    const result = parseGeneric({
      dedup_key: '',
      status: 'firing',
      severity: 'urgent',
      source_url: 'javascript:alert(1)',
    })
    expect(result.ok).toBe(false)
    if (result.ok) return
    const byPath = Object.fromEntries(result.issues.map((i) => [i.path, i.message]))
    expect(byPath).toMatchObject({
      dedup_key: 'dedup_key must not be empty.',
      severity: expect.stringContaining('severity must be SEV-1 to SEV-4'),
      source_url: 'source_url must be an http(s) URL.',
    })
  })

  it('requires a title for a firing alert and a known status', () => {
    const untitled = parseGeneric({ dedup_key: 'k', status: 'firing' })
    expect(!untitled.ok && untitled.issues).toEqual([
      { path: 'title', message: 'title is required for a firing alert.' },
    ])
    const unknown = parseGeneric({ dedup_key: 'k', status: 'open', title: 't' })
    expect(!unknown.ok && unknown.issues).toEqual([
      { path: 'status', message: 'status must be "firing" or "resolved".' },
    ])
  })

  it('refuses an oversized key, an empty batch and a batch entry with the index in the path', () => {
    expect(parseGeneric({ dedup_key: 'x'.repeat(501), status: 'resolved' }).ok).toBe(false)
    expect(parseGeneric([]).ok).toBe(false)
    const batch = parseGeneric([
      { dedup_key: 'a', status: 'firing', title: 'A' },
      { dedup_key: 'b', status: 'firing' },
    ])
    expect(!batch.ok && batch.issues.map((i) => i.path)).toEqual(['1.title'])
  })

  it('refuses non-objects', () => {
    for (const body of [null, 'firing', 42, true]) expect(parseGeneric(body).ok).toBe(false)
  })
})
