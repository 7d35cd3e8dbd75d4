import type { LoaderFunctionArgs } from '@remix-run/node'
import {
  exportFileName,
  exportHeaders,
  loadDashboard,
  metricsJson,
  requireExport,
} from '~/domain/analytics/analytics.server'
import { countActionItems } from '~/domain/postmortem/action-items.server'
import { now } from '~/utils/clock'

/** The dashboard (same filters) as JSON, with its filters, definitions and their version. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const { member, filters, timeZone } = await requireExport(request, context)
  const [dashboard, actionItems] = await Promise.all([
    loadDashboard(context.orm, member.organization.id, filters, now()),
    countActionItems(context.orm, member.organization.id, now()),
  ])
  const name = exportFileName(member.organization.slug, 'metrics', filters, timeZone, 'json')
  return new Response(metricsJson(dashboard, actionItems), {
    headers: exportHeaders('application/json; charset=utf-8', name),
  })
}
