import { AsyncLocalStorage } from 'node:async_hooks'
import { describe, expect, it } from 'vitest'
import { ReferenceCache } from './reference-cache.server'

const ORG_A = '00000000-0000-4000-8000-00000000000a'
const ORG_B = '00000000-0000-4000-8000-00000000000b'

function liveCache(options: Partial<ConstructorParameters<typeof ReferenceCache>[0]> = {}) {
  let now = 1_000_000
  const cache = new ReferenceCache({
    maxOrganizations: 10,
    maxAgeMs: 60_000,
    now: () => now,
    ...options,
  })
  cache.setLive(true)
  return { cache, advance: (ms: number) => (now += ms) }
}

/** A load the test finishes by hand, counting how often it was started. */
function manualLoad<T>() {
  const calls: Array<(value: T) => void> = []
  return {
    load: () => new Promise<T>((resolve) => calls.push(resolve)),
    get started() {
      return calls.length
    },
    finish: (value: T, call = calls.length - 1) => calls[call]!(value),
  }
}

describe('ReferenceCache', () => {
  it('serves a kept value without loading again', async () => {
    const { cache } = liveCache()
    let loads = 0
    const load = async () => ({ names: ['Checkout'], load: ++loads })
    expect(await cache.get(ORG_A, 'catalog', load)).toEqual({ names: ['Checkout'], load: 1 })
    expect(await cache.get(ORG_A, 'catalog', load)).toEqual({ names: ['Checkout'], load: 1 })
    expect(cache.stats).toMatchObject({ loads: 1, hits: 1 })
  })

  it('keeps organizations apart: the key is the organization', async () => {
    const { cache } = liveCache()
    await cache.get(ORG_A, 'catalog', async () => ['A only'])
    expect(await cache.get(ORG_B, 'catalog', async () => ['B only'])).toEqual(['B only'])
    cache.invalidate(ORG_B)
    expect(await cache.get(ORG_A, 'catalog', async () => ['reloaded'])).toEqual(['A only'])
  })

  it('hands out deep-frozen values', async () => {
    const { cache } = liveCache()
    const value = await cache.get(ORG_A, 'members', async () => [{ name: 'Ada', tags: ['x'] }])
    expect(() => (value as Array<{ name: string }>).push({ name: 'Eve' })).toThrow(TypeError)
    expect(() => ((value[0] as { name: string }).name = 'Eve')).toThrow(TypeError)
    expect(() => (value[0]!.tags as string[]).push('y')).toThrow(TypeError)
  })

  it('runs one load for many callers that miss at once', async () => {
    const { cache } = liveCache()
    const pending = manualLoad<string[]>()
    const callers = Array.from({ length: 20 }, () => cache.get(ORG_A, 'catalog', pending.load))
    pending.finish(['Checkout'])
    expect(new Set(await Promise.all(callers)).size).toBe(1)
    expect(pending.started).toBe(1)
    expect(cache.stats).toMatchObject({ loads: 1, joined: 19 })
  })

  it('does not keep a load that an invalidation overtook, and starts a fresh one for later callers', async () => {
    const { cache } = liveCache()
    const pending = manualLoad<string>()
    const early = cache.get(ORG_A, 'catalog', pending.load)
    cache.invalidate(ORG_A)
    const late = cache.get(ORG_A, 'catalog', pending.load)
    expect(pending.started).toBe(2)
    pending.finish('before the change', 0)
    pending.finish('after the change', 1)
    expect(await early).toBe('before the change')
    expect(await late).toBe('after the change')
    expect(await cache.get(ORG_A, 'catalog', async () => 'unused')).toBe('after the change')
  })

  it('does not keep a failed load', async () => {
    const { cache } = liveCache()
    await expect(
      cache.get(ORG_A, 'catalog', async () => {
        throw new Error('database down')
      }),
    ).rejects.toThrow('database down')
    expect(await cache.get(ORG_A, 'catalog', async () => 'second try')).toBe('second try')
  })

  it('reloads a value older than maxAgeMs', async () => {
    const { cache, advance } = liveCache({ maxAgeMs: 1000 })
    await cache.get(ORG_A, 'members', async () => 'old')
    advance(999)
    expect(await cache.get(ORG_A, 'members', async () => 'new')).toBe('old')
    advance(1)
    expect(await cache.get(ORG_A, 'members', async () => 'new')).toBe('new')
  })

  it('reads from the database while not live, and starts empty when live again', async () => {
    const { cache } = liveCache()
    await cache.get(ORG_A, 'catalog', async () => 'kept')
    cache.setLive(false)
    expect(await cache.get(ORG_A, 'catalog', async () => 'fresh 1')).toBe('fresh 1')
    expect(await cache.get(ORG_A, 'catalog', async () => 'fresh 2')).toBe('fresh 2')
    cache.setLive(true)
    expect(await cache.get(ORG_A, 'catalog', async () => 'after reconnect')).toBe('after reconnect')
    expect(cache.stats.bypassed).toBe(2)
  })

  it('after a local write, reads the database until the notification comes', async () => {
    const { cache, advance } = liveCache({ writeGraceMs: 5000 })
    await cache.get(ORG_A, 'catalog', async () => 'old')
    cache.written(ORG_A)
    expect(await cache.get(ORG_A, 'catalog', async () => 'uncommitted or new')).toBe(
      'uncommitted or new',
    )
    expect(await cache.get(ORG_A, 'catalog', async () => 'still not kept')).toBe('still not kept')
    cache.invalidate(ORG_A)
    expect(await cache.get(ORG_A, 'catalog', async () => 'committed')).toBe('committed')
    expect(await cache.get(ORG_A, 'catalog', async () => 'unused')).toBe('committed')

    // A write whose notification never comes (it rolled back) stops bypassing after the grace.
    cache.written(ORG_B)
    advance(5000)
    await cache.get(ORG_B, 'catalog', async () => 'kept again')
    expect(await cache.get(ORG_B, 'catalog', async () => 'unused')).toBe('kept again')
  })

  it('empties every organization on "*"', async () => {
    const { cache } = liveCache()
    await cache.get(ORG_A, 'members', async () => 'a')
    await cache.get(ORG_B, 'members', async () => 'b')
    cache.invalidate('*')
    expect(cache.size).toBe(0)
  })

  it('keeps at most maxOrganizations, dropping the least recently read', async () => {
    const { cache } = liveCache({ maxOrganizations: 2 })
    const orgs = ['1', '2', '3'].map((n) => `00000000-0000-4000-8000-00000000000${n}`)
    await cache.get(orgs[0]!, 'catalog', async () => 'one')
    await cache.get(orgs[1]!, 'catalog', async () => 'two')
    await cache.get(orgs[0]!, 'catalog', async () => 'unused') // read: now the most recent
    await cache.get(orgs[2]!, 'catalog', async () => 'three')
    expect(cache.size).toBe(2)
    expect(await cache.get(orgs[0]!, 'catalog', async () => 'reloaded')).toBe('one')
    expect(await cache.get(orgs[1]!, 'catalog', async () => 'reloaded')).toBe('reloaded')
  })

  it('runs a shared load outside the context of the request that started it', async () => {
    const { cache } = liveCache()
    const request = new AsyncLocalStorage<string>()
    const seen = await request.run('request 1', () =>
      cache.get(ORG_A, 'catalog', async () => request.getStore() ?? 'no request'),
    )
    expect(seen).toBe('no request')
  })
})
