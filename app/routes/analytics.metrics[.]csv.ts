import type { LoaderFunctionArgs } from '@remix-run/node'
import {
  exportFileName,
  exportHeaders,
  loadDashboard,
  metricsCsv,
  requireExport,
} from '~/domain/analytics/analytics.server'
import { countActionItems } from '~/domain/postmortem/action-items.server'
import { now } from '~/utils/clock'

/** Every number of the dashboard (same filters) as one long CSV table. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const { member, filters, timeZone } = await requireExport(request, context)
  const [dashboard, actionItems] = await Promise.all([
    loadDashboard(context.orm, member.organization.id, filters, now()),
    countActionItems(context.orm, member.organization.id, now()),
  ])
  const name = exportFileName(member.organization.slug, 'metrics', filters, timeZone, 'csv')
  return new Response(metricsCsv(dashboard, actionItems), {
    headers: exportHeaders('text/csv; charset=utf-8', name),
  })
}
