/**
 * Simulated users for the fault drills: each signs in through the real log-in form, keeps its
 * cookies, and sends plain form posts and page reads through the proxy. Every request opens a
 * connection of its own, so an outcome is the server side's doing and never a client reusing a
 * kept-alive connection the proxy had just closed. Every answer is tallied; every write answered
 * as a success is recorded with the unique text it carried, for comparing with the database.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { request } from 'node:http'
import { hashPassword } from '~/domain/access/password.server'
import type { Role } from '~/domain/access/permissions'

/** How long a request may go unanswered before it counts as hung. */
export const HANG_MS = 60_000

export interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
  /** The processes nginx tried, last one answered (`X-Upstream`). */
  upstream: string
}

export class RequestFailed extends Error {
  constructor(
    message: string,
    readonly hung: boolean,
  ) {
    super(message)
    this.name = 'RequestFailed'
  }
}

export type Body =
  | { form: Record<string, string> }
  | {
      multipart: {
        fields: Record<string, string>
        file: { field: string; name: string; type: string; content: Buffer }
      }
    }

/** One HTTP request on a fresh connection; rejects with RequestFailed on no answer. */
export function send(
  baseUrl: string,
  method: 'GET' | 'POST',
  path: string,
  options: { cookie?: string; body?: Body } = {},
): Promise<Answer> {
  let payload: Buffer | undefined
  const headers: Record<string, string> = {}
  if (options.cookie) headers.Cookie = options.cookie
  if (options.body && 'form' in options.body) {
    payload = Buffer.from(new URLSearchParams(options.body.form).toString())
    headers['Content-Type'] = 'application/x-www-form-urlencoded'
  } else if (options.body) {
    const boundary = `----drill${randomBytes(12).toString('hex')}`
    const { fields, file } = options.body.multipart
    const parts: Buffer[] = []
    for (const [name, value] of Object.entries(fields)) {
      parts.push(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
        ),
      )
    }
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.name}"\r\n` +
          `Content-Type: ${file.type}\r\n\r\n`,
      ),
      file.content,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    )
    payload = Buffer.concat(parts)
    headers['Content-Type'] = `multipart/form-data; boundary=${boundary}`
  }
  if (payload) {
    headers['Content-Length'] = String(payload.length)
    headers.Origin = baseUrl
  }
  return new Promise((resolve, reject) => {
    const req = request(
      `${baseUrl}${path}`,
      { method, headers, agent: false, timeout: HANG_MS },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', (error) => reject(new RequestFailed(`response: ${error.message}`, false)))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            upstream: String(res.headers['x-upstream'] ?? ''),
          }),
        )
      },
    )
    req.on('timeout', () => req.destroy(new RequestFailed(`no answer in ${HANG_MS} ms`, true)))
    req.on('error', (error) =>
      reject(error instanceof RequestFailed ? error : new RequestFailed(error.message, false)),
    )
    req.end(payload)
  })
}

/** What the drill saw, by kind of request. */
export class Tally {
  readonly byKind = new Map<string, { sent: number; ok: number; failed: number }>()
  readonly statuses = new Map<string, number>()
  readonly failures: string[] = []
  /** Requests nginx handed to more than one process before one answered. */
  retried = 0
  hung = 0
  /** Successful answers per process address (the last in `X-Upstream`). */
  readonly servedBy = new Map<string, number>()

  get sent() {
    return [...this.byKind.values()].reduce((n, k) => n + k.sent, 0)
  }
  get failed() {
    return [...this.byKind.values()].reduce((n, k) => n + k.failed, 0)
  }

  private kind(name: string) {
    let entry = this.byKind.get(name)
    if (!entry) this.byKind.set(name, (entry = { sent: 0, ok: 0, failed: 0 }))
    return entry
  }

  ok(kind: string, answer: Answer) {
    const entry = this.kind(kind)
    entry.sent += 1
    entry.ok += 1
    this.count(answer)
    const last = answer.upstream.split(',').pop()?.trim()
    if (last) this.servedBy.set(last, (this.servedBy.get(last) ?? 0) + 1)
  }

  fail(kind: string, what: string, answer?: Answer) {
    const entry = this.kind(kind)
    entry.sent += 1
    entry.failed += 1
    if (answer) this.count(answer)
    if (this.failures.length < 50) this.failures.push(`${kind}: ${what}`)
  }

  private count(answer: Answer) {
    const key = String(answer.status)
    this.statuses.set(key, (this.statuses.get(key) ?? 0) + 1)
    if (answer.upstream.includes(',')) this.retried += 1
  }

  /** One line per kind, then the totals. */
  report(title: string) {
    const lines = [`${title}: ${this.sent} requests, ${this.failed} failed`]
    for (const [kind, k] of [...this.byKind].sort()) {
      lines.push(`  ${kind.padEnd(18)} ${k.sent} sent, ${k.ok} ok, ${k.failed} failed`)
    }
    lines.push(
      `  statuses ${JSON.stringify(Object.fromEntries(this.statuses))}, retried by nginx ${this.retried}, hung ${this.hung}`,
    )
    if (this.failures.length) lines.push(`  first failures:\n    ${this.failures.join('\n    ')}`)
    return lines.join('\n')
  }
}

/** Writes answered as successes, each identified by the unique text it carried. */
export class Ledger {
  readonly incidents = new Set<string>()
  readonly comments = new Set<string>()
  readonly uploads = new Set<string>()
  readonly transitions: string[] = []
  /** Writes that got no success answer (cut off, 5xx), by unique text: they may or may not exist. */
  readonly unanswered = new Set<string>()
}

export const PASSWORD = 'correct horse battery staple 42'

export interface DrillAccount {
  email: string
  role: Role
}

/**
 * Members of `organizationId` with one shared password, written as the database owner (setup,
 * not the thing under test).
 */
export async function createAccounts(
  query: (sql: string, values: unknown[]) => Promise<unknown>,
  organizationId: string,
  roles: Role[],
): Promise<DrillAccount[]> {
  const hash = await hashPassword(PASSWORD)
  const accounts: DrillAccount[] = []
  for (const role of roles) {
    const email = `drill-${role}-${randomBytes(5).toString('hex')}@example.test`
    await query(
      `with u as (insert into app_user (email, display_name, password_hash) values ($1, $2, $3) returning id)
       insert into membership (organization_id, user_id, role, active) select $4, id, $5, true from u`,
      [email, email.split('@')[0], hash, organizationId, role],
    )
    accounts.push({ email, role })
  }
  return accounts
}

/** A signed-in browser: its cookies, and the requests it makes. */
export class User {
  private readonly jar = new Map<string, string>()

  constructor(
    readonly baseUrl: string,
    readonly account: DrillAccount,
    readonly tally: Tally,
    readonly ledger: Ledger,
  ) {}

  /** The Cookie header this browser sends (for requests made around the proxy). */
  cookie() {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ')
  }

  private keep(answer: Answer) {
    for (const line of [answer.headers['set-cookie'] ?? []].flat()) {
      const [pair] = line.split(';')
      const at = pair!.indexOf('=')
      const name = pair!.slice(0, at).trim()
      const value = pair!.slice(at + 1).trim()
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(line) || value === '') this.jar.delete(name)
      else this.jar.set(name, value)
    }
  }

  /** Sends a request and keeps its cookies; a failed connection resolves to undefined. */
  async request(
    kind: string,
    method: 'GET' | 'POST',
    path: string,
    body?: Body,
  ): Promise<Answer | undefined> {
    try {
      const answer = await send(this.baseUrl, method, path, { cookie: this.cookie(), body })
      this.keep(answer)
      return answer
    } catch (error) {
      const failed = error as RequestFailed
      if (failed.hung) this.tally.hung += 1
      this.tally.fail(kind, failed.message)
      return undefined
    }
  }

  async signIn() {
    const answer = await this.request('sign in', 'POST', '/login', {
      form: { email: this.account.email, password: PASSWORD },
    })
    if (answer?.status !== 302) {
      throw new Error(
        `sign-in of ${this.account.email} answered ${answer?.status}: ${answer?.body.slice(0, 300)}`,
      )
    }
    this.tally.ok('sign in', answer)
  }

  /** A page read that must answer 200. */
  async read(kind: string, path: string): Promise<Answer | undefined> {
    const answer = await this.request(kind, 'GET', path)
    if (!answer) return undefined
    if (answer.status !== 200) {
      this.tally.fail(kind, `GET ${path} answered ${answer.status}`, answer)
      return undefined
    }
    this.tally.ok(kind, answer)
    return answer
  }

  /** Declares an incident; its number, or undefined when that failed. */
  async declare(): Promise<number | undefined> {
    const title = `Drill ${randomUUID()}`
    const answer = await this.request('declare', 'POST', '/incidents/new', {
      form: { title, severity: 'SEV-3', summary: 'Declared by a fault drill.' },
    })
    const location = String(answer?.headers.location ?? '')
    const number = /^\/incidents\/(\d+)$/.exec(location)?.[1]
    if (!answer || answer.status !== 302 || !number) {
      this.ledger.unanswered.add(title)
      if (answer) this.tally.fail('declare', `answered ${answer.status}`, answer)
      return undefined
    }
    this.tally.ok('declare', answer)
    this.ledger.incidents.add(title)
    return Number(number)
  }

  /** The version the incident page's forms carry, read from the page as a browser would. */
  private async version(number: number): Promise<string | undefined> {
    const page = await this.read('detail', `/incidents/${number}`)
    return page ? /name="version" value="(\d+)"/.exec(page.body)?.[1] : undefined
  }

  /** Reads the incident page, then comments on it. */
  async comment(number: number): Promise<boolean> {
    const version = await this.version(number)
    if (version === undefined) return false
    const body = `Drill comment ${randomUUID()}`
    const answer = await this.request('comment', 'POST', `/incidents/${number}`, {
      form: { intent: 'comment', body, version },
    })
    if (!answer || answer.status !== 302) {
      this.ledger.unanswered.add(body)
      if (answer) this.tally.fail('comment', `answered ${answer.status}`, answer)
      return false
    }
    this.tally.ok('comment', answer)
    this.ledger.comments.add(body)
    return true
  }

  /** Takes the incident one step along (reads its version from the page first). */
  async transition(number: number, action: string): Promise<boolean> {
    const version = await this.version(number)
    if (version === undefined) return false
    const answer = await this.request('transition', 'POST', `/incidents/${number}`, {
      form: { intent: 'transition', action, version },
    })
    if (!answer || answer.status !== 302) {
      if (answer) this.tally.fail('transition', `${action} answered ${answer.status}`, answer)
      return false
    }
    this.tally.ok('transition', answer)
    this.ledger.transitions.push(`${number}:${action}`)
    return true
  }

  /** Uploads a small text file; success is the page after the redirect saying so. */
  async upload(number: number): Promise<boolean> {
    const name = `drill-${randomUUID()}.txt`
    const answer = await this.request('upload', 'POST', `/incidents/${number}/evidence`, {
      multipart: {
        fields: { description: 'Log excerpt from a fault drill' },
        file: {
          field: 'file',
          name,
          type: 'text/plain',
          content: Buffer.from(`${name}\n${'log line\n'.repeat(200)}`),
        },
      },
    })
    if (!answer || answer.status !== 302) {
      this.ledger.unanswered.add(name)
      if (answer) this.tally.fail('upload', `answered ${answer.status}`, answer)
      return false
    }
    // The redirect carries the outcome in a flash message shown on the incident page.
    const page = await this.read('detail', `/incidents/${number}`)
    if (!page?.body.includes(`Uploaded ${name}`)) {
      this.ledger.unanswered.add(name)
      this.tally.fail('upload', 'the page after the upload does not confirm it', answer)
      return false
    }
    this.tally.ok('upload', answer)
    this.ledger.uploads.add(name)
    return true
  }
}

/** Runs `step` for every user, again and again, until `stop()` is called; resolves when all end. */
export function runLoad(users: User[], step: (user: User, round: number) => Promise<void>) {
  let stopped = false
  const loops = users.map(async (user) => {
    for (let round = 0; !stopped; round += 1) await step(user, round)
  })
  return {
    stop: async () => {
      stopped = true
      await Promise.all(loops)
    },
  }
}

type Query = <R extends Record<string, unknown>>(sql: string, values: unknown[]) => Promise<R[]>

/** What the database holds of the drill's writes, next to what the users were told. */
export async function compareWithDatabase(query: Query, organizationId: string, ledger: Ledger) {
  const titles = new Set(
    (
      await query<{ title: string }>(
        `select title from incident where organization_id = $1 and title like 'Drill %'`,
        [organizationId],
      )
    ).map((r) => r.title),
  )
  const comments = new Set(
    (
      await query<{ body: string }>(
        `select payload->>'body' as body from incident_event
          where organization_id = $1 and type = 'comment.added' and payload->>'body' like 'Drill comment %'`,
        [organizationId],
      )
    ).map((r) => r.body),
  )
  const uploads = new Set(
    (
      await query<{ name: string }>(
        `select display_name as name from attachment
          where organization_id = $1 and display_name like 'drill-%'`,
        [organizationId],
      )
    ).map((r) => r.name),
  )
  const missing = (answered: Set<string>, stored: Set<string>) =>
    [...answered].filter((x) => !stored.has(x))
  return {
    /** Writes answered as successes that the database does not hold: must be empty. */
    lost: {
      incidents: missing(ledger.incidents, titles),
      comments: missing(ledger.comments, comments),
      uploads: missing(ledger.uploads, uploads),
    },
    stored: { incidents: titles.size, comments: comments.size, uploads: uploads.size },
    answered: {
      incidents: ledger.incidents.size,
      comments: ledger.comments.size,
      uploads: ledger.uploads.size,
    },
    /** Writes without a success answer that were committed all the same. */
    committedUnanswered: [...ledger.unanswered].filter(
      (x) => titles.has(x) || comments.has(x) || uploads.has(x),
    ).length,
  }
}
