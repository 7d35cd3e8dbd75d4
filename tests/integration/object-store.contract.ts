import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { contentDisposition } from '~/utils/content-disposition'
import { ObjectTooLargeError, type ObjectStore } from '~/utils/storage/storage.server'

/**
 * The behaviour every ObjectStore driver must share, run by object-store-fs.test.ts and
 * object-store-s3.test.ts. `subject()` is called inside the tests, so the store may be created
 * in a beforeAll (after its server started).
 */
export interface ContractSubject {
  store: ObjectStore
  /** What a refused upload may have left behind for `key` (temp files, multipart uploads). */
  leftovers(key: string): Promise<string[]>
  /** s3 only: the same bucket reached with a wrong secret key. */
  wrongSecretStore?: ObjectStore
}

const KB = 1024
const MB = 1024 * KB

/** `size` pseudo-random bytes generated on the fly in 64 KB chunks; never held in memory. */
function generated(size: number) {
  const hash = createHash('sha256')
  async function* chunks() {
    for (let sent = 0; sent < size;) {
      const chunk = randomBytes(Math.min(64 * KB, size - sent))
      hash.update(chunk)
      sent += chunk.length
      yield chunk
    }
  }
  const stream = Readable.from(chunks(), { objectMode: false })
  let digest: string | undefined
  return {
    stream,
    /** The SHA-256 of what was generated; valid once the stream has been fully consumed. */
    sha256: () => (digest ??= hash.digest('hex')),
  }
}

/** Reads a stream to the end without keeping it: size and SHA-256. */
async function measure(body: AsyncIterable<Buffer | Uint8Array>) {
  const hash = createHash('sha256')
  let size = 0
  for await (const chunk of body) {
    hash.update(chunk)
    size += chunk.length
  }
  return { size, sha256: hash.digest('hex') }
}

const newKey = () => `contract/${randomUUID()}/${randomUUID()}`
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export function objectStoreContract(subject: () => ContractSubject) {
  describe('ObjectStore contract', () => {
    it('round-trips a few KB: same bytes, size, SHA-256 and content type', async () => {
      const { store } = subject()
      const key = newKey()
      const bytes = randomBytes(5 * KB + 123)
      const expected = createHash('sha256').update(bytes).digest('hex')

      const stored = await store.put(
        key,
        Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]),
        {
          contentType: 'text/plain; charset=utf-8',
          maxBytes: 10 * KB,
        },
      )
      expect(stored).toEqual({ key, size: bytes.length, sha256: expected })
      expect(await store.exists(key)).toBe(true)

      const object = await store.get(key)
      expect(object).not.toBeNull()
      expect(object!.size).toBe(bytes.length)
      expect(object!.contentType).toBe('text/plain; charset=utf-8')
      expect(await measure(object!.body)).toEqual({ size: bytes.length, sha256: expected })
    })

    it(
      'streams ~20 MB in and out (multipart on S3) byte-identically',
      { timeout: 120_000 },
      async () => {
        const { store } = subject()
        const key = newKey()
        const size = 20 * MB + 12_345
        const body = generated(size)

        const stored = await store.put(key, body.stream, {
          contentType: 'application/pdf',
          maxBytes: 25 * MB,
        })
        expect(stored.size).toBe(size)
        expect(stored.sha256).toBe(body.sha256())

        const object = await store.get(key)
        expect(object?.size).toBe(size)
        expect(object?.contentType).toBe('application/pdf')
        expect(await measure(object!.body)).toEqual({ size, sha256: body.sha256() })
      },
    )

    it('accepts exactly maxBytes', async () => {
      const { store } = subject()
      const key = newKey()
      const stored = await store.put(key, generated(64 * KB).stream, {
        contentType: 'application/octet-stream',
        maxBytes: 64 * KB,
      })
      expect(stored.size).toBe(64 * KB)
      expect(await store.exists(key)).toBe(true)
    })

    it('refuses a small body over maxBytes and leaves nothing behind', async () => {
      const { store, leftovers } = subject()
      const key = newKey()
      const put = store.put(key, generated(300 * KB).stream, {
        contentType: 'image/png',
        maxBytes: 100 * KB,
      })
      await expect(put).rejects.toBeInstanceOf(ObjectTooLargeError)
      await expect(put).rejects.toMatchObject({ maxBytes: 100 * KB })
      expect(await store.exists(key)).toBe(false)
      expect(await store.get(key)).toBeNull()
      expect(await leftovers(key)).toEqual([])
    })

    it(
      'refuses a large body after some parts were sent and leaves nothing behind',
      { timeout: 120_000 },
      async () => {
        const { store, leftovers } = subject()
        const key = newKey()
        // One full 8 MB part is uploaded before the limit is crossed in the second one.
        const put = store.put(key, generated(14 * MB).stream, {
          contentType: 'video/mp4',
          maxBytes: 10 * MB,
        })
        await expect(put).rejects.toBeInstanceOf(ObjectTooLargeError)
        expect(await store.exists(key)).toBe(false)
        expect(await store.get(key)).toBeNull()
        expect(await leftovers(key)).toEqual([])
      },
    )

    it('answers null / false for a missing key', async () => {
      const { store } = subject()
      const key = newKey()
      expect(await store.get(key)).toBeNull()
      expect(await store.exists(key)).toBe(false)
    })

    it('deletes an object, and deleting a missing one is not an error', async () => {
      const { store } = subject()
      const key = newKey()
      await store.put(key, Readable.from([Buffer.from('evidence')]), {
        contentType: 'text/plain',
        maxBytes: 100,
      })
      expect(await store.exists(key)).toBe(true)
      await store.delete(key)
      expect(await store.exists(key)).toBe(false)
      expect(await store.get(key)).toBeNull()
      await expect(store.delete(key)).resolves.toBeUndefined()
    })

    it('replaces an object put twice under the same key', async () => {
      const { store } = subject()
      const key = newKey()
      const options = { contentType: 'text/plain', maxBytes: 100 }
      await store.put(key, Readable.from([Buffer.from('first version')]), options)
      await store.put(key, Readable.from([Buffer.from('second')]), options)
      const object = await store.get(key)
      expect(object?.size).toBe(6)
      const chunks: Buffer[] = []
      for await (const chunk of object!.body) chunks.push(Buffer.from(chunk as Uint8Array))
      expect(Buffer.concat(chunks).toString()).toBe('second')
    })
  })
}

/** Presigned URLs and signature checks: only meaningful against a real S3 server. */
export function s3OnlyContract(subject: () => ContractSubject) {
  describe('S3 presigned downloads and signatures', () => {
    const filename = 'Incident report – café "Nord".pdf'

    it('a presigned URL downloads the object with the forced headers', async () => {
      const { store } = subject()
      const key = newKey()
      const bytes = randomBytes(50 * KB)
      await store.put(key, Readable.from([bytes]), {
        contentType: 'application/octet-stream',
        maxBytes: MB,
      })

      const url = await store.presignedDownloadUrl(key, {
        expiresInSeconds: 60,
        filename,
        contentType: 'application/pdf',
      })
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//)
      const response = await fetch(url!)
      expect(response.status).toBe(200)
      expect(response.headers.get('content-disposition')).toBe(
        contentDisposition('attachment', filename),
      )
      expect(response.headers.get('content-type')).toBe('application/pdf')
      expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true)
    })

    it('a presigned URL stops working once it expired', { timeout: 15_000 }, async () => {
      const { store } = subject()
      const key = newKey()
      await store.put(key, Readable.from([Buffer.from('short-lived')]), {
        contentType: 'text/plain',
        maxBytes: 100,
      })
      const url = await store.presignedDownloadUrl(key, {
        expiresInSeconds: 1,
        filename: 'a.txt',
        contentType: 'text/plain',
      })
      const signedAt = Date.now()
      await sleep(2_000)
      // Bounded: allow the server's one-second clock granularity, then give up after 6 s.
      let status = 0
      while (Date.now() - signedAt < 6_000) {
        const response = await fetch(url!)
        await response.arrayBuffer()
        status = response.status
        if (status === 403) break
        await sleep(250)
      }
      expect(status).toBe(403)
    })

    it('a wrong secret key is refused and stores nothing', async () => {
      const { store, wrongSecretStore } = subject()
      const key = newKey()
      const put = wrongSecretStore!.put(key, Readable.from([Buffer.from('forged')]), {
        contentType: 'text/plain',
        maxBytes: 100,
      })
      await expect(put).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' })
      expect(await store.exists(key)).toBe(false)
    })
  })
}
