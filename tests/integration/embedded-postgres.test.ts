import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  EmbeddedPostgresError,
  connectionUrl,
  startEmbeddedPostgres,
  type RunningPostgres,
} from '../../db/embedded-postgres'
import { freePort, makeServerTempDir } from '../support/postgres-server'

// These tests start PostgreSQL servers of their own (not the run's shared one), each in a temp
// data directory on a free port.

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

function isAlive(pid: number) {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function postmasterPid(dataDir: string) {
  const text = await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')
  return Number(text.split('\n')[0])
}

async function readOwnerPid(dataDir: string) {
  return (JSON.parse(await readFile(`${dataDir}.owner.json`, 'utf8')) as { pid: number }).pid
}

async function sql<R extends pg.QueryResultRow>(port: number, text: string) {
  const client = new pg.Client({ connectionString: connectionUrl(port) })
  await client.connect()
  try {
    return (await client.query<R>(text)).rows
  } finally {
    await client.end()
  }
}

/** Starts a separate process that owns a server in `dataDir` (tests/support/hold-embedded-postgres.ts). */
async function startHolder(dataDir: string, port: number) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'tests/support/hold-embedded-postgres.ts', dataDir, String(port)],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`holder not ready:\n${output}`)), 45_000)
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('"ready":true')) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`holder exited (${code}) before it was ready:\n${output}`))
    })
  })
  return child
}

async function waitForExit(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return
  await new Promise<void>((resolve) => child.once('exit', () => resolve()))
}

let tempDir: string
const cleanups: Array<() => Promise<void>> = []

beforeAll(async () => {
  tempDir = await makeServerTempDir('incidentflow-embedded-test-')
})

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {})
  if (tempDir) await rm(tempDir, { recursive: true, force: true })
})

describe('startEmbeddedPostgres with a data directory another process owns', () => {
  let dataDir: string
  let holder: ChildProcess
  let holderPort: number
  let running: RunningPostgres | undefined

  beforeAll(async () => {
    dataDir = path.join(tempDir, 'owned')
    holderPort = await freePort()
    holder = await startHolder(dataDir, holderPort)
    cleanups.push(async () => {
      if (holder.exitCode === null && holder.signalCode === null) {
        holder.kill('SIGTERM')
        await waitForExit(holder)
      }
    })
    cleanups.push(async () => {
      await running?.stop()
    })
  })

  it('refuses while the owner is alive, naming the owner process, and leaves its server alone', async () => {
    const attempt = startEmbeddedPostgres({ dataDir, port: await freePort(), ephemeral: true })

    const error = await attempt.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(EmbeddedPostgresError)
    expect((error as Error).message).toContain('is already running')
    expect((error as Error).message).toContain(`owned by process ${holder.pid}`)
    expect((error as Error).message).toContain('test holder')
    expect(await readOwnerPid(dataDir)).toBe(holder.pid)
    expect(await sql(holderPort, 'select 1 as up')).toEqual([{ up: 1 }])
  })

  it('takes over a server whose owner was killed: stops it cleanly, starts it again, data intact', async () => {
    await sql(holderPort, 'create table survivor (note text not null)')
    await sql(holderPort, "insert into survivor values ('written before the owner died')")
    const orphanedPostmaster = await postmasterPid(dataDir)

    // SIGKILL gives the owner no chance to stop its server: the postmaster keeps running and the
    // owner record names a dead process.
    holder.kill('SIGKILL')
    await waitForExit(holder)
    expect(isAlive(orphanedPostmaster)).toBe(true)
    expect(isAlive(await readOwnerPid(dataDir))).toBe(false)

    const port = await freePort()
    running = await startEmbeddedPostgres({ dataDir, port, ephemeral: true, ownerLabel: 'test' })

    expect(running.owned).toBe(true)
    expect(isAlive(orphanedPostmaster)).toBe(false)
    expect(await postmasterPid(dataDir)).not.toBe(orphanedPostmaster)
    expect(await readOwnerPid(dataDir)).toBe(process.pid)
    expect(await sql(port, 'select note from survivor')).toEqual([
      { note: 'written before the owner died' },
    ])
  })

  it('keeps data across a stop and a start, and releases ownership on stop', async () => {
    if (!running) throw new Error('needs the server of the previous test')
    await sql(running.port, "insert into survivor values ('written before a clean stop')")

    await running.stop()
    running = undefined
    expect(existsSync(`${dataDir}.owner.json`)).toBe(false)
    expect(existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(false)

    const port = await freePort()
    running = await startEmbeddedPostgres({ dataDir, port, ephemeral: true })
    expect(await sql(port, 'select note from survivor order by note')).toEqual([
      { note: 'written before a clean stop' },
      { note: 'written before the owner died' },
    ])
  })
})

describe('startEmbeddedPostgres on a port that is taken', () => {
  let blocker: Server

  beforeAll(async () => {
    blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise<void>((resolve) => blocker.close(() => resolve())))
  })

  it('rejects with a message naming the port, and claims nothing', async () => {
    const address = blocker.address()
    const port = typeof address === 'object' && address ? address.port : 0
    const dataDir = path.join(tempDir, 'port-taken')

    const error = await startEmbeddedPostgres({ dataDir, port, ephemeral: true }).catch(
      (e: unknown) => e,
    )

    expect(error).toBeInstanceOf(EmbeddedPostgresError)
    expect((error as Error).message).toContain(`Port ${port} on 127.0.0.1 is already in use`)
    expect(existsSync(`${dataDir}.owner.json`)).toBe(false)
  })
})
