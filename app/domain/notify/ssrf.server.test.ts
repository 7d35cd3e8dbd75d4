import { createServer, get, request as httpRequest, type Agent, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  addressProblem,
  checkUrlShape,
  checkWebhookUrl,
  guardedAgent,
  guardedLookup,
  isAllowedHost,
  WebhookTargetError,
  type AddressProblem,
  type Resolver,
} from './ssrf.server'

describe('addressProblem: IPv4', () => {
  it.each<[string, AddressProblem | null]>([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.0', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.1', 'private'],
    ['100.64.0.1', 'shared'],
    ['100.127.255.255', 'shared'],
    ['169.254.169.254', 'metadata'],
    ['169.254.0.1', 'link-local'],
    ['169.254.170.2', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.254', 'reserved'],
  ])('%s is %s', (address, problem) => {
    expect(addressProblem(address)).toBe(problem)
  })

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '93.184.216.34',
    '9.255.255.255',
    '11.0.0.0',
    '172.15.255.255',
    '172.32.0.0',
    '192.167.255.255',
    '192.169.0.0',
    '100.63.255.255',
    '100.128.0.0',
    '169.253.255.255',
    '169.255.0.0',
    '223.255.255.255',
    '126.255.255.255',
    '128.0.0.0',
  ])('%s, just outside every range, is public', (address) => {
    expect(addressProblem(address)).toBeNull()
  })
})

describe('addressProblem: IPv6', () => {
  it.each<[string, AddressProblem | null]>([
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['[::1]', 'loopback'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['fec0::1', 'private'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456:789a::1', 'unique-local'],
    ['fd00:ec2::254', 'metadata'],
    ['FD00:EC2:0:0:0:0:0:254', 'metadata'],
    ['ff02::1', 'multicast'],
    ['ff05::1:3', 'multicast'],
  ])('%s is %s', (address, problem) => {
    expect(addressProblem(address)).toBe(problem)
  })

  it.each(['2001:4860:4860::8888', '2606:4700:4700::1111', 'fe7f:ffff::1', 'fbff::1', 'fe00::1'])(
    '%s is public',
    (address) => {
      expect(addressProblem(address)).toBeNull()
    },
  )

  it.each<[string, AddressProblem | null]>([
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::FFFF:7F00:0001', 'loopback'],
    ['0:0:0:0:0:ffff:10.1.2.3', 'private'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:a9fe:a9fe', 'metadata'],
    ['::ffff:100.64.0.1', 'shared'],
    ['::ffff:255.255.255.255', 'broadcast'],
    ['::ffff:0.0.0.0', 'unspecified'],
    ['::ffff:0:192.168.1.1', 'private'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['::127.0.0.1', 'loopback'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:c0a8:101::1', 'private'],
    ['::ffff:8.8.8.8', null],
    ['64:ff9b::808:808', null],
    ['2002:808:808::1', null],
  ])('%s (IPv4 inside IPv6) is %s', (address, problem) => {
    expect(addressProblem(address)).toBe(problem)
  })

  it('throws for what is not an IP address', () => {
    expect(() => addressProblem('example.com')).toThrow(/Not an IP address/)
    expect(() => addressProblem('1.2.3')).toThrow(/Not an IP address/)
    expect(() => addressProblem(':::1')).toThrow(/Not an IP address/)
  })
})

describe('WEBHOOK_ALLOWED_HOSTS', () => {
  it('matches host names without regard to case or a trailing dot, and IPv6 in any spelling', () => {
    const allowed = ' 127.0.0.1, Hooks.Internal.Example. ,[::1]'
    expect(isAllowedHost('127.0.0.1', allowed)).toBe(true)
    expect(isAllowedHost('hooks.internal.example', allowed)).toBe(true)
    expect(isAllowedHost('HOOKS.internal.example.', allowed)).toBe(true)
    expect(isAllowedHost('[0:0::1]', allowed)).toBe(true)
    expect(isAllowedHost('127.0.0.2', allowed)).toBe(false)
    expect(isAllowedHost('internal.example', allowed)).toBe(false)
    expect(isAllowedHost('127.0.0.1', undefined)).toBe(false)
    expect(isAllowedHost('127.0.0.1', '')).toBe(false)
  })
})

function problemOf(error: unknown) {
  expect(error).toBeInstanceOf(WebhookTargetError)
  return (error as WebhookTargetError).problem
}

function thrown(work: () => unknown) {
  try {
    work()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

describe('checkUrlShape', () => {
  it.each([
    ['not a url', /full URL/],
    ['ftp://example.com/hook', /Only http/],
    ['javascript:alert(1)', /Only http/],
    ['file:///etc/passwd', /Only http/],
    ['https://user:secret@example.com/hook', /user name and password/],
    ['https://:secret@example.com/hook', /user name and password/],
  ])('refuses %s', (url, message) => {
    const error = thrown(() => checkUrlShape(url, undefined))
    expect(problemOf(error)).toBe('url')
    expect((error as Error).message).toMatch(message)
  })

  it.each<[string, AddressProblem]>([
    ['http://127.0.0.1:8080/hook', 'loopback'],
    // The URL parser normalises these spellings to 127.0.0.1 first.
    ['http://2130706433/', 'loopback'],
    ['http://0x7f.1/', 'loopback'],
    ['http://127.1/', 'loopback'],
    ['http://[::1]/', 'loopback'],
    ['http://[::ffff:127.0.0.1]/', 'loopback'],
    ['http://169.254.169.254/latest/meta-data/', 'metadata'],
    ['http://[fd00:ec2::254]/', 'metadata'],
    ['https://10.0.0.5/hook', 'private'],
    ['https://0.0.0.0/', 'unspecified'],
  ])('refuses the IP literal in %s as %s', (url, problem) => {
    const error = thrown(() => checkUrlShape(url, undefined))
    expect(problemOf(error)).toBe(problem)
    expect((error as Error).message).toContain('Webhooks are only sent to public addresses')
  })

  it('accepts a public IP literal, and a private one that is allowed', () => {
    expect(checkUrlShape('https://8.8.8.8/hook', undefined).hostname).toBe('8.8.8.8')
    expect(checkUrlShape('http://127.0.0.1:9999/x', '127.0.0.1').port).toBe('9999')
    expect(checkUrlShape('http://[::1]:9999/x', '::1').port).toBe('9999')
  })
})

describe('checkWebhookUrl', () => {
  const answers =
    (...addresses: string[]): Resolver =>
    async () =>
      addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))
  const mustNotResolve: Resolver = async () => {
    throw new Error('resolver called')
  }

  it('accepts a host whose every address is public', async () => {
    const url = await checkWebhookUrl(
      'https://hooks.example.com/incidentflow',
      undefined,
      answers('93.184.216.34', '2606:2800:220:1::1'),
    )
    expect(url.href).toBe('https://hooks.example.com/incidentflow')
  })

  it('refuses a host when any of its addresses is not public, naming it', async () => {
    const error = await checkWebhookUrl(
      'https://hooks.example.com/x',
      undefined,
      answers('93.184.216.34', '10.0.0.7'),
    ).catch((e: unknown) => e)
    expect(problemOf(error)).toBe('private')
    expect((error as Error).message).toBe(
      'hooks.example.com resolves to 10.0.0.7, a private network address. Webhooks are only sent to public addresses.',
    )
  })

  it('refuses a host resolving to an IPv4-mapped loopback address', async () => {
    const error = await checkWebhookUrl(
      'https://sneaky.example/x',
      undefined,
      answers('::ffff:127.0.0.1'),
    ).catch((e: unknown) => e)
    expect(problemOf(error)).toBe('loopback')
  })

  it('says so when the host does not resolve', async () => {
    const failing: Resolver = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' })
    }
    const error = await checkWebhookUrl('https://nowhere.invalid/', undefined, failing).catch(
      (e: unknown) => e,
    )
    expect(problemOf(error)).toBe('dns')
    expect((error as Error).message).toMatch(/nowhere\.invalid could not be found/)
    const empty = await checkWebhookUrl('https://empty.example/', undefined, answers()).catch(
      (e: unknown) => e,
    )
    expect(problemOf(empty)).toBe('dns')
  })

  it('skips the address check for an allowed host, and DNS for an IP literal', async () => {
    await expect(
      checkWebhookUrl('http://receiver.internal:8080/', 'receiver.internal', mustNotResolve),
    ).resolves.toBeInstanceOf(URL)
    await expect(
      checkWebhookUrl('https://8.8.8.8/', undefined, mustNotResolve),
    ).resolves.toBeInstanceOf(URL)
  })

  it('resolves with the system resolver by default: localhost is loopback', async () => {
    const error = await checkWebhookUrl('http://localhost:9/', undefined).catch((e: unknown) => e)
    expect(problemOf(error)).toBe('loopback')
  })
})

describe('guardedLookup on a real request', () => {
  let server: Server
  let port: number
  beforeAll(async () => {
    server = createServer((_req, res) => res.end('reached'))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as AddressInfo).port
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  const fetchWith = (allowedHosts: string | undefined, all?: boolean) =>
    new Promise<string>((resolve, reject) => {
      const lookup = guardedLookup(allowedHosts)
      const request = get(
        `http://localhost:${port}/`,
        {
          lookup:
            all === undefined
              ? lookup
              : (host, options, callback) => lookup(host, { ...options, all }, callback),
          // IPv4 only: the server listens on 127.0.0.1, and localhost may resolve to ::1 first.
          family: 4,
        },
        (response) => {
          let body = ''
          response.on('data', (chunk: Buffer) => (body += chunk.toString()))
          response.on('end', () => resolve(body))
        },
      )
      request.on('error', reject)
    })

  it('refuses to connect when the name resolves to loopback', async () => {
    for (const all of [undefined, true, false]) {
      const error = await fetchWith(undefined, all).catch((e: unknown) => e)
      expect(problemOf(error)).toBe('loopback')
    }
  })

  it('connects when the host is allowed, whether one or all addresses are asked for', async () => {
    for (const all of [undefined, true, false]) {
      await expect(fetchWith('localhost', all)).resolves.toBe('reached')
    }
  })
})

describe('guardedAgent: kept connections, every new one checked', () => {
  let server: Server
  let port: number
  let requests = 0
  const connections = new Set<Socket>()
  let opened = 0
  beforeAll(async () => {
    server = createServer((_req, res) => {
      requests += 1
      res.end('reached')
    })
    server.on('connection', (socket) => {
      opened += 1
      connections.add(socket)
      socket.on('close', () => connections.delete(socket))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as AddressInfo).port
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  const post = (agent: Agent, host: string) =>
    new Promise<string>((resolve, reject) => {
      const request = httpRequest(
        { host, port, path: '/', method: 'POST', agent, family: 4 },
        (response) => {
          let body = ''
          response.on('data', (chunk: Buffer) => (body += chunk.toString()))
          response.on('end', () => resolve(body))
        },
      )
      request.on('error', reject)
      request.end('{}')
    })

  const agentFor = (allowedHosts: string | undefined) =>
    guardedAgent('http:', allowedHosts, { maxSockets: 4, idleTimeoutMs: 5_000 })

  it('refuses to connect to a loopback IP literal, where no lookup runs, and sends nothing', async () => {
    const before = requests
    const agent = agentFor(undefined)
    try {
      const error = await post(agent, '127.0.0.1').catch((e: unknown) => e)
      expect(problemOf(error)).toBe('loopback')
      expect((error as Error).message).toContain('127.0.0.1 is a loopback address')
    } finally {
      agent.destroy()
    }
    expect(requests).toBe(before)
  })

  it('refuses to connect when the name resolves to loopback', async () => {
    const agent = agentFor(undefined)
    try {
      expect(problemOf(await post(agent, 'localhost').catch((e: unknown) => e))).toBe('loopback')
    } finally {
      agent.destroy()
    }
  })

  it('reuses one connection for requests one after another, and opens a new one once it is dropped', async () => {
    const agent = agentFor('localhost')
    try {
      const before = opened
      await expect(post(agent, 'localhost')).resolves.toBe('reached')
      await expect(post(agent, 'localhost')).resolves.toBe('reached')
      await expect(post(agent, 'localhost')).resolves.toBe('reached')
      expect(opened - before).toBe(1)
      // The receiver drops the idle connection: the next request opens (and checks) a new one.
      for (const socket of connections) socket.destroy()
      await new Promise((resolve) => setTimeout(resolve, 20))
      await expect(post(agent, 'localhost')).resolves.toBe('reached')
      expect(opened - before).toBe(2)
    } finally {
      agent.destroy()
    }
  })
})
