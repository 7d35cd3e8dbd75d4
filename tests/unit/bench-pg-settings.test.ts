import { describe, expect, it } from 'vitest'
import { pgSettings } from '../../bench/support/stack'

describe("a bench's PostgreSQL settings (BENCH_PG_SETTINGS and --pg-setting)", () => {
  it('are none without either: the server keeps its defaults', () => {
    expect(pgSettings([], undefined)).toEqual({})
    expect(pgSettings([], '  ')).toEqual({})
  })

  it('read name=value items from the variable, then the flags, a later one winning', () => {
    expect(
      pgSettings(
        ['shared_buffers=6GB', 'work_mem=8MB'],
        'shared_buffers=1GB  effective_cache_size=18GB\n',
      ),
    ).toEqual({ shared_buffers: '6GB', effective_cache_size: '18GB', work_mem: '8MB' })
  })

  it('keep everything after the first = as the value', () => {
    expect(pgSettings(['search_path=a=b'], undefined)).toEqual({ search_path: 'a=b' })
  })

  it('refuse an item without a name or without =', () => {
    expect(() => pgSettings(['shared_buffers'], undefined)).toThrow('name=value')
    expect(() => pgSettings(['=6GB'], undefined)).toThrow('name=value')
    expect(() => pgSettings([], 'shared_buffers 6GB')).toThrow('name=value')
  })
})
