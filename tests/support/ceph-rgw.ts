import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { accessSync, constants } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { freePort } from './postgres-server'

const run = promisify(execFile)
const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'ceph-rgw.sh')

/** What `tests/support/ceph-rgw.sh` needs from Debian's `radosgw ceph-mon ceph-osd`. */
const BINARIES = [
  'radosgw',
  'radosgw-admin',
  'ceph-mon',
  'ceph-osd',
  'ceph',
  'ceph-authtool',
  'monmaptool',
]

/** The Ceph binaries missing from PATH (empty when a throwaway RGW can be started). */
export function missingCephBinaries() {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)
  return BINARIES.filter(
    (name) =>
      !dirs.some((dir) => {
        try {
          accessSync(path.join(dir, name), constants.X_OK)
          return true
        } catch {
          return false
        }
      }),
  )
}

export interface CephRgw {
  endpoint: string
  accessKeyId: string
  secretAccessKey: string
  region: string
  startedInMs: number
  stop(): Promise<void>
}

/**
 * Starts a one-node Ceph cluster (memstore OSD) with radosgw on free loopback ports, in a temp
 * dir that `stop()` removes. A watchdog stops the daemons if this process dies without stop().
 */
export async function startCephRgw(): Promise<CephRgw> {
  const started = performance.now()
  const dir = await mkdtemp(path.join(os.tmpdir(), 'incidentflow-rgw-'))
  const accessKeyId = `TEST${randomBytes(8).toString('hex').toUpperCase()}`
  const secretAccessKey = randomBytes(20).toString('hex')
  const [rgwPort, monPort] = [await freePort(), await freePort()]
  const stop = async () => {
    await run('bash', [script, 'stop', dir], { timeout: 30_000 })
    await rm(dir, { recursive: true, force: true })
  }
  try {
    const { stdout } = await run('bash', [script, 'start', dir], {
      timeout: 120_000,
      env: {
        ...process.env,
        RGW_PORT: String(rgwPort),
        MON_PORT: String(monPort),
        S3_ACCESS_KEY: accessKeyId,
        S3_SECRET_KEY: secretAccessKey,
        OWNER_PID: String(process.pid),
      },
    })
    const endpoint = /S3_ENDPOINT=(\S+)/.exec(stdout)?.[1]
    if (!endpoint) throw new Error(`ceph-rgw.sh printed no endpoint:\n${stdout}`)
    return {
      endpoint,
      accessKeyId,
      secretAccessKey,
      region: 'us-east-1',
      startedInMs: Math.round(performance.now() - started),
      stop,
    }
  } catch (error) {
    await stop().catch(() => {})
    throw error
  }
}
