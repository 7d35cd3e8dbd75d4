import { escapeHtml } from '~/domain/notify/emails'

/** The e-mail telling whoever asked for a report that it is ready, with a link to its page. */
export interface ReportReadyEmailInput {
  appUrl: string
  organizationName: string
  reportId: string
  /** "Last 90 days: 3 Jan 2026 – 2 Apr 2026 (Europe/Zurich)" */
  period: string
  /** "All incidents", "SEV-1 · service Checkout" */
  filters: string
}

export function reportUrl(appUrl: string, reportId: string) {
  return `${appUrl.replace(/\/+$/, '')}/reports/${reportId}`
}

const oneLine = (text: string) => text.replace(/[\r\n\t]+/g, ' ').trim()

export function reportReadyEmail(input: ReportReadyEmailInput) {
  const link = reportUrl(input.appUrl, input.reportId)
  const subject = oneLine(
    `Incident report ready: ${input.organizationName}, ${input.period}`,
  ).slice(0, 300)
  const text = [
    `Your incident report for ${input.organizationName} is ready.`,
    '',
    `Period: ${input.period}`,
    `Filters: ${input.filters}`,
    '',
    `Download it: ${link}`,
  ].join('\n')
  const html = `<!doctype html>
<html lang="en"><body style="font-family: system-ui, sans-serif; color: #111; line-height: 1.5">
<p style="margin: 0 0 12px">Your incident report for ${escapeHtml(input.organizationName)} is ready.</p>
<p style="margin: 0 0 4px">Period: ${escapeHtml(input.period)}</p>
<p style="margin: 0 0 4px">Filters: ${escapeHtml(input.filters)}</p>
<p style="margin: 16px 0"><a href="${escapeHtml(link)}" style="background: #111; color: #fff; padding: 8px 14px; border-radius: 6px; text-decoration: none">Open the report</a></p>
</body></html>`
  return { subject, text, html }
}

export interface PostmortemReportReadyEmailInput {
  appUrl: string
  organizationName: string
  reportId: string
  incident: { number: number; title: string }
  revision: number
}

/** The same e-mail for a postmortem's PDF: which incident's postmortem, and which revision. */
export function postmortemReportReadyEmail(input: PostmortemReportReadyEmailInput) {
  const link = reportUrl(input.appUrl, input.reportId)
  const reference = `INC-${input.incident.number}`
  const subject = oneLine(
    `Postmortem PDF ready: ${reference} ${input.incident.title} (${input.organizationName})`,
  ).slice(0, 300)
  const text = [
    `The PDF of the ${reference} postmortem in ${input.organizationName} is ready.`,
    '',
    `Incident: ${reference} ${input.incident.title}`,
    `Revision: ${input.revision}`,
    '',
    `Download it: ${link}`,
  ].join('\n')
  const html = `<!doctype html>
<html lang="en"><body style="font-family: system-ui, sans-serif; color: #111; line-height: 1.5">
<p style="margin: 0 0 12px">The PDF of the ${reference} postmortem in ${escapeHtml(input.organizationName)} is ready.</p>
<p style="margin: 0 0 4px">Incident: ${reference} ${escapeHtml(input.incident.title)}</p>
<p style="margin: 0 0 4px">Revision: ${input.revision}</p>
<p style="margin: 16px 0"><a href="${escapeHtml(link)}" style="background: #111; color: #fff; padding: 8px 14px; border-radius: 6px; text-decoration: none">Open the report</a></p>
</body></html>`
  return { subject, text, html }
}
