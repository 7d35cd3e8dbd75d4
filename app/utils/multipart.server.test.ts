import { describe, expect, it } from 'vitest'
import {
  MultipartError,
  multipartBoundary,
  parseContentDisposition,
  parseMultipartFormData,
} from './multipart.server'

describe('parseContentDisposition', () => {
  it.each([
    ['form-data; name="file"; filename="a=b.txt"', 'a=b.txt'],
    ['form-data; name="file"; filename="notes; v2.txt"', 'notes; v2.txt'],
    ['form-data; name="file"; filename="say %22hi%22.txt"', 'say "hi".txt'],
    ['form-data; name="file"; filename="say \\"hi\\".txt"', 'say "hi".txt'],
    ['form-data; name="file"; filename="Grüße 東京.log"', 'Grüße 東京.log'],
    ['form-data; name="file"; filename="a\\\\b.txt"', 'a\\b.txt'],
    ['form-data; name="file"; filename=plain.txt', 'plain.txt'],
    [
      `form-data; name="file"; filename="x.txt"; filename*=UTF-8''%E2%82%AC%20rates.txt`,
      '€ rates.txt',
    ],
    ['form-data; name="file"; filename=""', ''],
    ['FORM-DATA;NAME="file";FILENAME="=;=.txt"', '=;=.txt'],
  ])('reads %j', (header, filename) => {
    expect(parseContentDisposition(header)).toEqual({ name: 'file', filename })
  })

  it('gives no filename for a plain field', () => {
    expect(parseContentDisposition('form-data; name="description"')).toEqual({
      name: 'description',
    })
  })

  it('refuses a part without a name or that is not form-data', () => {
    expect(() => parseContentDisposition('form-data; filename="x"')).toThrow(MultipartError)
    expect(() => parseContentDisposition('attachment; name="x"')).toThrow(MultipartError)
  })
})

describe('multipartBoundary', () => {
  it('reads plain and quoted boundaries', () => {
    expect(multipartBoundary('multipart/form-data; boundary=----WebKitFormBoundaryA1')).toBe(
      '----WebKitFormBoundaryA1',
    )
    expect(multipartBoundary('multipart/form-data; charset=utf-8; boundary="a b;c"')).toBe('a b;c')
    expect(multipartBoundary('multipart/form-data')).toBeNull()
    expect(multipartBoundary('application/json; boundary=x')).toBeNull()
  })
})

const BOUNDARY = '----WebKitFormBoundary7MA4YWxkTrZu0gW'

/** A body as Chromium sends it: the file name's bytes as UTF-8, `"` as %22. */
function browserBody(filename: string, content: Buffer, description = 'seen at 09:00') {
  const encoded = filename.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
  return Buffer.concat([
    Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="description"\r\n\r\n${description}\r\n` +
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${encoded}"\r\n` +
        `Content-Type: text/plain\r\n\r\n`,
    ),
    content,
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  ])
}

/** A request whose body arrives in pieces of `size` bytes. */
function request(body: Buffer, size: number) {
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < body.length; i += size)
        controller.enqueue(new Uint8Array(body.subarray(i, i + size)))
      controller.close()
    },
  })
  return new Request('http://app.test/upload', {
    method: 'POST',
    headers: { 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}` },
    body: stream,
    duplex: 'half',
  } as RequestInit)
}

async function collect(body: Buffer, size: number) {
  const files: Array<{ filename?: string; bytes: Buffer }> = []
  const form = await parseMultipartFormData(request(body, size), async (part) => {
    const chunks: Uint8Array[] = []
    for await (const chunk of part.data) chunks.push(chunk)
    const bytes = Buffer.concat(chunks)
    if (part.filename === undefined) return bytes.toString('utf8')
    files.push({ filename: part.filename, bytes })
    return 'stored'
  })
  return { form, files }
}

describe('parseMultipartFormData', () => {
  const content = Buffer.from(`line one\r\n--not-the-boundary\r\n${'x'.repeat(3000)}\r\nend`)
  const names = [
    'a=b.txt',
    'x; y.txt',
    'quote " in it.txt',
    'Grüße 東京 ✓.log',
    `${'n'.repeat(300)}.txt`,
  ]

  it.each([1, 7, 64, 65536])('reads fields and files sent in pieces of %i bytes', async (size) => {
    for (const name of names) {
      const { form, files } = await collect(browserBody(name, content), size)
      expect(form.get('description')).toBe('seen at 09:00')
      expect(form.get('file')).toBe('stored')
      expect(files).toEqual([{ filename: name, bytes: content }])
    }
  })

  it('skips what a handler leaves unread and still reads the next part', async () => {
    const body = Buffer.concat([
      Buffer.from(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n\r\n`,
      ),
      Buffer.alloc(100_000, 7),
      Buffer.from(
        `\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name="after"\r\n\r\nyes\r\n--${BOUNDARY}--\r\n`,
      ),
    ])
    const form = await parseMultipartFormData(request(body, 4096), async (part) => {
      if (part.filename !== undefined) return 'ignored'
      const chunks: Uint8Array[] = []
      for await (const chunk of part.data) chunks.push(chunk)
      return Buffer.concat(chunks).toString()
    })
    expect(form.get('after')).toBe('yes')
  })

  it.each([
    ['a body cut short', browserBody('a.txt', content).subarray(0, 200)],
    ['no boundary at all', Buffer.from('just text')],
    [
      'a part without Content-Disposition',
      Buffer.from(`--${BOUNDARY}\r\nContent-Type: text/plain\r\n\r\nx\r\n--${BOUNDARY}--\r\n`),
    ],
  ])('refuses %s with a MultipartError', async (_what, body) => {
    await expect(collect(body, 50)).rejects.toBeInstanceOf(MultipartError)
  })
})
