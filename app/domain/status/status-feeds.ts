import type { StatusPageData } from './status-page.server'

/**
 * The page's two machine-readable forms: JSON (`/status/<slug>/status.json`) and an Atom feed
 * (`/status/<slug>/feed.atom`, RFC 4287) of public updates and maintenance. Built from the same
 * data as the HTML page, so they never say more than it does.
 */

export interface StatusUrls {
  /** The page's absolute URL (`…/status/<slug>` or a custom host's `/`). */
  page: string
  feed: string
  json: string
}

export function statusJson(data: StatusPageData, urls: StatusUrls) {
  return {
    page: {
      name: data.title,
      organization: data.organization.name,
      url: urls.page,
      feed: urls.feed,
      updatedAt: data.updatedAt,
    },
    status: { state: data.overall.state, description: data.overall.description },
    groups: data.groups,
    components: data.components.map((c) => ({
      id: c.id,
      name: c.name,
      description: c.description,
      groupId: c.groupId,
      state: c.state,
      uptime: c.uptime,
      history: c.days.map((d) => ({ date: d.date, uptime: d.uptime, worst: d.worst })),
    })),
    incidents: data.activeIncidents.map(incidentJson),
    pastIncidents: data.pastIncidents.map(incidentJson),
    maintenance: data.maintenance.map((m) => ({
      id: m.id,
      title: m.title,
      message: m.message,
      startsAt: m.startsAt,
      endsAt: m.endsAt,
      phase: m.phase,
      components: m.components,
    })),
    history: data.history,
  }
}

function incidentJson(incident: StatusPageData['activeIncidents'][number]) {
  return {
    id: incident.id,
    title: incident.title,
    status: incident.status,
    startedAt: incident.startedAt,
    updatedAt: incident.updatedAt,
    resolvedAt: incident.resolvedAt,
    updates: incident.updates.map((u) => ({
      id: u.id,
      status: u.status,
      body: u.body,
      postedAt: u.postedAt,
      components: u.components.map((c) => ({ id: c.id, name: c.name, state: c.state })),
    })),
  }
}

const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
}
/** Text for XML content and attributes; characters XML 1.0 forbids are dropped. */
export function xmlText(value: string): string {
  return value
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!)
}

const FEED_ENTRIES = 50

export function statusAtom(data: StatusPageData, urls: StatusUrls): string {
  type Entry = { id: string; title: string; updated: string; text: string; link: string }
  const entries: Entry[] = []
  for (const incident of [...data.activeIncidents, ...data.pastIncidents]) {
    for (const u of incident.updates) {
      const affected = u.components.map((c) => `${c.name}: ${c.stateLabel}`).join('; ')
      entries.push({
        id: `urn:uuid:${u.id}`,
        title: `${incident.title} — ${u.statusLabel}`,
        updated: u.postedAt,
        text: affected ? `${u.body}\n\nAffected: ${affected}` : u.body,
        link: `${urls.page}#incident-${incident.id}`,
      })
    }
  }
  for (const m of data.maintenance) {
    const affected = m.components.map((c) => c.name).join(', ')
    entries.push({
      id: `urn:uuid:${m.id}`,
      title: `Maintenance: ${m.title}`,
      updated: m.startsAt,
      text: [
        `Scheduled from ${m.startsAt} to ${m.endsAt}.`,
        m.message,
        affected ? `Affected: ${affected}` : '',
      ]
        .filter(Boolean)
        .join('\n\n'),
      link: `${urls.page}#maintenance-${m.id}`,
    })
  }
  entries.sort((a, b) => b.updated.localeCompare(a.updated) || a.id.localeCompare(b.id))
  const shown = entries.slice(0, FEED_ENTRIES)
  const updated = [data.updatedAt, ...shown.map((e) => e.updated)].sort().at(-1)!
  const lines = [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<feed xmlns="http://www.w3.org/2005/Atom">',
    `  <id>${xmlText(urls.page)}</id>`,
    `  <title>${xmlText(data.title)}</title>`,
    `  <updated>${updated}</updated>`,
    `  <author><name>${xmlText(data.organization.name)}</name></author>`,
    `  <link rel="alternate" type="text/html" href="${xmlText(urls.page)}"/>`,
    `  <link rel="self" type="application/atom+xml" href="${xmlText(urls.feed)}"/>`,
  ]
  for (const e of shown) {
    lines.push(
      '  <entry>',
      `    <id>${e.id}</id>`,
      `    <title>${xmlText(e.title)}</title>`,
      `    <updated>${e.updated}</updated>`,
      `    <link rel="alternate" type="text/html" href="${xmlText(e.link)}"/>`,
      `    <content type="text">${xmlText(e.text)}</content>`,
      '  </entry>',
    )
  }
  lines.push('</feed>', '')
  return lines.join('\n')
}
