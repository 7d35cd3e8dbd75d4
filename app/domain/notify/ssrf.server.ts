import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns'
import { DomainError } from '~/domain/domain-error'
import http, { type ClientRequestArgs } from 'node:http'
import https from 'node:https'
import { isIPv4, isIPv6, type LookupFunction, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'

/**
 * Outgoing webhooks must not become a way into our own network: a URL that names (or resolves
 * to) loopback, private, link-local, metadata or other non-public addresses is refused, unless an
 * operator listed its host in WEBHOOK_ALLOWED_HOSTS. The admin form checks a URL when it is saved
 * (`checkWebhookUrl`); delivery checks again on the address it actually connects to
 * (`guardedLookup`), so a DNS answer that changes after the form check (DNS rebinding) is caught.
 * Delivery keeps connections open between requests (`guardedAgent`): a kept connection goes on to
 * the address that was checked when it opened, and every new connection is checked again.
 */

export type AddressProblem =
  | 'loopback'
  | 'private'
  | 'shared'
  | 'link-local'
  | 'unique-local'
  | 'unspecified'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'metadata'

export const ADDRESS_PROBLEM_TEXT: Record<AddressProblem, string> = {
  loopback: 'a loopback address',
  private: 'a private network address',
  shared: 'a carrier-grade NAT (shared) address',
  'link-local': 'a link-local address',
  'unique-local': 'a unique local IPv6 address',
  unspecified: 'an unspecified address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  reserved: 'a reserved address',
  metadata: 'a cloud metadata service address',
}

type Rule = readonly [prefix: number[], bits: number, problem: AddressProblem]

function v4Rule(cidr: string, problem: AddressProblem): Rule {
  const [address, bits] = cidr.split('/')
  return [parseIPv4(address!)!, Number(bits), problem]
}
function v6Rule(cidr: string, problem: AddressProblem): Rule {
  const [address, bits] = cidr.split('/')
  return [parseIPv6(address!)!, Number(bits), problem]
}

// First match wins: the specific addresses come before the ranges that contain them.
const V4_RULES: Rule[] = [
  v4Rule('169.254.169.254/32', 'metadata'),
  v4Rule('255.255.255.255/32', 'broadcast'),
  v4Rule('0.0.0.0/8', 'unspecified'),
  v4Rule('10.0.0.0/8', 'private'),
  v4Rule('100.64.0.0/10', 'shared'),
  v4Rule('127.0.0.0/8', 'loopback'),
  v4Rule('169.254.0.0/16', 'link-local'),
  v4Rule('172.16.0.0/12', 'private'),
  v4Rule('192.168.0.0/16', 'private'),
  v4Rule('224.0.0.0/4', 'multicast'),
  v4Rule('240.0.0.0/4', 'reserved'),
]

const V6_RULES: Rule[] = [
  v6Rule('fd00:ec2::254/128', 'metadata'),
  v6Rule('::/128', 'unspecified'),
  v6Rule('::1/128', 'loopback'),
  v6Rule('fe80::/10', 'link-local'),
  // Site-local: deprecated, but still routed inside some networks.
  v6Rule('fec0::/10', 'private'),
  v6Rule('fc00::/7', 'unique-local'),
  v6Rule('ff00::/8', 'multicast'),
]

/**
 * IPv6 forms that carry an IPv4 address the connection ends up at: IPv4-mapped (::ffff:a.b.c.d),
 * IPv4-translated, NAT64 (64:ff9b::/96), IPv4-compatible (::a.b.c.d) and 6to4 (2002::/16). The
 * embedded address is judged as IPv4.
 */
const EMBEDDED_V4: Array<readonly [prefix: number[], bits: number, offset: number]> = [
  [parseIPv6('::ffff:0:0')!, 96, 12],
  [parseIPv6('::ffff:0:0:0')!, 96, 12],
  [parseIPv6('64:ff9b::')!, 96, 12],
  [parseIPv6('::')!, 96, 12],
  [parseIPv6('2002::')!, 16, 2],
]

function matches(bytes: number[], prefix: number[], bits: number) {
  for (let bit = 0; bit < bits; bit += 8) {
    const mask = bits - bit >= 8 ? 0xff : (0xff << (8 - (bits - bit))) & 0xff
    if ((bytes[bit / 8]! & mask) !== (prefix[bit / 8]! & mask)) return false
  }
  return true
}

function parseIPv4(text: string): number[] | null {
  if (!isIPv4(text)) return null
  return text.split('.').map(Number)
}

function stripBrackets(text: string) {
  return text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text
}

function parseIPv6(input: string): number[] | null {
  let text = stripBrackets(input.toLowerCase())
  const zone = text.indexOf('%')
  if (zone >= 0) text = text.slice(0, zone)
  if (!isIPv6(text)) return null
  const lastColon = text.lastIndexOf(':')
  const dotted = parseIPv4(text.slice(lastColon + 1))
  if (dotted) {
    const [a, b, c, d] = dotted as [number, number, number, number]
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head, tail] = text.split('::') as [string, string | undefined]
  const groups = (part: string | undefined) => (part ? part.split(':') : [])
  const left = groups(head)
  const right = groups(tail)
  const all =
    tail === undefined
      ? left
      : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
  if (all.length !== 8) return null
  return all.flatMap((group) => {
    const value = parseInt(group, 16)
    return [value >> 8, value & 0xff]
  })
}

/** What is wrong with connecting to this IP address, or null for a public address. */
export function addressProblem(address: string): AddressProblem | null {
  const v4 = parseIPv4(address)
  if (v4) return V4_RULES.find(([prefix, bits]) => matches(v4, prefix, bits))?.[2] ?? null
  const v6 = parseIPv6(address)
  if (!v6) throw new Error(`Not an IP address: ${address}`)
  const rule = V6_RULES.find(([prefix, bits]) => matches(v6, prefix, bits))
  if (rule) return rule[2]
  for (const [prefix, bits, offset] of EMBEDDED_V4) {
    if (matches(v6, prefix, bits)) return addressProblem(v6.slice(offset, offset + 4).join('.'))
  }
  return null
}

/** Whether `host` (a host name, or an IP literal with or without brackets) is an IP address. */
export function isIpLiteral(host: string) {
  return parseIPv4(host) !== null || parseIPv6(host) !== null
}

/** One canonical spelling per host: lower case, no brackets or trailing dot, IPv6 expanded. */
function canonicalHost(host: string) {
  const plain = stripBrackets(host.trim().toLowerCase()).replace(/\.$/, '')
  const v6 = parseIPv6(plain)
  return v6 ? v6.join('.') : plain
}

/** The hosts of WEBHOOK_ALLOWED_HOSTS (comma-separated names or IP literals). */
export function parseAllowedHosts(value: string | undefined): ReadonlySet<string> {
  return new Set(
    (value ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean)
      .map(canonicalHost),
  )
}

export function isAllowedHost(host: string, allowedHosts: string | undefined) {
  return parseAllowedHosts(allowedHosts).has(canonicalHost(host))
}

/** A delivery target that is refused; `message` is written for the admin who entered the URL. */
export class WebhookTargetError extends DomainError {
  constructor(
    message: string,
    readonly problem: AddressProblem | 'url' | 'dns',
  ) {
    super(message, { field: 'url' })
  }
}

function refusal(host: string, address: string, problem: AddressProblem) {
  const subject = host === address ? `${address} is` : `${host} resolves to ${address},`
  return new WebhookTargetError(
    `${subject} ${ADDRESS_PROBLEM_TEXT[problem]}. Webhooks are only sent to public addresses.`,
    problem,
  )
}

/**
 * Everything about a URL that needs no DNS: http or https, no credentials, a host, and (for an IP
 * literal) a public address. Returns the parsed URL; throws WebhookTargetError.
 */
export function checkUrlShape(url: string, allowedHosts: string | undefined): URL {
  let parsed: URL
  try {
    parsed = new URL(url.trim())
  } catch {
    throw new WebhookTargetError('Enter a full URL starting with https:// (or http://).', 'url')
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw new WebhookTargetError('Only http:// and https:// URLs can receive webhooks.', 'url')
  if (parsed.username || parsed.password)
    throw new WebhookTargetError(
      'Remove the user name and password from the URL: deliveries are authenticated by their signature.',
      'url',
    )
  if (!parsed.hostname) throw new WebhookTargetError('The URL names no host.', 'url')
  if (isAllowedHost(parsed.hostname, allowedHosts)) return parsed
  const literal = stripBrackets(parsed.hostname)
  if (isIpLiteral(literal)) {
    const problem = addressProblem(literal)
    if (problem) throw refusal(literal, literal, problem)
  }
  return parsed
}

export type Resolver = (host: string) => Promise<LookupAddress[]>

const systemResolver: Resolver = (host) =>
  new Promise((resolve, reject) =>
    dnsLookup(host, { all: true, verbatim: true }, (error, addresses) =>
      error ? reject(error) : resolve(addresses),
    ),
  )

/**
 * The check of the admin form: the URL's shape, then every address its host resolves to. Returns
 * the parsed URL or throws WebhookTargetError with a message for the form.
 */
export async function checkWebhookUrl(
  url: string,
  allowedHosts: string | undefined,
  resolve: Resolver = systemResolver,
): Promise<URL> {
  const parsed = checkUrlShape(url, allowedHosts)
  const host = stripBrackets(parsed.hostname)
  if (isAllowedHost(host, allowedHosts) || isIpLiteral(host)) return parsed
  let addresses: LookupAddress[]
  try {
    addresses = await resolve(host)
  } catch {
    throw new WebhookTargetError(`The host name ${host} could not be found (DNS).`, 'dns')
  }
  if (addresses.length === 0)
    throw new WebhookTargetError(`The host name ${host} has no addresses (DNS).`, 'dns')
  for (const { address } of addresses) {
    const problem = addressProblem(address)
    if (problem) throw refusal(host, address, problem)
  }
  return parsed
}

/**
 * A `lookup` for node:http and node:https requests that refuses a host when any of its addresses
 * is not public, so the address the socket connects to is always one that was checked. IP
 * literals never reach a lookup function: `checkUrlShape` judges those before the request.
 */
export function guardedLookup(allowedHosts: string | undefined): LookupFunction {
  return (hostname, options: LookupOptions, callback) => {
    const allowed = isAllowedHost(hostname, allowedHosts)
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, [])
      if (!allowed) {
        for (const { address } of addresses) {
          const problem = addressProblem(address)
          if (problem) return callback(refusal(hostname, address, problem), [])
        }
      }
      if (options.all) return callback(null, addresses)
      const first = addresses[0]
      if (!first) {
        const none: NodeJS.ErrnoException = new Error(`${hostname} has no addresses`)
        none.code = 'ENOTFOUND'
        return callback(none, [])
      }
      callback(null, first.address, first.family)
    })
  }
}

/**
 * Destroys `socket` once connected if the peer's address is not public, unless `host` is allowed.
 * It runs before anything written to the socket is flushed (its listener is the first one), so a
 * refused peer receives no byte of the request.
 */
function refuseNonPublicPeer(socket: Socket, host: string, allowedHosts: string | undefined) {
  if (isAllowedHost(host, allowedHosts)) return
  socket.once('connect', () => {
    const address = socket.remoteAddress
    if (!address) return
    const problem = addressProblem(address)
    if (problem) socket.destroy(refusal(host, address, problem))
  })
}

export interface GuardedAgentOptions {
  /** Connections to one destination at most; further requests wait for a free one. */
  maxSockets: number
  /** Idle kept connections closed after this long (a server's Keep-Alive hint may shorten it). */
  idleTimeoutMs: number
}

/**
 * A keep-alive agent for one delivery destination that applies the SSRF rules to every connection
 * it opens: the host's addresses through `guardedLookup`, and the address actually connected to
 * (which also covers IP literals and any lookup the platform makes on its own). Kept connections
 * are reused without a new lookup; they lead to the address checked when they opened.
 */
export function guardedAgent(
  protocol: 'http:' | 'https:',
  allowedHosts: string | undefined,
  options: GuardedAgentOptions,
): http.Agent {
  const agentOptions = {
    keepAlive: true,
    maxSockets: options.maxSockets,
    maxFreeSockets: options.maxSockets,
    timeout: options.idleTimeoutMs,
    // The most recently used connection first, so the idle ones beyond what the load needs time
    // out instead of being kept warm in turn.
    scheduling: 'lifo' as const,
    lookup: guardedLookup(allowedHosts),
  }
  const guard = (
    socket: Duplex | null | undefined,
    connection: ClientRequestArgs,
  ): Duplex | null | undefined => {
    const host = stripBrackets(connection.hostname ?? connection.host ?? '')
    if (socket) refuseNonPublicPeer(socket as Socket, host, allowedHosts)
    return socket
  }
  if (protocol === 'https:') {
    return new (class extends https.Agent {
      override createConnection(
        connection: https.RequestOptions,
        callback?: (err: Error | null, stream: Duplex) => void,
      ) {
        return guard(super.createConnection(connection, callback), connection)
      }
    })(agentOptions)
  }
  return new (class extends http.Agent {
    override createConnection(
      connection: ClientRequestArgs,
      callback?: (err: Error | null, stream: Duplex) => void,
    ) {
      return guard(super.createConnection(connection, callback), connection)
    }
  })(agentOptions)
}
