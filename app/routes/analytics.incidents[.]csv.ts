import type { LoaderFunctionArgs } from '@remix-run/node'
import {
  exportFileName,
  exportHeaders,
  incidentCsvStream,
  requireExport,
} from '~/domain/analytics/analytics.server'

/** The dashboard's incidents (same filters) as CSV, streamed in batches. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const { member, filters, timeZone } = await requireExport(request, context)
  const name = exportFileName(member.organization.slug, 'incidents', filters, timeZone, 'csv')
  return new Response(
    incidentCsvStream(context.orm, member.organization.id, filters, member.user.id),
    {
      headers: exportHeaders('text/csv; charset=utf-8', name),
    },
  )
}
