import { createHash } from 'node:crypto'
import type { Page } from '@playwright/test'
import { newAccount, open, signUp } from './access'
import { expect, test } from './fixtures'

/**
 * Evidence through the incident page, as people use it: upload an image and a log, see them in
 * the timeline and the "Current evidence" list, download them byte for byte; and the refusals
 * (too large, HTML disguised as an image) shown on the page, leaving nothing behind. Without
 * JavaScript (chromium-nojs) this is the plain multipart form post: the acceptance case.
 */

const INCIDENT_URL = /\/incidents\/(\d+)$/

// A valid 1×1 PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
)
const LOG = Buffer.from(
  Array.from(
    { length: 200 },
    (_, i) =>
      `2024-05-01T12:${String(i % 60).padStart(2, '0')}:00Z WARN checkout latency ${i} ms\n`,
  ).join(''),
)
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')

async function declare(page: Page, jsEnabled: boolean, title: string) {
  await open(page, '/incidents/new', jsEnabled)
  const main = page.getByRole('main')
  await main.getByLabel('Title', { exact: true }).fill(title)
  await main.getByLabel('Severity', { exact: true }).selectOption('SEV-2')
  await main.getByLabel('Summary', { exact: true }).fill('Checkout is failing for some users.')
  await page.getByRole('button', { name: 'Declare incident' }).click()
  await expect(page).toHaveURL(INCIDENT_URL)
  return Number(INCIDENT_URL.exec(page.url())![1])
}

async function upload(
  page: Page,
  file: { name: string; mimeType: string; buffer: Buffer },
  description?: string,
) {
  const form = page.getByRole('form', { name: 'Upload evidence' })
  await form.getByLabel('Evidence file', { exact: true }).setInputFiles(file)
  if (description !== undefined)
    await form.getByLabel('Description', { exact: true }).fill(description)
  await form.getByRole('button', { name: 'Upload evidence' }).click()
}

const timelineItems = (page: Page) =>
  page.getByRole('list', { name: 'Timeline, oldest first' }).getByRole('listitem')
const currentEvidence = (page: Page) => page.getByRole('list', { name: 'Current evidence' })
const evidenceSection = (page: Page) =>
  page
    .getByRole('region', { name: 'Evidence' })
    .or(page.locator('section[aria-labelledby="evidence-heading"]'))

/** Downloads through the browser's own session and returns the bytes and headers. */
async function download(page: Page, href: string) {
  const response = await page.request.get(href)
  expect(response.status()).toBe(200)
  return { bytes: await response.body(), headers: response.headers() }
}

test.describe('evidence', () => {
  test('an admin uploads a screenshot and a log, sees them and downloads the same bytes', async ({
    page,
    jsEnabled,
  }, testInfo) => {
    test.setTimeout(90_000)
    const admin = newAccount(testInfo, 'evidence')
    await signUp(page, admin, jsEnabled)
    const number = await declare(page, jsEnabled, 'Checkout errors')
    if (jsEnabled) await open(page, `/incidents/${number}`, jsEnabled)

    await upload(
      page,
      { name: 'checkout-error.png', mimeType: 'image/png', buffer: PNG },
      'Error page seen by a customer',
    )
    await expect(page.getByRole('status')).toHaveText('Done: Uploaded checkout-error.png.')
    await expect(page).toHaveURL(INCIDENT_URL)
    await upload(
      page,
      { name: 'checkout.log', mimeType: 'text/plain', buffer: LOG },
      'Checkout pod log',
    )
    await expect(page.getByRole('status')).toHaveText('Done: Uploaded checkout.log.')

    // The timeline: both entries, their descriptions, a preview of the image, Download links.
    const pngEntry = timelineItems(page).filter({ hasText: 'added evidence checkout-error.png' })
    const logEntry = timelineItems(page).filter({ hasText: 'added evidence checkout.log' })
    await expect(pngEntry).toContainText('Error page seen by a customer')
    await expect(logEntry).toContainText('Checkout pod log')
    await expect(pngEntry).toContainText(`SHA-256 ${sha256(PNG)}`)
    await expect(logEntry).toContainText(`SHA-256 ${sha256(LOG)}`)
    const preview = pngEntry.getByRole('img', { name: /^Preview of checkout-error\.png/ })
    await expect(preview).toBeVisible()
    await expect
      .poll(() => preview.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth))
      .toBe(1)
    await expect(logEntry.getByRole('img')).toHaveCount(0)

    // The current evidence list.
    const current = currentEvidence(page)
    await expect(current.getByRole('link', { name: 'checkout-error.png' })).toBeVisible()
    await expect(current.getByRole('link', { name: 'checkout.log' })).toBeVisible()
    await expect(current).toContainText('image/png')
    await expect(current).toContainText('text/plain')

    // Downloads: byte-identical, as attachments that cannot run in the page.
    for (const [entry, original, name] of [
      [pngEntry, PNG, 'checkout-error.png'],
      [logEntry, LOG, 'checkout.log'],
    ] as const) {
      const href = await entry.getByRole('link', { name: 'Download' }).getAttribute('href')
      const fromTimeline = await download(page, href!)
      expect(sha256(fromTimeline.bytes)).toBe(sha256(original))
      expect(fromTimeline.headers['content-disposition']).toContain(
        `attachment; filename="${name}"`,
      )
      expect(fromTimeline.headers['x-content-type-options']).toBe('nosniff')
      expect(fromTimeline.headers['content-security-policy']).toContain('sandbox')
      const listHref = await current.getByRole('link', { name }).getAttribute('href')
      expect(listHref).toBe(href)
    }

    // A real browser download from the list, for the log.
    const [saved] = await Promise.all([
      page.waitForEvent('download'),
      current.getByRole('link', { name: 'checkout.log' }).click(),
    ])
    expect(saved.suggestedFilename()).toBe('checkout.log')
    const { readFile } = await import('node:fs/promises')
    expect(sha256(await readFile((await saved.path())!))).toBe(sha256(LOG))
  })

  test('a 30 MB file and an HTML page named .png are refused on the page and stored nowhere', async ({
    page,
    jsEnabled,
  }, testInfo) => {
    test.setTimeout(120_000)
    const admin = newAccount(testInfo, 'refused')
    await signUp(page, admin, jsEnabled)
    const number = await declare(page, jsEnabled, 'Refused evidence')
    if (jsEnabled) await open(page, `/incidents/${number}`, jsEnabled)

    const huge = Buffer.alloc(30 * 1024 * 1024, 'the same log line over and over again\n')
    await upload(page, { name: 'huge.log', mimeType: 'text/plain', buffer: huge })
    await expect(page.getByRole('alert')).toHaveText(
      'Error: The file is larger than the limit of 25 MB.',
    )
    await expect(page).toHaveURL(new RegExp(`/incidents/${number}$`))

    const html = Buffer.from('<!DOCTYPE html><html><body><script>alert(1)</script></body></html>')
    await upload(page, { name: 'evil.png', mimeType: 'image/png', buffer: html })
    await expect(page.getByRole('alert')).toContainText(
      'HTML, SVG and XML files are not accepted as evidence, because a browser could run them.',
    )

    // Nothing of either: not in the evidence section, not in the timeline.
    await open(page, `/incidents/${number}`, jsEnabled)
    await expect(evidenceSection(page)).toContainText('No evidence attached.')
    await expect(currentEvidence(page)).toHaveCount(0)
    await expect(timelineItems(page).filter({ hasText: /(added|withdrew) evidence/ })).toHaveCount(
      0,
    )
    await expect(page.getByRole('main')).not.toContainText('huge.log')
    await expect(page.getByRole('main')).not.toContainText('evil.png')
  })

  test('a file named with quotes, semicolons, equals signs and non-ASCII keeps its name', async ({
    page,
    jsEnabled,
  }, testInfo) => {
    test.setTimeout(90_000)
    const admin = newAccount(testInfo, 'evidence-names')
    await signUp(page, admin, jsEnabled)
    const number = await declare(page, jsEnabled, 'Checkout errors with odd file names')
    if (jsEnabled) await open(page, `/incidents/${number}`, jsEnabled)

    const name = 'notes "v2"; a=b Grüße ✓.log'
    await upload(page, { name, mimeType: 'text/plain', buffer: LOG })
    await expect(page.getByRole('status')).toHaveText(`Done: Uploaded ${name}.`)
    const link = currentEvidence(page).getByRole('link', { name })
    await expect(link).toBeVisible()
    const { bytes, headers } = await download(page, (await link.getAttribute('href'))!)
    expect(sha256(bytes)).toBe(sha256(LOG))
    const extended = /filename\*=UTF-8''([^;]+)$/.exec(headers['content-disposition'] ?? '')
    expect(decodeURIComponent(extended?.[1] ?? '')).toBe(name)
  })
})
