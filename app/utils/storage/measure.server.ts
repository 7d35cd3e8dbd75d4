import { createHash } from 'node:crypto'
import { Transform } from 'node:stream'
import { ObjectTooLargeError } from './storage.server'

/**
 * A pass-through stream that counts and hashes (SHA-256) the bytes flowing through it and fails
 * with `ObjectTooLargeError` as soon as more than `maxBytes` arrive, before passing them on.
 */
export function byteMeter(maxBytes: number) {
  const hash = createHash('sha256')
  let size = 0
  let digest: string | undefined
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length
      if (size > maxBytes) return callback(new ObjectTooLargeError(maxBytes))
      hash.update(chunk)
      callback(null, chunk)
    },
    flush(callback) {
      digest = hash.digest('hex')
      callback()
    },
  })
  return {
    stream,
    /** Size and SHA-256 of everything that passed; only valid once the stream has ended. */
    result() {
      if (digest === undefined) throw new Error('byteMeter: the stream has not finished')
      return { size, sha256: digest }
    },
  }
}
