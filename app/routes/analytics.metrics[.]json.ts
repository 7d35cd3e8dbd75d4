import type { LoaderFunctionArgs } from '@remix-run/node'
import { metricsDownload } from '~/domain/analytics/analytics.server'

/** The dashboard (same filters) as JSON, with its filters, definitions and their version. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  return metricsDownload(request, context, 'json')
}
