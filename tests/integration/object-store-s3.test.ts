import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createObjectStore,
  ensureBucket,
  type StorageEnv,
} from '~/utils/storage/create-store.server'
import { s3Client } from '~/utils/storage/s3-store.server'
import type { ObjectStore } from '~/utils/storage/storage.server'
import { missingCephBinaries, startCephRgw, type CephRgw } from '../support/ceph-rgw'
import { objectStoreContract, s3OnlyContract } from './object-store.contract'

/**
 * The s3 driver against a real S3 server: a throwaway Ceph RADOS Gateway (checks signatures
 * and presigned expiry). CI must run it; elsewhere it is skipped when Ceph is not installed
 * (`make test` installs it when run as root).
 */
// The SDK's notice that releases after January 2027 need Node 22 is not this suite's business.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

const missing = missingCephBinaries()
if (missing.length && process.env.CI) {
  throw new Error(
    `CI must run the S3 tests, but ${missing.join(', ')} are not installed: run npm run setup:services as root`,
  )
}
const skipReason = missing.length
  ? ` (skipped: ${missing.join(', ')} not on PATH; npm run setup:services as root installs them)`
  : ''

describe.skipIf(missing.length > 0)(`s3 object store on Ceph RGW${skipReason}`, () => {
  let rgw: CephRgw | undefined
  let env: StorageEnv
  let store: ObjectStore
  let wrongSecretStore: ObjectStore

  beforeAll(async () => {
    rgw = await startCephRgw()
    process.stderr.write(`Ceph RGW on ${rgw.endpoint}, started in ${rgw.startedInMs} ms\n`)
    env = {
      STORAGE_DRIVER: 's3',
      DATA_DIR: '/nonexistent',
      S3_ENDPOINT: rgw.endpoint,
      S3_BUCKET: 'incidentflow-test',
      S3_REGION: rgw.region,
      S3_ACCESS_KEY_ID: rgw.accessKeyId,
      S3_SECRET_ACCESS_KEY: rgw.secretAccessKey,
      S3_FORCE_PATH_STYLE: true,
    }
    await ensureBucket(env)
    store = createObjectStore(env)
    wrongSecretStore = createObjectStore({ ...env, S3_SECRET_ACCESS_KEY: 'not-the-secret' })
  }, 120_000)

  afterAll(async () => {
    await rgw?.stop()
  }, 60_000)

  it('ensureBucket is idempotent', async () => {
    await expect(ensureBucket(env)).resolves.toBeUndefined()
    expect(store.driver).toBe('s3')
  })

  const subject = () => ({
    store,
    wrongSecretStore,
    async leftovers(key: string) {
      const client = s3Client({
        endpoint: env.S3_ENDPOINT,
        bucket: env.S3_BUCKET!,
        region: env.S3_REGION,
        accessKeyId: env.S3_ACCESS_KEY_ID!,
        secretAccessKey: env.S3_SECRET_ACCESS_KEY!,
        forcePathStyle: true,
      })
      try {
        const { Uploads = [] } = await client.send(
          new ListMultipartUploadsCommand({ Bucket: env.S3_BUCKET, Prefix: key }),
        )
        return Uploads.map((u) => `multipart upload ${u.UploadId} of ${u.Key}`)
      } finally {
        client.destroy()
      }
    },
  })
  objectStoreContract(subject)
  s3OnlyContract(subject)
})
