import { formatCalendarDay } from '~/utils/time'
import type { NotificationKind } from './kinds'

/**
 * Incident notification e-mails: plain text and HTML with the same content, a subject that says
 * which incident, how severe and what happened, and a link straight to the incident (it goes
 * through sign-in and lands on the incident).
 */
export interface IncidentEmailInput {
  appUrl: string
  organizationName: string
  kind: NotificationKind
  incident: { number: number; title: string; severity: string; status: string }
  /** What happened, short: "SLA breached: acknowledge target". */
  headline: string
  /** Further lines: times, reasons, who did it. */
  details: string[]
  /** Why this person gets the e-mail: "You command this incident", a rule's name… */
  reasons: string[]
}

export function incidentUrl(appUrl: string, number: number) {
  return `${appUrl.replace(/\/+$/, '')}/incidents/${number}`
}

export function escapeHtml(text: string) {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
}

/** Mail headers must not carry line breaks; titles come from users. */
const oneLine = (text: string) => text.replace(/[\r\n\t]+/g, ' ').trim()

export function incidentEmail(input: IncidentEmailInput) {
  const { incident } = input
  const link = incidentUrl(input.appUrl, incident.number)
  const subject = oneLine(
    `[INC-${incident.number}] ${incident.severity} ${input.headline}: ${incident.title}`,
  ).slice(0, 300)
  const text = [
    `INC-${incident.number} · ${incident.severity} · ${incident.title}`,
    '',
    input.headline,
    ...input.details,
    '',
    `Open the incident: ${link}`,
    '',
    ...input.reasons.map((r) => `You get this e-mail because: ${r}`),
    `${input.organizationName} on IncidentFlow. Change which e-mails you get: ${input.appUrl.replace(/\/+$/, '')}/account/notifications`,
  ].join('\n')
  const html = `<!doctype html>
<html lang="en"><body style="font-family: system-ui, sans-serif; color: #111; line-height: 1.5">
<p style="margin: 0 0 4px; color: #555">INC-${incident.number} · ${escapeHtml(incident.severity)} · ${escapeHtml(input.organizationName)}</p>
<h1 style="font-size: 18px; margin: 0 0 12px">${escapeHtml(incident.title)}</h1>
<p style="font-size: 16px; font-weight: 600; margin: 0 0 8px">${escapeHtml(input.headline)}</p>
${input.details.map((d) => `<p style="margin: 0 0 4px">${escapeHtml(d)}</p>`).join('\n')}
<p style="margin: 16px 0"><a href="${escapeHtml(link)}" style="background: #111; color: #fff; padding: 8px 14px; border-radius: 6px; text-decoration: none">Open INC-${incident.number}</a></p>
<p style="font-size: 12px; color: #555">${input.reasons.map((r) => `You get this e-mail because: ${escapeHtml(r)}`).join('<br>')}<br>
<a href="${escapeHtml(input.appUrl.replace(/\/+$/, ''))}/account/notifications">Change which e-mails you get</a></p>
</body></html>`
  return { subject, text, html }
}

export interface ActionItemOverdueEmailInput {
  appUrl: string
  organizationName: string
  incident: { number: number; title: string }
  item: { title: string; dueOn: string; priority: string; status: string }
}

export function actionItemsUrl(appUrl: string, number: number) {
  return `${incidentUrl(appUrl, number)}/postmortem/action-items`
}

/** Tells an action item's owner that it is past its due date, with a link to the postmortem's items. */
export function actionItemOverdueEmail(input: ActionItemOverdueEmailInput) {
  const { incident, item } = input
  const base = input.appUrl.replace(/\/+$/, '')
  const link = actionItemsUrl(input.appUrl, incident.number)
  const due = formatCalendarDay(item.dueOn)
  const subject = oneLine(`[INC-${incident.number}] Action item overdue: ${item.title}`).slice(
    0,
    300,
  )
  const text = [
    `INC-${incident.number} · ${incident.title}`,
    '',
    `Your postmortem action item is overdue: ${item.title}`,
    `Due: ${due} · Priority: ${item.priority} · Status: ${item.status}`,
    '',
    `Open the action items: ${link}`,
    '',
    'You get this e-mail because: you own this action item',
    `${input.organizationName} on IncidentFlow. Change which e-mails you get: ${base}/account/notifications`,
  ].join('\n')
  const html = `<!doctype html>
<html lang="en"><body style="font-family: system-ui, sans-serif; color: #111; line-height: 1.5">
<p style="margin: 0 0 4px; color: #555">INC-${incident.number} · ${escapeHtml(input.organizationName)}</p>
<h1 style="font-size: 18px; margin: 0 0 12px">${escapeHtml(incident.title)}</h1>
<p style="font-size: 16px; font-weight: 600; margin: 0 0 8px">Your postmortem action item is overdue: ${escapeHtml(item.title)}</p>
<p style="margin: 0 0 4px">Due: ${escapeHtml(due)} · Priority: ${escapeHtml(item.priority)} · Status: ${escapeHtml(item.status)}</p>
<p style="margin: 16px 0"><a href="${escapeHtml(link)}" style="background: #111; color: #fff; padding: 8px 14px; border-radius: 6px; text-decoration: none">Open the action items</a></p>
<p style="font-size: 12px; color: #555">You get this e-mail because: you own this action item<br>
<a href="${escapeHtml(base)}/account/notifications">Change which e-mails you get</a></p>
</body></html>`
  return { subject, text, html }
}
