import type { Readable } from 'node:stream'

/**
 * Object storage for evidence files and generated reports. Two drivers implement it: `fs` (a
 * folder under DATA_DIR, the embedded default) and `s3` (any S3-compatible service). Keys are
 * always chosen by the server (see `evidenceKey`), never taken from a file name.
 */
export interface ObjectStore {
  readonly driver: 'fs' | 's3'
  /**
   * Streams `body` to `key` without holding it in memory. Rejects with `ObjectTooLargeError`
   * once more than `maxBytes` arrive, leaving no object behind. Resolves with the stored size
   * and SHA-256 (hex) of the bytes.
   */
  put(
    key: string,
    body: Readable,
    options: { contentType: string; maxBytes: number },
  ): Promise<StoredObject>
  /** A readable stream of the object, or null when there is none. */
  get(key: string): Promise<{ body: Readable; size: number; contentType: string } | null>
  /** Removes an object (used only to clean up after a refused or failed upload). */
  delete(key: string): Promise<void>
  exists(key: string): Promise<boolean>
  /**
   * A short-lived URL the browser can fetch directly (s3), or null when downloads must be
   * streamed through the app (fs). The URL forces `Content-Disposition` and `Content-Type`.
   */
  presignedDownloadUrl(
    key: string,
    options: { expiresInSeconds: number; filename: string; contentType: string },
  ): Promise<string | null>
}

export interface StoredObject {
  key: string
  size: number
  sha256: string
}

export class ObjectTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`The file is larger than ${maxBytes} bytes`)
    this.name = 'ObjectTooLargeError'
  }
}

/** `org/<orgId>/incident/<incidentId>/<uuid>`: where one piece of evidence lives. */
export function evidenceKey(organizationId: string, incidentId: string, objectId: string) {
  return `org/${organizationId}/incident/${incidentId}/${objectId}`
}

/**
 * Whether `error` is an ObjectTooLargeError. The store may be created by server.ts while the
 * routes live in the Remix bundle, each with its own copy of the class, so the name decides.
 */
export function isObjectTooLarge(error: unknown): error is ObjectTooLargeError {
  return error instanceof Error && error.name === 'ObjectTooLargeError'
}
