import path from 'node:path'
import type { BaseEnv } from '~/utils/env.server'
import { fsStore } from './fs-store.server'
import { ensureS3Bucket, s3Store, type S3StoreOptions } from './s3-store.server'
import type { ObjectStore } from './storage.server'

export type StorageEnv = Pick<
  BaseEnv,
  | 'STORAGE_DRIVER'
  | 'DATA_DIR'
  | 'S3_ENDPOINT'
  | 'S3_BUCKET'
  | 'S3_REGION'
  | 'S3_ACCESS_KEY_ID'
  | 'S3_SECRET_ACCESS_KEY'
  | 'S3_FORCE_PATH_STYLE'
>

/** The object store the environment asks for: files under DATA_DIR/objects, or an S3 bucket. */
export function createObjectStore(env: StorageEnv): ObjectStore {
  if (env.STORAGE_DRIVER === 's3') return s3Store(s3Options(env))
  return fsStore(path.join(env.DATA_DIR, 'objects'))
}

/** Creates the S3 bucket when it is missing; nothing to do for the fs driver. */
export async function ensureBucket(env: StorageEnv) {
  if (env.STORAGE_DRIVER === 's3') await ensureS3Bucket(s3Options(env))
}

function s3Options(env: StorageEnv): S3StoreOptions {
  const { S3_BUCKET, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY } = env
  if (!S3_BUCKET || !S3_ACCESS_KEY_ID || !S3_SECRET_ACCESS_KEY) {
    throw new Error('STORAGE_DRIVER=s3 needs S3_BUCKET, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY')
  }
  return {
    endpoint: env.S3_ENDPOINT,
    bucket: S3_BUCKET,
    region: env.S3_REGION,
    accessKeyId: S3_ACCESS_KEY_ID,
    secretAccessKey: S3_SECRET_ACCESS_KEY,
    forcePathStyle: env.S3_FORCE_PATH_STYLE,
  }
}
