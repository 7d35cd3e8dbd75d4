import { spawn, spawnSync } from 'node:child_process'

/**
 * Reading generated PDFs back as text with `pdftotext` (Debian's poppler-utils, installed by
 * `npm run setup:services`). Where it is missing, the text checks are skipped with the reason in
 * the test's name — except in CI (`CI` set), where they run and fail, so a missing tool is never
 * mistaken for a passing report.
 */

export const PDFTOTEXT_AVAILABLE = spawnSync('pdftotext', ['-v'], { stdio: 'ignore' }).error
  ? false
  : true

export const SKIP_PDF_TEXT = !PDFTOTEXT_AVAILABLE && !process.env.CI

/** The test's title, with the reason appended when its pdftotext checks are skipped. */
export function pdfTextTitle(title: string) {
  return SKIP_PDF_TEXT
    ? `${title} (skipped: pdftotext is not installed; \`npm run setup:services\` installs poppler-utils)`
    : title
}

/** The text of a PDF, in reading order, as pdftotext extracts it (UTF-8). */
export function pdfText(pdf: Buffer): Promise<string> {
  if (!PDFTOTEXT_AVAILABLE) {
    return Promise.reject(
      new Error('pdftotext is not installed; `npm run setup:services` installs poppler-utils'),
    )
  }
  return new Promise((resolve, reject) => {
    const child = spawn('pdftotext', ['-enc', 'UTF-8', '-', '-'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'))
      else
        reject(new Error(`pdftotext exited with ${code}: ${Buffer.concat(err).toString('utf8')}`))
    })
    child.stdin.end(pdf)
  })
}
