import type { LoaderFunctionArgs } from '@remix-run/node'
import { requireMember } from '../domain/access/guard.server'
import { getIncidentDetail } from '../domain/incident/incident-service.server'
import { timelineCsv } from '../domain/incident/timeline-export.server'

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'incident.view')
  const number = Number(params.number)
  const detail =
    Number.isInteger(number) && number > 0
      ? await getIncidentDetail(context.orm, member, number)
      : null
  if (!detail) throw new Response('Incident not found', { status: 404 })
  const csv = timelineCsv(detail.events, (id) =>
    id ? (detail.people.get(id)?.email ?? id) : 'system',
  )
  return new Response(csv, {
    headers: {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="INC-${number}-timeline.csv"`,
      'Cache-Control': 'private, no-store',
    },
  })
}
