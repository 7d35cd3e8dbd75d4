import { renderToStaticMarkup } from 'react-dom/server'
import { describe, expect, it } from 'vitest'
import {
  INCIDENT_STATUSES,
  SEVERITIES,
  SEVERITY_DESCRIPTIONS,
  STATUS_LABELS,
} from '~/domain/incident/vocabulary'
import { SeverityBadge, StatusBadge } from './badges'

/** The text a screen reader or a colour-blind reader gets: markup minus aria-hidden parts. */
function readableText(html: string) {
  return html
    .replace(/<(\w+)[^>]*aria-hidden="true"[^>]*>.*?<\/\1>/g, '')
    .replace(/<[^>]+>/g, '')
    .trim()
}

describe('StatusBadge', () => {
  it.each(INCIDENT_STATUSES)('shows the word for %s, not only a colour', (status) => {
    const html = renderToStaticMarkup(<StatusBadge status={status} />)
    expect(readableText(html)).toBe(STATUS_LABELS[status])
    expect(html).toContain(`data-status="${status}"`)
  })

  it('gives every status a distinct label', () => {
    const labels = INCIDENT_STATUSES.map((status) =>
      readableText(renderToStaticMarkup(<StatusBadge status={status} />)),
    )
    expect(new Set(labels).size).toBe(INCIDENT_STATUSES.length)
  })
})

describe('SeverityBadge', () => {
  it.each(SEVERITIES)('shows %s as text with its meaning as a title', (severity) => {
    const html = renderToStaticMarkup(<SeverityBadge severity={severity} />)
    expect(readableText(html)).toBe(severity)
    expect(html).toContain(`title="${SEVERITY_DESCRIPTIONS[severity]}"`)
  })
})
