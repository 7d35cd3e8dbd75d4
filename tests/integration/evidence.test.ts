import { createHash } from 'node:crypto'
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { ServerBuild } from '@remix-run/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyOrganization } from '~/domain/incident/audit.server'
import { declareIncident } from '~/domain/incident/incident-service.server'
import type { Role } from '~/domain/access/permissions'
import { cookiePair } from '../support/access'
import { setUpTestDatabase } from '../support/database'
import { decodeEntities } from '../support/html'
import { addSignedInMember, type SignedInMember } from '../support/incidents'
import { randomIp, startInProcessApp, type RunningApp } from '../support/in-process-app'
import { loadRemixBuild } from '../support/remix-build'

/**
 * Evidence uploads through the real app over HTTP: multipart bodies as a browser sends them,
 * the flash message on the page the redirect leads to, what is stored (rows, events, object
 * files) and what downloads answer.
 */

const db = setUpTestDatabase('evidence')

// A valid 1×1 PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
)
const LOG = Buffer.from(
  Array.from(
    { length: 50 },
    (_, i) => `2024-05-01T12:00:${String(i).padStart(2, '0')}Z ERROR api timeout ✗\n`,
  ).join(''),
)
const HTML = Buffer.from(
  '<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>',
)
const HTML_MESSAGE =
  'HTML, SVG and XML files are not accepted as evidence, because a browser could run them.'

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')
const textOf = (size: number) => Buffer.alloc(size, 'all quiet on the incident front\n')

let build: ServerBuild
const tempDirs: string[] = []

interface Instance {
  app: RunningApp
  objectsDir: string
}

async function startApp(env: Record<string, string> = {}): Promise<Instance> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'incidentflow-evidence-'))
  tempDirs.push(dataDir)
  const app = await startInProcessApp(db, build, { DATA_DIR: dataDir, ...env })
  return { app, objectsDir: path.join(dataDir, 'objects') }
}

async function filesUnder(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true })
    return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
}

type Person = SignedInMember

const person = (role: Role, organizationId = db.organizationId): Promise<Person> =>
  addSignedInMember(db, organizationId, role)

async function newIncident(who: Person) {
  const { number } = await declareIncident(db.orm, who.member, {
    title: `Checkout failing ${Math.random().toString(36).slice(2, 6)}`,
    summary: 'Payments time out.',
    severity: 'SEV-2',
  })
  return number
}

async function upload(
  app: RunningApp,
  who: Person,
  number: number,
  file: { name: string; type: string; bytes: Buffer },
  description = '',
) {
  const form = new FormData()
  form.append('file', new Blob([new Uint8Array(file.bytes)], { type: file.type }), file.name)
  form.append('description', description)
  return fetch(`${app.baseUrl}/incidents/${number}/evidence`, {
    method: 'POST',
    body: form,
    redirect: 'manual',
    headers: { Cookie: who.cookie, Origin: app.baseUrl, 'X-Forwarded-For': randomIp() },
  })
}

/** Follows the redirect with the flash cookie and returns the page's text. */
async function pageAfter(app: RunningApp, who: Person, response: Response) {
  expect(response.status).toBe(302)
  const setCookie = response.headers.get('set-cookie')
  const cookie = setCookie ? `${who.cookie}; ${cookiePair(setCookie)}` : who.cookie
  const page = await app.get(response.headers.get('location')!, { cookie })
  expect(page.status).toBe(200)
  return decodeEntities(await page.text())
}

/** The "Current evidence" list's markup, or '' when there is none. */
function currentEvidence(html: string) {
  const match = /<ul[^>]*aria-label="Current evidence"[^>]*>(.*?)<\/ul>/s.exec(html)
  return match ? match[1]! : ''
}

async function attachments(number: number, organizationId = db.organizationId) {
  return db.query<{
    id: string
    display_name: string
    content_type: string
    size_bytes: string
    sha256: string
    description: string
    object_key: string
    withdrawn_at: Date | null
  }>(
    `select a.* from attachment a join incident i on i.id = a.incident_id
      where i.organization_id = $1 and i.number = $2 order by a.uploaded_at`,
    [organizationId, number],
  )
}

async function events(number: number, type: string, organizationId = db.organizationId) {
  return db.query<{ payload: Record<string, unknown> }>(
    `select e.payload from incident_event e join incident i on i.id = e.incident_id
      where i.organization_id = $1 and i.number = $2 and e.type = $3 order by e.seq`,
    [organizationId, number, type],
  )
}

beforeAll(async () => {
  build = await loadRemixBuild()
})
afterAll(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })))
})

describe('uploading and downloading evidence', () => {
  let instance: Instance
  beforeAll(async () => {
    instance = await startApp()
  })
  afterAll(async () => {
    await instance?.app.close()
  })

  it('stores a PNG and a log with their records and events, and gives back the same bytes', async () => {
    const { app, objectsDir } = instance
    const admin = await person('admin')
    const number = await newIncident(admin)

    const png = await upload(
      app,
      admin,
      number,
      { name: 'checkout error.png', type: 'image/png', bytes: PNG },
      'Error page',
    )
    expect(png.headers.get('location')).toBe(`/incidents/${number}`)
    expect(await pageAfter(app, admin, png)).toContain('Uploaded checkout error.png.')
    const log = await upload(
      app,
      admin,
      number,
      { name: 'api-Störung.log', type: 'text/plain', bytes: LOG },
      'API log',
    )
    const page = await pageAfter(app, admin, log)
    expect(page).toContain('Uploaded api-Störung.log.')
    expect(currentEvidence(page)).toContain('checkout error.png')
    expect(currentEvidence(page)).toContain('api-Störung.log')

    const rows = await attachments(number)
    expect(
      rows.map((r) => [
        r.display_name,
        r.content_type,
        Number(r.size_bytes),
        r.sha256,
        r.description,
      ]),
    ).toEqual([
      ['checkout error.png', 'image/png', PNG.length, sha256(PNG), 'Error page'],
      ['api-Störung.log', 'text/plain', LOG.length, sha256(LOG), 'API log'],
    ])
    const added = await events(number, 'attachment.added')
    expect(added.map((e) => e.payload)).toEqual([
      expect.objectContaining({
        attachmentId: rows[0]!.id,
        sha256: sha256(PNG),
        size: PNG.length,
        contentType: 'image/png',
      }),
      expect.objectContaining({
        attachmentId: rows[1]!.id,
        sha256: sha256(LOG),
        size: LOG.length,
        contentType: 'text/plain',
      }),
    ])
    expect((await verifyOrganization(db.orm, db.organizationId)).ok).toBe(true)
    // Exactly the two objects are stored (plus their metadata sidecars).
    const stored = (await filesUnder(objectsDir)).filter((f) => !f.endsWith('.meta.json'))
    expect(stored).toHaveLength(2)
    for (const row of rows)
      expect((await stat(path.join(objectsDir, row.object_key))).size).toBe(Number(row.size_bytes))

    for (const [row, original] of [
      [rows[0]!, PNG],
      [rows[1]!, LOG],
    ] as const) {
      const download = await app.get(`/incidents/${number}/evidence/${row.id}`, {
        cookie: admin.cookie,
      })
      expect(download.status).toBe(200)
      expect(Buffer.from(await download.arrayBuffer()).equals(original)).toBe(true)
      expect(download.headers.get('content-type')?.split(';')[0]).toBe(row.content_type)
      expect(download.headers.get('content-disposition')).toMatch(
        /^attachment; filename="[^"]+"; filename\*=UTF-8''/,
      )
      // Each exactly once: a doubled value (`same-origin, same-origin`) is invalid for CORP.
      expect(download.headers.get('x-content-type-options')).toBe('nosniff')
      expect(download.headers.get('cross-origin-resource-policy')).toBe('same-origin')
      expect(download.headers.get('cache-control')).toBe('private, no-store')
      expect(download.headers.get('content-security-policy')).toMatch(/(^|;\s*)sandbox(;|$)/)
    }
    const logDownload = await app.get(`/incidents/${number}/evidence/${rows[1]!.id}`, {
      cookie: admin.cookie,
    })
    expect(logDownload.headers.get('content-disposition')).toBe(
      `attachment; filename="api-St_rung.log"; filename*=UTF-8''api-St%C3%B6rung.log`,
    )

    const preview = await app.get(`/incidents/${number}/evidence/${rows[0]!.id}?inline=1`, {
      cookie: admin.cookie,
    })
    expect(preview.status).toBe(200)
    expect(preview.headers.get('content-disposition')).toMatch(/^inline;/)
    expect(preview.headers.get('content-type')).toBe('image/png')
    expect(preview.headers.get('x-content-type-options')).toBe('nosniff')
    const notPreviewed = await app.get(`/incidents/${number}/evidence/${rows[1]!.id}?inline=1`, {
      cookie: admin.cookie,
    })
    expect(notPreviewed.headers.get('content-disposition')).toMatch(/^attachment;/)
    expect(Buffer.from(await notPreviewed.arrayBuffer()).equals(LOG)).toBe(true)

    // The timeline links the download and previews the image.
    expect(page).toContain(`/incidents/${number}/evidence/${rows[0]!.id}?inline=1`)
    expect(page).not.toContain(`/incidents/${number}/evidence/${rows[1]!.id}?inline=1`)
  })

  it('refuses an HTML page named evil.png and stores nothing', async () => {
    const { app, objectsDir } = instance
    const admin = await person('admin')
    const number = await newIncident(admin)
    const before = await filesUnder(objectsDir)
    const response = await upload(app, admin, number, {
      name: 'evil.png',
      type: 'image/png',
      bytes: HTML,
    })
    const page = await pageAfter(app, admin, response)
    expect(page).toContain(HTML_MESSAGE)
    expect(page).not.toContain('Uploaded')
    expect(await attachments(number)).toEqual([])
    expect(await events(number, 'attachment.added')).toEqual([])
    expect(await filesUnder(objectsDir)).toEqual(before)
  })

  it('answers 404 for another organization’s attachment', async () => {
    const { app } = instance
    const admin = await person('admin')
    const number = await newIncident(admin)
    await pageAfter(
      app,
      admin,
      await upload(app, admin, number, { name: 'shot.png', type: 'image/png', bytes: PNG }),
    )
    const [row] = await attachments(number)

    const otherOrg = await db.createOrganization('Other org')
    const outsider = await person('admin', otherOrg)
    // Make sure the other organization has an incident with the same number.
    let otherNumber = 0
    while (otherNumber < number) otherNumber = await newIncident(outsider)
    for (const suffix of ['', '?inline=1']) {
      const response = await app.get(`/incidents/${number}/evidence/${row!.id}${suffix}`, {
        cookie: outsider.cookie,
      })
      expect(response.status).toBe(404)
      expect(Buffer.from(await response.arrayBuffer()).equals(PNG)).toBe(false)
    }
  })

  it('answers 403 to an engineer not on the incident and stores nothing', async () => {
    const { app, objectsDir } = instance
    const admin = await person('admin')
    const number = await newIncident(admin)
    const engineer = await person('engineer')
    const before = await filesUnder(objectsDir)
    const response = await upload(app, engineer, number, {
      name: 'shot.png',
      type: 'image/png',
      bytes: PNG,
    })
    expect(response.status).toBe(403)
    expect(await attachments(number)).toEqual([])
    expect(await events(number, 'attachment.added')).toEqual([])
    expect(await filesUnder(objectsDir)).toEqual(before)
  })

  it('withdraws with a reason: gone from current evidence, still in the timeline and storage', async () => {
    const { app, objectsDir } = instance
    const admin = await person('admin')
    const number = await newIncident(admin)
    await pageAfter(
      app,
      admin,
      await upload(app, admin, number, { name: 'wrong-host.log', type: 'text/plain', bytes: LOG }),
    )
    const [row] = await attachments(number)

    const noReason = await app.post(
      `/incidents/${number}/evidence`,
      { intent: 'withdraw', attachmentId: row!.id, reason: ' ' },
      { cookie: admin.cookie },
    )
    expect(await pageAfter(app, admin, noReason)).toContain(
      'Give a reason for withdrawing the evidence.',
    )
    expect((await attachments(number))[0]!.withdrawn_at).toBeNull()

    const response = await app.post(
      `/incidents/${number}/evidence`,
      { intent: 'withdraw', attachmentId: row!.id, reason: 'Log from the wrong host' },
      { cookie: admin.cookie },
    )
    const page = await pageAfter(app, admin, response)
    expect(page).toContain('Evidence withdrawn; it stays in the timeline.')
    expect(currentEvidence(page)).not.toContain('wrong-host.log')
    expect(page).toContain('added evidence wrong-host.log')
    expect(page).toContain('withdrew evidence wrong-host.log')
    expect((await attachments(number))[0]!.withdrawn_at).not.toBeNull()
    expect((await stat(path.join(objectsDir, row!.object_key))).size).toBe(LOG.length)
    expect((await events(number, 'attachment.withdrawn')).map((e) => e.payload)).toEqual([
      expect.objectContaining({ attachmentId: row!.id, reason: 'Log from the wrong host' }),
    ])
    expect((await verifyOrganization(db.orm, db.organizationId)).ok).toBe(true)
  })
})

describe('limits', () => {
  it('refuses a file over EVIDENCE_MAX_BYTES and leaves nothing behind', async () => {
    const { app, objectsDir } = await startApp({ EVIDENCE_MAX_BYTES: String(64 * 1024) })
    try {
      const admin = await person('admin')
      const number = await newIncident(admin)
      const response = await upload(app, admin, number, {
        name: 'huge.log',
        type: 'text/plain',
        bytes: textOf(200 * 1024),
      })
      const page = await pageAfter(app, admin, response)
      expect(page).toContain('The file is larger than the limit of')
      expect(await attachments(number)).toEqual([])
      expect(await events(number, 'attachment.added')).toEqual([])
      expect(await filesUnder(objectsDir)).toEqual([])
      // Just under the limit is fine.
      const fits = await upload(app, admin, number, {
        name: 'fits.log',
        type: 'text/plain',
        bytes: textOf(64 * 1024),
      })
      expect(await pageAfter(app, admin, fits)).toContain('Uploaded fits.log.')
    } finally {
      await app.close()
    }
  })

  it('refuses an upload that does not fit the incident’s remaining quota', async () => {
    const { app, objectsDir } = await startApp({
      EVIDENCE_MAX_BYTES: String(80_000),
      EVIDENCE_QUOTA_BYTES: String(100_000),
    })
    try {
      const admin = await person('admin')
      const number = await newIncident(admin)
      const first = await upload(app, admin, number, {
        name: 'first.log',
        type: 'text/plain',
        bytes: textOf(60_000),
      })
      expect(await pageAfter(app, admin, first)).toContain('Uploaded first.log.')
      const second = await upload(app, admin, number, {
        name: 'second.log',
        type: 'text/plain',
        bytes: textOf(60_000),
      })
      expect(await pageAfter(app, admin, second)).toContain(
        "The file does not fit in this incident's remaining evidence quota",
      )
      expect((await attachments(number)).map((r) => r.display_name)).toEqual(['first.log'])
      expect(await events(number, 'attachment.added')).toHaveLength(1)
      expect((await filesUnder(objectsDir)).filter((f) => !f.endsWith('.meta.json'))).toHaveLength(
        1,
      )
    } finally {
      await app.close()
    }
  })
})

describe('file names as browsers send them', () => {
  const BOUNDARY = '----WebKitFormBoundaryQ3d9XkZ0pLr8TfYw'
  let instance: Instance
  let who: Person
  beforeAll(async () => {
    instance = await startApp()
    who = await person('engineer')
  })
  afterAll(async () => {
    await instance?.app.close()
  })

  /**
   * The body Chromium and Firefox build for the upload form: the file name's UTF-8 bytes as they
   * are, except `"`, CR and LF written as %22, %0D and %0A (nothing else escaped).
   */
  function browserBody(filename: string, content: Buffer) {
    const encoded = filename.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
    return Buffer.concat([
      Buffer.from(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${encoded}"\r\n` +
          `Content-Type: text/plain\r\n\r\n`,
      ),
      content,
      Buffer.from(
        `\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name="description"\r\n\r\n` +
          `from the load balancer\r\n--${BOUNDARY}--\r\n`,
      ),
    ])
  }

  it.each([
    'a=b.txt',
    'x; y.txt',
    'say "hi".txt',
    `it's; a="b"; c=d.log`,
    'Grüße aus 東京 ✓.log',
    `${'Ü'.repeat(300)}.txt`,
    `${'long-name-'.repeat(30)}.log`,
  ])('uploads %j and downloads it back under the same name', async (filename) => {
    const { app } = instance
    const number = await newIncident(who)
    const content = textOf(2048)
    const response = await fetch(`${app.baseUrl}/incidents/${number}/evidence`, {
      method: 'POST',
      body: browserBody(filename, content),
      redirect: 'manual',
      headers: {
        'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`,
        Cookie: who.cookie,
        Origin: app.baseUrl,
        'X-Forwarded-For': randomIp(),
      },
    })
    const html = await pageAfter(app, who, response)
    expect(html).toContain(`Uploaded ${filename}.`)

    const [row] = await attachments(number)
    expect(row).toMatchObject({ display_name: filename, description: 'from the load balancer' })
    expect(row!.sha256).toBe(sha256(content))

    const download = await app.get(`/incidents/${number}/evidence/${row!.id}`, {
      cookie: who.cookie,
    })
    expect(download.status).toBe(200)
    expect(Buffer.from(await download.arrayBuffer()).equals(content)).toBe(true)
    const disposition = download.headers.get('content-disposition') ?? ''
    const extended = /; filename\*=UTF-8''([^;]+)$/.exec(disposition)
    expect(extended, disposition).not.toBeNull()
    expect(decodeURIComponent(extended![1]!)).toBe(filename)
    // The plain fallback is quoted ASCII without quotes or backslashes of its own.
    expect(disposition).toMatch(/^attachment; filename="[\x20-\x21\x23-\x5b\x5d-\x7e]*"; /)
  })

  it.each([
    ['stores an 8 MB log under a 16 MB limit', 16, 302, 'Uploaded big=log.log.'],
    ['refuses an 8 MB log over a 1 MB limit', 1, 302, 'larger than the limit of 1 MB'],
  ])(
    '%s and answers on the same connection (the body is read to its end)',
    async (_what, limitMegabytes, status, message) => {
      const other = await startApp({ EVIDENCE_MAX_BYTES: String(limitMegabytes * 1024 * 1024) })
      try {
        const number = await newIncident(who)
        const response = await fetch(`${other.app.baseUrl}/incidents/${number}/evidence`, {
          method: 'POST',
          body: browserBody('big=log.log', textOf(8 * 1024 * 1024)),
          redirect: 'manual',
          headers: {
            'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`,
            Cookie: who.cookie,
            Origin: other.app.baseUrl,
            'X-Forwarded-For': randomIp(),
          },
        })
        expect(response.status).toBe(status)
        expect(await pageAfter(other.app, who, response)).toContain(message)
      } finally {
        await other.app.close()
      }
    },
  )

  it('answers a cut-off body with 400 and stores nothing', async () => {
    const { app, objectsDir } = instance
    const number = await newIncident(who)
    const before = await filesUnder(objectsDir)
    const body = browserBody('cut=off.txt', textOf(4096)).subarray(0, 600)
    const response = await fetch(`${app.baseUrl}/incidents/${number}/evidence`, {
      method: 'POST',
      body,
      redirect: 'manual',
      headers: {
        'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`,
        Cookie: who.cookie,
        Origin: app.baseUrl,
        'X-Forwarded-For': randomIp(),
      },
    })
    expect(response.status).toBe(400)
    expect(await attachments(number)).toEqual([])
    expect(await filesUnder(objectsDir)).toEqual(before)
  })
})
