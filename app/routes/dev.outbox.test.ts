import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { AppLoadContext } from '@remix-run/node'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loader as rootLoader } from '~/root'
import { parseEnv, webEnvSchema } from '~/utils/env.server'
import { localMailer, localOutboxDir, type MailMessage } from '~/utils/mailer.server'
import { loader } from './dev.outbox'

/**
 * /dev/outbox shows e-mails that carry sign-in and invitation links, so production must not serve
 * it. The end-to-end server opts in with DEV_OUTBOX=true (its tests read invitations there), so the
 * refusal is proven here, on the loader itself, with the environment parsed like the real server's.
 */

let dataDir: string

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'incidentflow-outbox-'))
})

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true })
})

function contextFor(variables: Record<string, string>) {
  const env = parseEnv(webEnvSchema, {
    SESSION_SECRET: 's'.repeat(40),
    DATA_DIR: dataDir,
    ...variables,
  })
  // The loaders under test read only `env` (no cookie, so no database look-up either).
  return { env } as unknown as AppLoadContext
}

function callLoader(variables: Record<string, string>) {
  return loader({
    request: new Request('http://localhost/dev/outbox'),
    params: {},
    context: contextFor(variables),
  })
}

function message(n: number, to: string): MailMessage {
  return {
    id: `00000000-0000-4000-8000-00000000000${n}`,
    from: 'IncidentFlow <incidents@localhost>',
    to,
    subject: `Subject ${n}`,
    text: `Accept the invitation: http://localhost/invitations/token-${n}`,
    idempotencyKey: `test:${n}`,
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (thrown) {
    return thrown
  }
  throw new Error('expected the loader to throw')
}

describe('/dev/outbox loader', () => {
  it('answers 404 in production without the DEV_OUTBOX opt-in, even with e-mails stored', async () => {
    await localMailer(localOutboxDir({ DATA_DIR: dataDir })).send(message(1, 'a@example.com'))

    const refused: Array<Record<string, string>> = [
      { NODE_ENV: 'production' },
      { NODE_ENV: 'production', DEV_OUTBOX: 'false' },
    ]
    for (const variables of refused) {
      const thrown = await rejection(callLoader(variables))
      expect(thrown).toBeInstanceOf(Response)
      const response = thrown as Response
      expect(response.status).toBe(404)
      const body = await response.text()
      expect(body).not.toContain('a@example.com')
      expect(body).not.toContain('/invitations/')
    }
  })

  it.each([
    ['production with DEV_OUTBOX=true', { NODE_ENV: 'production', DEV_OUTBOX: 'true' }],
    ['development', { NODE_ENV: 'development' }],
  ])('lists the stored e-mails, newest first, in %s', async (_, variables) => {
    const mailer = localMailer(localOutboxDir({ DATA_DIR: dataDir }))
    await mailer.send(message(1, 'first@example.com'))
    // storedAt has millisecond resolution; keep the order unambiguous.
    await new Promise((resolve) => setTimeout(resolve, 5))
    await mailer.send(message(2, 'second@example.com'))

    const result = await callLoader(variables)
    expect(result.delivering).toBe(false)
    expect(result.emails.map((e) => e.to)).toEqual(['second@example.com', 'first@example.com'])
    expect(result.emails[0]).toMatchObject({
      id: message(2, '').id,
      subject: 'Subject 2',
      from: 'IncidentFlow <incidents@localhost>',
      text: 'Accept the invitation: http://localhost/invitations/token-2',
    })
  })

  it('lists nothing (and does not fail) before the first e-mail', async () => {
    const result = await callLoader({ NODE_ENV: 'development' })
    expect(result.emails).toEqual([])
  })
})

describe('navigation to the outbox (root loader)', () => {
  it.each([
    [{ NODE_ENV: 'production' }, false],
    [{ NODE_ENV: 'production', DEV_OUTBOX: 'false' }, false],
    [{ NODE_ENV: 'production', DEV_OUTBOX: 'true' }, true],
    [{ NODE_ENV: 'development' }, true],
  ])('with %o offers the development tools: %s', async (variables, shown) => {
    const result = await rootLoader({
      request: new Request('http://localhost/'),
      params: {},
      context: contextFor(variables),
    })
    expect(result.data.showDevTools).toBe(shown)
    expect(result.data.viewer).toBeNull()
  })
})
