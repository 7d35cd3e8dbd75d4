import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A loopback stand-in for Slack's Web API (what SLACK_API_URL points at in tests), on
 * 127.0.0.1 at a random port. The product's real client (@slack/web-api) sends real HTTP
 * requests here; the double answers the methods IncidentFlow calls with Slack-shaped JSON
 * (`ok`, `error`, `ts`, `channel`, …), keeps the little state they need (channels, posted
 * messages, archived channels), and records every call. `response_url` posts (the URL Slack gives
 * a slash command or an interaction) are accepted at `/response/<id>` and recorded too.
 *
 * Tests steer it with `users` (the workspace's people), `respond(method, handler)` (answer a
 * method differently, e.g. `{ ok: false, error: 'invalid_auth' }`) and `rateLimitNext(method, s)`
 * (the next call of that method gets 429 with `Retry-After: s`).
 */

export interface SlackDoubleCall {
  /** The Web API method (`chat.postMessage`), or `response_url` for a post to a response URL. */
  method: string
  /** Form fields (values as sent: objects arrive as JSON text) or the parsed JSON body. */
  body: Record<string, unknown>
  /** The bearer token sent, or null. */
  token: string | null
  /** The request path (`/api/chat.postMessage`, `/response/abc`). */
  path: string
}

export interface SlackDoubleUser {
  email: string | null
  name: string
  deleted?: boolean
  isBot?: boolean
}

export interface SlackDoubleMessage {
  ts: string
  user: string
  text: string
  thread_ts?: string
}

/** A method's answer in the test's hands: return a body to send, or undefined for the default. */
export type SlackDoubleHandler = (
  body: Record<string, unknown>,
  token: string | null,
) => Record<string, unknown> | undefined

export interface SlackDouble {
  /** `http://127.0.0.1:<port>/api/`: what SLACK_API_URL is set to. */
  url: string
  /** `http://127.0.0.1:<port>` */
  origin: string
  calls: SlackDoubleCall[]
  /** The workspace's people by Slack user id; seed them in the test. */
  users: Record<string, SlackDoubleUser>
  /** Messages by channel id, oldest first (posted ones are added; tests may seed more). */
  messages: Map<string, SlackDoubleMessage[]>
  /** Channels created or joined, by id. */
  channels: Map<string, { name: string; archived: boolean; members: string[] }>
  /** The workspace every valid token belongs to. */
  team: { id: string; name: string; domain: string }
  /** Bot tokens `auth.test` accepts; any token starting with `xoxb-` when empty. */
  validTokens: Set<string>
  /** What `oauth.v2.access` accepts and hands out. */
  oauth: { clientId: string; clientSecret: string; codes: Map<string, string> }
  respond: (method: string, handler: SlackDoubleHandler) => void
  rateLimitNext: (method: string, retryAfterSeconds: number) => void
  /** A response_url on the double (`<origin>/response/<id>`). */
  responseUrl: (id?: string) => string
  /** Adds a message to a channel as `user` (a reply when `threadTs` is given); returns its ts. */
  addMessage: (channel: string, user: string, text: string, threadTs?: string) => string
  /** Calls of one method, in order. */
  callsOf: (method: string) => SlackDoubleCall[]
  reset: () => void
  stop: () => Promise<void>
}

export const DOUBLE_BOT_USER_ID = 'UBOTDOUBLE'
export const DOUBLE_APP_ID = 'ADOUBLEAPP'

export async function startSlackDouble(): Promise<SlackDouble> {
  const calls: SlackDoubleCall[] = []
  const users: Record<string, SlackDoubleUser> = {}
  const messages = new Map<string, SlackDoubleMessage[]>()
  const channels = new Map<string, { name: string; archived: boolean; members: string[] }>()
  const handlers = new Map<string, SlackDoubleHandler>()
  const rateLimits = new Map<string, number>()
  const validTokens = new Set<string>()
  const team = { id: 'TDOUBLE01', name: 'Double Workspace', domain: 'double' }
  const oauth = { clientId: '1111.2222', clientSecret: 'double-client-secret', codes: new Map() }
  let counter = 0
  // Message timestamps: seconds.micro, strictly increasing, as Slack's are per channel.
  let clock = 1_700_000_000

  const nextTs = () => {
    clock += 1
    return `${clock}.${String(++counter).padStart(6, '0')}`
  }

  const addMessage = (channel: string, user: string, text: string, threadTs?: string) => {
    const ts = nextTs()
    const list = messages.get(channel) ?? []
    list.push({ ts, user, text, ...(threadTs ? { thread_ts: threadTs } : {}) })
    messages.set(channel, list)
    return ts
  }

  const tokenOk = (token: string | null) =>
    token !== null && (validTokens.size ? validTokens.has(token) : token.startsWith('xoxb-'))

  const userObject = (id: string, user: SlackDoubleUser) => ({
    id,
    team_id: team.id,
    name: user.name.toLowerCase().replace(/\s+/g, '.'),
    real_name: user.name,
    deleted: user.deleted ?? false,
    is_bot: user.isBot ?? false,
    profile: {
      real_name: user.name,
      display_name: user.name,
      ...(user.email ? { email: user.email } : {}),
    },
  })

  const defaults: Record<string, (body: Record<string, unknown>, token: string | null) => unknown> =
    {
      'auth.test': (_body, token) =>
        tokenOk(token)
          ? {
              ok: true,
              url: `https://${team.domain}.slack.com/`,
              team: team.name,
              team_id: team.id,
              user: 'incidentflow',
              user_id: DOUBLE_BOT_USER_ID,
              bot_id: 'BDOUBLE01',
              app_id: DOUBLE_APP_ID,
            }
          : { ok: false, error: 'invalid_auth' },
      'oauth.v2.access': (body) => {
        if (body.client_id !== oauth.clientId || body.client_secret !== oauth.clientSecret)
          return { ok: false, error: 'invalid_client_id' }
        const accessToken = oauth.codes.get(String(body.code ?? ''))
        if (!accessToken) return { ok: false, error: 'invalid_code' }
        oauth.codes.delete(String(body.code))
        return {
          ok: true,
          access_token: accessToken,
          token_type: 'bot',
          scope: 'commands,chat:write',
          bot_user_id: DOUBLE_BOT_USER_ID,
          app_id: DOUBLE_APP_ID,
          team: { id: team.id, name: team.name },
          enterprise: null,
          is_enterprise_install: false,
        }
      },
      'users.info': (body) => {
        const id = String(body.user ?? '')
        const user = users[id]
        return user
          ? { ok: true, user: userObject(id, user) }
          : { ok: false, error: 'user_not_found' }
      },
      'users.lookupByEmail': (body) => {
        const email = String(body.email ?? '').toLowerCase()
        const found = Object.entries(users).find(
          ([, user]) => user.email?.toLowerCase() === email && !user.deleted,
        )
        return found
          ? { ok: true, user: userObject(found[0], found[1]) }
          : { ok: false, error: 'users_not_found' }
      },
      'conversations.create': (body) => {
        const name = String(body.name ?? '')
        if (!/^[a-z0-9_-]{1,80}$/.test(name)) return { ok: false, error: 'invalid_name_specials' }
        if ([...channels.values()].some((c) => c.name === name))
          return { ok: false, error: 'name_taken' }
        const id = `C${String(++counter).padStart(8, '0')}`
        channels.set(id, { name, archived: false, members: [DOUBLE_BOT_USER_ID] })
        return { ok: true, channel: { id, name, is_channel: true, is_archived: false } }
      },
      'conversations.invite': (body) => {
        const channel = channels.get(String(body.channel ?? ''))
        if (!channel) return { ok: false, error: 'channel_not_found' }
        const ids = String(body.users ?? '')
          .split(',')
          .filter(Boolean)
        if (ids.some((id) => !users[id])) return { ok: false, error: 'user_not_found' }
        const fresh = ids.filter((id) => !channel.members.includes(id))
        if (!fresh.length) return { ok: false, error: 'already_in_channel' }
        channel.members.push(...fresh)
        return { ok: true, channel: { id: body.channel, name: channel.name } }
      },
      'conversations.join': (body) => {
        const id = String(body.channel ?? '')
        const channel = channels.get(id) ?? { name: id.toLowerCase(), archived: false, members: [] }
        if (!channel.members.includes(DOUBLE_BOT_USER_ID)) channel.members.push(DOUBLE_BOT_USER_ID)
        channels.set(id, channel)
        return { ok: true, channel: { id, name: channel.name } }
      },
      'conversations.archive': (body) => {
        const channel = channels.get(String(body.channel ?? ''))
        if (!channel) return { ok: false, error: 'channel_not_found' }
        if (channel.archived) return { ok: false, error: 'already_archived' }
        channel.archived = true
        return { ok: true }
      },
      'conversations.history': (body) => {
        const list = messages.get(String(body.channel ?? ''))
        if (!list) return { ok: false, error: 'channel_not_found' }
        const latest = body.latest === undefined ? Infinity : Number(body.latest)
        const inclusive = body.inclusive === true || body.inclusive === 'true'
        const limit = Number(body.limit ?? 100)
        // Like Slack's: the channel's own messages and thread parents, never replies.
        const found = list
          .filter((m) => !m.thread_ts || m.thread_ts === m.ts)
          .filter((m) => (inclusive ? Number(m.ts) <= latest : Number(m.ts) < latest))
          .reverse()
          .slice(0, limit)
          .map((m) => ({ type: 'message', ...m }))
        return { ok: true, messages: found, has_more: false }
      },
      'conversations.replies': (body) => {
        const list = messages.get(String(body.channel ?? ''))
        if (!list) return { ok: false, error: 'channel_not_found' }
        const asked = list.find((m) => m.ts === body.ts)
        if (!asked) return { ok: false, error: 'thread_not_found' }
        const parentTs = asked.thread_ts ?? asked.ts
        const thread = list
          .filter((m) => m.ts === parentTs || m.thread_ts === parentTs)
          .map((m) => ({ type: 'message', ...m, thread_ts: m.thread_ts ?? parentTs }))
        return { ok: true, messages: thread, has_more: false }
      },
      'chat.postMessage': (body) => {
        const channel = String(body.channel ?? '')
        if (!channel) return { ok: false, error: 'channel_not_found' }
        if (channels.get(channel)?.archived) return { ok: false, error: 'is_archived' }
        const text = String(body.text ?? '')
        const threadTs = typeof body.thread_ts === 'string' ? body.thread_ts : undefined
        const ts = addMessage(channel, DOUBLE_BOT_USER_ID, text, threadTs)
        return {
          ok: true,
          channel,
          ts,
          message: { type: 'message', text, ts, bot_id: 'BDOUBLE01' },
        }
      },
      'chat.update': (body) => {
        const channel = String(body.channel ?? '')
        const message = messages.get(channel)?.find((m) => m.ts === body.ts)
        if (!message) return { ok: false, error: 'message_not_found' }
        message.text = String(body.text ?? message.text)
        return { ok: true, channel, ts: body.ts, text: message.text }
      },
      'chat.getPermalink': (body) => {
        const channel = String(body.channel ?? '')
        const ts = String(body.message_ts ?? '')
        if (!channel || !ts) return { ok: false, error: 'message_not_found' }
        return {
          ok: true,
          channel,
          permalink: `https://${team.domain}.slack.com/archives/${channel}/p${ts.replace('.', '')}`,
        }
      },
      'chat.postEphemeral': (body) =>
        body.channel && body.user
          ? { ok: true, message_ts: nextTs() }
          : { ok: false, error: 'channel_not_found' },
    }

  const server = createServer((req, res) => {
    void readBody(req).then((raw) => {
      const path = (req.url ?? '').split('?')[0] ?? ''
      const body = parseBody(raw, req.headers['content-type'] ?? '')
      const auth = req.headers.authorization
      const token = auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : null
      const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
        res.end(JSON.stringify(value))
      }

      if (path.startsWith('/response/')) {
        calls.push({ method: 'response_url', body, token, path })
        json(200, { ok: true })
        return
      }
      if (!path.startsWith('/api/') || req.method !== 'POST') {
        json(404, { ok: false, error: 'unknown_method' })
        return
      }
      const method = path.slice('/api/'.length)
      calls.push({ method, body, token, path })

      const retryAfter = rateLimits.get(method)
      if (retryAfter !== undefined) {
        rateLimits.delete(method)
        json(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(retryAfter) })
        return
      }
      const custom = handlers.get(method)?.(body, token)
      if (custom) {
        json(200, custom)
        return
      }
      const answer = defaults[method]
      if (!answer) {
        json(200, { ok: false, error: 'unknown_method' })
        return
      }
      if (method !== 'oauth.v2.access' && method !== 'auth.test' && !tokenOk(token)) {
        json(200, { ok: false, error: token ? 'invalid_auth' : 'not_authed' })
        return
      }
      json(200, answer(body, token))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const origin = `http://127.0.0.1:${port}`

  return {
    url: `${origin}/api/`,
    origin,
    calls,
    users,
    messages,
    channels,
    team,
    validTokens,
    oauth,
    respond: (method, handler) => handlers.set(method, handler),
    rateLimitNext: (method, seconds) => rateLimits.set(method, seconds),
    responseUrl: (id = String(++counter)) => `${origin}/response/${id}`,
    addMessage: (channel, user, text, threadTs) => addMessage(channel, user, text, threadTs),
    callsOf: (method) => calls.filter((call) => call.method === method),
    reset: () => {
      calls.length = 0
      handlers.clear()
      rateLimits.clear()
      messages.clear()
      channels.clear()
      validTokens.clear()
      oauth.codes.clear()
      for (const id of Object.keys(users)) delete users[id]
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let raw = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => (raw += chunk))
    req.on('end', () => resolve(raw))
    req.on('error', () => resolve(raw))
  })
}

function parseBody(raw: string, contentType: string): Record<string, unknown> {
  if (!raw) return {}
  if (contentType.includes('application/json')) {
    try {
      const value: unknown = JSON.parse(raw)
      return value && typeof value === 'object' ? (value as Record<string, unknown>) : {}
    } catch {
      return {}
    }
  }
  return Object.fromEntries(new URLSearchParams(raw))
}
