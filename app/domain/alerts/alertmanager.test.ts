import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseAlertmanager } from './alertmanager'

const fixture = (name: string) =>
  JSON.parse(readFileSync(`tests/fixtures/alerts/${name}.json`, 'utf8')) as Record<string, unknown>

describe('parseAlertmanager', () => {
  it('turns a firing group into one alert keyed by its groupKey', () => {
    const result = parseAlertmanager(fixture('alertmanager-firing'))
    expect(result).toMatchObject({
      ok: true,
      note: null,
      alerts: [
        {
          dedupKey: '{}/{namespace="shop"}:{alertname="CheckoutHighErrorRate"}',
          status: 'firing',
          title: 'Checkout error rate above 5%',
          severity: 'SEV-1',
        },
      ],
    })
    if (!result.ok) throw new Error('unreachable')
    const details = result.alerts[0]!.details!
    expect(details).toContain('2 firing, 0 resolved · receiver incidentflow')
    expect(details).toContain(
      '[firing] CheckoutHighErrorRate {instance=checkout-7d9f8b6c5-2xk4q:8080',
    )
    expect(details).toContain('Alertmanager: http://alertmanager.example.com:9093')
  })

  it('gives the resolved notification of the same group the same key', () => {
    const firing = parseAlertmanager(fixture('alertmanager-firing'))
    const resolved = parseAlertmanager(fixture('alertmanager-resolved'))
    if (!firing.ok || !resolved.ok) throw new Error('fixtures must parse')
    expect(resolved.alerts).toHaveLength(1)
    expect(resolved.alerts[0]!.status).toBe('resolved')
    expect(resolved.alerts[0]!.dedupKey).toBe(firing.alerts[0]!.dedupKey)
  })

  it('falls back to the alert name and counts the alerts when there is no summary', () => {
    const payload = fixture('alertmanager-firing')
    payload.commonAnnotations = {}
    const result = parseAlertmanager(payload)
    expect(result.ok && result.alerts[0]!.title).toBe('CheckoutHighErrorRate (2 alerts)')
  })

  it('takes the most severe firing alert when the group has no common severity', () => {
    const payload = fixture('alertmanager-firing') as {
      commonLabels: Record<string, string>
      alerts: Array<{ labels: Record<string, string> }>
    }
    delete payload.commonLabels.severity
    payload.alerts[0]!.labels.severity = 'warning'
    payload.alerts[1]!.labels.severity = 'error'
    const result = parseAlertmanager(payload)
    expect(result.ok && result.alerts[0]!.severity).toBe('SEV-2')
  })

  it('leaves the severity to the integration when no label names one it knows', () => {
    const payload = fixture('alertmanager-firing') as {
      commonLabels: Record<string, string>
      alerts: Array<{ labels: Record<string, string> }>
    }
    payload.commonLabels.severity = 'page-someone'
    for (const alert of payload.alerts) alert.labels.severity = 'page-someone'
    const result = parseAlertmanager(payload)
    expect(result.ok && result.alerts[0]!.severity).toBeNull()
  })

  it('hashes a groupKey too long to store', () => {
    const payload = fixture('alertmanager-firing')
    payload.groupKey = `{}:{alertname="${'x'.repeat(600)}"}`
    const result = parseAlertmanager(payload)
    expect(result.ok && result.alerts[0]!.dedupKey).toMatch(/^sha256:[0-9a-f]{64}$/)
  })

  it('refuses another payload version, naming the field', () => {
    const result = parseAlertmanager({ ...fixture('alertmanager-firing'), version: '3' })
    expect(result).toEqual({
      ok: false,
      issues: [
        {
          path: 'version',
          message: 'Only version "4" of the Alertmanager webhook payload is understood.',
        },
      ],
    })
  })

  it('refuses a payload without alerts or with a malformed alert', () => {
    const empty = parseAlertmanager({ ...fixture('alertmanager-firing'), alerts: [] })
    expect(empty.ok).toBe(false)
    expect(!empty.ok && empty.issues[0]!.path).toBe('alerts')

    const payload = fixture('alertmanager-firing') as { alerts: Array<Record<string, unknown>> }
    payload.alerts[1]!.status = 'pending'
    const bad = parseAlertmanager(payload)
    expect(!bad.ok && bad.issues.map((i) => i.path)).toEqual(['alerts.1.status'])
  })

  it('refuses things that are not an Alertmanager notification at all', () => {
    for (const body of [null, [], 'firing', { status: 'firing' }]) {
      expect(parseAlertmanager(body).ok).toBe(false)
    }
  })
})
