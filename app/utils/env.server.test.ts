import { availableParallelism } from 'node:os'
import { describe, expect, it } from 'vitest'
import type * as z from 'zod'
import { EnvError, parseEnv, webEnvSchema, workerEnvSchema } from './env.server'

function parseError(source: Record<string, string | undefined>, schema: z.ZodType = webEnvSchema) {
  try {
    parseEnv(schema, source)
  } catch (error) {
    if (error instanceof EnvError) return error
    throw error
  }
  throw new Error('expected an EnvError')
}

const PRODUCTION_SECRET = 'p'.repeat(40)

describe('parseEnv(webEnvSchema)', () => {
  it('applies the defaults to an empty environment', () => {
    const env = parseEnv(webEnvSchema, {})
    expect(env).toMatchObject({
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      PORT: 3000,
      HOST: '0.0.0.0',
      DATA_DIR: '.data',
      EMBEDDED_POSTGRES_PORT: 5433,
      APP_URL: 'http://localhost:3000',
      STORAGE_DRIVER: 'fs',
      TRUST_PROXY: false,
      S3_FORCE_PATH_STYLE: true,
    })
    expect(env.DATABASE_URL).toBeUndefined()
    // Outside production a development secret is filled in, so `make dev` needs no setup.
    expect(env.SESSION_SECRET.length).toBeGreaterThanOrEqual(32)
  })

  it('coerces numbers and flags and treats empty strings as unset', () => {
    const env = parseEnv(webEnvSchema, {
      PORT: '8080',
      TRUST_PROXY: 'yes',
      DATABASE_URL: '',
      RESEND_API_KEY: '   ',
    })
    expect(env.PORT).toBe(8080)
    // `true` means the one proxy in front of the app, never every address in the header.
    expect(env.TRUST_PROXY).toBe(1)
    expect(env.DATABASE_URL).toBeUndefined()
    expect(env.RESEND_API_KEY).toBeUndefined()
  })

  it('reads TRUST_PROXY as off, a number of proxies, or a list of proxy addresses', () => {
    const trust = (value: string) => parseEnv(webEnvSchema, { TRUST_PROXY: value }).TRUST_PROXY
    expect(trust('false')).toBe(false)
    expect(trust('')).toBe(false)
    expect(trust('true')).toBe(1)
    expect(trust('2')).toBe(2)
    expect(trust('loopback, 10.0.0.0/8, fd00::/8, 192.0.2.7')).toEqual([
      'loopback',
      '10.0.0.0/8',
      'fd00::/8',
      '192.0.2.7',
    ])
    for (const bad of ['everything', '10.0.0.0/33', '300.1.1.1', '11', 'loopback,nope']) {
      expect(() => parseEnv(webEnvSchema, { TRUST_PROXY: bad }), bad).toThrow(/TRUST_PROXY/)
    }
  })

  it('reports a bad PORT and a bad DATABASE_URL together in one EnvError', () => {
    const error = parseError({ PORT: 'eighty', DATABASE_URL: 'mysql://app@db/incidents' })
    expect(error.problems).toHaveLength(2)
    expect(error.message).toMatch(/^ {2}- PORT: .*\(got "eighty"\)$/m)
    expect(error.message).toMatch(
      /^ {2}- DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL/m,
    )
  })

  it('requires a SESSION_SECRET of at least 32 characters in production', () => {
    const missing = parseError({ NODE_ENV: 'production' })
    expect(missing.problems).toEqual([
      'SESSION_SECRET: is required in production and must be at least 32 characters (not set)',
    ])
    expect(parseError({ NODE_ENV: 'production', SESSION_SECRET: 'short' }).message).toContain(
      'SESSION_SECRET',
    )
    expect(
      parseEnv(webEnvSchema, { NODE_ENV: 'production', SESSION_SECRET: PRODUCTION_SECRET })
        .SESSION_SECRET,
    ).toBe(PRODUCTION_SECRET)
  })

  it('never echoes the value of a secret or of DATABASE_URL', () => {
    const sessionSecret = 'hunter2-but-too-short'
    const databaseUrl = 'mysql://admin:correct-horse-battery@db.internal/incidents'
    const error = parseError({
      NODE_ENV: 'production',
      SESSION_SECRET: sessionSecret,
      DATABASE_URL: databaseUrl,
    })
    expect(error.message).toContain('SESSION_SECRET')
    expect(error.message).toContain('DATABASE_URL')
    expect(error.message).not.toContain(sessionSecret)
    expect(error.message).not.toContain('correct-horse-battery')
    expect(error.message).not.toContain('db.internal')
    expect(error.message).toContain('got "***"')
  })

  it('names every missing S3 setting when STORAGE_DRIVER=s3', () => {
    const error = parseError({ STORAGE_DRIVER: 's3', S3_BUCKET: 'evidence' })
    expect(error.problems.map((p) => p.split(':')[0])).toEqual([
      'S3_ACCESS_KEY_ID',
      'S3_SECRET_ACCESS_KEY',
    ])
    expect(error.message).toContain('is required when STORAGE_DRIVER=s3')

    const all = parseError({ STORAGE_DRIVER: 's3' })
    expect(all.problems.map((p) => p.split(':')[0])).toEqual([
      'S3_BUCKET',
      'S3_ACCESS_KEY_ID',
      'S3_SECRET_ACCESS_KEY',
    ])
  })

  it('reads COMPRESSION as off or a gzip level, level 1 unless set', () => {
    expect(parseEnv(webEnvSchema, {}).COMPRESSION).toBe(1)
    expect(parseEnv(webEnvSchema, { COMPRESSION: 'off' }).COMPRESSION).toBe('off')
    expect(parseEnv(webEnvSchema, { COMPRESSION: ' 6 ' }).COMPRESSION).toBe(6)
    for (const bad of ['0', '10', '4.5', 'fast', '']) {
      expect(parseError({ COMPRESSION: bad }).problems, bad).toEqual([
        expect.stringMatching(/^COMPRESSION: must be off or a whole number from 1 to 9/),
      ])
    }
  })

  it('reads WEB_CONCURRENCY as a number of web processes or auto (one per core)', () => {
    expect(parseEnv(webEnvSchema, {}).WEB_CONCURRENCY).toBe(1)
    expect(parseEnv(webEnvSchema, { WEB_CONCURRENCY: '3' }).WEB_CONCURRENCY).toBe(3)
    expect(parseEnv(webEnvSchema, { WEB_CONCURRENCY: 'auto' }).WEB_CONCURRENCY).toBe(
      availableParallelism(),
    )
    for (const bad of ['0', '65', 'many']) {
      expect(parseError({ WEB_CONCURRENCY: bad }).problems, bad).toEqual([
        expect.stringMatching(/^WEB_CONCURRENCY: must be auto or a whole number from 1 to 64/),
      ])
    }
  })

  it('keeps reference data of 1000 organizations unless told otherwise; 0 turns it off', () => {
    expect(parseEnv(webEnvSchema, {}).REFERENCE_CACHE_ORGANIZATIONS).toBe(1000)
    expect(
      parseEnv(webEnvSchema, { REFERENCE_CACHE_ORGANIZATIONS: '0' }).REFERENCE_CACHE_ORGANIZATIONS,
    ).toBe(0)
    expect(parseError({ REFERENCE_CACHE_ORGANIZATIONS: '-1' }).message).toContain(
      'REFERENCE_CACHE_ORGANIZATIONS',
    )
  })

  it('requires SUPABASE_ANON_KEY once SUPABASE_URL is set', () => {
    const error = parseError({ SUPABASE_URL: 'https://project.supabase.co' })
    expect(error.problems).toHaveLength(1)
    expect(error.problems[0]).toMatch(/^SUPABASE_ANON_KEY: is required when SUPABASE_URL is set/)
  })
})

describe('the Slack and secrets variables', () => {
  it('defaults SLACK_API_URL to Slack’s and always ends it with a slash', () => {
    expect(parseEnv(webEnvSchema, {}).SLACK_API_URL).toBe('https://slack.com/api/')
    expect(parseEnv(webEnvSchema, { SLACK_API_URL: 'http://127.0.0.1:9/api' }).SLACK_API_URL).toBe(
      'http://127.0.0.1:9/api/',
    )
    expect(parseError({ SLACK_API_URL: 'not a url' }).problems[0]).toMatch(/^SLACK_API_URL:/)
  })

  it('takes a 32-byte SECRETS_ENCRYPTION_KEY as hex or base64 and names a bad one without echoing it', () => {
    const hex = 'ab'.repeat(32)
    expect(parseEnv(webEnvSchema, { SECRETS_ENCRYPTION_KEY: hex }).SECRETS_ENCRYPTION_KEY).toBe(hex)
    const base64 = Buffer.alloc(32, 7).toString('base64')
    expect(parseEnv(workerEnvSchema, { SECRETS_ENCRYPTION_KEY: base64 })).toMatchObject({
      SECRETS_ENCRYPTION_KEY: base64,
    })
    const error = parseError({ SECRETS_ENCRYPTION_KEY: 'too-short-key-value' })
    expect(error.problems).toEqual([
      'SECRETS_ENCRYPTION_KEY: must be 32 bytes, as 64 hex characters or base64 (got "***")',
    ])
  })

  it('gives the worker the development SESSION_SECRET outside production only', () => {
    expect(parseEnv(workerEnvSchema, {}).SESSION_SECRET).toBeTruthy()
    expect(parseEnv(workerEnvSchema, { NODE_ENV: 'production' }).SESSION_SECRET).toBeUndefined()
  })
})

describe('parseEnv(workerEnvSchema)', () => {
  it('checks the S3 settings for the worker too', () => {
    const error = parseError({ STORAGE_DRIVER: 's3' }, workerEnvSchema)
    expect(error.message).toContain('S3_BUCKET')
  })

  it('defaults the worker concurrency and rejects a non-number', () => {
    expect(parseEnv(workerEnvSchema, {}).WORKER_CONCURRENCY).toBe(4)
    expect(parseError({ WORKER_CONCURRENCY: 'lots' }, workerEnvSchema).message).toContain(
      'WORKER_CONCURRENCY',
    )
  })
})
