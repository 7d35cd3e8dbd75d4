import type { LoaderFunctionArgs } from '@remix-run/node'
import { createReadableStreamFromReadable, redirect } from '@remix-run/node'
import { requireMember } from '~/domain/access/guard.server'
import { openReportFile } from '~/domain/report/report.server'
import { contentDisposition } from '~/utils/content-disposition'
import { refusalResponse } from '~/utils/error-reply.server'

/**
 * Downloads a finished report's PDF after checking organization and permission; another
 * organization's report (or one not done) answers 404. The s3 driver answers with a short-lived
 * presigned URL that forces the same type and file name; the fs driver streams through the app.
 */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'report.create')
  let file
  try {
    file = await openReportFile(context.orm, context.store, member, params.reportId ?? '')
  } catch (error) {
    throw refusalResponse(error)
  }
  if (!file) throw new Response('Report not found', { status: 404 })
  if ('url' in file)
    return redirect(file.url, { status: 303, headers: { 'Cache-Control': 'no-store' } })
  return new Response(createReadableStreamFromReadable(file.body), {
    headers: {
      'Content-Type': 'application/pdf',
      'Content-Length': String(file.size),
      'Content-Disposition': contentDisposition('attachment', file.filename),
      'Cache-Control': 'private, no-store',
    },
  })
}
