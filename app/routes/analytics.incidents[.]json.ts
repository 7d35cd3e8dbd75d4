import type { LoaderFunctionArgs } from '@remix-run/node'
import {
  exportFileName,
  exportHeaders,
  incidentJsonStream,
  requireExport,
} from '~/domain/analytics/analytics.server'
import { now } from '~/utils/clock'

/** The dashboard's incidents (same filters) as JSON with the filters and definitions version. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const { member, filters, timeZone } = await requireExport(request, context)
  const name = exportFileName(member.organization.slug, 'incidents', filters, timeZone, 'json')
  return new Response(
    incidentJsonStream(context.orm, member.organization.id, filters, now(), member.user.id),
    {
      headers: exportHeaders('application/json; charset=utf-8', name),
    },
  )
}
