import type { LoaderFunctionArgs } from '@remix-run/node'
import {
  downloadHeaders,
  loadIncidentForExport,
  timelineCsv,
} from '~/domain/incident/timeline-export.server'

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const { number, detail } = await loadIncidentForExport(request, context, params.number)
  const csv = timelineCsv(detail.events, (id) =>
    id ? (detail.people.get(id)?.email ?? id) : 'system',
  )
  return new Response(csv, {
    headers: downloadHeaders('text/csv; charset=utf-8', `INC-${number}-timeline.csv`),
  })
}
