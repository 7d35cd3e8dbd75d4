import type { LoaderFunctionArgs } from '@remix-run/node'
import { createReadableStreamFromReadable, redirect } from '@remix-run/node'
import { requireMember } from '~/domain/access/guard.server'
import { findAttachment } from '~/domain/evidence/evidence.server'
import { IMAGE_KINDS, contentDisposition, type EvidenceKind } from '~/domain/evidence/file-type'
import { isUuid } from '~/utils/uuid'

const IMAGE_TYPES = new Set([...IMAGE_KINDS].map((k: EvidenceKind) => `image/${k}`))

/**
 * Nothing served from here can run in the app's origin, whatever the bytes are. The
 * security-headers middleware already sends `X-Content-Type-Options: nosniff` and
 * `Cross-Origin-Resource-Policy: same-origin` on every response; repeating them here made the
 * adapter append a second copy, and a doubled CORP value is invalid, so browsers ignored it. The
 * sandboxing policy below is sent as a second CSP, which browsers enforce alongside the first.
 */
const FILE_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox",
  'Cache-Control': 'private, no-store',
}

/**
 * Downloads one piece of evidence after checking organization and permission. With `?inline=1`
 * an image is shown in place (the timeline preview); everything else is an attachment. The s3
 * driver answers downloads with a short-lived presigned URL; previews stream through the app so
 * they stay same-origin.
 */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'incident.view')
  const number = Number(params.number)
  const attachmentId = params.attachmentId ?? ''
  if (!Number.isInteger(number) || number < 1 || !isUuid(attachmentId)) {
    throw new Response('Not found', { status: 404 })
  }
  const attachment = await findAttachment(context.orm, member, number, attachmentId)
  if (!attachment) throw new Response('Not found', { status: 404 })
  const inline =
    new URL(request.url).searchParams.get('inline') === '1' &&
    IMAGE_TYPES.has(attachment.contentType)
  const disposition = contentDisposition(inline ? 'inline' : 'attachment', attachment.displayName)
  if (!inline) {
    const presigned = await context.store.presignedDownloadUrl(attachment.objectKey, {
      expiresInSeconds: 60,
      filename: attachment.displayName,
      contentType: attachment.contentType,
    })
    if (presigned)
      return redirect(presigned, { status: 303, headers: { 'Cache-Control': 'no-store' } })
  }
  const object = await context.store.get(attachment.objectKey)
  if (!object) throw new Response('The stored file is missing', { status: 404 })
  return new Response(createReadableStreamFromReadable(object.body), {
    headers: {
      ...FILE_HEADERS,
      'Content-Type': attachment.contentType,
      'Content-Length': String(object.size),
      'Content-Disposition': disposition,
    },
  })
}
