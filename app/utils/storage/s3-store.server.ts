import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  S3Client,
} from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { contentDisposition } from '~/utils/content-disposition'
import { byteMeter } from './measure.server'
import type { ObjectStore } from './storage.server'

export interface S3StoreOptions {
  endpoint?: string
  bucket: string
  region: string
  accessKeyId: string
  secretAccessKey: string
  forcePathStyle: boolean
}

/** 8 MB parts, two in flight: an upload holds at most ~16 MB in memory whatever its size. */
const PART_SIZE = 8 * 1024 * 1024
const QUEUE_SIZE = 2

export function s3Client(options: S3StoreOptions) {
  return new S3Client({
    endpoint: options.endpoint,
    region: options.region,
    forcePathStyle: options.forcePathStyle,
    credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
    // Non-AWS servers (Ceph RGW, MinIO…) refuse or corrupt streamed bodies with the default
    // CRC32 trailers; only send/check checksums where the operation requires them.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
}

export function s3Store(options: S3StoreOptions): ObjectStore {
  const client = s3Client(options)
  const Bucket = options.bucket

  async function exists(key: string) {
    try {
      await client.send(new HeadObjectCommand({ Bucket, Key: key }))
      return true
    } catch (error) {
      if (isNotFound(error)) return false
      throw error
    }
  }

  /** After a refused or failed upload: no object, no multipart upload left for this key. */
  async function cleanUpFailedPut(key: string) {
    if (await exists(key)) await client.send(new DeleteObjectCommand({ Bucket, Key: key }))
    const { Uploads = [] } = await client.send(
      new ListMultipartUploadsCommand({ Bucket, Prefix: key }),
    )
    for (const upload of Uploads) {
      if (upload.Key !== key || !upload.UploadId) continue
      await client
        .send(new AbortMultipartUploadCommand({ Bucket, Key: key, UploadId: upload.UploadId }))
        .catch((error: unknown) => {
          // lib-storage may have aborted it in the meantime.
          if ((error as { name?: string }).name !== 'NoSuchUpload') throw error
        })
    }
  }

  return {
    driver: 's3',

    async put(key, body, { contentType, maxBytes }) {
      const meter = byteMeter(maxBytes)
      const upload = new Upload({
        client,
        params: { Bucket, Key: key, Body: meter.stream, ContentType: contentType },
        partSize: PART_SIZE,
        queueSize: QUEUE_SIZE,
        leavePartsOnError: false,
      })
      let failure: unknown
      const fail = (error: unknown) => {
        if (failure === undefined) failure = error
        return Promise.reject(error)
      }
      const pumped = pipeline(body, meter.stream).catch((error: unknown) => {
        // Too large (or the client went away): stop sending parts straight away.
        void upload.abort()
        return fail(error)
      })
      const uploaded = upload.done().catch((error: unknown) => {
        // The server refused (credentials, bucket…): stop reading the body.
        meter.stream.destroy(error as Error)
        return fail(error)
      })
      const results = await Promise.allSettled([pumped, uploaded])
      if (results.some((r) => r.status === 'rejected')) {
        try {
          await cleanUpFailedPut(key)
        } catch (cleanupError) {
          if (failure instanceof Error && failure.cause === undefined) failure.cause = cleanupError
        }
        throw failure
      }
      return { key, ...meter.result() }
    },

    async get(key) {
      try {
        const result = await client.send(new GetObjectCommand({ Bucket, Key: key }))
        if (!result.Body) return null
        return {
          body: result.Body as Readable,
          size: result.ContentLength ?? 0,
          contentType: result.ContentType ?? 'application/octet-stream',
        }
      } catch (error) {
        if (isNotFound(error)) return null
        throw error
      }
    },

    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: key }))
    },

    exists,

    async presignedDownloadUrl(key, { expiresInSeconds, filename, contentType }) {
      const command = new GetObjectCommand({
        Bucket,
        Key: key,
        ResponseContentDisposition: contentDisposition('attachment', filename),
        ResponseContentType: contentType,
      })
      return getSignedUrl(client, command, { expiresIn: expiresInSeconds })
    },
  }
}

/** Creates the bucket unless it exists (tests, first start against an empty server). */
export async function ensureS3Bucket(options: S3StoreOptions) {
  const client = s3Client(options)
  try {
    await client.send(new HeadBucketCommand({ Bucket: options.bucket }))
    return
  } catch (error) {
    if (!isNotFound(error)) throw error
  }
  try {
    await client.send(new CreateBucketCommand({ Bucket: options.bucket }))
  } catch (error) {
    const name = (error as { name?: string }).name
    if (name !== 'BucketAlreadyOwnedByYou') throw error
  } finally {
    client.destroy()
  }
}

function isNotFound(error: unknown) {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined
  return (
    e?.name === 'NoSuchKey' ||
    e?.name === 'NotFound' ||
    e?.name === 'NoSuchBucket' ||
    e?.$metadata?.httpStatusCode === 404
  )
}
