import type { LoaderFunctionArgs } from '@remix-run/node'
import { metricsDownload } from '~/domain/analytics/analytics.server'

/** Every number of the dashboard (same filters) as one long CSV table. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  return metricsDownload(request, context, 'csv')
}
