import { mkdtemp, readdir, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createObjectStore } from '~/utils/storage/create-store.server'
import { fsStore } from '~/utils/storage/fs-store.server'
import type { ObjectStore } from '~/utils/storage/storage.server'
import { objectStoreContract } from './object-store.contract'

let root: string
let store: ObjectStore

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'incidentflow-objects-'))
  store = fsStore(root)
})
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true })
})

describe('fs object store', () => {
  objectStoreContract(() => ({
    store,
    // Anything next to the key's file other than the file and its sidecar: temp files.
    async leftovers(key) {
      const dir = path.join(root, path.dirname(key))
      const names = await readdir(dir).catch(() => [])
      return names.filter((name) => name.startsWith(path.basename(key)))
    },
  }))

  it('refuses keys that could leave its folder', async () => {
    for (const key of [
      '../escape',
      'a/../../escape',
      '/etc/passwd',
      'a//b',
      './a',
      'a\\..\\b',
      '',
    ]) {
      await expect(
        store.put(key, Readable.from([Buffer.from('x')]), {
          contentType: 'text/plain',
          maxBytes: 10,
        }),
      ).rejects.toThrow(/Invalid object key/)
      await expect(store.get(key)).rejects.toThrow(/Invalid object key/)
    }
  })

  it('has no presigned URLs: downloads go through the app', async () => {
    expect(
      await store.presignedDownloadUrl('a/b', {
        expiresInSeconds: 60,
        filename: 'a',
        contentType: 'text/plain',
      }),
    ).toBeNull()
  })

  it('createObjectStore puts fs objects under DATA_DIR/objects', async () => {
    const created = createObjectStore({
      STORAGE_DRIVER: 'fs',
      DATA_DIR: root,
      S3_REGION: 'us-east-1',
      S3_FORCE_PATH_STYLE: true,
    } as Parameters<typeof createObjectStore>[0])
    expect(created.driver).toBe('fs')
    await created.put('org/x/file', Readable.from([Buffer.from('hello')]), {
      contentType: 'text/plain',
      maxBytes: 10,
    })
    expect(await readdir(path.join(root, 'objects', 'org', 'x'))).toEqual([
      'file',
      'file.meta.json',
    ])
  })
})
