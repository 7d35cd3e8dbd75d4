import { MultipartError, parseMultipartFormData } from './multipart.server'

/**
 * The form of a request, for every action: `request.formData()` throws on a body it cannot read
 * (a multipart body cut short or without its boundary), which would otherwise surface as a 500.
 * The request handler has already refused bodies that are not a form at all (415, see
 * request-guard.server.ts); what is left here is a form body that is broken.
 */
export async function readFormData(request: Request): Promise<FormData> {
  try {
    return await request.formData()
  } catch {
    throw unreadableForm()
  }
}

/** The answer to a form body that cannot be read; nothing has been changed yet. */
export function unreadableForm() {
  return new Response(
    'The form could not be read: the request body is not valid form data. Nothing was changed; submit the form again.',
    { status: 400, headers: { 'Content-Type': 'text/plain; charset=utf-8' } },
  )
}

/**
 * The form of a `multipart/form-data` request, each part through `uploadHandler` (see
 * parseMultipartFormData); a body cut short or malformed is answered like `readFormData`'s.
 */
export async function readMultipartFormData(
  ...args: Parameters<typeof parseMultipartFormData>
): Promise<FormData> {
  try {
    return await parseMultipartFormData(...args)
  } catch (error) {
    if (error instanceof MultipartError) throw unreadableForm()
    throw error
  }
}
