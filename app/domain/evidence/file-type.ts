/**
 * What a file really is, decided from its first bytes, never from its name. Only kinds that are
 * useful as incident evidence and cannot run in a browser are allowed.
 */

export type EvidenceKind =
  'png' | 'jpeg' | 'gif' | 'webp' | 'pdf' | 'zip' | 'gzip' | 'json' | 'csv' | 'text'

export const CONTENT_TYPES: Record<EvidenceKind, string> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  pdf: 'application/pdf',
  zip: 'application/zip',
  gzip: 'application/gzip',
  json: 'application/json',
  csv: 'text/csv',
  text: 'text/plain',
}

export const IMAGE_KINDS: ReadonlySet<EvidenceKind> = new Set(['png', 'jpeg', 'gif', 'webp'])

/** Extensions that promise a specific kind; a file named so must be that kind. */
const EXTENSION_KINDS: Record<string, readonly EvidenceKind[]> = {
  png: ['png'],
  jpg: ['jpeg'],
  jpeg: ['jpeg'],
  gif: ['gif'],
  webp: ['webp'],
  pdf: ['pdf'],
  zip: ['zip'],
  gz: ['gzip'],
  tgz: ['gzip'],
  json: ['json'],
  csv: ['csv', 'text'],
  txt: ['text', 'json', 'csv'],
  log: ['text', 'json'],
}

/** How many leading bytes `sniff` needs to decide. */
export const SNIFF_BYTES = 4096

export type SniffResult =
  { ok: true; kind: EvidenceKind; contentType: string } | { ok: false; reason: string }

const startsWith = (head: Uint8Array, bytes: number[], offset = 0) =>
  bytes.every((b, i) => head[offset + i] === b)
const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0))

function binaryKind(head: Uint8Array): EvidenceKind | null {
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png'
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'jpeg'
  if (startsWith(head, ascii('GIF87a')) || startsWith(head, ascii('GIF89a'))) return 'gif'
  if (startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WEBP'), 8)) return 'webp'
  if (startsWith(head, ascii('%PDF-'))) return 'pdf'
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04]) || startsWith(head, [0x50, 0x4b, 0x05, 0x06]))
    return 'zip'
  if (startsWith(head, [0x1f, 0x8b])) return 'gzip'
  return null
}

/** Markup a browser could render as a page or run: never accepted, whatever its name. */
const MARKUP =
  /^\s*(?:<!doctype\s+html|<html|<head|<body|<script|<svg|<\?xml|<iframe|<!--|<[a-z][\w-]*[\s>/])/i

function textKind(
  head: Uint8Array,
  complete: boolean,
  extension: string,
): EvidenceKind | 'markup' | null {
  if (head.includes(0)) return null
  let text: string
  try {
    // A multi-byte character may be cut at the end of the sniffed window: allow that.
    text = new TextDecoder('utf-8', { fatal: true }).decode(complete ? head : trimPartialUtf8(head))
  } catch {
    return null
  }
  const body = text.replace(/^\uFEFF/, '')
  if (MARKUP.test(body)) return 'markup'
  // eslint-disable-next-line no-control-regex -- control characters are what is being refused
  if (/[\u0000-\u0008\u000e-\u001f]/.test(body)) return null
  const trimmed = body.trimStart()
  if ((trimmed.startsWith('{') || trimmed.startsWith('[')) && extension !== 'csv') return 'json'
  if (extension === 'csv') return 'csv'
  return 'text'
}

function trimPartialUtf8(bytes: Uint8Array) {
  let end = bytes.length
  for (let i = 1; i <= 3 && end - i >= 0; i++) {
    const byte = bytes[end - i]!
    if ((byte & 0xc0) === 0x80) continue
    const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1
    if (need > i) end -= i
    break
  }
  return bytes.subarray(0, end)
}

export function extensionOf(filename: string) {
  const match = /\.([a-z0-9]{1,8})$/i.exec(filename)
  return match ? match[1]!.toLowerCase() : ''
}

/**
 * Decides the kind from the leading bytes (`complete` when they are the whole file) and checks
 * that the name does not promise something else (an HTML page renamed `.png` is refused).
 */
export function sniff(head: Uint8Array, filename: string, complete: boolean): SniffResult {
  const extension = extensionOf(filename)
  if (head.length === 0) return { ok: false, reason: 'The file is empty.' }
  const kind = binaryKind(head) ?? textKind(head, complete, extension)
  if (kind === 'markup') {
    return {
      ok: false,
      reason:
        'HTML, SVG and XML files are not accepted as evidence, because a browser could run them. Export a PDF or a screenshot instead.',
    }
  }
  if (!kind) {
    return {
      ok: false,
      reason:
        'This type of file is not accepted. Allowed: images (PNG, JPEG, GIF, WebP), PDF, text and logs, JSON, CSV, zip and gzip.',
    }
  }
  const promised = EXTENSION_KINDS[extension]
  if (promised && !promised.includes(kind)) {
    return {
      ok: false,
      reason: `The file is named .${extension} but its content is not ${extension.toUpperCase()}.`,
    }
  }
  return { ok: true, kind, contentType: CONTENT_TYPES[kind] }
}

/** A file name safe to show and to put in a header: no folders, no control characters. */
/** Longest stored file name, in characters (names of 255 bytes of UTF-8 and more fit). */
export const DISPLAY_NAME_MAX = 500

export function displayName(filename: string | undefined) {
  const base = (filename ?? '').split(/[\\/]/).pop() ?? ''
  const clean =
    base
      // eslint-disable-next-line no-control-regex -- control characters are what is being refused
      .replace(/[\u0000-\u001f\u007f<>]/g, '')
      .replace(/\s+/g, ' ')
      .trim() || 'evidence'
  // Counted and cut by code point (never half an emoji); a cut keeps the extension.
  const chars = Array.from(clean)
  if (chars.length <= DISPLAY_NAME_MAX) return clean
  const extension = /\.[^.\s]{1,15}$/.exec(clean)?.[0] ?? ''
  return chars.slice(0, DISPLAY_NAME_MAX - extension.length).join('') + extension
}

export { contentDisposition } from '~/utils/content-disposition'
