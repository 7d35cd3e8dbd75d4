import type { UploadHandler } from '@remix-run/node'

/**
 * A streaming `multipart/form-data` reader for uploads. Remix's own (through its multipart
 * dependency) splits `Content-Disposition` at every `;` and `=`, even inside quotes, so a file a
 * browser sends as `filename="a=b.txt"` or `filename="notes; v2.txt"` failed the whole request.
 * Here the header is read as RFC 7578 and the HTML standard describe it: quoted values may hold
 * any character; browsers write `"`, CR and LF in names as `%22`, `%0D`, `%0A` (turned back
 * here); `\"` from other clients is a quote; `filename*` (RFC 5987) wins when present. Names are
 * UTF-8. Each part's body streams to the upload handler as it arrives, as with Remix's reader,
 * whose `UploadHandler` contract this keeps (file names reduced to their last path segment).
 */

export class MultipartError extends Error {
  constructor(problem: string) {
    // "malformed multipart" is what callers match to answer 400.
    super(`malformed multipart body: ${problem}`)
    this.name = 'MultipartError'
  }
}

/** Headers of one part beyond this many bytes are not a browser's. */
const MAX_HEADER_BYTES = 16 * 1024
const CRLF = Buffer.from('\r\n')
const HEADER_END = Buffer.from('\r\n\r\n')

export interface PartDisposition {
  name: string
  filename?: string
}

/** The `boundary` parameter of a multipart Content-Type, or null. */
export function multipartBoundary(contentType: string | null): string | null {
  if (!contentType) return null
  const [type, ...rest] = splitParameters(contentType)
  if (type?.trim().toLowerCase() !== 'multipart/form-data') return null
  for (const [key, value] of rest.map(parameter)) {
    if (key === 'boundary' && value && value.length <= 70 && !/[\r\n]/.test(value)) return value
  }
  return null
}

/** `Content-Disposition: form-data; name="…"; filename="…"` of one part. */
export function parseContentDisposition(header: string): PartDisposition {
  const [type, ...rest] = splitParameters(header)
  if (type?.trim().toLowerCase() !== 'form-data')
    throw new MultipartError('a part is not form-data')
  const values = new Map<string, string>()
  for (const [key, value] of rest.map(parameter)) {
    if (key && value !== null && !values.has(key)) values.set(key, value)
  }
  const name = values.get('name')
  if (name === undefined) throw new MultipartError('a part has no name')
  const extended = values.has('filename*') ? decodeExtended(values.get('filename*')!) : null
  const plain = values.get('filename')
  const filename = extended ?? (plain === undefined ? undefined : fromFormEncoding(plain))
  return { name: fromFormEncoding(name), ...(filename === undefined ? {} : { filename }) }
}

/** Splits at `;` outside double quotes (a backslash escapes the next character in quotes). */
function splitParameters(header: string): string[] {
  const parts: string[] = []
  let current = ''
  let quoted = false
  for (let i = 0; i < header.length; i++) {
    const c = header[i]!
    if (quoted && c === '\\' && i + 1 < header.length) {
      current += c + header[i + 1]
      i += 1
    } else if (c === '"') {
      quoted = !quoted
      current += c
    } else if (c === ';' && !quoted) {
      parts.push(current)
      current = ''
    } else current += c
  }
  parts.push(current)
  return parts
}

/** `key=value` or `key="quoted value"`: the lower-case key and the unquoted value. */
function parameter(text: string): [string, string | null] {
  const at = text.indexOf('=')
  if (at < 0) return [text.trim().toLowerCase(), null]
  const key = text.slice(0, at).trim().toLowerCase()
  const raw = text.slice(at + 1).trim()
  if (!raw.startsWith('"')) return [key, raw]
  let value = ''
  for (let i = 1; i < raw.length; i++) {
    const c = raw[i]!
    if (c === '\\' && (raw[i + 1] === '"' || raw[i + 1] === '\\')) {
      value += raw[i + 1]
      i += 1
    } else if (c === '"') return [key, value]
    else value += c
  }
  // An unterminated quote: take what is there rather than refuse a browser's upload.
  return [key, value]
}

/** Browsers write `"`, CR and LF in names as `%22`, `%0D`, `%0A` (and nothing else). */
function fromFormEncoding(value: string) {
  return value.replace(/%(22|0d|0a)/gi, (_match, hex: string) =>
    String.fromCharCode(parseInt(hex, 16)),
  )
}

/** RFC 5987 `UTF-8''percent-encoded` (or ISO-8859-1); null when unreadable. */
function decodeExtended(value: string): string | null {
  const match = /^(utf-8|iso-8859-1)'[^']*'(.*)$/i.exec(value.trim())
  if (!match) return null
  try {
    if (match[1]!.toLowerCase() === 'utf-8') return decodeURIComponent(match[2]!)
    return match[2]!.replace(/%([0-9a-f]{2})/gi, (_m, hex: string) =>
      String.fromCharCode(parseInt(hex, 16)),
    )
  } catch {
    return null
  }
}

/** Pulls the body in chunks and finds delimiters in what it has buffered. */
class BodyReader {
  private buffer: Buffer = Buffer.alloc(0)
  private ended = false
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>

  constructor(body: ReadableStream<Uint8Array>) {
    this.reader = body.getReader()
  }

  /** Reads one more chunk into the buffer; false at the end of the body. */
  async fill(): Promise<boolean> {
    if (this.ended) return false
    const { value, done } = await this.reader.read()
    if (done) {
      this.ended = true
      return false
    }
    const chunk = Buffer.from(value.buffer, value.byteOffset, value.byteLength)
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk
    return true
  }

  /** Skips up to and including `needle`; throws if the body ends first. */
  async skipPast(needle: Buffer, limit: number, what: string) {
    for (;;) {
      const at = this.buffer.indexOf(needle)
      if (at >= 0) {
        const before = this.buffer.subarray(0, at)
        this.buffer = this.buffer.subarray(at + needle.length)
        return before
      }
      if (this.buffer.length > limit) throw new MultipartError(`${what} is too long`)
      if (!(await this.fill())) throw new MultipartError(`the body ends inside ${what}`)
    }
  }

  /** The next `length` bytes, without consuming them. */
  async peek(length: number): Promise<Buffer> {
    while (this.buffer.length < length && (await this.fill()));
    return this.buffer.subarray(0, length)
  }

  consume(length: number) {
    this.buffer = this.buffer.subarray(length)
  }

  /**
   * The next piece of a part's body, up to `delimiter` (which stays in the buffer), or null when
   * the delimiter is next.
   */
  async bodyChunk(delimiter: Buffer): Promise<Buffer | null> {
    for (;;) {
      const at = this.buffer.indexOf(delimiter)
      if (at === 0) return null
      if (at > 0) {
        const piece = this.buffer.subarray(0, at)
        this.buffer = this.buffer.subarray(at)
        return piece
      }
      // Everything but a tail that could be the start of the delimiter is body.
      const safe = this.buffer.length - (delimiter.length - 1)
      if (safe > 0) {
        const piece = this.buffer.subarray(0, safe)
        this.buffer = this.buffer.subarray(safe)
        return piece
      }
      if (!(await this.fill())) throw new MultipartError('the body ends inside a part')
    }
  }

  /**
   * Reads the body to its end (the epilogue after the last delimiter is ignored). Cancelling the
   * stream instead would destroy the request, and with it the connection the answer goes out on.
   */
  async readToEnd() {
    this.buffer = Buffer.alloc(0)
    while (await this.fill()) this.buffer = Buffer.alloc(0)
  }

  /** Leaves what is unread to the server (after a refusal): the answer can still be sent. */
  release() {
    try {
      this.reader.releaseLock()
    } catch {
      // Already released, or a read still pending: either way the reader is no longer ours.
    }
  }
}

/**
 * Reads a `multipart/form-data` request: each part goes to `uploadHandler` (its body streamed),
 * and what the handler returns is added to the form under the part's name. Throws
 * `MultipartError` for a body that is not well-formed multipart.
 */
export async function parseMultipartFormData(
  request: Request,
  uploadHandler: UploadHandler,
): Promise<FormData> {
  const boundary = multipartBoundary(request.headers.get('content-type'))
  if (!boundary || !request.body) throw new MultipartError('no boundary or no body')
  const body = new BodyReader(request.body)
  const delimiter = Buffer.from(`\r\n--${boundary}`)
  const form = new FormData()
  try {
    // The first delimiter may come without the CRLF before it, after an ignored preamble.
    const first = Buffer.from(`--${boundary}`)
    await body.skipPast(first, 1024 + first.length, 'the preamble')
    for (;;) {
      const after = await body.peek(2)
      if (after.equals(Buffer.from('--'))) {
        await body.readToEnd()
        return form
      }
      // Transport padding (spaces, tabs) may follow a delimiter before its CRLF.
      const padding = await body.skipPast(CRLF, 1024, 'a delimiter line')
      if (!/^[ \t]*$/.test(padding.toString('latin1')))
        throw new MultipartError('a delimiter is followed by something else')
      const headerBlock = await body.skipPast(HEADER_END, MAX_HEADER_BYTES, 'part headers')
      const headers = parseHeaders(new TextDecoder().decode(headerBlock))
      const disposition = headers.get('content-disposition')
      if (!disposition) throw new MultipartError('a part has no Content-Disposition')
      const { name, filename } = parseContentDisposition(disposition)
      let finished = false
      const data = (async function* () {
        for (;;) {
          const chunk = await body.bodyChunk(delimiter)
          if (chunk === null) {
            finished = true
            return
          }
          yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)
        }
      })()
      const value = await uploadHandler({
        name,
        filename: filename === undefined ? undefined : (filename.split(/[/\\]/).pop() ?? ''),
        contentType: headers.get('content-type') ?? 'text/plain',
        data,
      })
      // Whatever the handler left unread of this part is skipped.
      while (!finished && (await body.bodyChunk(delimiter)) !== null);
      body.consume(delimiter.length)
      if (value !== undefined && value !== null) form.append(name, value)
    }
  } finally {
    body.release()
  }
}

/** Header lines of one part (the start line of the block is the first header). */
function parseHeaders(block: string): Map<string, string> {
  const headers = new Map<string, string>()
  for (const line of block.split('\r\n')) {
    if (line === '') continue
    const colon = line.indexOf(':')
    if (colon <= 0) throw new MultipartError('a part header has no name')
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim())
  }
  return headers
}
