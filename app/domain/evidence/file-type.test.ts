import { describe, expect, it } from 'vitest'
import { SNIFF_BYTES, contentDisposition, displayName, sniff } from './file-type'

const bytes = (...values: number[]) => new Uint8Array(values)
const text = (value: string) => new TextEncoder().encode(value)
const withTail = (head: Uint8Array, size = 64) => {
  const out = new Uint8Array(size)
  out.set(head)
  for (let i = head.length; i < size; i++) out[i] = (i * 37) % 256
  return out
}

const HTML_REASON = /HTML, SVG and XML files are not accepted/
const TYPE_REASON = /This type of file is not accepted/

describe('sniff: binary kinds by magic bytes', () => {
  it.each([
    [
      'shot.png',
      withTail(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)),
      'png',
      'image/png',
    ],
    ['photo.jpg', withTail(bytes(0xff, 0xd8, 0xff, 0xe0)), 'jpeg', 'image/jpeg'],
    ['anim.gif', withTail(text('GIF89a')), 'gif', 'image/gif'],
    ['old.gif', withTail(text('GIF87a')), 'gif', 'image/gif'],
    [
      'pic.webp',
      withTail(new Uint8Array([...text('RIFF'), 1, 2, 3, 4, ...text('WEBPVP8 ')])),
      'webp',
      'image/webp',
    ],
    ['report.pdf', withTail(text('%PDF-1.7\n')), 'pdf', 'application/pdf'],
    ['logs.zip', withTail(bytes(0x50, 0x4b, 0x03, 0x04)), 'zip', 'application/zip'],
    ['empty.zip', withTail(bytes(0x50, 0x4b, 0x05, 0x06)), 'zip', 'application/zip'],
    ['logs.tar.gz', withTail(bytes(0x1f, 0x8b, 0x08)), 'gzip', 'application/gzip'],
  ])('%s is recognised', (name, head, kind, contentType) => {
    expect(sniff(head, name, true)).toEqual({ ok: true, kind, contentType })
  })

  it('recognises the kind from the bytes even without an extension', () => {
    expect(
      sniff(withTail(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)), 'screenshot', true),
    ).toMatchObject({ ok: true, kind: 'png' })
  })
})

describe('sniff: text kinds', () => {
  it('a log file is text/plain', () => {
    const log = text('2024-05-01T12:00:00Z ERROR payment-api timeout after 30s\n\tretrying…\n')
    expect(sniff(log, 'api.log', true)).toEqual({
      ok: true,
      kind: 'text',
      contentType: 'text/plain',
    })
  })

  it('JSON is application/json (as .json, .txt or .log)', () => {
    for (const name of ['dump.json', 'dump.txt', 'dump.log']) {
      expect(sniff(text('  {"status": "degraded", "p99": 1200}'), name, true)).toEqual({
        ok: true,
        kind: 'json',
        contentType: 'application/json',
      })
    }
    expect(sniff(text('[1, 2, 3]'), 'list.json', true)).toMatchObject({ ok: true, kind: 'json' })
  })

  it('CSV is decided by the extension', () => {
    const csv = text('time,service,errors\n12:00,api,3\n')
    expect(sniff(csv, 'errors.csv', true)).toEqual({
      ok: true,
      kind: 'csv',
      contentType: 'text/csv',
    })
    expect(sniff(csv, 'errors.txt', true)).toMatchObject({ ok: true, kind: 'text' })
  })

  it('a UTF-8 BOM is allowed', () => {
    expect(sniff(text('\uFEFFplain notes'), 'notes.txt', true)).toMatchObject({
      ok: true,
      kind: 'text',
    })
  })

  it('a multi-byte character cut at the end of the sniff window still counts as text', () => {
    const euro = text('€') // e2 82 ac
    const head = new Uint8Array(SNIFF_BYTES)
    head.fill(0x61)
    head.set(euro.subarray(0, 2), SNIFF_BYTES - 2)
    expect(sniff(head, 'long.log', false)).toMatchObject({ ok: true, kind: 'text' })
    // The same bytes as a whole file are not valid UTF-8.
    expect(sniff(head, 'long.log', true)).toMatchObject({ ok: false, reason: TYPE_REASON })
    const four = text('😀') // 4 bytes, 3 of them in the window
    head.fill(0x61)
    head.set(four.subarray(0, 3), SNIFF_BYTES - 3)
    expect(sniff(head, 'long.log', false)).toMatchObject({ ok: true, kind: 'text' })
  })
})

describe('sniff: refusals', () => {
  it.each([
    ['page.html', '<!DOCTYPE html><html><body>hi</body></html>'],
    ['evil.png', '<html><script>alert(1)</script></html>'],
    ['notes.txt', '<script>alert(document.cookie)</script>'],
    ['app.log', '  <script src="https://evil.example/x.js"></script>'],
    ['logo.svg', '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'],
    ['image.png', '<svg onload="alert(1)"/>'],
    ['feed.xml', '<?xml version="1.0"?><rss/>'],
    ['data.txt', '<?xml version="1.0"?><x:script xmlns:x="http://www.w3.org/1999/xhtml"/>'],
    ['frame.log', '<iframe src="javascript:alert(1)">'],
    ['bom.txt', '\uFEFF<html>'],
    ['comment.txt', '<!-- hidden --><b>x</b>'],
  ])('markup named %s is refused with the HTML message', (name, content) => {
    expect(sniff(text(content), name, true)).toEqual({
      ok: false,
      reason: expect.stringMatching(HTML_REASON),
    })
  })

  it('a text file named .png is refused because its content is not PNG', () => {
    expect(sniff(text('just some words'), 'screenshot.png', true)).toEqual({
      ok: false,
      reason: 'The file is named .png but its content is not PNG.',
    })
  })

  it('a PDF named .jpg is refused', () => {
    expect(sniff(withTail(text('%PDF-1.4')), 'photo.jpg', true)).toMatchObject({
      ok: false,
      reason: /named \.jpg/,
    })
  })

  it('binary garbage is refused', () => {
    expect(sniff(bytes(0x00, 0x13, 0xfe, 0x7f, 0x00, 0x99), 'blob.bin', true)).toEqual({
      ok: false,
      reason: expect.stringMatching(TYPE_REASON),
    })
    expect(sniff(bytes(0xc3, 0x28, 0xa0, 0xa1), 'data.txt', true)).toMatchObject({
      ok: false,
      reason: TYPE_REASON,
    })
    expect(sniff(text('MZ\u0001\u0002\u0003 executable'), 'tool.exe', true)).toMatchObject({
      ok: false,
      reason: TYPE_REASON,
    })
  })

  it('an empty file is refused', () => {
    expect(sniff(new Uint8Array(0), 'empty.log', true)).toEqual({
      ok: false,
      reason: 'The file is empty.',
    })
  })
})

describe('displayName', () => {
  it('strips folders, control characters and angle brackets', () => {
    expect(displayName('../../etc/pa"ss<wd>\u0007\u0000.txt')).toBe('pa"sswd.txt')
    expect(displayName('C:\\Users\\me\\Desktop\\report final.pdf')).toBe('report final.pdf')
    expect(displayName('line\r\nbreak\t.log')).toBe('linebreak.log')
    expect(displayName('  many    spaces .log ')).toBe('many spaces .log')
  })

  it('falls back to "evidence" and caps the length', () => {
    expect(displayName(undefined)).toBe('evidence')
    expect(displayName('dir/')).toBe('evidence')
    expect(displayName(`${'a'.repeat(600)}.log`)).toBe(`${'a'.repeat(496)}.log`)
  })

  it('keeps quotes, semicolons, equals signs, non-ASCII and names longer than 255 characters', () => {
    for (const name of [
      'say "hi"; a=b.txt',
      'Grüße aus 東京 ✓.log',
      `${'ü'.repeat(300)}.txt`,
      `${'😀'.repeat(260)}.txt`,
    ])
      expect(displayName(name)).toBe(name)
    expect(Array.from(displayName(`${'😀'.repeat(600)}.txt`))).toHaveLength(500)
  })
})

describe('contentDisposition', () => {
  it('gives a plain ASCII name as both filename and filename*', () => {
    expect(contentDisposition('attachment', 'api.log')).toBe(
      `attachment; filename="api.log"; filename*=UTF-8''api.log`,
    )
  })

  it('gives an ASCII fallback and the exact UTF-8 name (RFC 5987) for a non-ASCII name', () => {
    const header = contentDisposition('inline', 'Störung 日本 (1).png')
    expect(header).toBe(
      `inline; filename="St_rung __ (1).png"; filename*=UTF-8''St%C3%B6rung%20%E6%97%A5%E6%9C%AC%20%281%29.png`,
    )
    const encoded = /filename\*=UTF-8''(.+)$/.exec(header)![1]!
    expect(decodeURIComponent(encoded)).toBe('Störung 日本 (1).png')
    expect(header).toMatch(/^[\x20-\x7e]+$/)
  })

  it('never lets a quote or backslash break out of the quoted fallback', () => {
    expect(contentDisposition('attachment', 'a"b\\c.txt')).toMatch(
      /^attachment; filename="a_b_c\.txt";/,
    )
  })
})
