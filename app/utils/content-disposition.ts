/**
 * `Content-Disposition` per RFC 6266: an ASCII fallback name (quotes and backslashes replaced)
 * plus the exact UTF-8 name in `filename*` (RFC 5987), so any file name survives intact.
 */
export function contentDisposition(kind: 'attachment' | 'inline', filename: string) {
  const fallback = filename.replace(/[^\x20-\x7e]|["\\]/g, '_') || 'download'
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${encoded}`
}
