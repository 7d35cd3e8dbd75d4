import { once } from 'node:events'
import { randomUUID } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { byteMeter } from './measure.server'
import type { ObjectStore } from './storage.server'

const META_SUFFIX = '.meta.json'
const TEMP_SUFFIX = '.tmp'
const DEFAULT_CONTENT_TYPE = 'application/octet-stream'

/**
 * Objects as files under `rootDir`: `<rootDir>/<key>` holds the bytes and `<key>.meta.json` the
 * content type. A put streams into a temporary file in the same folder and renames it into place,
 * so readers never see a partial object.
 */
export function fsStore(rootDir: string): ObjectStore {
  const root = path.resolve(rootDir)

  function fileFor(key: string) {
    const segments = key.split('/')
    if (
      !key ||
      key.startsWith('/') ||
      key.includes('\\') ||
      key.includes('\0') ||
      path.isAbsolute(key) ||
      segments.some((s) => s === '' || s === '.' || s === '..') ||
      key.endsWith(META_SUFFIX) ||
      key.endsWith(TEMP_SUFFIX)
    ) {
      throw new Error(`Invalid object key: ${JSON.stringify(key)}`)
    }
    const file = path.resolve(root, ...segments)
    if (!file.startsWith(root + path.sep))
      throw new Error(`Invalid object key: ${JSON.stringify(key)}`)
    return file
  }

  async function statFile(file: string) {
    try {
      const stats = await stat(file)
      return stats.isFile() ? stats : null
    } catch (error) {
      if (isNotFound(error)) return null
      throw error
    }
  }

  return {
    driver: 'fs',

    async put(key, body, { contentType, maxBytes }) {
      const file = fileFor(key)
      await mkdir(path.dirname(file), { recursive: true })
      const suffix = `.${randomUUID()}${TEMP_SUFFIX}`
      const tempFile = file + suffix
      const tempMeta = file + META_SUFFIX + suffix
      const meter = byteMeter(maxBytes)
      const out = createWriteStream(tempFile, { flags: 'wx' })
      try {
        await pipeline(body, meter.stream, out)
        await writeFile(tempMeta, JSON.stringify({ contentType }), { flag: 'wx' })
        await rename(tempMeta, file + META_SUFFIX)
        await rename(tempFile, file)
      } catch (error) {
        // The file is opened asynchronously: a pipeline that fails early (e.g. over the limit in
        // the first chunks) can reject before the open completes, and the open would then create
        // the file after we removed it. Wait until the stream has closed its file first.
        if (!out.closed) await once(out, 'close').catch(() => undefined)
        await Promise.all([rm(tempFile, { force: true }), rm(tempMeta, { force: true })])
        throw error
      }
      return { key, ...meter.result() }
    },

    async get(key) {
      const file = fileFor(key)
      const stats = await statFile(file)
      if (!stats) return null
      let contentType = DEFAULT_CONTENT_TYPE
      try {
        const meta = JSON.parse(await readFile(file + META_SUFFIX, 'utf8')) as {
          contentType?: unknown
        }
        if (typeof meta.contentType === 'string') contentType = meta.contentType
      } catch (error) {
        if (!isNotFound(error)) throw error
      }
      return { body: createReadStream(file) as Readable, size: stats.size, contentType }
    },

    async delete(key) {
      const file = fileFor(key)
      await rm(file, { force: true })
      await rm(file + META_SUFFIX, { force: true })
    },

    async exists(key) {
      return (await statFile(fileFor(key))) !== null
    },

    async presignedDownloadUrl() {
      return null
    },
  }
}

function isNotFound(error: unknown) {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return code === 'ENOENT' || code === 'ENOTDIR'
}
