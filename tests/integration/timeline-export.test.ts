import type { AppLoadContext } from '@remix-run/node'
import { beforeAll, describe, expect, it } from 'vitest'
import { createSession } from '~/domain/access/session.server'
import {
  diffState,
  foldEvents,
  verifyChain,
  type IncidentState,
  type StoredEvent,
} from '~/domain/incident/events'
import {
  addComment,
  declareIncident,
  transitionIncident,
} from '~/domain/incident/incident-service.server'
import { parseEnv, webEnvSchema, type WebEnv } from '~/utils/env.server'
import { createLogger } from '~/utils/logger.server'
import { loader as csvLoader } from '~/routes/incidents.$number.timeline[.]csv'
import { loader as jsonLoader } from '~/routes/incidents.$number.timeline[.]json'
import { parseCsv } from '../support/csv'
import { setUpTestDatabase } from '../support/database'
import { addMember, loadIncident, type TestMember } from '../support/incidents'

const db = setUpTestDatabase('timeline_export')
const logger = createLogger({ name: 'test', level: 'silent', pretty: false })

let env: WebEnv
let admin: TestMember
let number: number

async function get(loader: typeof csvLoader, member: TestMember, n: number) {
  const session = await createSession(db.orm, env, {
    userId: member.user.id,
    organizationId: member.organization.id,
  })
  const context = {
    env,
    orm: db.orm,
    boss: db.boss,
    logger,
    nonce: 'n',
    requestId: 'r',
    clientIp: '127.0.0.1',
  } as AppLoadContext
  try {
    return await loader({
      request: new Request(`${env.APP_URL}/incidents/${n}/timeline.csv`, {
        headers: { Cookie: session.setCookie.split(';')[0]! },
      }),
      context,
      params: { number: String(n) },
    })
  } catch (thrown) {
    if (thrown instanceof Response) return thrown
    throw thrown
  }
}

beforeAll(async () => {
  env = parseEnv(webEnvSchema, { NODE_ENV: 'test', DATABASE_URL: db.url })
  // An e-mail address is a valid formula too: the actor column must not run it.
  admin = await addMember(db, db.organizationId, 'admin', { email: '=1+2@evil.example' })
  const declared = await declareIncident(db.orm, admin, {
    title: '=HYPERLINK("http://evil.example","Open")',
    summary: 'line 1\nline 2, with "quotes"',
    severity: 'SEV-2',
  })
  number = declared.number
  await transitionIncident(db.orm, admin, number, { action: 'start-investigating' })
  await addComment(db.orm, admin, number, { body: '@SUM(1+1)\r\n-2,"x"' })
  await transitionIncident(db.orm, admin, number, { action: 'mark-mitigated' })
})

describe('the CSV timeline export', () => {
  it('has a header and one row per event with seq, type and both hashes', async () => {
    const response = await get(csvLoader, admin, number)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="INC-${number}-timeline.csv"`,
    )
    const [header, ...rows] = parseCsv(await response.text())
    expect(header).toEqual(['seq', 'occurred_at', 'type', 'actor', 'payload', 'prev_hash', 'hash'])

    const { events } = await loadIncident(db.orm, db.organizationId, number)
    expect(rows).toHaveLength(events.length)
    expect(rows.map((r) => r[0])).toEqual(['1', '2', '3', '4'])
    expect(rows.map((r) => r[2])).toEqual([
      'incident.declared',
      'incident.status_changed',
      'comment.added',
      'incident.status_changed',
    ])
    rows.forEach((row, i) => {
      expect(row).toHaveLength(7)
      expect(row[1]).toBe(events[i]!.occurredAt)
      expect(row[5]).toBe(events[i]!.prevHash)
      expect(row[6]).toBe(events[i]!.hash)
      expect(JSON.parse(row[4]!)).toEqual(events[i]!.payload)
      if (i > 0) expect(row[5]).toBe(rows[i - 1]![6])
    })
  })

  it('neutralises a formula in the actor column', async () => {
    const [, ...rows] = parseCsv(await (await get(csvLoader, admin, number)).text())
    for (const row of rows) expect(row[3]).toBe("'=1+2@evil.example")
  })

  it('answers 404 to a member of another organization', async () => {
    const other = await db.createOrganization('Elsewhere')
    const stranger = await addMember(db, other, 'admin')
    expect((await get(csvLoader, stranger, number)).status).toBe(404)
  })
})

describe('the JSON timeline export', () => {
  it('carries everything needed to verify the chain and the replay offline', async () => {
    const response = await get(jsonLoader, admin, number)
    expect(response.status).toBe(200)
    const body = (await response.json()) as {
      incident: IncidentState & { id: string; organizationId: string }
      events: StoredEvent[]
    }
    expect(verifyChain(body.events)).toBeNull()
    const { id: _id, organizationId: _org, ...stored } = body.incident
    expect(diffState(stored, foldEvents(body.events))).toEqual([])
    expect(body.events).toHaveLength(4)
  })
})
